//! Reports on a real streaming replica (`pg_basebackup -R` of the test's primary, on its own
//! socket): exact once it has replayed the writes; when it goes away the primary answers (a log
//! line, a metric, `/ready`), and when it comes back it answers again.

use crate::support::{
    agent, get, load_demo, report_url, wait_until, Cluster, Limits, Server, Standby,
};
use chrono::{Duration as Days, Utc};
use diesel::prelude::*;
use omnireports_db::models::NewConversation;
use omnireports_db::schema::conversations;
use std::time::Duration;

/// The value of the metric line starting with `name` (labels included), if present.
fn metric(server: &Server, name: &str) -> Option<f64> {
    let text = get(&agent(), &server.url("/metrics"), None).body;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
}

fn add_conversation(primary: &Cluster, id: &str) {
    let conn = &mut PgConnection::establish(primary.url()).unwrap();
    diesel::insert_into(conversations::table)
        .values(NewConversation {
            id: id.into(),
            ts: Utc::now() - Days::days(1),
            department_id: Some("demo-dep-sales".into()),
            ..NewConversation::default()
        })
        .execute(conn)
        .unwrap();
}

#[test]
fn reports_read_from_a_replica_fall_back_to_the_primary_and_come_back() {
    let primary = Cluster::start();
    let admin = load_demo(primary.url());
    let replica = Standby::of(&primary);
    // The cache is off so that every answer is read from a database.
    let limits = Limits {
        report_cache: false,
        ..Limits::default()
    };
    let read_url = ("OMNIREPORTS_DATABASE__READ_URL", replica.url());
    let on_replica = Server::start_with(primary.url(), &limits, &[read_url]);
    let on_primary = Server::start(primary.url(), &limits);
    let agent = agent();
    let answer = |server: &Server| {
        let outcome = get(&agent, &report_url(server), Some(&admin));
        assert_eq!(outcome.status, 200, "{}", outcome.body);
        outcome.body
    };
    let same_answers = || answer(&on_replica) == answer(&on_primary);

    // Exact once the replica has replayed the writes.
    add_conversation(&primary, "after-copy-1");
    wait_until(
        Duration::from_secs(20),
        "the replica replays the write",
        same_answers,
    );
    assert!(
        metric(
            &on_replica,
            "omnireports_report_reads_total{database=\"replica\"}"
        ) > Some(0.0)
    );
    let ready = get(&agent, &on_replica.url("/ready"), None).body;
    assert!(ready.contains(r#""replica":{"status":"up""#), "{ready}");

    // Down: the primary answers, exactly, and it shows.
    replica.stop();
    add_conversation(&primary, "while-down");
    for _ in 0..5 {
        assert_eq!(answer(&on_replica), answer(&on_primary));
    }
    wait_until(
        Duration::from_secs(10),
        "the replica is out of service",
        || metric(&on_replica, "omnireports_replica_up") == Some(0.0),
    );
    assert!(metric(&on_replica, "omnireports_replica_fallbacks_total") >= Some(5.0));
    let ready = get(&agent, &on_replica.url("/ready"), None);
    assert_eq!(ready.status, 200, "the primary still serves");
    assert!(
        ready.body.contains(r#""replica":{"status":"down""#),
        "{}",
        ready.body
    );
    assert!(on_replica.log().contains("the replica does not answer"));

    // Back: it catches up and answers again.
    replica.restart();
    wait_until(
        Duration::from_secs(20),
        "the replica is back in service",
        || metric(&on_replica, "omnireports_replica_up") == Some(1.0),
    );
    let before = metric(
        &on_replica,
        "omnireports_report_reads_total{database=\"replica\"}",
    );
    wait_until(
        Duration::from_secs(20),
        "the replica has caught up",
        same_answers,
    );
    let after = metric(
        &on_replica,
        "omnireports_report_reads_total{database=\"replica\"}",
    );
    assert!(
        after > before,
        "reads go to the replica again: {before:?} → {after:?}"
    );
    assert!(metric(&on_replica, "omnireports_replica_lag_seconds").is_some());
}
