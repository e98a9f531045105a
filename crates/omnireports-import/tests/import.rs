//! The importer against a real PostgreSQL: every encoding, positions of bad documents,
//! all-or-nothing, upserts, and a killed import.

mod fixtures;

use bson::{doc, Bson};
use diesel::prelude::*;
use diesel::sql_types::Text;
use fixtures::{Encoding, Export, ABC_HASH, ENCODINGS, MONITOR_OID};
use omnireports_analytics::{Registry, ReportRequest};
use omnireports_db::Restriction;
use omnireports_import::{import, ImportError, Options, Summary};
use omnireports_test_db::TestDatabase;
use omnireports_validation::{DateRange, Sort};
use std::path::Path;

fn run(conn: &mut PgConnection, dir: &Path) -> Result<Summary, ImportError> {
    import(conn, dir, Options::default())
}

fn run_skipping(conn: &mut PgConnection, dir: &Path) -> Result<Summary, ImportError> {
    let options = Options {
        skip_invalid: true,
        ..Options::default()
    };
    import(conn, dir, options)
}

fn written(export: &Export, encoding: Encoding) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixtures::write(export, encoding, dir.path());
    dir
}

#[derive(QueryableByName)]
struct Dump {
    #[diesel(sql_type = Text)]
    rows: String,
}

/// Every row omnireports keeps (users' `created_at` defaults to now(), so it is left out).
const DUMPED: [&str; 21] = [
    "roles",
    "permissions",
    "(SELECT id, username, name, active, roles FROM users)",
    "user_tokens",
    "departments",
    "unit_monitors",
    "conversations",
    "agg_department",
    "agg_source",
    "agg_source_scoped",
    "agg_status",
    "agg_status_scoped",
    "agg_tag",
    "agg_tag_scoped",
    "agg_agent",
    "agg_agent_scoped",
    "agg_source_unit",
    "agg_status_unit",
    "agg_tag_unit",
    "agg_agent_unit",
    "conversation_changes",
];

fn dump(conn: &mut PgConnection) -> String {
    let mut out = String::new();
    for table in DUMPED {
        let sql = format!(
            "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') AS rows FROM {table} t"
        );
        let dump: Dump = diesel::sql_query(sql).get_result(conn).unwrap();
        out.push_str(&format!("== {table}\n{}\n", dump.rows));
    }
    out
}

/// Every report, unrestricted and as a monitor of unit1, over 2026-01-01..2026-02-01.
fn reports(conn: &mut PgConnection) -> String {
    let mut out = String::new();
    for restriction in [Restriction::None, Restriction::Units(vec!["unit1".into()])] {
        let request = ReportRequest {
            range: DateRange {
                start: "2026-01-01T00:00:00Z".parse().unwrap(),
                end: "2026-02-01T00:00:00Z".parse().unwrap(),
            },
            sort: Sort(Vec::new()),
            restriction,
        };
        for report in Registry::builtin().iter() {
            let body = report.compute(conn, &request).unwrap();
            out.push_str(&format!(
                "{}: {}\n",
                report.name(),
                serde_json::to_string(&body).unwrap()
            ));
        }
    }
    out
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(conn).unwrap().n
}

fn text(conn: &mut PgConnection, sql: &str) -> String {
    let dump: Dump = diesel::sql_query(sql).get_result(conn).unwrap();
    dump.rows
}

#[test]
fn every_encoding_gives_the_same_rows_and_reports() {
    let export = fixtures::sample();
    let mut reference: Option<(String, String)> = None;
    for encoding in ENCODINGS {
        let db = TestDatabase::new();
        let conn = &mut db.connect();
        let dir = written(&export, encoding);
        let summary = run(conn, dir.path()).unwrap_or_else(|e| panic!("{encoding:?}: {e}"));
        let rooms = summary.collection("rocketchat_room").unwrap();
        assert_eq!(
            (rooms.read, rooms.inserted, rooms.ignored),
            (8, 6, 2),
            "{encoding:?}"
        );
        let state = (dump(conn), reports(conn));
        match &reference {
            None => reference = Some(state),
            Some(reference) => {
                assert_eq!(
                    reference.0, state.0,
                    "rows of {encoding:?} differ from relaxed JSON"
                );
                assert_eq!(reference.1, state.1, "reports of {encoding:?} differ");
            }
        }
    }
}

#[test]
fn documents_map_to_the_rows_computed_by_hand() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let dir = written(&fixtures::sample(), Encoding::Relaxed);
    let summary = run(conn, dir.path()).unwrap();

    let rows = |c: &mut PgConnection, sql: &str| {
        text(
            c,
            &format!("SELECT string_agg(t::text, ' ' ORDER BY t::text) AS rows FROM ({sql}) t"),
        )
    };
    assert_eq!(
        rows(conn, "SELECT * FROM conversations WHERE id IN ('r1', 'r3', 'r4')"),
        format!(
            "(r1,\"2026-01-10 10:00:00+00\",dep1,{{unit1}},widget,site,t,f,u2,agent2,\"{{billing,vip}}\",,) \
             (r3,\"2026-01-10 12:00:00+00\",dep1,{{unit1}},widget,,f,f,{MONITOR_OID},mona,{{}},600,\"2026-01-10 12:10:00+00\") \
             (r4,\"2026-01-10 13:00:00+00\",,{{}},sms,+1,f,f,,,{{}},12.5,\"2026-01-10 13:00:12.5+00\")"
        )
    );
    assert_eq!(count(conn, "SELECT count(*) AS n FROM conversations"), 6);
    assert_eq!(
        rows(conn, "SELECT id, username, name, active, roles FROM users"),
        format!("({MONITOR_OID},mona,,t,{{livechat-monitor}}) (u1,manager,\"Mia Manager\",t,\"{{user,livechat-manager}}\") (u2,agent2,\"Al Agent\",t,\"{{user,livechat-agent}}\") (u4,gone,,f,{{user}})")
    );
    assert_eq!(
        rows(conn, "SELECT created_at FROM users WHERE id = 'u1'"),
        "(\"2024-05-01 08:00:00+00\")"
    );
    assert_eq!(
        rows(conn, "SELECT hashed_token, kind, name, issued_at FROM user_tokens WHERE hashed_token <> 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='"),
        "(old-login-hash,login,,\"2024-06-01 00:00:00+00\") (pat-hash,personalAccessToken,reports,\"2025-02-03 04:05:06.789+00\")"
    );
    assert_eq!(
        count(conn, &format!("SELECT count(*) AS n FROM user_tokens WHERE user_id = 'u1' AND hashed_token = '{ABC_HASH}' AND kind = 'login'")),
        1
    );
    assert_eq!(
        rows(conn, "SELECT * FROM departments"),
        "(dep1,Sales,t,d,{unit1}) (dep2,Support,f,d,{}) (unit1,Europe,t,u,{})"
    );
    assert_eq!(
        rows(conn, "SELECT * FROM unit_monitors"),
        format!("(65a1b2c3d4e5f60718293a4c,{MONITOR_OID},unit1,mona)")
    );
    assert_eq!(
        rows(conn, "SELECT * FROM roles WHERE id IN ('admin', 'supervisor', 'auditor')"),
        "(admin,admin,Administrator,Users) (auditor,auditor,\"\",Users) (supervisor,supervisor,Supervisor,Users)"
    );
    assert_eq!(
        rows(conn, "SELECT * FROM permissions"),
        "(api-bypass-rate-limit,{admin}) (view-l-room,\"{livechat-agent,auditor}\") (view-livechat-reports,\"{admin,livechat-manager,livechat-monitor,supervisor}\")"
    );

    let counts = |name: &str| {
        let c = summary.collection(name).unwrap();
        (
            c.read,
            c.inserted,
            c.updated,
            c.unchanged,
            c.ignored,
            c.skipped,
        )
    };
    assert_eq!(counts("rocketchat_roles"), (2, 1, 1, 0, 0, 0));
    assert_eq!(counts("rocketchat_permissions"), (2, 1, 1, 0, 0, 0));
    assert_eq!(counts("users"), (4, 4, 0, 0, 0, 0));
    assert_eq!(counts("rocketchat_livechat_department"), (3, 3, 0, 0, 0, 0));
    assert_eq!(
        counts("rocketchat_livechat_unit_monitors"),
        (1, 1, 0, 0, 0, 0)
    );
    assert_eq!(counts("rocketchat_room"), (8, 6, 0, 0, 2, 0));
    assert_eq!((summary.tokens.read, summary.tokens.inserted), (3, 3));
    assert_eq!(summary.roles_created, 1, "auditor");
}

#[test]
fn reimport_is_idempotent_in_any_encoding() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let export = fixtures::sample();
    run(conn, written(&export, Encoding::Relaxed).path()).unwrap();
    let before = dump(conn);
    for encoding in ENCODINGS {
        let summary = run(conn, written(&export, encoding).path()).unwrap();
        for c in &summary.collections {
            assert_eq!(
                (c.inserted, c.updated),
                (0, 0),
                "{encoding:?} {}",
                c.collection
            );
        }
        let t = summary.tokens;
        assert_eq!(
            (t.inserted, t.updated, t.deleted, t.unchanged),
            (0, 0, 0, 3)
        );
        assert_eq!(summary.roles_created, 0);
        assert_eq!(dump(conn), before, "{encoding:?}");
    }
}

#[test]
fn a_newer_export_updates_in_place_and_reports_follow() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let mut export = fixtures::sample();
    run(conn, written(&export, Encoding::Relaxed).path()).unwrap();

    // r1 moves to Support; r2 is closed (Rocket.Chat unsets open and onHold); r3 is retagged.
    let r1 = export.room_mut("r1");
    r1.insert("departmentId", "dep2");
    r1.remove("departmentAncestors");
    let r2 = export.room_mut("r2");
    r2.remove("open");
    r2.remove("onHold");
    r2.insert(
        "closedAt",
        bson::DateTime::parse_rfc3339_str("2026-01-10T12:00:00Z").unwrap(),
    );
    r2.insert("metrics", doc! {"chatDuration": 1800.0});
    export
        .room_mut("r3")
        .insert("tags", vec![Bson::from("vip")]);
    export.docs_mut("rocketchat_room").push(doc! {
        "_id": "r7", "t": "l", "ts": bson::DateTime::parse_rfc3339_str("2026-01-10T15:00:00Z").unwrap(),
        "departmentId": "dep1", "source": {"type": "widget"}, "open": true,
    });
    // u1 logged out of the old session.
    let u1 = &mut export.docs_mut("users")[0];
    let tokens = u1
        .get_document_mut("services")
        .unwrap()
        .get_document_mut("resume")
        .unwrap()
        .get_array_mut("loginTokens")
        .unwrap();
    tokens.remove(1);

    let summary = run(conn, written(&export, Encoding::Bson).path()).unwrap();
    let rooms = summary.collection("rocketchat_room").unwrap();
    assert_eq!((rooms.inserted, rooms.updated, rooms.unchanged), (1, 3, 3));
    assert_eq!(summary.tokens.deleted, 1);
    assert_eq!(count(conn, "SELECT count(*) AS n FROM conversations"), 7);
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM user_tokens WHERE hashed_token = 'old-login-hash'"
        ),
        0
    );

    let all = reports(conn);
    assert!(all.contains(r#"conversations-by-department: {"total":5,"data":[{"label":"Sales","value":3},{"label":"Support","value":2}],"unspecified":1}"#), "{all}");
    // r3 went from no tag to vip; r2 is closed now.
    assert!(all.contains(r#"conversations-by-tags: {"total":4,"data":[{"label":"billing","value":1},{"label":"bug","value":1},{"label":"vip","value":2}],"unspecified":4}"#), "{all}");
    assert!(all.contains(r#"conversations-by-status: {"total":7,"data":[{"label":"Closed","value":3},{"label":"On_Hold","value":0},{"label":"Open","value":1},{"label":"Queued","value":3}]}"#), "{all}");
    // Recounting from scratch gives what the triggers maintained.
    let fresh = TestDatabase::new();
    let fresh_conn = &mut fresh.connect();
    run(fresh_conn, written(&export, Encoding::Relaxed).path()).unwrap();
    assert_eq!(reports(fresh_conn), all);
}

/// The rows of `user_tokens` for `user`, and how many of them would authenticate (the user is
/// active: `omnireports_auth::authenticate`'s join).
fn tokens_of(conn: &mut PgConnection, user: &str) -> (i64, i64) {
    let held = format!("SELECT count(*) AS n FROM user_tokens WHERE user_id = '{user}'");
    let usable = format!(
        "SELECT count(*) AS n FROM user_tokens t JOIN users u ON u.id = t.user_id \
         WHERE u.id = '{user}' AND u.active"
    );
    (count(conn, &held), count(conn, &usable))
}

fn set_login_tokens(user: &mut bson::Document, tokens: Vec<bson::Document>) {
    user.insert("services", doc! {"resume": {"loginTokens": tokens}});
}

#[test]
fn an_inactive_user_holds_no_tokens_whatever_the_export_lists() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let mut export = fixtures::sample();
    // u4 is inactive, yet its export lists a token (Rocket.Chat would have unset it).
    let token = doc! {"when": bson::DateTime::now(), "hashedToken": "inactive-hash"};
    set_login_tokens(&mut export.docs_mut("users")[3], vec![token]);
    let summary = run(conn, written(&export, Encoding::Relaxed).path()).unwrap();
    assert_eq!(tokens_of(conn, "u4"), (0, 0), "first imported inactive");
    assert_eq!(tokens_of(conn, "u1"), (3, 3));
    assert_eq!(summary.tokens.read, 3);

    // u1 is deactivated; the newer export still lists all of its tokens.
    export.docs_mut("users")[0].insert("active", false);
    for encoding in [Encoding::Relaxed, Encoding::Bson] {
        run(conn, written(&export, encoding).path()).unwrap();
        assert_eq!(tokens_of(conn, "u1"), (0, 0), "{encoding:?}: deactivated");
        assert_eq!(tokens_of(conn, "u4"), (0, 0), "{encoding:?}");
    }
    // Active again, with the tokens of a new login only.
    export.docs_mut("users")[0].insert("active", true);
    let token = doc! {"when": bson::DateTime::now(), "hashedToken": ABC_HASH};
    set_login_tokens(&mut export.docs_mut("users")[0], vec![token]);
    run(conn, written(&export, Encoding::Relaxed).path()).unwrap();
    assert_eq!(tokens_of(conn, "u1"), (1, 1));
}

/// Imports `export` over the sample, with `bad` replacing room `index`; expects the error
/// `expected` and the database exactly as before.
fn assert_rejected(export: &Export, encoding: Encoding, expected: &str) {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    run(conn, written(&fixtures::sample(), Encoding::Relaxed).path()).unwrap();
    let before = dump(conn);
    let error = run(conn, written(export, encoding).path()).unwrap_err();
    assert!(matches!(error, ImportError::Invalid(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(expected),
        "{encoding:?}: {message}\nexpected: {expected}"
    );
    assert_eq!(dump(conn), before, "{encoding:?} changed the database");
}

/// The sample, with r1 moved (so a partial import would show) and room 4 (line 4) broken.
fn with_bad_room() -> Export {
    let mut export = fixtures::sample();
    export.room_mut("r1").insert("departmentId", "dep2");
    export.docs_mut("rocketchat_room")[3].insert("ts", "yesterday");
    export
}

#[test]
fn a_bad_document_is_reported_at_its_line_and_changes_nothing() {
    let export = with_bad_room();
    for encoding in [Encoding::Relaxed, Encoding::Canonical, Encoding::Legacy] {
        assert_rejected(
            &export,
            encoding,
            "rocketchat_room.json:4: ts: expected a date, found a string",
        );
    }
}

#[test]
fn a_bad_array_element_is_reported_at_its_line_column_and_index() {
    let export = with_bad_room();
    let rooms = &export
        .collections
        .iter()
        .find(|(c, _)| *c == "rocketchat_room")
        .unwrap()
        .1;
    let column = 2 + rooms[..3]
        .iter()
        .map(|d| fixtures::json_line(d, Encoding::Relaxed).len() + 1)
        .sum::<usize>();
    let expected = format!("rocketchat_room.json:1:{column} (document 4): ts: expected a date");
    assert_rejected(&export, Encoding::JsonArray, &expected);
}

#[test]
fn a_bad_bson_document_is_reported_at_its_byte_offset() {
    let export = with_bad_room();
    let rooms = &export
        .collections
        .iter()
        .find(|(c, _)| *c == "rocketchat_room")
        .unwrap()
        .1;
    let offset = fixtures::bson_bytes(&rooms[..3]).len();
    for (encoding, file) in [
        (Encoding::Bson, "rocketchat_room.bson"),
        (Encoding::BsonGz, "rocketchat_room.bson.gz"),
    ] {
        let expected = format!("{file}: byte offset {offset} (document 4): ts: expected a date");
        assert_rejected(&export, encoding, &expected);
    }
}

#[test]
fn invalid_json_is_reported_at_its_line_and_column() {
    let dir = written(&with_bad_room(), Encoding::Relaxed);
    let rooms = dir.path().join("rocketchat_room.json");
    let mut lines: Vec<String> = std::fs::read_to_string(&rooms)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[1] = r#"{"_id": "r2", "t": "l",, "ts": 1}"#.into();
    std::fs::write(&rooms, lines.join("\n")).unwrap();
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let error = run(conn, dir.path()).unwrap_err().to_string();
    assert!(
        error.contains("rocketchat_room.json:2:24: invalid JSON: key must be a string"),
        "{error}"
    );
    assert_eq!(count(conn, "SELECT count(*) AS n FROM conversations"), 0);
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM users"),
        0,
        "nothing of the earlier collections"
    );
}

#[test]
fn skip_invalid_imports_the_rest_and_says_where() {
    let dir = written(&with_bad_room(), Encoding::Relaxed);
    let rooms = dir.path().join("rocketchat_room.json");
    let mut text = std::fs::read_to_string(&rooms).unwrap();
    text.push_str("\n{not json}\n");
    std::fs::write(&rooms, text).unwrap();
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let summary = run_skipping(conn, dir.path()).unwrap();
    let rooms = summary.collection("rocketchat_room").unwrap();
    assert_eq!(
        (rooms.read, rooms.inserted, rooms.ignored, rooms.skipped),
        (9, 5, 2, 2)
    );
    let listed: Vec<String> = rooms.skipped_at.iter().map(ToString::to_string).collect();
    assert!(
        listed[0].ends_with("rocketchat_room.json:4: ts: expected a date, found a string"),
        "{listed:?}"
    );
    assert!(
        listed[1].contains("rocketchat_room.json:10:2: invalid JSON: key must be a string"),
        "{listed:?}"
    );
    assert_eq!(summary.skipped(), 2);
    let printed = summary.to_string();
    assert!(
        printed.contains("2 invalid document(s) skipped:"),
        "{printed}"
    );
    assert_eq!(count(conn, "SELECT count(*) AS n FROM conversations"), 5);
}

#[test]
fn field_errors_name_the_field_path() {
    let cases: [(&str, bson::Document, &str); 5] = [
        (
            "rocketchat_room",
            doc! {"_id": "x", "t": "l", "ts": bson::DateTime::now(), "servedBy": {"_id": 7}},
            "servedBy._id: expected a string or ObjectId, found a number",
        ),
        (
            "rocketchat_room",
            doc! {"_id": "x", "t": "l"},
            "ts: missing",
        ),
        (
            "rocketchat_room",
            doc! {"_id": "x", "t": "l", "ts": bson::DateTime::now(), "tags": ["a", 1]},
            "tags[1]: expected a string or ObjectId, found a number",
        ),
        (
            "users",
            doc! {"_id": "x", "services": {"resume": {"loginTokens": [{"hashedToken": "h", "when": "today"}]}}},
            "services.resume.loginTokens[0].when: expected a date, found a string",
        ),
        (
            "rocketchat_livechat_department",
            doc! {"_id": "x", "name": "a\0b"},
            "name: contains a NUL character",
        ),
    ];
    for (collection, doc, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        fixtures::write_file(
            dir.path(),
            &format!("{collection}.json"),
            fixtures::json_line(&doc, Encoding::Relaxed).as_bytes(),
        );
        let db = TestDatabase::new();
        let error = run(&mut db.connect(), dir.path()).unwrap_err().to_string();
        assert!(
            error.contains(&format!("{collection}.json:1: {expected}")),
            "{error}"
        );
    }
}

#[test]
fn dates_in_years_1_to_9999_are_kept_and_others_refused_at_their_field() {
    let (first, last) = (-62_135_596_800_000, 253_402_300_799_999);
    let at = bson::DateTime::from_millis;
    let rooms = vec![
        room_with(doc! {"_id": "first", "ts": at(first)}),
        room_with(doc! {"_id": "last", "ts": at(last), "closedAt": at(last)}),
    ];
    let mut export = Export {
        collections: vec![("rocketchat_room", rooms)],
    };
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    run(conn, written(&export, Encoding::Canonical).path()).unwrap();
    let sql = "SELECT string_agg(ts::text || ' ' || coalesce(closed_at::text, '-'), ', ' \
               ORDER BY ts) AS rows FROM conversations";
    assert_eq!(
        text(conn, sql),
        "0001-01-01 00:00:00+00 -, 9999-12-31 23:59:59.999+00 9999-12-31 23:59:59.999+00"
    );
    let rooms = export.docs_mut("rocketchat_room");
    rooms.push(room_with(doc! {"_id": "before", "ts": at(first - 1)}));
    rooms.push(room_with(doc! {"_id": "after", "closedAt": at(last + 1)}));
    let summary = run_skipping(conn, written(&export, Encoding::Bson).path()).unwrap();
    let listed: Vec<String> = summary
        .collection("rocketchat_room")
        .unwrap()
        .skipped_at
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed[0].contains("(document 3): ts: date out of range (year 1 to 9999): "),
        "{listed:?}"
    );
    assert!(
        listed[1].contains("(document 4): closedAt: date out of range"),
        "{listed:?}"
    );
}

#[test]
fn a_repeated_id_keeps_the_last_document() {
    let mut export = fixtures::sample();
    let mut again = export.room_mut("r1").clone();
    again.insert("departmentId", "dep2");
    export.docs_mut("rocketchat_room").push(again);
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let summary = run(conn, written(&export, Encoding::Relaxed).path()).unwrap();
    let rooms = summary.collection("rocketchat_room").unwrap();
    assert_eq!((rooms.read, rooms.inserted, rooms.unchanged), (9, 6, 1));
    assert_eq!(
        text(
            conn,
            "SELECT department_id AS rows FROM conversations WHERE id = 'r1'"
        ),
        "dep2"
    );
}

#[test]
fn a_mongodump_database_directory_is_read_and_its_parent_explained() {
    let root = tempfile::tempdir().unwrap();
    let database = root.path().join("rocketchat");
    fixtures::write(&fixtures::sample(), Encoding::BsonGz, &database);
    fixtures::write_file(
        &database,
        "users.metadata.json",
        br#"{"indexes":[],"uuid":"x","collectionName":"users"}"#,
    );
    fixtures::write_file(&database, "rocketchat_room.metadata.json.gz", b"not gzip");
    fixtures::write_file(&database, "rocketchat_message.bson", b"ignored");
    fixtures::write_file(root.path(), "prelude.json", br#"{"ServerVersion":"7.0"}"#);
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let summary = run(conn, &database).unwrap();
    assert_eq!(summary.collection("rocketchat_room").unwrap().inserted, 6);
    let error = run(conn, root.path()).unwrap_err().to_string();
    assert!(
        error.contains("no Rocket.Chat collection file in"),
        "{error}"
    );
    assert!(error.contains("rocketchat"), "{error}");
}

#[test]
fn any_text_round_trips_exactly() {
    let tricky =
        "tab\there, new\nline\r, back\\slash \\N, \"quoted\" {braces,comma} NULL é 中文 🎉";
    let export = Export {
        collections: vec![
            (
                "rocketchat_livechat_department",
                vec![doc! {"_id": tricky, "name": tricky, "ancestors": [tricky, "NULL", ""]}],
            ),
            (
                "rocketchat_room",
                vec![
                    doc! {"_id": "r", "t": "l", "ts": bson::DateTime::now(), "departmentId": tricky, "tags": [tricky, ""]},
                ],
            ),
        ],
    };
    for encoding in ENCODINGS {
        let db = TestDatabase::new();
        let conn = &mut db.connect();
        run(conn, written(&export, encoding).path()).unwrap();
        let department = omnireports_db::schema::departments::table
            .select((
                omnireports_db::schema::departments::id,
                omnireports_db::schema::departments::name,
                omnireports_db::schema::departments::ancestors,
            ))
            .first::<(String, String, Vec<Option<String>>)>(conn)
            .unwrap();
        let ancestors = vec![
            Some(tricky.to_owned()),
            Some("NULL".to_owned()),
            Some(String::new()),
        ];
        assert_eq!(
            department,
            (tricky.to_owned(), tricky.to_owned(), ancestors),
            "{encoding:?}"
        );
        let room = omnireports_db::schema::conversations::table
            .select((
                omnireports_db::schema::conversations::department_id,
                omnireports_db::schema::conversations::tags,
            ))
            .first::<(Option<String>, Vec<Option<String>>)>(conn)
            .unwrap();
        let tags = vec![Some(tricky.to_owned()), Some(String::new())];
        assert_eq!(room, (Some(tricky.to_owned()), tags), "{encoding:?}");
    }
}

#[test]
fn gzip_is_told_by_its_content() {
    let export = fixtures::sample();
    let dir = written(&export, Encoding::Relaxed);
    for (collection, docs) in &export.collections {
        let plain = dir.path().join(format!("{collection}.json"));
        let json = fixtures::encode(docs, Encoding::Relaxed);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &json).unwrap();
        let gz = gz.finish().unwrap();
        if *collection == "rocketchat_room" {
            std::fs::remove_file(&plain).unwrap();
            fixtures::write_file(dir.path(), "rocketchat_room.jsonl.gz", &gz);
        } else {
            std::fs::write(&plain, gz).unwrap(); // gzip'd, though named .json
        }
    }
    let db = TestDatabase::new();
    let summary = run(&mut db.connect(), dir.path()).unwrap();
    assert_eq!(summary.collection("rocketchat_room").unwrap().inserted, 6);
    assert_eq!(summary.collection("users").unwrap().inserted, 4);
}

#[test]
fn two_files_of_one_collection_are_refused() {
    let dir = written(&fixtures::sample(), Encoding::Relaxed);
    fixtures::write(&fixtures::sample(), Encoding::Bson, dir.path());
    let db = TestDatabase::new();
    let error = run(&mut db.connect(), dir.path()).unwrap_err().to_string();
    assert!(error.contains("two files for collection"), "{error}");
}

#[test]
fn a_truncated_bson_file_stops_even_with_skip_invalid() {
    let dir = written(&fixtures::sample(), Encoding::Bson);
    let rooms = dir.path().join("rocketchat_room.bson");
    let bytes = std::fs::read(&rooms).unwrap();
    std::fs::write(&rooms, &bytes[..bytes.len() - 10]).unwrap();
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let error = run_skipping(conn, dir.path()).unwrap_err().to_string();
    assert!(
        error.contains("rocketchat_room.bson: byte offset"),
        "{error}"
    );
    assert!(error.contains("truncated document"), "{error}");
    assert_eq!(count(conn, "SELECT count(*) AS n FROM users"), 0);
}

/// `export` as relaxed JSON, with `collection`'s file replaced by the gzip stream `gz`.
fn with_gzip_file(export: &Export, collection: &str, gz: &[u8]) -> tempfile::TempDir {
    let dir = written(export, Encoding::Relaxed);
    std::fs::remove_file(dir.path().join(format!("{collection}.json"))).unwrap();
    fixtures::write_file(dir.path(), &format!("{collection}.json.gz"), gz);
    dir
}

/// Files that end, 128 MiB on, inside a line or an array element, each with where the import
/// stops; their roles (imported first) differ from the sample, so a partial import would show.
fn endless_files() -> Vec<(tempfile::TempDir, String)> {
    let mut export = fixtures::sample();
    export.docs_mut("rocketchat_roles")[1].insert("description", "changed");
    let rooms = fixtures::sample_lines("rocketchat_room", 2);
    let array = format!("[{},", rooms.trim_end().replace('\n', ","));
    let cases = [
        (
            "rocketchat_room",
            rooms.clone(),
            "rocketchat_room.json.gz:3: line".into(),
        ),
        (
            "rocketchat_room",
            format!("{array}{{\"_id\":\""),
            format!(
                "rocketchat_room.json.gz:1:{} (document 3): document",
                array.len() + 1
            ),
        ),
        (
            "users",
            fixtures::sample_lines("users", 1) + "{\"name\":\"",
            "users.json.gz:2: line".into(),
        ),
    ];
    cases
        .into_iter()
        .map(|(collection, head, at): (&str, String, String)| {
            let gz = fixtures::gzip_with_run(head.as_bytes(), 128, b"");
            let dir = with_gzip_file(&export, collection, &gz);
            (
                dir,
                format!("{at} longer than 32 MiB (the limit for one document)"),
            )
        })
        .collect()
}

#[test]
fn an_endless_line_or_element_is_refused_at_its_position_and_changes_nothing() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    run(conn, written(&fixtures::sample(), Encoding::Relaxed).path()).unwrap();
    let before = dump(conn);
    for (dir, expected) in endless_files() {
        let error = run(conn, dir.path()).unwrap_err();
        assert!(matches!(error, ImportError::Invalid(_)), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains(&expected),
            "{message}\nexpected: {expected}"
        );
        assert_eq!(dump(conn), before, "{expected}: the database changed");
    }
}

/// Set in the child processes of the memory tests: `url|dir` to import.
const MEMORY_CHILD: &str = "OMNIREPORTS_IMPORT_MEMORY_CHILD";

/// This process's peak resident memory (Linux's VmHWM).
fn peak_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap();
    peak.trim().trim_end_matches("kB").trim().parse().unwrap()
}

/// In the child process of a memory test: imports, prints the outcome and the peak memory,
/// and says so; otherwise false.
fn import_as_memory_child() -> bool {
    let Ok(args) = std::env::var(MEMORY_CHILD) else {
        return false;
    };
    let (url, dir) = args.split_once('|').unwrap();
    match omnireports_import::import_url(url, Path::new(dir), Options::default()) {
        Ok(summary) => println!("imported, {} login tokens", summary.tokens.read),
        Err(error) => println!("error: {error}"),
    }
    println!("peak: {} KiB", peak_memory_kib());
    true
}

/// Imports `dir` into `db` in a fresh process (this test binary, running only `test`), so that
/// its peak is this import's alone: what it printed, and its peak memory in KiB.
fn import_in_child(test: &str, db: &TestDatabase, dir: &Path) -> (String, u64) {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture"])
        .env(MEMORY_CHILD, format!("{}|{}", db.url(), dir.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let peak: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak: ")?.strip_suffix(" KiB")?.parse().ok())
        .unwrap();
    (stdout, peak)
}

#[cfg(target_os = "linux")]
#[test]
fn refusing_an_endless_line_keeps_memory_flat() {
    if import_as_memory_child() {
        return;
    }
    let db = TestDatabase::new();
    for (dir, expected) in endless_files() {
        let test = "refusing_an_endless_line_keeps_memory_flat";
        let (stdout, peak) = import_in_child(test, &db, dir.path());
        assert!(stdout.contains(&expected), "{stdout}\nexpected: {expected}");
        println!("{expected}: peak memory {peak} KiB");
        assert!(peak <= 64 * 1024, "{expected}: peak memory {peak} KiB");
    }
}

/// A `users.json` of one user whose `field` (`"roles"`, `"services"`) is `open`, then
/// `element,` repeated to 30 MiB, then `close`: within the 32 MiB a line may take.
fn one_huge_user(field: &str, open: &str, element: &str, close: &str) -> tempfile::TempDir {
    let mut line = format!(r#"{{"_id":"huge","{field}":{open}"#);
    while line.len() < 30 << 20 {
        line.push_str(element);
        line.push(',');
    }
    line.push_str(element);
    line.push_str(close);
    line.push_str("}\n");
    let dir = tempfile::tempdir().unwrap();
    fixtures::write_file(dir.path(), "users.json", line.as_bytes());
    dir
}

#[cfg(target_os = "linux")]
#[test]
fn a_document_of_countless_tiny_values_is_refused_with_little_memory() {
    if import_as_memory_child() {
        return;
    }
    let tokens = (r#"{"resume":{"loginTokens":["#, "]}}");
    // A wrongly typed element stops the array unread: the line's 32 MiB buffer and little
    // more. Valid tiny values are kept up to 2^18 per array, each with its decoded struct
    // (144 bytes for a login token entry, 24 for an id): up to 36 MiB more.
    let cases = [
        (
            one_huge_user("roles", "[", "[]", "]"),
            "users.json:1: roles[0]: expected a string or ObjectId, found an array",
            64,
        ),
        (
            one_huge_user("roles", "[", r#""a""#, "]"),
            "users.json:1: roles: more than 262144 elements (the most one array may hold)",
            64,
        ),
        (
            one_huge_user("services", tokens.0, "{}", tokens.1),
            "users.json:1: services.resume.loginTokens: more than 262144 elements",
            96,
        ),
    ];
    let db = TestDatabase::new();
    for (dir, expected, mib) in cases {
        let test = "a_document_of_countless_tiny_values_is_refused_with_little_memory";
        let (stdout, peak) = import_in_child(test, &db, dir.path());
        assert!(stdout.contains(expected), "{stdout}\nexpected: {expected}");
        println!("{expected}: peak memory {peak} KiB");
        assert!(peak <= mib * 1024, "{expected}: peak memory {peak} KiB");
    }
}

/// The sample's users, and one with `n` login tokens as Rocket.Chat stores them: about 100
/// bytes each in relaxed Extended JSON.
fn user_with_tokens(n: usize) -> Export {
    let when = bson::DateTime::from_millis(chrono::Utc::now().timestamp_millis() - 3_600_000);
    let tokens: Vec<bson::Document> = (0..n)
        .map(|i| doc! {"when": when, "hashedToken": format!("{i:043}=")})
        .collect();
    let mut user = doc! {"_id": "many", "username": "many", "active": true, "roles": ["user"]};
    set_login_tokens(&mut user, tokens);
    let mut users = fixtures::sample().docs_mut("users").clone();
    users.push(user);
    Export {
        collections: vec![("users", users)],
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_user_with_many_login_tokens_is_imported() {
    if import_as_memory_child() {
        return;
    }
    let n = 160_000;
    let export = user_with_tokens(n);
    for encoding in [Encoding::Relaxed, Encoding::Bson] {
        let dir = written(&export, encoding);
        let size = std::fs::metadata(dir.path().join(format!("users.{}", encoding.extension())));
        let size = size.unwrap().len();
        let db = TestDatabase::new();
        let (stdout, peak) =
            import_in_child("a_user_with_many_login_tokens_is_imported", &db, dir.path());
        assert!(
            stdout.contains(&format!("imported, {} login tokens", n + 3)),
            "{stdout}"
        );
        println!("{encoding:?}, {size} bytes: peak memory {peak} KiB");
        // The document, its decoded tokens (36 MiB), its row (14 MiB) in the COPY buffers.
        assert!(peak <= 128 * 1024, "{encoding:?}: peak memory {peak} KiB");
        let conn = &mut db.connect();
        let sql = "SELECT count(*) AS n FROM user_tokens WHERE user_id = 'many'";
        assert_eq!(count(conn, sql), n as i64);
    }
}

#[test]
fn skip_invalid_skips_an_overlong_line_and_reads_on() {
    let rooms = fixtures::sample_lines("rocketchat_room", 8);
    let (first, rest) = rooms.split_at(rooms.find('\n').unwrap() + 1);
    let head = format!("{first}{{\"_id\":\"");
    let gz = fixtures::gzip_with_run(head.as_bytes(), 40, format!("\"}}\n{rest}").as_bytes());
    let dir = with_gzip_file(&fixtures::sample(), "rocketchat_room", &gz);
    let db = TestDatabase::new();
    let summary = run_skipping(&mut db.connect(), dir.path()).unwrap();
    let rooms = summary.collection("rocketchat_room").unwrap();
    assert_eq!((rooms.read, rooms.inserted, rooms.skipped), (9, 6, 1));
    let skipped = rooms.skipped_at[0].to_string();
    assert!(
        skipped.ends_with(
            "rocketchat_room.json.gz:2: line longer than 32 MiB (the limit for one document)"
        ),
        "{skipped}"
    );
}

/// `n` random printable bytes, the same for the same `seed`. PostgreSQL compresses a repetitive
/// value (an array of equal texts too), so only incompressible ones, as real tokens are, show
/// whether an index entry fits.
fn random_text(seed: u8, n: usize) -> String {
    use proptest::prelude::RngExt as _;
    use proptest::test_runner::{RngAlgorithm, TestRng};
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    (0..n)
        .map(|_| char::from(rng.random_range(b'!'..=b'~')))
        .collect()
}

/// A livechat room with `fields`.
fn room_with(fields: bson::Document) -> bson::Document {
    let mut room = doc! {"_id": "rx", "t": "l", "ts": bson::DateTime::now()};
    room.extend(fields);
    room
}

/// Documents each with one indexed value too long, and the path of that value.
fn overlong_values(long: &str) -> Vec<(&'static str, bson::Document, &'static str)> {
    // Three ancestors of 334 bytes: each within 512, together 3 × (334 + 8) > 1024.
    let ancestors: Vec<String> = (1..=3).map(|seed| random_text(seed, 334)).collect();
    vec![
        ("rocketchat_roles", doc! {"_id": long}, "_id"),
        (
            "rocketchat_permissions",
            doc! {"_id": "p", "roles": [long]},
            "roles[0]",
        ),
        ("users", doc! {"_id": long}, "_id"),
        ("users", doc! {"_id": "ux", "username": long}, "username"),
        (
            "users",
            doc! {"_id": "ux", "roles": ["user", long]},
            "roles[1]",
        ),
        (
            "users",
            doc! {"_id": "ux", "services": {"resume": {"loginTokens": [{"hashedToken": long}]}}},
            "services.resume.loginTokens[0].hashedToken",
        ),
        (
            "users",
            doc! {"_id": "ux", "emails": [{"address": "a@b"}, {"address": long}]},
            "emails[1].address",
        ),
        (
            "rocketchat_livechat_department",
            doc! {"_id": long, "name": "x"},
            "_id",
        ),
        (
            "rocketchat_livechat_department",
            doc! {"_id": "dx", "name": "x", "ancestors": [long]},
            "ancestors[0]",
        ),
        (
            "rocketchat_livechat_unit_monitors",
            doc! {"_id": "mx", "monitorId": long, "unitId": "unit1"},
            "monitorId",
        ),
        (
            "rocketchat_livechat_unit_monitors",
            doc! {"_id": "mx", "monitorId": "u1", "unitId": long},
            "unitId",
        ),
        ("rocketchat_room", room_with(doc! {"_id": long}), "_id"),
        (
            "rocketchat_room",
            room_with(doc! {"departmentId": long}),
            "departmentId",
        ),
        (
            "rocketchat_room",
            room_with(doc! {"departmentAncestors": ancestors}),
            "departmentAncestors",
        ),
        (
            "rocketchat_room",
            room_with(doc! {"source": {"type": long}}),
            "source.type",
        ),
        (
            "rocketchat_room",
            room_with(doc! {"source": {"type": "api", "alias": long}}),
            "source.alias",
        ),
        (
            "rocketchat_room",
            room_with(doc! {"servedBy": {"_id": long}}),
            "servedBy._id",
        ),
        (
            "rocketchat_room",
            room_with(doc! {"tags": ["a", long]}),
            "tags[1]",
        ),
    ]
}

#[test]
fn a_value_too_long_for_an_index_is_reported_at_its_document_and_changes_nothing() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    run(conn, written(&fixtures::sample(), Encoding::Relaxed).path()).unwrap();
    let before = dump(conn);
    for (collection, doc, path) in overlong_values(&random_text(0, 513)) {
        let mut export = fixtures::sample();
        export.docs_mut("rocketchat_roles")[1].insert("description", "changed");
        export.docs_mut(collection).push(doc);
        let line = export.docs_mut(collection).len();
        let limit = if path == "departmentAncestors" {
            1024
        } else {
            512
        };
        let expected = format!("{collection}.json:{line}: {path}: longer than {limit} bytes");
        let error = run(conn, written(&export, Encoding::Relaxed).path()).unwrap_err();
        assert!(
            matches!(error, ImportError::Invalid(_)),
            "{expected}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&expected),
            "{message}\nexpected: {expected}"
        );
        assert_eq!(dump(conn), before, "{expected}: the database changed");
    }
}

#[test]
fn skip_invalid_skips_values_too_long_for_an_index() {
    let mut export = fixtures::sample();
    let mut skipped = std::collections::HashMap::new();
    for (collection, doc, _) in overlong_values(&random_text(0, 513)) {
        export.docs_mut(collection).push(doc);
        *skipped.entry(collection).or_insert(0) += 1;
    }
    // The sizes first reported: a 20,000-character id, a 1 MB token hash, a huge username.
    let huge = |n: usize| "x".repeat(n);
    let rooms = export.docs_mut("rocketchat_room");
    rooms.push(room_with(doc! {"_id": huge(20_000)}));
    let token = doc! {"resume": {"loginTokens": [{"hashedToken": huge(1 << 20)}]}};
    let users = export.docs_mut("users");
    users.push(doc! {"_id": "big-token", "services": token});
    users.push(doc! {"_id": "big-name", "username": huge(100_000)});
    *skipped.get_mut("rocketchat_room").unwrap() += 1;
    *skipped.get_mut("users").unwrap() += 2;

    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let summary = run_skipping(conn, written(&export, Encoding::Relaxed).path()).unwrap();
    for c in &summary.collections {
        let expected = skipped.get(c.collection.name()).copied().unwrap_or(0);
        assert_eq!(c.skipped, expected, "{}", c.collection);
    }
    let rooms = summary.collection("rocketchat_room").unwrap();
    assert_eq!((rooms.inserted, rooms.ignored), (6, 2));
    let listed = rooms.skipped_at.last().unwrap().to_string();
    assert!(
        listed.ends_with("rocketchat_room.json:16: _id: longer than 512 bytes (the most an indexed value may take)"),
        "{listed}"
    );
    assert_eq!(summary.collection("users").unwrap().inserted, 4);
    assert_eq!(count(conn, "SELECT count(*) AS n FROM user_tokens"), 3);
}

/// One document per collection with every indexed value as long as the mapping allows.
fn longest_values() -> Export {
    let key = random_text(0, 512);
    // Two ancestors of 504 bytes: 2 × (504 + 8) = 1024.
    let ancestors: Vec<String> = (1..=2).map(|seed| random_text(seed, 504)).collect();
    let tokens = doc! {"resume": {"loginTokens": [{"hashedToken": &key}]}};
    let room = doc! {
        "_id": &key, "departmentId": &key, "departmentAncestors": ancestors,
        "source": {"type": &key, "alias": &key}, "servedBy": {"_id": &key}, "tags": [&key],
    };
    Export {
        collections: vec![
            ("rocketchat_roles", vec![doc! {"_id": &key}]),
            (
                "rocketchat_permissions",
                vec![doc! {"_id": &key, "roles": [&key]}],
            ),
            (
                "users",
                vec![doc! {"_id": &key, "username": &key, "roles": [&key], "services": tokens}],
            ),
            (
                "rocketchat_livechat_department",
                vec![doc! {"_id": &key, "name": &key, "ancestors": [&key]}],
            ),
            (
                "rocketchat_livechat_unit_monitors",
                vec![doc! {"_id": &key, "monitorId": &key, "unitId": &key}],
            ),
            ("rocketchat_room", vec![room_with(room)]),
        ],
    }
}

#[test]
fn values_at_the_limits_fit_every_index() {
    let export = longest_values();
    // Alone, the room is a first import (the aggregates are rebuilt and indexed anew); over the
    // sample, its changes are logged, then folded into the indexed aggregates.
    for sample_first in [false, true] {
        let db = TestDatabase::new();
        let conn = &mut db.connect();
        if sample_first {
            run(conn, written(&fixtures::sample(), Encoding::Relaxed).path()).unwrap();
        }
        run(conn, written(&export, Encoding::Relaxed).path()).unwrap();
        omnireports_analytics::fold_changes(conn, None).unwrap();
        let sql = "SELECT count(*) AS n FROM conversations WHERE octet_length(id) = 512";
        assert_eq!(count(conn, sql), 1);
        // Three units (the room's two ancestors, its department's) at five levels.
        let sql = "SELECT count(*) AS n FROM agg_source_unit WHERE octet_length(unit) >= 504";
        assert_eq!(count(conn, sql), 15);
    }
}

/// Whether an import into `db` is writing its rooms into conversations right now.
fn upserting_rooms(conn: &mut PgConnection, db: &TestDatabase) -> bool {
    let busy = format!(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '{}' AND state = 'active' \
         AND pid <> pg_backend_pid() AND query LIKE '%INSERT INTO conversations%'",
        db.name()
    );
    count(conn, &busy) > 0
}

/// Set in the child process of [`a_killed_import_leaves_the_database_as_before`].
const CHILD: &str = "OMNIREPORTS_IMPORT_TEST_CHILD";

/// Rooms enough for the import to be caught in its COPY or upsert.
fn many_rooms(dir: &Path, n: usize) {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&format!(
            r#"{{"_id":"k{i}","t":"l","ts":{{"$date":"2026-01-{:02}T{:02}:00:00Z"}},"departmentId":"dep{}","source":{{"type":"widget"}},"open":true,"tags":["t{}"]}}"#,
            1 + i % 28, i % 24, i % 7, i % 5
        ));
        out.push('\n');
    }
    fixtures::write_file(dir, "rocketchat_room.json", out.as_bytes());
}

#[test]
fn a_killed_import_leaves_the_database_as_before() {
    if let Ok(args) = std::env::var(CHILD) {
        let (url, dir) = args.split_once('|').unwrap();
        omnireports_import::import_url(url, Path::new(dir), Options::default()).unwrap();
        return;
    }
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    run(conn, written(&fixtures::sample(), Encoding::Relaxed).path()).unwrap();
    let before = dump(conn);
    let dir = written(&fixtures::sample(), Encoding::Relaxed);
    many_rooms(dir.path(), 40_000);

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_killed_import_leaves_the_database_as_before",
            "--nocapture",
        ])
        .env(CHILD, format!("{}|{}", db.url(), dir.path().display()))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the child writes conversations inside its transaction, then SIGKILL it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !upserting_rooms(conn, &db) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be killed"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the import never reached its upsert"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    assert_eq!(dump(conn), before, "a killed import changed the database");
    let summary = run(conn, dir.path()).unwrap();
    assert_eq!(
        summary.collection("rocketchat_room").unwrap().inserted,
        40_000
    );
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM conversations"),
        40_006
    );
}

/// Every report, unrestricted and as a monitor of unit1, over ranges with sub-second and
/// mid-hour edges: the aggregates' answer next to the plain GROUP BY's.
fn aggregates_and_plain(conn: &mut PgConnection) -> (String, String) {
    let (mut fast, mut plain) = (String::new(), String::new());
    for (start, end) in [
        ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        ("2026-01-03T05:30:00Z", "2026-01-20T17:45:12.345Z"),
        ("2025-12-15T00:00:00Z", "2026-01-15T00:00:00.001Z"),
    ] {
        for restriction in [Restriction::None, Restriction::Units(vec!["unit1".into()])] {
            let request = ReportRequest {
                range: DateRange {
                    start: start.parse().unwrap(),
                    end: end.parse().unwrap(),
                },
                sort: Sort(Vec::new()),
                restriction,
            };
            for report in Registry::builtin().iter() {
                let body = report.compute(conn, &request).unwrap();
                fast.push_str(&serde_json::to_string(&body).unwrap());
                let body = report.compute_naive(conn, &request).unwrap();
                plain.push_str(&serde_json::to_string(&body).unwrap());
            }
        }
    }
    (fast, plain)
}

fn logged(conn: &mut PgConnection) -> i64 {
    count(conn, "SELECT count(*) AS n FROM conversation_changes")
}

fn table_oid(conn: &mut PgConnection) -> i64 {
    count(
        conn,
        "SELECT 'agg_agent_scoped'::regclass::oid::bigint AS n",
    )
}

#[test]
fn a_first_import_rebuilds_the_aggregates_and_later_ones_maintain_them() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    // A read-only role that may read one aggregate table must keep that right.
    let reader = format!("{}_reader", db.name());
    diesel::sql_query(format!("CREATE ROLE {reader}"))
        .execute(conn)
        .unwrap();
    diesel::sql_query(format!("GRANT SELECT ON agg_agent_scoped TO {reader}"))
        .execute(conn)
        .unwrap();
    let dir = written(&fixtures::sample(), Encoding::Relaxed);
    many_rooms(dir.path(), 2_000);

    // More new rooms than existing ones: one rebuild, which swaps in new tables (on Citus it
    // refills them in place, and logs nothing either).
    let before = table_oid(conn);
    run(conn, dir.path()).unwrap();
    if !db.is_citus() {
        assert_ne!(table_oid(conn), before, "the first import did not rebuild");
    }
    let (fast, plain) = aggregates_and_plain(conn);
    assert_eq!(fast, plain);
    let readable = format!(
        "SELECT has_table_privilege('{reader}', 'agg_agent_scoped', 'SELECT')::int::bigint AS n"
    );
    assert_eq!(count(conn, &readable), 1);

    assert_eq!(logged(conn), 0, "a rebuild leaves nothing to fold");

    // 100 new rooms over 2,006: the triggers log them, in the same tables.
    let before = table_oid(conn);
    many_rooms(dir.path(), 2_100);
    let summary = run(conn, dir.path()).unwrap();
    assert_eq!(summary.collection("rocketchat_room").unwrap().inserted, 100);
    assert_eq!(table_oid(conn), before, "a small import rebuilt");
    assert_eq!(logged(conn), 100);
    let (fast, plain) = aggregates_and_plain(conn);
    assert_eq!(fast, plain);
    // Folded into the aggregates, they give the same answers.
    assert_eq!(
        omnireports_analytics::fold_changes(conn, None).unwrap(),
        100
    );
    assert_eq!(logged(conn), 0);
    assert_eq!(aggregates_and_plain(conn).0, fast);

    diesel::sql_query(format!("DROP OWNED BY {reader}"))
        .execute(conn)
        .unwrap();
    diesel::sql_query(format!("DROP ROLE {reader}"))
        .execute(conn)
        .unwrap();
}

#[test]
fn a_writer_during_a_rebuilding_import_waits_for_it_and_is_counted() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let dir = written(&fixtures::sample(), Encoding::Relaxed);
    many_rooms(dir.path(), 40_000);
    let (url, path) = (db.url().to_owned(), dir.path().to_owned());
    let importer =
        std::thread::spawn(move || omnireports_import::import_url(&url, &path, Options::default()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !upserting_rooms(conn, &db) && !importer.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "the import never reached its upsert"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Another tool writes a room with plain SQL while the import is about to rebuild: it waits
    // for the import's commit, then its triggers count it in the rebuilt tables.
    diesel::sql_query(
        "INSERT INTO conversations (id, ts, department_id, tags) \
         VALUES ('w1', '2026-01-05T10:30:00.5Z', 'dep1', '{vip}')",
    )
    .execute(&mut db.connect())
    .unwrap();
    importer.join().unwrap().unwrap();
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM conversations"),
        40_001
    );
    let (fast, plain) = aggregates_and_plain(conn);
    assert_eq!(fast, plain);
}
