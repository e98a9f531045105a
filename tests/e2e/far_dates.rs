//! Dates moment accepts far outside what PostgreSQL's timestamptz holds (4714-11-24 BC onwards):
//! nothing can be stored there, so every report answers as for an empty range, never a 500.

use crate::util::TestApp;
use omnireports_analytics::Registry;
use omnireports_api::REPORTS_PATH;

/// An empty range inside the data, for each report's empty body.
const EMPTY: &str = "start=2026-01-10T00:00:00.000Z&end=2026-01-10T00:00:00.000Z";

/// A server with one conversation every report counts, so a range that wrongly reaches the
/// data shows.
fn app_with_a_conversation() -> TestApp {
    let app = TestApp::new();
    app.department("dep", "Dep", &[]);
    app.insert_conversation_every_report_counts();
    app
}

fn assert_every_report_is_empty(query: &str) {
    let app = app_with_a_conversation();
    let admin = app.user(&["admin"]);
    for report in Registry::builtin().iter() {
        let path = format!("{REPORTS_PATH}/{}", report.name());
        let empty = app.get(&format!("{path}?{EMPTY}"), Some(&admin));
        let far = app.get(&format!("{path}?{query}"), Some(&admin));
        assert_eq!(far.status, 200, "{path}?{query}: {}", far.text);
        assert_eq!(far.json(), empty.json(), "{path}?{query}");
    }
}

#[test]
fn every_report_is_empty_before_what_postgres_can_store() {
    assert_every_report_is_empty("start=-005000-01-01&end=-005000-06-01");
}

#[test]
fn every_report_is_empty_for_ranges_where_postgres_begins() {
    // From before PostgreSQL's first instant, and from within its first, partial, month.
    assert_every_report_is_empty("start=-004713-01-01&end=-004713-12-15");
    assert_every_report_is_empty("start=-004713-11-24T01:00:00Z&end=-004713-12-15");
}

#[test]
fn every_report_is_empty_in_the_last_month_chrono_holds() {
    assert_every_report_is_empty("start=%2B262142-12-15&end=%2B262142-12-31T23:59:59.999Z");
}
