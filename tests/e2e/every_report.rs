//! The shared chain, checked once for every registered report: a new report gets these for free.

use crate::util::{TestApp, UNAUTHORIZED_BODY};
use omnireports_analytics::Registry;
use omnireports_api::REPORTS_PATH;
use omnireports_db::models::NewConversation;
use serde_json::{json, Value};

const DAY: &str = "start=2026-01-10T00:00:00.000Z&end=2026-01-11T00:00:00.000Z";

fn paths() -> Vec<(String, bool)> {
    Registry::builtin()
        .iter()
        .map(|report| {
            (
                format!("{REPORTS_PATH}/{}", report.name()),
                report.reads_sort(),
            )
        })
        .collect()
}

#[test]
fn every_report_requires_credentials_and_the_permission() {
    let app = TestApp::new();
    let agent = app.user(&["livechat-agent"]);
    for (path, _) in paths() {
        let anonymous = app.get(&format!("{path}?{DAY}"), None);
        assert_eq!(
            (anonymous.status, anonymous.text.as_str()),
            (401, UNAUTHORIZED_BODY),
            "{path}"
        );
        let forbidden = app.get(&format!("{path}?{DAY}"), Some(&agent));
        assert_eq!(forbidden.status, 403, "{path}");
        assert_eq!(
            forbidden.json(),
            json!({"success":false,"error":"User does not have the permissions required for this action [error-unauthorized]"})
        );
    }
}

#[test]
fn every_report_validates_parameters_in_the_same_order() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let cases: [(&str, Value); 5] = [
        (
            "end=x",
            json!({"success":false,"error":"must have required property 'start' [invalid-params]","errorType":"invalid-params"}),
        ),
        (
            "start=x&end=y&foo=1",
            json!({"success":false,"error":"must NOT have additional properties [invalid-params]","errorType":"invalid-params"}),
        ),
        (
            "start=x&end=y",
            json!({"success":false,"error":"The \"start\" query parameter must be a valid date."}),
        ),
        (
            "start=2026-01-01&end=y",
            json!({"success":false,"error":"The \"end\" query parameter must be a valid date."}),
        ),
        (
            "start=2024-01-01&end=2026-01-01",
            json!({"success":false,"error":"The \"start\" and \"end\" query parameters must be less than 1 year apart."}),
        ),
    ];
    for (path, _) in paths() {
        for (query, expected) in &cases {
            let response = app.get(&format!("{path}?{query}"), Some(&admin));
            assert_eq!(response.status, 400, "{path}?{query}");
            assert_eq!(&response.json(), expected, "{path}?{query}");
        }
    }
}

#[test]
fn sort_is_rejected_only_by_reports_that_read_it() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    for (path, reads_sort) in paths() {
        let response = app.get(&format!("{path}?{DAY}&sort=oops"), Some(&admin));
        if reads_sort {
            assert_eq!(response.status, 400, "{path}");
            assert_eq!(response.json()["errorType"], "error-invalid-sort", "{path}");
        } else {
            assert_eq!(response.status, 200, "{path}: {}", response.text);
        }
    }
}

#[test]
fn every_report_is_rate_limited_per_route() {
    let app = TestApp::with(|s| s.rate_limit.calls = 1);
    let manager = app.user(&["livechat-manager"]);
    for (path, _) in paths() {
        let first = app.get(&format!("{path}?{DAY}"), Some(&manager));
        assert_eq!(first.status, 200, "{path}");
        assert_eq!(first.header("x-ratelimit-remaining"), Some("0"), "{path}");
        let second = app.get(&format!("{path}?{DAY}"), Some(&manager));
        assert_eq!(second.status, 429, "{path}");
    }
}

#[test]
fn every_report_is_empty_for_a_monitor_without_units_and_405_for_post() {
    let app = TestApp::new();
    app.unit("unit1");
    app.department("dep", "Dep", &["unit1"]);
    // Counted by every report: it has a department, a source, a tag and an agent.
    app.insert_conversation(NewConversation {
        id: "c1".into(),
        ts: "2026-01-10T10:00:00Z".parse().unwrap(),
        department_id: Some("dep".into()),
        source_type: Some("widget".into()),
        served_by_id: Some("agent1".into()),
        tags: vec![Some("billing".into())],
        ..Default::default()
    });
    let monitor = app.user(&["livechat-monitor"]);
    let manager = app.user(&["livechat-manager"]);
    for (path, _) in paths() {
        let seen = app.get(&format!("{path}?{DAY}"), Some(&manager)).json();
        assert_eq!(seen["success"], true, "{path}");
        assert_eq!(seen["total"], 1, "{path}: {seen}");
        let body = app.get(&format!("{path}?{DAY}"), Some(&monitor)).json();
        assert_eq!(body["total"], 0, "{path}");
        assert_eq!(body["data"], json!([]), "{path}");
        let post = app.request("POST", &path, &[]);
        assert_eq!(post.status, 405, "{path}");
    }
}
