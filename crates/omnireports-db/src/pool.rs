use crate::clock::StatementClock;
use diesel::connection::{Connection as _, SimpleConnection};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::PgConnection;
use serde::Deserialize;
use std::time::Duration;

/// An r2d2 pool of PostgreSQL connections.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// Pool settings; every timeout is in milliseconds.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: u32,
    /// Connections kept open while idle.
    pub min_idle: Option<u32>,
    /// How long a request may wait for a connection before it gets a 503.
    pub acquire_timeout_ms: u64,
    /// How long one statement may run before PostgreSQL cancels it (0 = no limit).
    pub statement_timeout_ms: u64,
    /// Idle connections are closed after this long.
    pub idle_timeout_ms: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 10,
            min_idle: Some(1),
            acquire_timeout_ms: 2_000,
            statement_timeout_ms: 5_000,
            idle_timeout_ms: 300_000,
        }
    }
}

/// Session settings of every pooled connection. JIT is off: report queries are small, and a
/// generic plan's cost estimate can cross `jit_above_cost`, making PostgreSQL spend tens of
/// milliseconds compiling a query that runs in one.
pub const SESSION_SETUP: &str =
    "SET application_name = 'omnireports'; SET TIME ZONE 'UTC'; SET jit = off;";

/// Sets per-session limits on every new connection, so no query can run unbounded.
#[derive(Debug, Clone)]
struct SessionSetup {
    statement_timeout_ms: u64,
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.set_instrumentation(StatementClock::new(self.statement_timeout_ms));
        conn.batch_execute(&format!(
            "{SESSION_SETUP} SET statement_timeout = {};",
            self.statement_timeout_ms
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Builds a pool without connecting: the first request that needs the database does, so the
/// server starts (and answers 503) even while the database is down.
pub fn build_pool(database_url: &str, settings: &PoolSettings) -> PgPool {
    Pool::builder()
        .max_size(settings.max_size.max(1))
        .min_idle(settings.min_idle)
        // No ping per checkout: a connection the server dropped fails its first statement and is
        // discarded, and `Database::run` runs the query again on another.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_millis(settings.acquire_timeout_ms.max(1)))
        .idle_timeout(Some(Duration::from_millis(settings.idle_timeout_ms.max(1))))
        .connection_customizer(Box::new(SessionSetup {
            statement_timeout_ms: settings.statement_timeout_ms,
        }))
        .build_unchecked(ConnectionManager::new(database_url))
}
