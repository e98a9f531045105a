//! PostgreSQL drops every connection of the pools (`pg_terminate_backend`, a restart) while the
//! server is idle: the next requests are 200, none pays for a stale pooled connection.

use crate::support::{agent, get, load_demo, report_url, under_load, wait_until, Cluster, Limits};
use crate::support::{Credentials, Server};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::time::Duration;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The server's connections to the cluster, by backend pid.
fn server_connections(admin: &mut PgConnection) -> Vec<i64> {
    diesel::sql_query(
        "SELECT pid::bigint AS n FROM pg_stat_activity WHERE application_name = 'omnireports'",
    )
    .load::<Count>(admin)
    .expect("list the server's connections")
    .into_iter()
    .map(|row| row.n)
    .collect()
}

/// Fills both pools with idle connections: several clients at once for a moment.
fn warm_up(server: &Server, user: &Credentials, limits: &Limits) {
    let url = report_url(server);
    let clients = limits.max_size as usize;
    let (_, outcomes) = under_load(clients, &url, user, |_| {
        std::thread::sleep(Duration::from_millis(500))
    });
    assert!(outcomes.iter().all(|o| o.status == 200), "{outcomes:?}");
}

/// Every request from now on is a 200.
fn assert_next_requests_succeed(server: &Server, user: &Credentials, after: &str) {
    let agent = agent();
    let url = report_url(server);
    for i in 0..20 {
        let outcome = get(&agent, &url, Some(user));
        assert_eq!(
            outcome.status, 200,
            "request {i} after {after}: {outcome:?}"
        );
    }
    assert_eq!(get(&agent, &server.url("/ready"), None).status, 200);
}

#[test]
fn dropped_pool_connections_cost_no_client_errors() {
    let cluster = Cluster::start();
    let user = load_demo(cluster.url());
    let limits = Limits {
        report_cache: false,
        ..Limits::default()
    };
    let mut server = Server::start(cluster.url(), &limits);
    let mut admin = PgConnection::establish(cluster.url()).expect("connect as admin");

    warm_up(&server, &user, &limits);
    let pooled = server_connections(&mut admin);
    assert!(pooled.len() > 2, "{pooled:?} pooled connections");
    for pid in &pooled {
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend({pid})::int::bigint AS n"
        ))
        .get_result::<Count>(&mut admin)
        .expect("terminate a connection of the server");
    }
    // The pool opens new ones meanwhile; the stale ones are what matters.
    wait_until(Duration::from_secs(10), "the backends exit", || {
        let now = server_connections(&mut admin);
        pooled.iter().all(|pid| !now.contains(pid))
    });
    assert_next_requests_succeed(&server, &user, "pg_terminate_backend");

    warm_up(&server, &user, &limits);
    drop(admin);
    cluster.stop();
    cluster.restart();
    assert_next_requests_succeed(&server, &user, "a restart");
    assert!(server.is_running(), "the server died");
}
