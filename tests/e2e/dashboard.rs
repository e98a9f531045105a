//! The dashboard page and its embedded files; the browser test (`scripts/browser-test.sh`)
//! drives the page itself.

use crate::util::TestApp;

#[test]
fn root_serves_the_dashboard_page_with_the_sign_in_forms() {
    let app = TestApp::new();
    let response = app.get("/", None);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    for part in [
        r#"<section id="sign-in""#,
        r#"<form id="password-sign-in""#,
        r#"id="username""#,
        r#"id="password""#,
        r#"id="code""#,
        r#"<summary>Use a personal access token</summary>"#,
        r#"<form id="token-sign-in""#,
        r#"id="user-id""#,
        r#"id="token""#,
        r#"role="alert""#,
        r#"src="/static/vendor/chart.umd.min.js""#,
        r#"src="/static/dashboard.js""#,
    ] {
        assert!(response.text.contains(part), "missing {part}");
    }
}

#[test]
fn static_files_are_served_with_their_content_types() {
    let app = TestApp::new();
    for (path, content_type, start) in [
        (
            "/static/vendor/chart.umd.min.js",
            "text/javascript; charset=utf-8",
            "/*!\n * Chart.js v4",
        ),
        (
            "/static/dashboard.js",
            "text/javascript; charset=utf-8",
            "// The dashboard",
        ),
        ("/static/dashboard.css", "text/css; charset=utf-8", ":root"),
        (
            "/static/vendor/chart.js.LICENSE.md",
            "text/plain; charset=utf-8",
            "The MIT License",
        ),
    ] {
        let response = app.get(path, None);
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            response.header("content-type"),
            Some(content_type),
            "{path}"
        );
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert!(response.text.starts_with(start), "{path}");
    }
}

#[test]
fn unchanged_files_revalidate_with_a_bodiless_304() {
    let app = TestApp::new();
    let chart = "/static/vendor/chart.umd.min.js";
    let first = app.get(chart, None);
    let etag = first.header("etag").expect("an ETag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    // Each file has its own tag.
    let other = app.get("/static/dashboard.js", None);
    assert!(other.header("etag").is_some_and(|tag| tag != etag));

    for validator in [
        etag.clone(),
        format!("\"other\", {etag}"),
        format!("W/{etag}"),
        "*".into(),
    ] {
        let again = app.request("GET", chart, &[("If-None-Match", &validator)]);
        assert_eq!(again.status, 304, "{validator}");
        assert_eq!(again.text, "", "{validator}");
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        assert_eq!(again.header("cache-control"), Some("no-cache"));
    }
    // Another version of the file, or another file's tag: the whole file again.
    let stale = app.request("GET", chart, &[("If-None-Match", "\"stale\"")]);
    assert_eq!((stale.status, stale.text.len()), (200, first.text.len()));
}

#[test]
fn other_static_paths_keep_the_json_404() {
    let app = TestApp::new();
    for path in [
        "/static/",
        "/static/nope.js",
        "/static/../Cargo.toml",
        "/index.html",
    ] {
        let response = app.get(path, None);
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.text, r#"{"success":false,"error":"Not found"}"#);
    }
}

#[test]
fn other_methods_on_the_page_are_405_in_the_envelope() {
    let app = TestApp::new();
    for path in ["/", "/static/dashboard.js"] {
        let response = app.request("POST", path, &[]);
        assert_eq!(response.status, 405, "{path}");
        assert_eq!(
            response.text,
            r#"{"success":false,"error":"Method not allowed"}"#
        );
    }
}

#[test]
fn every_report_card_has_a_trend_a_change_and_a_csv_download() {
    let app = TestApp::new();
    let page = app.get("/", None).text;
    for part in [
        r#"<p class="change">"#,
        r#"<div class="trend"><canvas"#,
        r#"<button type="button" class="download">Download CSV</button>"#,
    ] {
        assert_eq!(page.matches(part).count(), 5, "{part}");
    }
    let script = app.get("/static/dashboard.js", None).text;
    for route in ["/timeseries/", "/compare/", "/export/"] {
        assert!(script.contains(route), "{route}");
    }
}
