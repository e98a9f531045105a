//! Report answers are cached by data version: repeated requests are served from memory, and any
//! committed write, by any client, shows in the very next answer.

use crate::util::{Credentials, TestApp, REPORT};
use diesel::prelude::*;
use serde_json::{json, Value};

const DAY: &str = "start=2026-03-01T00:00:00.000Z&end=2026-03-01T23:59:59.999Z";

fn cache_lookups(app: &TestApp, outcome: &str) -> u64 {
    let metrics = app.get("/metrics", None).text;
    let series = format!(r#"omnireports_report_cache_lookups_total{{outcome="{outcome}"}} "#);
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0, |n| n.parse().unwrap())
}

fn departments(app: &TestApp, who: &Credentials) -> Value {
    let response = app.report(DAY, who);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement)
        .execute(&mut app.conn())
        .unwrap();
}

#[test]
fn repeated_requests_are_served_from_the_cache() {
    let app = TestApp::new();
    let manager = app.user(&["livechat-manager", "admin"]);
    app.department("d1", "Sales", &[]);
    app.conversation("c1", "2026-03-01T10:00:00Z", Some("d1"));
    let first = departments(&app, &manager);
    for _ in 0..3 {
        assert_eq!(departments(&app, &manager), first);
    }
    assert_eq!(
        (cache_lookups(&app, "miss"), cache_lookups(&app, "hit")),
        (1, 3)
    );
}

#[test]
fn every_committed_write_shows_in_the_next_answer() {
    let app = TestApp::new();
    let manager = app.user(&["livechat-manager", "admin"]);
    app.department("d1", "Sales", &[]);
    app.conversation("c1", "2026-03-01T10:00:00Z", Some("d1"));
    let body = |data: Value, unspecified: i64| {
        let total: i64 = data
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["value"].as_i64().unwrap())
            .sum();
        json!({"total": total, "data": data, "unspecified": unspecified, "success": true})
    };
    assert_eq!(
        departments(&app, &manager),
        body(json!([{"label":"Sales","value":1}]), 0)
    );

    app.conversation("c2", "2026-03-01T23:59:59.998Z", None);
    assert_eq!(
        departments(&app, &manager),
        body(json!([{"label":"Sales","value":1}]), 1)
    );

    sql(
        &app,
        "UPDATE departments SET name = 'Revenue' WHERE id = 'd1'",
    );
    assert_eq!(
        departments(&app, &manager),
        body(json!([{"label":"Revenue","value":1}]), 1)
    );

    sql(
        &app,
        "UPDATE conversations SET department_id = 'd1' WHERE id = 'c2'",
    );
    assert_eq!(
        departments(&app, &manager),
        body(json!([{"label":"Revenue","value":2}]), 0)
    );

    sql(&app, "DELETE FROM conversations WHERE id = 'c1'");
    assert_eq!(
        departments(&app, &manager),
        body(json!([{"label":"Revenue","value":1}]), 0)
    );

    // Nothing changed since: served from the cache.
    let hits = cache_lookups(&app, "hit");
    departments(&app, &manager);
    assert_eq!(cache_lookups(&app, "hit"), hits + 1);
}

#[test]
fn agent_names_are_data_too() {
    let app = TestApp::new();
    let manager = app.user(&["livechat-manager", "admin"]);
    let agent = app.user(&["livechat-agent"]);
    app.conversation("c1", "2026-03-01T10:00:00Z", None);
    sql(
        &app,
        &format!(
            "UPDATE conversations SET open = false, served_by_id = '{}'",
            agent.user_id
        ),
    );
    sql(
        &app,
        &format!(
            "UPDATE users SET name = 'Ana' WHERE id = '{}'",
            agent.user_id
        ),
    );
    let by_agent = format!("{}?{DAY}", REPORT.replace("department", "agent"));
    let label =
        |app: &TestApp| app.get(&by_agent, Some(&manager)).json()["data"][0]["label"].clone();
    assert_eq!(label(&app), "Ana");
    sql(
        &app,
        &format!(
            "UPDATE users SET name = 'Ana Agent' WHERE id = '{}'",
            agent.user_id
        ),
    );
    assert_eq!(label(&app), "Ana Agent");
}

#[test]
fn callers_with_other_restrictions_never_share_an_answer() {
    let app = TestApp::new();
    let manager = app.user(&["livechat-manager", "admin"]);
    let monitor = app.user(&["livechat-monitor"]);
    app.unit("unit1");
    app.department("d1", "Sales", &["unit1"]);
    app.department("d2", "Support", &[]);
    app.monitor(&monitor, "unit1");
    app.conversation("c1", "2026-03-01T10:00:00Z", Some("d1"));
    app.conversation("c2", "2026-03-01T11:00:00Z", Some("d2"));
    assert_eq!(departments(&app, &manager)["total"], 2);
    assert_eq!(
        departments(&app, &monitor),
        json!({"total":1,"data":[{"label":"Sales","value":1}],"unspecified":0,"success":true})
    );
    assert_eq!(departments(&app, &manager)["total"], 2);
}
