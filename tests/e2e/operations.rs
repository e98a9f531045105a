//! What operators rely on: request ids, `/metrics`, the OpenAPI description, CORS, and the
//! client address the rate limiter keys on.

use crate::util::{last_hour, TestApp, REPORT};
use diesel::RunQueryDsl;
use omnireports_analytics::Registry;
use serde_json::Value;
use std::collections::HashSet;

const QUERY: &str = "start=2026-01-01&end=2026-01-02";

#[test]
fn every_response_carries_its_own_request_id() {
    let app = TestApp::new();
    let manager = app.user(&["livechat-manager"]);
    let responses = [
        app.report(QUERY, &manager),
        app.report(QUERY, &manager),
        app.get(REPORT, None),
        app.get("/nowhere", None),
        app.get("/health", None),
    ];
    let ids: HashSet<&str> = responses
        .iter()
        .map(|r| r.header("x-request-id").expect("X-Request-Id"))
        .collect();
    assert_eq!(ids.len(), responses.len(), "ids repeat: {ids:?}");
    for id in ids {
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(id.matches('-').count(), 4, "{id}");
    }
}

/// The value of the sample `name{labels}` (or `name` without labels) in an exposition.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

#[test]
fn metrics_count_requests_per_route_and_status() {
    // No background folding: it would hold a connection now and then.
    let app = TestApp::with(|settings| settings.aggregates.fold_interval_ms = 0);
    let manager = app.user(&["livechat-manager"]);
    let (start, end) = last_hour();
    for _ in 0..3 {
        assert_eq!(
            app.report(&format!("start={start}&end={end}"), &manager)
                .status,
            200
        );
    }
    assert_eq!(app.report("start=nope&end=nope", &manager).status, 400);
    assert_eq!(app.get("/nowhere/1", None).status, 404);
    assert_eq!(app.get("/nowhere/2", None).status, 404);

    let response = app.get("/metrics", None);
    assert_eq!(response.status, 200);
    assert!(response
        .header("content-type")
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let metrics = response.text;
    let requests = |status: u16| {
        sample(
            &metrics,
            &format!(
                r#"omnireports_http_requests_total{{route="{REPORT}",method="GET",status="{status}"}}"#
            ),
        )
    };
    assert_eq!(requests(200), Some(3.0));
    assert_eq!(requests(400), Some(1.0));
    // Unknown paths share one label instead of one series each.
    let unmatched =
        r#"omnireports_http_requests_total{route="unmatched",method="GET",status="404"}"#;
    assert_eq!(sample(&metrics, unmatched), Some(2.0));
    let latency = format!(r#"omnireports_http_request_duration_seconds_count{{route="{REPORT}"}}"#);
    assert_eq!(sample(&metrics, &latency), Some(4.0));
    let idle = r#"omnireports_db_connections{pool="primary",state="idle"}"#;
    assert!(sample(&metrics, idle).unwrap() >= 1.0, "{metrics}");
    let in_use = r#"omnireports_db_connections{pool="primary",state="in_use"}"#;
    assert_eq!(sample(&metrics, in_use), Some(0.0));
    for series in [
        r#"omnireports_db_waits_total{pool="primary"}"#,
        r#"omnireports_db_wait_timeouts_total{pool="primary"}"#,
        "omnireports_imports_total",
    ] {
        assert_eq!(
            sample(&metrics, series),
            Some(0.0),
            "{series} in\n{metrics}"
        );
    }
    assert!(metrics.ends_with("# EOF\n"));
}

#[test]
fn made_up_methods_share_one_metrics_label() {
    let app = TestApp::with(|settings| settings.aggregates.fold_interval_ms = 0);
    for i in 0..20 {
        let response = app.request(&format!("MADEUP{i}"), REPORT, &[]);
        assert_eq!(response.status, 405, "{}", response.text);
    }
    assert_eq!(app.request("PATCH", REPORT, &[]).status, 405);
    let metrics = app.get("/metrics", None).text;
    let series = |method: &str| {
        format!(
            r#"omnireports_http_requests_total{{route="{REPORT}",method="{method}",status="405"}}"#
        )
    };
    assert_eq!(sample(&metrics, &series("other")), Some(20.0), "{metrics}");
    assert_eq!(sample(&metrics, &series("PATCH")), Some(1.0), "{metrics}");
    assert!(!metrics.contains("MADEUP"), "{metrics}");
}

#[test]
fn metrics_stay_up_without_the_database() {
    let app = TestApp::with(|settings| {
        settings.database.url = "postgres://nobody@127.0.0.1:1/none".to_owned().into();
    });
    let response = app.get("/metrics", None);
    assert_eq!(response.status, 200);
    assert!(response.text.contains("omnireports_db_connections"));
    assert!(!response.text.contains("omnireports_imports_total"));
}

/// Where the committed description lives; `UPDATE_SNAPSHOTS=1` rewrites it.
const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/e2e/snapshots/openapi.json");

#[test]
fn openapi_description_matches_the_committed_snapshot() {
    let app = TestApp::new();
    let response = app.get("/api/v1/openapi.json", None);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(SNAPSHOT, &response.text).unwrap();
    }
    let committed = std::fs::read_to_string(SNAPSHOT).expect("snapshot (UPDATE_SNAPSHOTS=1)");
    assert_eq!(
        response.json(),
        serde_json::from_str::<Value>(&committed).unwrap(),
        "the API changed: review, then UPDATE_SNAPSHOTS=1"
    );
}

#[test]
fn openapi_describes_every_report_with_every_status() {
    let app = TestApp::new();
    let doc = app.get("/api/v1/openapi.json", None).json();
    assert_eq!(doc["openapi"], "3.1.0");
    for report in Registry::builtin().iter() {
        let path = format!("/api/v1/livechat/analytics/dashboards/{}", report.name());
        let get = &doc["paths"][&path]["get"];
        let statuses: Vec<&str> = get["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            statuses,
            ["200", "400", "401", "403", "414", "429", "431", "500", "503"],
            "{path}"
        );
        let example = &get["responses"]["200"]["content"]["application/json"]["example"];
        assert_eq!(example["success"], true, "{path}");
        assert_eq!(
            example["unspecified"].is_null(),
            report.example().unspecified.is_none()
        );
        let unauthorized = &get["responses"]["401"]["content"]["application/json"]["example"];
        assert_eq!(unauthorized.to_string(), crate::util::UNAUTHORIZED_BODY);
        assert_eq!(
            get["security"][0].as_object().unwrap().len(),
            2,
            "both headers"
        );
    }
}

fn cors_app() -> TestApp {
    TestApp::with(|settings| {
        settings.cors.allowed_origins = vec!["https://chat.example.com".to_owned()];
    })
}

fn preflight(app: &TestApp, origin: &str, method: &str) -> crate::util::Response {
    app.request(
        "OPTIONS",
        REPORT,
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            ("Access-Control-Request-Headers", "x-user-id,x-auth-token"),
        ],
    )
}

#[test]
fn cors_preflight_allows_the_configured_origin() {
    let app = cors_app();
    let response = preflight(&app, "https://chat.example.com", "GET");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://chat.example.com")
    );
    assert_eq!(response.header("access-control-allow-methods"), Some("GET"));
    let headers = response.header("access-control-allow-headers").unwrap();
    assert!(
        headers.contains("x-user-id") && headers.contains("x-auth-token"),
        "{headers}"
    );

    let manager = app.user(&["livechat-manager"]);
    let response = app.request(
        "GET",
        &format!("{REPORT}?{QUERY}"),
        &[
            ("Origin", "https://chat.example.com"),
            ("X-User-Id", &manager.user_id),
            ("X-Auth-Token", &manager.token),
        ],
    );
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://chat.example.com")
    );
    let exposed = response.header("access-control-expose-headers").unwrap();
    assert!(exposed.contains("x-ratelimit-remaining") && exposed.contains("x-request-id"));
}

#[test]
fn cors_refusals_are_json_envelopes() {
    let app = cors_app();
    let response = preflight(&app, "https://evil.example.com", "GET");
    assert_eq!(response.status, 400);
    assert_eq!(response.header("access-control-allow-origin"), None);
    assert_eq!(
        response.text,
        r#"{"success":false,"error":"Origin is not allowed to make this request"}"#
    );
    let response = preflight(&app, "https://chat.example.com", "DELETE");
    assert_eq!(response.status, 400);
    assert_eq!(
        response.text,
        r#"{"success":false,"error":"Requested method is not allowed"}"#
    );
}

#[test]
fn without_cors_settings_no_cors_headers_are_sent() {
    let app = TestApp::new();
    let response = app.request("GET", REPORT, &[("Origin", "https://chat.example.com")]);
    assert_eq!(response.status, 401);
    assert_eq!(response.header("access-control-allow-origin"), None);
}

/// Calls the report with a forged `X-Forwarded-For` until the limiter answers 429; returns how
/// many calls got through.
fn calls_before_429(app: &TestApp, forwarded_for: impl Fn(usize) -> String) -> usize {
    let manager = app.user(&["livechat-manager"]);
    (0..30)
        .take_while(|&i| {
            let response = app.request(
                "GET",
                &format!("{REPORT}?{QUERY}"),
                &[
                    ("X-User-Id", &manager.user_id),
                    ("X-Auth-Token", &manager.token),
                    ("X-Forwarded-For", &forwarded_for(i)),
                ],
            );
            response.status == 200
        })
        .count()
}

#[test]
fn forged_forwarded_for_does_not_dodge_the_rate_limit() {
    let app = TestApp::new();
    assert_eq!(calls_before_429(&app, |i| format!("198.51.100.{i}")), 10);
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = TestApp::with(|settings| {
        settings.server.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    });
    // A new client address on every call: never limited.
    assert_eq!(calls_before_429(&app, |i| format!("198.51.100.{i}")), 30);
    // One client, whatever it forged before the proxy's entry.
    assert_eq!(
        calls_before_429(&app, |i| format!("10.9.9.{i}, 203.0.113.5")),
        10
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn logged_changes(app: &TestApp) -> i64 {
    diesel::sql_query("SELECT count(*) AS n FROM conversation_changes")
        .get_result::<Count>(&mut app.conn())
        .unwrap()
        .n
}

#[test]
fn the_server_folds_logged_changes_and_answers_the_same() {
    let app = TestApp::with(|settings| settings.aggregates.fold_interval_ms = 20);
    let manager = app.user(&["livechat-manager"]);
    app.department("d1", "Sales", &[]);
    let (start, end) = last_hour();
    let now = chrono::Utc::now();
    for i in 0..30 {
        let ts = now - chrono::Duration::seconds(60 * i + 1);
        app.conversation(&format!("r{i}"), &crate::util::iso(ts), Some("d1"));
    }
    diesel::sql_query("DELETE FROM conversations WHERE id IN ('r0', 'r1')")
        .execute(&mut app.conn())
        .unwrap();
    let query = format!("start={start}&end={end}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while logged_changes(&app) > 0 {
        assert!(std::time::Instant::now() < deadline, "never folded");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let body = app.report(&query, &manager).json();
    assert_eq!(body["total"], 28, "{body}");
    let metrics = app.get("/metrics", None).text;
    // 30 inserts and 2 deletes, each logged once.
    assert_eq!(
        sample(&metrics, "omnireports_folded_changes_total"),
        Some(32.0)
    );
}
