//! Every 400 body, 404, 405, 500 and 503.

use crate::util::{TestApp, REPORT};
use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

fn invalid_params(message: &str) -> Value {
    json!({"success":false,"error":format!("{message} [invalid-params]"),"errorType":"invalid-params"})
}

fn invalid_sort(raw: &str) -> Value {
    json!({"success":false,"error":format!("Invalid sort parameter provided: \"{raw}\" [error-invalid-sort]"),"errorType":"error-invalid-sort","details":{"helperMethod":"parseJsonQuery"}})
}

fn plain(message: &str) -> Value {
    json!({"success":false,"error":message})
}

const START: &str = "The \"start\" query parameter must be a valid date.";
const END: &str = "The \"end\" query parameter must be a valid date.";
const YEAR: &str = "The \"start\" and \"end\" query parameters must be less than 1 year apart.";
const ORDER: &str = "The \"start\" query parameter must be before the \"end\" query parameter.";

#[test]
fn every_bad_query_gets_its_documented_400_body() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let cases: Vec<(&str, Value)> = vec![
        ("", invalid_params("must have required property 'start'")),
        (
            "end=2026-01-01",
            invalid_params("must have required property 'start'"),
        ),
        (
            "foo=1",
            invalid_params("must have required property 'start'"),
        ),
        (
            "start=2026-01-01",
            invalid_params("must have required property 'end'"),
        ),
        (
            "start=a&end=b&foo=1",
            invalid_params("must NOT have additional properties"),
        ),
        (
            "start=a&end=b&count=10",
            invalid_params("must NOT have additional properties"),
        ),
        (
            "start=a&end=b&access_token=x",
            invalid_params("must NOT have additional properties"),
        ),
        ("start=a&start=b&end=c", invalid_params("must be string")),
        ("start[]=a&end=c", invalid_params("must be string")),
        ("start[x]=a&end=c", invalid_params("must be string")),
        (
            "start=a&end=b&sort[total]=1",
            invalid_params("must be string"),
        ),
        (
            "start=a&end=b&sort=a&sort=b",
            invalid_params("must be string"),
        ),
        ("start=2026-01-01&end=2026-01-02&sort=", invalid_sort("")),
        (
            "start=2026-01-01&end=2026-01-02&sort=null",
            invalid_sort("null"),
        ),
        (
            "start=2026-01-01&end=2026-01-02&sort=%7B%22total%22%3A2%7D",
            invalid_sort("{\"total\":2}"),
        ),
        (
            "start=2026-01-01&end=2026-01-02&sort=%7Bbad",
            invalid_sort("{bad"),
        ),
        (
            "start=test&end=2026-01-02&sort=%7Bbad",
            invalid_sort("{bad"),
        ),
        ("start=&end=", plain(START)),
        ("start=test&end=test", plain(START)),
        ("start=2026-01-01&end=test", plain(END)),
        (
            "start=2026-01-01T00:00:00+05:00&end=2026-01-02",
            plain(START),
        ),
        ("start=2023-01-01&end=2024-01-05", plain(YEAR)),
        ("start=2024-06-02&end=2023-01-01", plain(ORDER)),
        (
            "start=2026-01-02T00:00:00.001Z&end=2026-01-02T00:00:00.000Z",
            plain(ORDER),
        ),
    ];
    for (query, expected) in cases {
        let response = app.report(query, &admin);
        assert_eq!(response.status, 400, "{query}: {}", response.text);
        assert_eq!(response.json(), expected, "{query}");
    }
}

#[test]
fn encoded_offsets_and_other_date_formats_are_accepted() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    for query in [
        "start=2026-01-01T00:00:00%2B05:00&end=2026-01-02",
        "start=%2FDate(1767225600000)%2F&end=2026-01-02",
        "start=Thu,%2001%20Jan%202026%2000:00:00%20GMT&end=2026-01-02",
        "start=Jan%201%202026&end=1/2/2026",
        "start=2026-W01&end=2026-002",
    ] {
        let response = app.report(query, &admin);
        assert_eq!(response.status, 200, "{query}: {}", response.text);
    }
}

#[test]
fn unknown_paths_are_404_in_the_envelope() {
    let app = TestApp::new();
    for path in [
        "/static/nope.js",
        "/api/v1/nope",
        "/api/v1/livechat/analytics/dashboards/conversations-by-nothing",
    ] {
        let response = app.request("GET", path, &[]);
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.text, r#"{"success":false,"error":"Not found"}"#);
        assert_eq!(response.header("content-type"), Some("application/json"));
    }
}

#[test]
fn wrong_method_on_a_report_is_405_in_the_envelope() {
    let app = TestApp::new();
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let response = app.request(method, REPORT, &[]);
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(
            response.text,
            r#"{"success":false,"error":"Method not allowed"}"#
        );
    }
}

#[test]
fn unreachable_database_is_503_without_cause() {
    let app = TestApp::with(|s| {
        s.database.url = "postgres://nobody@127.0.0.1:1/none".to_owned().into();
        s.database.pool.acquire_timeout_ms = 300;
    });
    let response = app.request(
        "GET",
        &format!("{REPORT}?start=2026-01-01&end=2026-01-02"),
        &[("X-User-Id", "u"), ("X-Auth-Token", "t")],
    );
    assert_eq!(response.status, 503);
    assert_eq!(
        response.text,
        r#"{"success":false,"error":"Service unavailable [error-service-unavailable]","errorType":"error-service-unavailable"}"#
    );
}

#[test]
fn slow_report_query_is_503_within_the_statement_timeout() {
    let app = TestApp::with(|s| s.database.pool.statement_timeout_ms = 200);
    let admin = app.user(&["admin"]);
    // Make the report's query sleep: a view would be cleaner, but a lock does it with real SQL.
    let mut locker = app.conn();
    locker
        .batch_execute("BEGIN; LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let started = std::time::Instant::now();
    let response = app.report("start=2026-01-01&end=2026-01-02", &admin);
    assert_eq!(response.status, 503, "{}", response.text);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    locker.batch_execute("ROLLBACK").unwrap();
}

#[test]
fn server_fault_is_an_opaque_500() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    app.conn()
        .batch_execute("ALTER TABLE conversations RENAME COLUMN ts TO created")
        .unwrap();
    let response = app.report("start=2026-01-01&end=2026-01-02", &admin);
    assert_eq!(response.status, 500);
    assert_eq!(
        response.text,
        r#"{"success":false,"error":"Internal server error"}"#
    );
}

#[test]
fn health_needs_no_database_and_ready_does() {
    let app = TestApp::new();
    let health = app.request("GET", "/health", &[]);
    assert_eq!(
        (health.status, health.text.as_str()),
        (200, r#"{"status":"ok"}"#)
    );
    let ready = app.request("GET", "/ready", &[]);
    assert_eq!(
        (ready.status, ready.text.as_str()),
        (200, r#"{"status":"ready"}"#)
    );

    let down = TestApp::with(|s| {
        s.database.url = "postgres://nobody@127.0.0.1:1/none".to_owned().into();
        s.database.pool.acquire_timeout_ms = 300;
    });
    assert_eq!(down.request("GET", "/health", &[]).status, 200);
    assert_eq!(down.request("GET", "/ready", &[]).status, 503);
}
