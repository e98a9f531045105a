use super::*;
use omnireports_test_db::TestDatabase;
use serde_json::json;

fn by_department(conn: &mut PgConnection, request: &ReportRequest) -> serde_json::Value {
    serde_json::to_value(ConversationsByDepartment.compute(conn, request).unwrap()).unwrap()
}

const DAY_START: &str = "2026-01-10T00:00:00Z";
const DAY_END: &str = "2026-01-11T00:00:00Z";

/// Sales ×3 (two departments named Sales), Support ×1, one conversation of a deleted department,
/// two without department, plus conversations just outside the range.
fn seed(conn: &mut PgConnection) {
    department(conn, "sales-a", "Sales", &[]);
    department(conn, "sales-b", "Sales", &[]);
    department(conn, "support", "Support", &["unit1"]);
    conversation(conn, "c1", DAY_START, Some("sales-a")); // start is inclusive
    conversation(conn, "c2", "2026-01-10T12:00:00Z", Some("sales-a"));
    conversation(conn, "c3", "2026-01-10T23:59:59.999Z", Some("sales-b"));
    conversation(conn, "c4", "2026-01-10T08:00:00Z", Some("support"));
    conversation(conn, "c5", "2026-01-10T09:00:00Z", Some("deleted"));
    conversation(conn, "c6", "2026-01-10T10:00:00Z", None);
    conversation(conn, "c7", "2026-01-10T11:00:00Z", None);
    conversation(conn, "c8", DAY_END, Some("support")); // end is exclusive
    conversation(conn, "c9", "2026-01-09T23:59:59.999Z", None);
}

#[test]
fn counts_are_grouped_by_department_name_in_range() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    seed(conn);
    let req = request(DAY_START, DAY_END, sort(&[]), Restriction::None);
    assert_eq!(
        by_department(conn, &req),
        json!({"total": 4, "data": [{"label": "Sales", "value": 3}, {"label": "Support", "value": 1}], "unspecified": 2})
    );
}

#[test]
fn default_sort_is_total_ascending() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    seed(conn);
    let req = request(
        DAY_START,
        DAY_END,
        ConversationsByDepartment.default_sort(),
        Restriction::None,
    );
    let body = by_department(conn, &req);
    assert_eq!(body["data"][0]["label"], "Support");
    assert_eq!(body["data"][1]["label"], "Sales");
}

#[test]
fn explicit_sorts_and_synonyms_apply_in_key_order() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    seed(conn);
    department(conn, "billing", "Billing", &[]);
    conversation(conn, "b1", "2026-01-10T05:00:00Z", Some("billing"));
    let labels = |conn: &mut PgConnection, keys: &[(&str, SortDirection)]| {
        let req = request(DAY_START, DAY_END, sort(keys), Restriction::None);
        let body = by_department(conn, &req);
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["label"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    use SortDirection::{Asc, Desc};
    // Billing 1, Support 1, Sales 3: ties broken by label ascending.
    assert_eq!(
        labels(conn, &[("total", Asc)]),
        ["Billing", "Support", "Sales"]
    );
    assert_eq!(
        labels(conn, &[("total", Desc)]),
        ["Sales", "Billing", "Support"]
    );
    assert_eq!(
        labels(conn, &[("value", Desc)]),
        ["Sales", "Billing", "Support"]
    );
    assert_eq!(
        labels(conn, &[("_id", Desc)]),
        ["Support", "Sales", "Billing"]
    );
    assert_eq!(
        labels(conn, &[("label", Asc)]),
        ["Billing", "Sales", "Support"]
    );
    assert_eq!(
        labels(conn, &[("total", Asc), ("_id", Desc)]),
        ["Support", "Billing", "Sales"]
    );
    assert_eq!(
        labels(conn, &[("unknown", Desc)]),
        ["Billing", "Sales", "Support"]
    );
}

#[test]
fn labels_compare_byte_wise() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    department(conn, "a", "apple", &[]);
    department(conn, "b", "Banana", &[]);
    conversation(conn, "c1", "2026-01-10T01:00:00Z", Some("a"));
    conversation(conn, "c2", "2026-01-10T01:00:00Z", Some("b"));
    let req = request(
        DAY_START,
        DAY_END,
        sort(&[("_id", SortDirection::Asc)]),
        Restriction::None,
    );
    let body = by_department(conn, &req);
    assert_eq!(body["data"][0]["label"], "Banana"); // 'B' < 'a' in bytes
}

#[test]
fn empty_range_returns_zeroes() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    seed(conn);
    let req = request(DAY_START, DAY_START, sort(&[]), Restriction::None);
    assert_eq!(
        by_department(conn, &req),
        json!({"total": 0, "data": [], "unspecified": 0})
    );
}

#[test]
fn monitors_see_conversations_of_their_units_only() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    seed(conn);
    // In unit2 through the conversation's own ancestors, not its department's.
    conversation_with_ancestors(
        conn,
        "c10",
        "2026-01-10T13:00:00Z",
        Some("sales-a"),
        &["unit2"],
    );
    let restricted = |conn: &mut PgConnection, units: &[&str]| {
        let units = units.iter().map(|u| u.to_string()).collect();
        let req = request(DAY_START, DAY_END, sort(&[]), Restriction::Units(units));
        by_department(conn, &req)
    };
    assert_eq!(
        restricted(conn, &["unit1"]),
        json!({"total": 1, "data": [{"label": "Support", "value": 1}], "unspecified": 0})
    );
    assert_eq!(
        restricted(conn, &["unit2"]),
        json!({"total": 1, "data": [{"label": "Sales", "value": 1}], "unspecified": 0})
    );
    assert_eq!(
        restricted(conn, &[]),
        json!({"total": 0, "data": [], "unspecified": 0})
    );
}

#[test]
fn registry_finds_reports_by_name() {
    let registry = Registry::builtin();
    let report = registry.get("conversations-by-department").unwrap();
    assert!(report.reads_sort());
    assert!(registry.get("nope").is_none());
}
