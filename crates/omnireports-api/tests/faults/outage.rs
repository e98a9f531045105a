//! PostgreSQL stops for 10 s under load, or is down when the server starts: requests get the
//! documented 503 in bounded time, and 200s come back without restarting the server.

use crate::support::{agent, get, load_demo, report_url, under_load, wait_until, Cluster, Limits};
use crate::support::{Outcome, Server};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CLIENTS: usize = 6;
const OUTAGE: Duration = Duration::from_secs(10);
/// How long the database may take to be usable again once started.
const RECOVERY: Duration = Duration::from_secs(30);

/// When the database was down: from `down` (stopped) to `restarting` (start begun).
struct Timeline {
    down: Instant,
    restarting: Instant,
}

#[test]
fn a_database_outage_gives_503s_in_bounded_time_then_200s_without_a_restart() {
    let cluster = Cluster::start();
    let admin = load_demo(cluster.url());
    let limits = Limits::default();
    let mut server = Server::start(cluster.url(), &limits);
    let url = report_url(&server);
    let healthy = get(&agent(), &url, Some(&admin));
    assert_eq!(healthy.status, 200, "{healthy:?}");

    let (timeline, outcomes) = under_load(CLIENTS, &url, &admin, |outcomes| {
        std::thread::sleep(Duration::from_secs(1)); // load with the database up first
        outage(&cluster, &server, outcomes)
    });

    for outcome in &outcomes {
        outcome.assert_documented(&healthy.body, limits.bound());
    }
    let during: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.started >= timeline.down && o.finished <= timeline.restarting)
        .collect();
    assert!(
        during.len() >= CLIENTS,
        "{} requests while down",
        during.len()
    );
    assert!(
        during.iter().all(|o| o.is_unavailable()),
        "a 200 while down"
    );
    let slowest = during.iter().map(|o| o.elapsed()).max().unwrap_or_default();
    eprintln!(
        "outage: {} requests, {} while down (slowest {slowest:?}, bound {:?})",
        outcomes.len(),
        during.len(),
        limits.bound()
    );
    assert!(server.is_running(), "the server died");
}

/// Stops the database for [`OUTAGE`] and starts it again; returns once a request that started
/// afterwards succeeded and `/ready` is 200 again.
fn outage(cluster: &Cluster, server: &Server, outcomes: &Mutex<Vec<Outcome>>) -> Timeline {
    let agent = agent();
    let ready = || get(&agent, &server.url("/ready"), None);
    cluster.stop();
    let down = Instant::now();
    // Right away, /ready may get a pooled connection the stop just broke.
    let first = ready();
    assert!(
        first.is_unavailable(),
        "/ready just after the stop: {first:?}"
    );
    std::thread::sleep(OUTAGE.saturating_sub(down.elapsed()));
    let last = ready();
    assert!(last.is_unavailable(), "/ready while down: {last:?}");

    let restarting = Instant::now();
    cluster.restart();
    let up = Instant::now();
    wait_until(RECOVERY, "a report succeeds after the restart", || {
        let outcomes = outcomes.lock().unwrap();
        outcomes.iter().any(|o| o.started >= up && o.status == 200)
    });
    wait_until(RECOVERY, "/ready is 200 after the restart", || {
        let outcome = ready();
        assert!(
            outcome.status == 200 || outcome.is_unavailable(),
            "{outcome:?}"
        );
        outcome.status == 200
    });
    Timeline { down, restarting }
}

#[test]
fn a_server_started_while_the_database_is_down_serves_503_then_recovers() {
    let cluster = Cluster::start();
    let admin = load_demo(cluster.url());
    cluster.stop();
    let limits = Limits::default();
    let mut server = Server::start(cluster.url(), &limits); // /health answers meanwhile
    let agent = agent();
    let url = report_url(&server);

    let report = get(&agent, &url, Some(&admin));
    assert!(report.is_unavailable(), "{report:?}");
    assert!(report.elapsed() <= limits.bound(), "{report:?}");
    let ready = get(&agent, &server.url("/ready"), None);
    assert!(ready.is_unavailable(), "{ready:?}");

    cluster.restart();
    let mut last = None;
    wait_until(
        RECOVERY,
        "a report succeeds once the database is up",
        || {
            let outcome = get(&agent, &url, Some(&admin));
            assert!(
                outcome.status == 200 || outcome.is_unavailable(),
                "{outcome:?}"
            );
            last = Some(outcome);
            last.as_ref().is_some_and(|o| o.status == 200)
        },
    );
    let body: serde_json::Value = serde_json::from_str(&last.unwrap().body).expect("JSON");
    assert_eq!(body["success"], true, "{body}");
    assert!(body["total"].as_i64() > Some(0), "{body}");
    assert_eq!(get(&agent, &server.url("/ready"), None).status, 200);
    assert!(server.is_running(), "the server died");
}
