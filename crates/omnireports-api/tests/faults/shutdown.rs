//! SIGTERM: the server stops accepting, lets the request in flight finish, and exits 0.

use crate::support::{agent, count, get, load_demo, refused, report_url, wait_until};
use crate::support::{Cluster, Limits, Server, TableLock};
use diesel::{Connection, PgConnection};
use std::time::Duration;

/// The report's query, waiting for a lock (pool connections are named `omnireports`).
const WAITING: &str = "SELECT count(*) AS n FROM pg_stat_activity \
    WHERE application_name = 'omnireports' AND wait_event_type = 'Lock'";

#[test]
fn sigterm_lets_the_request_in_flight_finish_and_exits_0() {
    let cluster = Cluster::start();
    let admin = load_demo(cluster.url());
    // The request waits for our lock; no statement timeout may end it first, and no cached
    // answer may spare it the query.
    let limits = Limits {
        statement_ms: 60_000,
        report_cache: false,
        ..Limits::default()
    };
    let mut server = Server::start(cluster.url(), &limits);
    let url = report_url(&server);
    let expected = get(&agent(), &url, Some(&admin));
    assert_eq!(expected.status, 200, "{expected:?}");

    let in_flight = std::thread::scope(|scope| {
        // Inside the scope, so that a failing assertion releases it before the scope joins.
        let lock = TableLock::take(cluster.url());
        let request = scope.spawn(|| get(&agent(), &url, Some(&admin)));
        let mut observer = PgConnection::establish(cluster.url()).expect("connect");
        wait_until(
            Duration::from_secs(30),
            "the report waits for the lock",
            || count(&mut observer, WAITING) > 0,
        );

        server.terminate();
        wait_until(
            Duration::from_secs(10),
            "new connections are refused",
            || refused(server.addr()),
        );
        // Shutting down, yet still waiting for the request rather than dropping it.
        std::thread::sleep(Duration::from_secs(1));
        assert!(
            !request.is_finished(),
            "the request ended before the lock was released"
        );
        lock.release();
        request.join().expect("the client thread")
    });

    assert_eq!(
        (in_flight.status, &in_flight.body),
        (200, &expected.body),
        "the request in flight at SIGTERM"
    );
    let status = server.wait_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "exit status {status}");
    assert!(refused(server.addr()));
}
