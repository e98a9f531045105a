//! Increments beside a live Rocket.Chat: an export that holds only some documents, the trash's
//! deletions, and reports that stay exact while an increment commits.

use crate::import::{export, imported_user, DAY};
use crate::util::TestApp;
use diesel::prelude::*;
use omnireports_db::schema::{conversations, departments, users};
use omnireports_import::{import_url, ImportError, Options};
use serde_json::json;
use std::path::Path;

fn write(dir: &Path, name: &str, lines: &[serde_json::Value]) {
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(dir.join(name), text).unwrap();
}

fn rows(app: &TestApp) -> (i64, i64) {
    let conn = &mut app.conn();
    let rooms = conversations::table.count().get_result(conn).unwrap();
    let departments = departments::table.count().get_result(conn).unwrap();
    (rooms, departments)
}

#[test]
fn an_increment_upserts_what_it_holds_and_its_trash_deletes() {
    let app = TestApp::new();
    let full = tempfile::tempdir().unwrap();
    export(full.path(), "dep2");
    import_url(app.database_url(), full.path(), Options::default()).unwrap();
    let manager = imported_user("u1", "manager-token");
    let monitor = imported_user("65a1b2c3d4e5f60718293a4b", "monitor-token");
    assert_eq!(app.report(DAY, &monitor).json()["total"], 2);

    // r4 moves to Support; r1, the monitor's unit link and the agent u3 are deleted; a message
    // in the trash is not omnireports' business.
    let increment = tempfile::tempdir().unwrap();
    write(
        increment.path(),
        "rocketchat_room.json",
        &[
            json!({"_id": "r4", "t": "l", "ts": {"$date": "2026-01-10T13:00:00.000Z"},
                 "departmentId": "dep2", "_updatedAt": {"$date": "2026-12-01T10:00:00.000Z"}}),
        ],
    );
    let trashed = |id: &str, collection: &str| json!({"_id": id, "__collection__": collection, "_deletedAt": {"$date": "2026-12-01T11:00:00.000Z"}});
    write(
        increment.path(),
        "rocketchat__trash.json",
        &[
            trashed("r1", "room"),
            trashed("m1", "livechat_unit_monitors"),
            trashed("u3", "users"),
            trashed("msg1", "message"),
        ],
    );
    let (rooms_before, departments_before) = rows(&app);
    let summary = import_url(app.database_url(), increment.path(), Options::default()).unwrap();
    let room_summary = summary.collection("rocketchat_room").unwrap();
    assert_eq!((room_summary.read, room_summary.updated), (1, 1));
    let trash = summary.collection("rocketchat__trash").unwrap();
    assert_eq!((trash.read, trash.deleted, trash.ignored), (4, 3, 1));

    assert_eq!(
        app.report(DAY, &manager).json(),
        json!({"total": 3, "data": [{"label": "Sales", "value": 1}, {"label": "Support", "value": 2}],
               "unspecified": 0, "success": true})
    );
    // The monitor monitors no unit any more: nothing to see.
    assert_eq!(app.report(DAY, &monitor).json()["total"], 0);
    assert_eq!(
        rows(&app),
        (rooms_before - 1, departments_before),
        "only r1 is gone"
    );
    let remaining: Vec<String> = users::table
        .select(users::id)
        .order(users::id)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(remaining, ["65a1b2c3d4e5f60718293a4b", "u1"]);
    let next_day = "start=2026-01-11T00:00:00.000Z&end=2026-01-12T00:00:00.000Z";
    assert_eq!(
        app.report(next_day, &manager).json()["total"],
        1,
        "r6 untouched"
    );
}

#[test]
fn a_trash_entry_without_an_id_is_positioned_and_changes_nothing() {
    let app = TestApp::new();
    let full = tempfile::tempdir().unwrap();
    export(full.path(), "dep2");
    import_url(app.database_url(), full.path(), Options::default()).unwrap();
    let increment = tempfile::tempdir().unwrap();
    write(
        increment.path(),
        "rocketchat__trash.json",
        &[
            json!({"_id": "r1", "__collection__": "room"}),
            json!({"__collection__": "room", "_deletedAt": {"$date": 0}}),
        ],
    );
    let error = import_url(app.database_url(), increment.path(), Options::default()).unwrap_err();
    assert!(matches!(error, ImportError::Invalid(_)));
    assert!(
        error
            .to_string()
            .contains("rocketchat__trash.json:2: _id: missing"),
        "{error}"
    );
    let manager = imported_user("u1", "manager-token");
    assert_eq!(
        app.report(DAY, &manager).json()["total"],
        3,
        "r1 still counts"
    );
}

/// `n` livechat rooms on 2026-02-01, in `department`, with ids `{prefix}{i}`.
fn rooms(prefix: &str, n: usize, department: &str) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            json!({"_id": format!("{prefix}{i}"), "t": "l", "departmentId": department,
                   "ts": {"$date": format!("2026-02-01T{:02}:{:02}:00.000Z", i / 60 % 24, i % 60)}})
        })
        .collect()
}

#[test]
fn reports_read_during_an_increment_are_the_old_or_the_new_answer() {
    let app = TestApp::with(|settings| settings.rate_limit.enabled = false);
    let full = tempfile::tempdir().unwrap();
    export(full.path(), "dep2");
    write(
        full.path(),
        "rocketchat_room.json",
        &rooms("x", 3_000, "dep1"),
    );
    import_url(app.database_url(), full.path(), Options::default()).unwrap();
    let manager = imported_user("u1", "manager-token");
    let query = "start=2026-02-01T00:00:00.000Z&end=2026-02-02T00:00:00.000Z&sort={\"total\":-1}";
    let read = || app.report(query, &manager).json();
    let before = read();

    // Every room moves to Support and a third are deleted, in one increment.
    let increment = tempfile::tempdir().unwrap();
    write(
        increment.path(),
        "rocketchat_room.json",
        &rooms("x", 3_000, "dep2"),
    );
    let trash: Vec<_> = (0..1_000)
        .map(|i| json!({"_id": format!("x{}", i * 3), "__collection__": "room"}))
        .collect();
    write(increment.path(), "rocketchat__trash.json", &trash);
    let url = app.database_url().to_owned();
    let path = increment.path().to_owned();
    let importing =
        std::thread::spawn(move || import_url(&url, &path, Options::default()).unwrap());
    let mut answers = Vec::new();
    while !importing.is_finished() {
        answers.push(read());
    }
    importing.join().unwrap();
    let after = read();
    assert_eq!(
        after,
        json!({"total": 2_000, "data": [{"label": "Support", "value": 2_000}], "unspecified": 0, "success": true})
    );
    assert_eq!(before["total"], 3_000);
    for answer in &answers {
        assert!(*answer == before || *answer == after, "{answer}");
    }
    assert!(!answers.is_empty(), "the reads overlapped the increment");
}
