//! 429 and the X-RateLimit-* headers.

use crate::util::TestApp;
use serde_json::json;

const QUERY: &str = "start=2026-01-01&end=2026-01-02";

#[test]
fn eleventh_call_in_a_minute_is_429_with_headers() {
    let app = TestApp::new();
    let manager = app.user(&["livechat-manager"]);
    for expected_remaining in (0..10).rev() {
        let response = app.report(QUERY, &manager);
        assert_eq!(response.status, 200);
        assert_eq!(response.header("x-ratelimit-limit"), Some("10"));
        assert_eq!(
            response.header("x-ratelimit-remaining"),
            Some(expected_remaining.to_string().as_str())
        );
        assert!(response
            .header("x-ratelimit-reset")
            .unwrap()
            .parse::<i64>()
            .is_ok());
    }
    let response = app.report(QUERY, &manager);
    assert_eq!(response.status, 429);
    let body = response.json();
    let error = body["error"].as_str().unwrap();
    let wait: u64 = error
        .strip_prefix("Error, too many requests. Please slow down. You must wait ")
        .and_then(|rest| {
            rest.strip_suffix(
                " seconds before trying this endpoint again. [error-too-many-requests]",
            )
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected 429 body: {error}"));
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(body, json!({"success": false, "error": error}));
    assert_eq!(response.header("x-ratelimit-limit"), Some("10"));
    assert_eq!(response.header("x-ratelimit-remaining"), Some("0"));
}

#[test]
fn admins_bypass_the_rate_limit() {
    let app = TestApp::with(|s| s.rate_limit.calls = 2);
    let admin = app.user(&["admin"]);
    for _ in 0..5 {
        assert_eq!(app.report(QUERY, &admin).status, 200);
    }
}

#[test]
fn rate_limit_is_configurable_and_can_be_off() {
    let app = TestApp::with(|s| s.rate_limit.calls = 1);
    let manager = app.user(&["livechat-manager"]);
    assert_eq!(app.report(QUERY, &manager).status, 200);
    assert_eq!(app.report(QUERY, &manager).status, 429);

    let app = TestApp::with(|s| s.rate_limit.enabled = false);
    let manager = app.user(&["livechat-manager"]);
    for _ in 0..12 {
        let response = app.report(QUERY, &manager);
        assert_eq!(response.status, 200);
        assert_eq!(response.header("x-ratelimit-limit"), None);
    }
}

#[test]
fn rate_limit_comes_after_permission_and_before_parameters() {
    let app = TestApp::with(|s| s.rate_limit.calls = 1);
    let manager = app.user(&["livechat-manager"]);
    assert_eq!(app.report("foo=1", &manager).status, 400);
    assert_eq!(app.report("foo=1", &manager).status, 429);
    let agent = app.user(&["livechat-agent"]);
    assert_eq!(app.report(QUERY, &agent).status, 403);
}
