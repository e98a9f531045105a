//! The shared chain, checked once for every registered report: a new report gets these for free,
//! as the example report over a dimension of its own does here.

use crate::util::{TestApp, UNAUTHORIZED_BODY};
use omnireports_analytics::example::ConversationsBySourceType;
use omnireports_analytics::{Registry, Report as _};
use omnireports_api::REPORTS_PATH;
use omnireports_db::models::NewConversation;
use serde_json::{json, Value};

const DAY: &str = "start=2026-01-10T00:00:00.000Z&end=2026-01-11T00:00:00.000Z";

/// The shipped reports and the example one.
fn registry() -> Registry {
    Registry::builtin().with(ConversationsBySourceType)
}

fn app_with(adjust: impl FnOnce(&mut omnireports_api::Settings)) -> TestApp {
    TestApp::serving(registry(), adjust)
}

fn paths() -> Vec<(String, bool)> {
    registry()
        .iter()
        .map(|report| (report.path(), report.reads_sort()))
        .collect()
}

#[test]
fn every_report_requires_credentials_and_the_permission() {
    let app = app_with(|_| {});
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
    let app = app_with(|_| {});
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
    let app = app_with(|_| {});
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
    let app = app_with(|s| s.rate_limit.calls = 1);
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
    let app = app_with(|_| {});
    app.unit("unit1");
    app.department("dep", "Dep", &["unit1"]);
    app.insert_conversation_every_report_counts();
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

#[test]
fn a_report_over_a_new_dimension_is_described_and_exact() {
    let app = app_with(|_| {});
    for (id, source) in [("c1", Some("widget")), ("c2", Some("widget")), ("c3", None)] {
        app.insert_conversation(NewConversation {
            id: id.into(),
            ts: "2026-01-10T10:00:00Z".parse().unwrap(),
            source_type: source.map(Into::into),
            ..Default::default()
        });
    }
    let admin = app.user(&["admin"]);
    let path = ConversationsBySourceType.path();
    assert!(
        !path.starts_with(REPORTS_PATH),
        "{path} is under Rocket.Chat's prefix"
    );
    let body = app.get(&format!("{path}?{DAY}"), Some(&admin)).json();
    assert_eq!(
        body,
        json!({"total":2,"data":[{"label":"widget","value":2}],"unspecified":1,"success":true})
    );
    let description = app.get("/api/v1/openapi.json", None).json();
    assert!(description["paths"][&path]["get"].is_object(), "{path}");
}
