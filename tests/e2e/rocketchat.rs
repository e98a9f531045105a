//! Rocket.Chat's own end-to-end expectations (spec §11), one test each.

use crate::util::{iso, last_hour, TestApp};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use omnireports_db::schema::permissions;

fn set_permission_roles(app: &TestApp, roles: &[&str]) {
    let roles: Vec<Option<String>> = roles.iter().map(|r| Some(r.to_string())).collect();
    diesel::update(permissions::table.find("view-livechat-reports"))
        .set(permissions::roles.eq(roles))
        .execute(&mut app.conn())
        .unwrap();
}

#[test]
fn e1_permission_given_to_no_role_is_403_even_for_admin() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    set_permission_roles(&app, &[]);
    assert_eq!(app.report("start=test&end=test", &admin).status, 403);
}

#[test]
fn e2_to_e6_bad_parameters_are_400() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    set_permission_roles(&app, &[]);
    set_permission_roles(&app, &["admin", "livechat-manager", "livechat-monitor"]);
    for query in [
        "",
        "end=test",
        "start=test",
        "start=test&end=test",
        "start=2020-01-01&end=test",
    ] {
        assert_eq!(app.report(query, &admin).status, 400, "{query}");
    }
}

#[test]
fn e7_range_of_380_days_is_400() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let now = Utc::now();
    let query = format!("start={}&end={}", iso(now - Duration::days(380)), iso(now));
    assert_eq!(app.report(&query, &admin).status, 400);
}

#[test]
fn e8_end_before_start_is_400() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let now = Utc::now();
    let query = format!("start={}&end={}", iso(now), iso(now - Duration::hours(1)));
    assert_eq!(app.report(&query, &admin).status, 400);
}

#[test]
fn e9_start_equal_to_end_is_an_empty_success() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let now = iso(Utc::now());
    let body = app.report(&format!("start={now}&end={now}"), &admin).json();
    assert_eq!(body["data"], serde_json::json!([]));
    assert_eq!(body["success"], true);
}

#[test]
fn e10_monitor_without_units_gets_empty_data() {
    let app = TestApp::new();
    app.unit("some-unit");
    app.department("dep", "Dep", &["some-unit"]);
    app.conversation("c1", &iso(Utc::now() - Duration::minutes(5)), Some("dep"));
    let monitor = app.user(&["livechat-monitor"]);
    let (start, end) = last_hour();
    let response = app.report(&format!("start={start}&end={end}"), &monitor);
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["data"], serde_json::json!([]));
    assert_eq!(body["success"], true);
}

#[test]
fn e11_admin_sees_the_department_of_a_recent_conversation() {
    let app = TestApp::new();
    app.department("dep", "Dep", &[]);
    app.conversation("c1", &iso(Utc::now() - Duration::minutes(5)), Some("dep"));
    let admin = app.user(&["admin"]);
    let (start, end) = last_hour();
    let response = app.report(&format!("start={start}&end={end}"), &admin);
    assert_eq!(response.status, 200);
    let body = response.json();
    let data = body["data"].as_array().unwrap();
    assert!(!data.is_empty());
    assert!(data
        .iter()
        .all(|entry| entry["value"].as_i64().unwrap() >= 0));
    assert_eq!(body["success"], true);
}
