//! conversations-by-source, -status, -tags and -agent against hand-computed counts.

use super::*;
use omnireports_db::models::NewUser;
use omnireports_db::schema::users;
use omnireports_test_db::TestDatabase;
use serde_json::json;
use SortDirection::{Asc, Desc};

fn source(kind: &str, alias: Option<&str>) -> impl FnOnce(&mut NewConversation) {
    let (kind, alias) = (kind.to_owned(), alias.map(str::to_owned));
    move |row| {
        row.source_type = Some(kind);
        row.source_alias = alias;
    }
}

#[test]
fn by_source_labels_by_alias_else_type_value_descending() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    insert(conn, on_day("c1", source("widget", None)));
    insert(conn, on_day("c2", source("widget", None)));
    insert(conn, on_day("c3", source("app", Some("WhatsApp"))));
    insert(conn, on_day("c4", source("email", None)));
    insert(conn, on_day("c5", |_| {})); // no source: not counted
    let mut outside = on_day("c6", source("widget", None));
    outside.ts = at(DAY_END);
    insert(conn, outside);
    let report = ConversationsBySource;
    assert_eq!(
        compute(&report, conn, &whole_day(&report)),
        json!({"total":4,"data":[{"label":"widget","value":2},{"label":"WhatsApp","value":1},{"label":"email","value":1}]})
    );
    assert!(!report.reads_sort());
}

#[test]
fn empty_reports_have_empty_data() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    for report in Registry::builtin().iter() {
        let body = compute(report.as_ref(), conn, &whole_day(report.as_ref()));
        assert_eq!(body["total"], 0, "{}", report.name());
        assert_eq!(body["data"], json!([]), "{}", report.name());
    }
}

#[test]
fn by_status_counts_each_status_and_total_is_conversations() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let served = |row: &mut NewConversation| row.served_by_id = Some("a1".into());
    insert(
        conn,
        on_day("open", |r| {
            r.open = true;
            served(r);
        }),
    );
    insert(conn, on_day("queued", |r| r.open = true));
    insert(
        conn,
        on_day("held", |r| {
            r.open = true;
            r.on_hold = true;
            served(r);
        }),
    );
    insert(conn, on_day("closed1", |r| r.chat_duration = Some(120.0)));
    insert(conn, on_day("closed2", |r| r.chat_duration = Some(30.5)));
    insert(conn, on_day("zero", |r| r.chat_duration = Some(0.0))); // in no status
    let report = ConversationsByStatus;
    assert_eq!(
        compute(&report, conn, &whole_day(&report)),
        json!({"total":6,"data":[
            {"label":"Closed","value":2},
            {"label":"On_Hold","value":1},
            {"label":"Open","value":1},
            {"label":"Queued","value":1}
        ]})
    );
}

#[test]
fn by_status_lists_all_four_labels_with_zeroes() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    insert(conn, on_day("queued", |r| r.open = true));
    let report = ConversationsByStatus;
    assert_eq!(
        compute(&report, conn, &whole_day(&report)),
        json!({"total":1,"data":[
            {"label":"Queued","value":1},
            {"label":"Closed","value":0},
            {"label":"On_Hold","value":0},
            {"label":"Open","value":0}
        ]})
    );
}

fn tagged(tags: &[&str]) -> impl FnOnce(&mut NewConversation) {
    let tags = omnireports_db::models::text_array(tags.iter().copied());
    move |row| row.tags = tags
}

#[test]
fn by_tags_counts_a_conversation_under_each_tag() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    insert(conn, on_day("c1", tagged(&["billing", "vip"])));
    insert(conn, on_day("c2", tagged(&["billing"])));
    insert(conn, on_day("c3", tagged(&[])));
    insert(conn, on_day("c4", tagged(&[])));
    let report = ConversationsByTags;
    assert_eq!(
        compute(&report, conn, &whole_day(&report)),
        json!({"total":3,"data":[{"label":"vip","value":1},{"label":"billing","value":2}],"unspecified":2})
    );
    let by_label = request(
        DAY_START,
        DAY_END,
        sort(&[("_id", Desc)]),
        Restriction::None,
    );
    assert_eq!(compute(&report, conn, &by_label)["data"][0]["label"], "vip");
    let by_value = request(
        DAY_START,
        DAY_END,
        sort(&[("value", Desc)]),
        Restriction::None,
    );
    assert_eq!(
        compute(&report, conn, &by_value)["data"][0]["label"],
        "billing"
    );
}

fn agent_user(conn: &mut PgConnection, id: &str, name: Option<&str>) {
    diesel::insert_into(users::table)
        .values(NewUser {
            id: id.into(),
            username: Some(id.into()),
            name: name.map(Into::into),
            active: true,
            roles: omnireports_db::models::text_array(["livechat-agent"]),
        })
        .execute(conn)
        .unwrap();
}

fn served_by(id: &str) -> impl FnOnce(&mut NewConversation) {
    let id = id.to_owned();
    move |row| row.served_by_id = Some(id)
}

#[test]
fn by_agent_labels_by_name_falling_back_to_id() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    agent_user(conn, "a1", Some("Zoe"));
    agent_user(conn, "a2", None);
    insert(conn, on_day("c1", served_by("a1")));
    insert(conn, on_day("c2", served_by("a1")));
    insert(conn, on_day("c3", served_by("a2")));
    insert(conn, on_day("c4", served_by("gone")));
    insert(conn, on_day("c5", |_| {}));
    let report = ConversationsByAgent;
    assert_eq!(
        compute(&report, conn, &whole_day(&report)),
        json!({"total":4,"data":[
            {"label":"Zoe","value":2},
            {"label":"a2","value":1},
            {"label":"gone","value":1}
        ],"unspecified":1})
    );
    let by_total = request(
        DAY_START,
        DAY_END,
        sort(&[("total", Asc)]),
        Restriction::None,
    );
    assert_eq!(compute(&report, conn, &by_total)["data"][0]["label"], "a2");
    let by_id = request(
        DAY_START,
        DAY_END,
        sort(&[("_id", Desc)]),
        Restriction::None,
    );
    assert_eq!(compute(&report, conn, &by_id)["data"][0]["label"], "gone");
}

#[test]
fn restriction_applies_to_every_report() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    department(conn, "in-unit", "In", &["unit1"]);
    department(conn, "elsewhere", "Out", &[]);
    let everything = |row: &mut NewConversation, dep: &str| {
        row.department_id = Some(dep.into());
        row.source_type = Some("widget".into());
        row.served_by_id = Some("a1".into());
        row.tags = omnireports_db::models::text_array(["t"]);
        row.open = true;
    };
    insert(conn, on_day("mine", |r| everything(r, "in-unit")));
    insert(conn, on_day("theirs", |r| everything(r, "elsewhere")));
    insert(
        conn,
        on_day("untagged", |r| r.department_id = Some("elsewhere".into())),
    );
    for report in Registry::builtin().iter() {
        let restricted = request(
            DAY_START,
            DAY_END,
            report.default_sort(),
            Restriction::Units(vec!["unit1".into()]),
        );
        let body = compute(report.as_ref(), conn, &restricted);
        assert_eq!(body["total"], 1, "{}: {body}", report.name());
        if let Some(unspecified) = body.get("unspecified") {
            assert_eq!(unspecified, 0, "{}", report.name());
        }
    }
}

#[test]
fn a_monitors_unspecified_counts_what_they_may_see_except_by_department() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    department(conn, "in-unit", "In", &["unit1"]);
    department(conn, "elsewhere", "Out", &[]);
    let visible_bare = |r: &mut NewConversation| r.department_id = Some("in-unit".into());
    insert(conn, on_day("mine-bare", visible_bare));
    insert(conn, on_day("mine-bare-2", visible_bare));
    insert(
        conn,
        on_day("mine-by-ancestors", |r| {
            r.department_ancestors = omnireports_db::models::text_array(["unit1"]);
        }),
    );
    insert(
        conn,
        on_day("theirs-bare", |r| {
            r.department_id = Some("elsewhere".into())
        }),
    );
    let restricted = |report: &dyn Report| {
        request(
            DAY_START,
            DAY_END,
            report.default_sort(),
            Restriction::Units(vec!["unit1".into()]),
        )
    };
    // Untagged and unserved: the three conversations the monitor may see, not the fourth.
    let expected = [
        ("conversations-by-tags", 3),
        ("conversations-by-agent", 3),
        ("conversations-by-department", 0),
    ];
    // Unfolded, then folded into the aggregates: both paths and the naive count agree.
    for fold in [false, true] {
        if fold {
            assert_eq!(crate::fold_changes(conn, None).unwrap(), 4);
        }
        for (name, unspecified) in expected {
            let registry = Registry::builtin();
            let report = registry.get(name).unwrap().as_ref();
            let request = restricted(report);
            let fast = compute(report, conn, &request);
            let naive =
                serde_json::to_value(report.compute_naive(conn, &request).unwrap()).unwrap();
            assert_eq!(
                fast["unspecified"], unspecified,
                "{name} (folded: {fold}): {fast}"
            );
            assert_eq!(fast, naive, "{name} (folded: {fold})");
        }
    }
}
