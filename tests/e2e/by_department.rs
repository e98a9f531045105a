//! 200 responses of conversations-by-department.

use crate::util::TestApp;
use serde_json::json;

const DAY: &str = "start=2026-01-10T00:00:00.000Z&end=2026-01-11T00:00:00.000Z";

fn seeded() -> TestApp {
    let app = TestApp::new();
    app.unit("unit1");
    app.department("sales-a", "Sales", &[]);
    app.department("sales-b", "Sales", &[]);
    app.department("support", "Support", &["unit1"]);
    app.conversation("c1", "2026-01-10T00:00:00Z", Some("sales-a"));
    app.conversation("c2", "2026-01-10T12:00:00Z", Some("sales-b"));
    app.conversation("c3", "2026-01-10T08:00:00Z", Some("support"));
    app.conversation("c4", "2026-01-10T09:00:00Z", Some("deleted-department"));
    app.conversation("c5", "2026-01-10T10:00:00Z", None);
    app.conversation("c6", "2026-01-11T00:00:00Z", Some("support"));
    app
}

#[test]
fn report_counts_by_department_name_with_unspecified() {
    let app = seeded();
    let manager = app.user(&["livechat-manager"]);
    let response = app.report(DAY, &manager);
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json(),
        json!({"total":3,"data":[{"label":"Support","value":1},{"label":"Sales","value":2}],"unspecified":1,"success":true})
    );
}

#[test]
fn report_headers_forbid_caching() {
    let app = seeded();
    let manager = app.user(&["livechat-manager"]);
    let response = app.report(DAY, &manager);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
}

#[test]
fn explicit_sort_is_applied() {
    let app = seeded();
    let manager = app.user(&["livechat-manager"]);
    let sort = "%7B%22_id%22%3A-1%7D"; // {"_id":-1}
    let response = app.report(&format!("{DAY}&sort={sort}"), &manager);
    let body = response.json();
    assert_eq!(body["data"][0]["label"], "Support");
    assert_eq!(body["data"][1]["label"], "Sales");
}

#[test]
fn start_equal_to_end_is_an_empty_report() {
    let app = seeded();
    let manager = app.user(&["livechat-manager"]);
    let response = app.report(
        "start=2026-01-10T08:00:00.000Z&end=2026-01-10T08:00:00.000Z",
        &manager,
    );
    assert_eq!(response.status, 200);
    assert_eq!(
        response.text,
        r#"{"total":0,"data":[],"unspecified":0,"success":true}"#
    );
}

#[test]
fn dates_without_offset_use_the_configured_time_zone() {
    let app = TestApp::with(|s| s.timezone = "America/Sao_Paulo".parse().unwrap());
    app.department("sales", "Sales", &[]);
    // 2026-01-10T02:00Z is 2026-01-09 23:00 in São Paulo (UTC-3).
    app.conversation("c1", "2026-01-10T02:00:00Z", Some("sales"));
    let manager = app.user(&["livechat-manager"]);
    let local = app
        .report("start=2026-01-10&end=2026-01-11", &manager)
        .json();
    assert_eq!(local["total"], 0);
    let previous = app
        .report("start=2026-01-09&end=2026-01-10", &manager)
        .json();
    assert_eq!(previous["total"], 1);
}

#[test]
fn monitors_see_only_their_units_and_no_unspecified() {
    let app = seeded();
    let monitor = app.user(&["livechat-monitor"]);
    app.monitor(&monitor, "unit1");
    let response = app.report(DAY, &monitor);
    assert_eq!(
        response.json(),
        json!({"total":1,"data":[{"label":"Support","value":1}],"unspecified":0,"success":true})
    );
}

#[test]
fn monitor_with_units_elsewhere_sees_nothing_but_admin_sees_all() {
    let app = seeded();
    let monitor = app.user(&["livechat-monitor"]);
    let response = app.report(DAY, &monitor);
    assert_eq!(
        response.json(),
        json!({"total":0,"data":[],"unspecified":0,"success":true})
    );
    let admin = app.user(&["admin", "livechat-monitor"]);
    assert_eq!(app.report(DAY, &admin).json()["total"], 3);
}

#[test]
fn a_conversation_committed_before_the_request_is_counted() {
    let app = seeded();
    let manager = app.user(&["livechat-manager"]);
    assert_eq!(app.report(DAY, &manager).json()["total"], 3);
    app.conversation("c7", "2026-01-10T13:00:00Z", Some("sales-a"));
    assert_eq!(app.report(DAY, &manager).json()["total"], 4);
}
