//! Two real servers on one primary while writes flow: each answers exactly, they fold the
//! logged changes one at a time (the others skip), and each counts its own rate limit.

use crate::support::{agent, get, load_demo, report_url, wait_until, Cluster, Limits, Server};
use chrono::{DateTime, Duration as Days, Utc};
use diesel::prelude::*;
use omnireports_analytics::{ConversationsByDepartment, Report, ReportRequest};
use omnireports_db::models::NewConversation;
use omnireports_db::schema::conversations;
use omnireports_db::Restriction;
use omnireports_model::DateRange;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The range of [`report_url`], as the server reads it.
fn report_range() -> DateRange {
    let today = Utc::now().date_naive();
    let at = |s: String| s.parse::<DateTime<Utc>>().unwrap();
    DateRange {
        start: at((today - Days::days(30))
            .format("%Y-%m-%dT00:30:00.000Z")
            .to_string()),
        end: at(today.format("%Y-%m-%dT23:59:59.999Z").to_string()),
    }
}

/// The by-department body by a plain GROUP BY over the rows, as the server would send it.
fn naive_answer(database_url: &str) -> Value {
    let conn = &mut PgConnection::establish(database_url).unwrap();
    let report = ConversationsByDepartment;
    let request = ReportRequest {
        range: report_range(),
        sort: report.default_sort(),
        restriction: Restriction::None,
    };
    let mut body = serde_json::to_value(report.compute_naive(conn, &request).unwrap()).unwrap();
    body["success"] = Value::Bool(true);
    body
}

#[test]
fn two_servers_on_one_primary_answer_exactly_while_writes_flow() {
    let primary = Cluster::start();
    let admin = load_demo(primary.url());
    let limits = Limits {
        report_cache: false,
        ..Limits::default()
    };
    let fold_often = [("OMNIREPORTS_AGGREGATES__FOLD_INTERVAL_MS", "50")];
    let servers = [
        Server::start_with(primary.url(), &limits, &fold_often),
        Server::start_with(primary.url(), &limits, &fold_often),
    ];
    let agent = agent();
    let writing = AtomicBool::new(true);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let conn = &mut PgConnection::establish(primary.url()).unwrap();
            let departments = ["demo-dep-sales", "demo-dep-support", "demo-dep-vip"];
            for i in 0..600 {
                diesel::insert_into(conversations::table)
                    .values(NewConversation {
                        id: format!("flow-{i}"),
                        ts: Utc::now() - Days::hours(1 + i % 500),
                        department_id: Some(departments[i as usize % 3].into()),
                        ..NewConversation::default()
                    })
                    .execute(conn)
                    .unwrap();
                if i % 3 == 0 {
                    // Moves make both the old and the new bucket change.
                    diesel::update(conversations::table.find(format!("flow-{}", i / 2)))
                        .set(conversations::department_id.eq("demo-dep-billing"))
                        .execute(conn)
                        .unwrap();
                }
            }
            writing.store(false, Ordering::SeqCst);
        });
        while writing.load(Ordering::SeqCst) {
            for server in &servers {
                let outcome = get(&agent, &report_url(server), Some(&admin));
                assert_eq!(outcome.status, 200, "{}", outcome.body);
            }
        }
    });
    let expected = naive_answer(primary.url());
    for server in &servers {
        let outcome = get(&agent, &report_url(server), Some(&admin));
        let answer: Value = serde_json::from_str(&outcome.body).unwrap();
        assert_eq!(answer, expected, "exact once the writes stopped");
    }
    // Both fold; the log empties without a failed or waiting fold.
    wait_until(
        Duration::from_secs(20),
        "the logged changes are folded",
        || {
            let text = get(&agent, &servers[0].url("/metrics"), None).body;
            text.lines()
                .any(|line| line == "omnireports_logged_changes 0")
        },
    );
    for server in &servers {
        assert!(
            !server.log().contains("folding logged changes failed"),
            "{}",
            server.log()
        );
    }
    let folded: f64 = servers
        .iter()
        .map(|server| {
            let text = get(&agent, &server.url("/metrics"), None).body;
            text.lines()
                .find_map(|l| {
                    l.strip_prefix("omnireports_folded_changes_total ")?
                        .parse()
                        .ok()
                })
                .unwrap_or(0.0)
        })
        .sum();
    assert!(
        folded >= 600.0,
        "the servers folded at least the flow's changes: {folded}"
    );
    for server in &servers {
        let outcome = get(&agent, &report_url(server), Some(&admin));
        assert_eq!(
            serde_json::from_str::<Value>(&outcome.body).unwrap(),
            expected
        );
    }
}

#[test]
fn each_server_counts_its_own_rate_limit() {
    let primary = Cluster::start();
    load_demo(primary.url());
    let printed =
        crate::support::omnireports(primary.url(), &["token", "create", "--user", "manager"]);
    let manager = crate::support::Credentials {
        id: "demo-manager".into(),
        token: printed.trim().into(),
    };
    let limits = Limits::default();
    let (a, b) = (
        Server::start(primary.url(), &limits),
        Server::start(primary.url(), &limits),
    );
    let agent = agent();
    for _ in 0..10 {
        assert_eq!(get(&agent, &report_url(&a), Some(&manager)).status, 200);
    }
    assert_eq!(get(&agent, &report_url(&a), Some(&manager)).status, 429);
    // The limiter is per process, as documented: the other server has its own window.
    assert_eq!(get(&agent, &report_url(&b), Some(&manager)).status, 200);
}
