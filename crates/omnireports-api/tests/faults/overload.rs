//! Far more concurrent clients than connections, with the reports slowed down by a lock for
//! part of the time: every request is served or gets the documented 503, in bounded time.

use crate::support::{agent, get, load_demo, report_url, under_load};
use crate::support::{Cluster, Limits, Server, TableLock};
use std::time::Duration;

const CLIENTS: usize = 64;
/// Each phase: unlocked, locked (every report waits until its statement timeout), unlocked.
const PHASE: Duration = Duration::from_secs(2);

#[test]
fn overload_gets_200_or_503_in_bounded_time() {
    let cluster = Cluster::start();
    let admin = load_demo(cluster.url());
    let limits = Limits {
        acquire_ms: 500,
        statement_ms: 1_000,
        max_size: 2,
        blocking_threads: 2,
        report_cache: false, // every request queries, and waits behind the lock
    };
    let mut server = Server::start(cluster.url(), &limits);
    let url = report_url(&server);
    let expected = get(&agent(), &url, Some(&admin));
    assert_eq!(expected.status, 200, "{expected:?}");

    let ((), outcomes) = under_load(CLIENTS, &url, &admin, |_| {
        std::thread::sleep(PHASE);
        let lock = TableLock::take(cluster.url());
        std::thread::sleep(PHASE);
        lock.release();
        std::thread::sleep(PHASE);
    });

    for outcome in &outcomes {
        outcome.assert_documented(&expected.body, limits.bound());
    }
    let served = outcomes.iter().filter(|o| o.status == 200).count();
    let unavailable = outcomes.len() - served;
    let slowest = outcomes
        .iter()
        .map(|o| o.elapsed())
        .max()
        .unwrap_or_default();
    eprintln!(
        "overload: {} requests from {CLIENTS} clients: {served} × 200, {unavailable} × 503, \
         slowest {slowest:?} (bound {:?})",
        outcomes.len(),
        limits.bound()
    );
    assert!(served > 0, "nothing was served");
    assert!(unavailable > 0, "no 503: the load did not exceed the pool");
    assert_eq!(get(&agent(), &url, Some(&admin)).body, expected.body);
    assert!(server.is_running(), "the server died");
}
