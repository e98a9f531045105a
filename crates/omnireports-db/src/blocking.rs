use crate::{DbError, PgPool};
use diesel::{PgConnection, QueryResult};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The pool plus the one way to use it from async code: [`Database::run`].
#[derive(Clone, Debug)]
pub struct Database {
    pool: PgPool,
    /// Bounds the blocking threads busy with this database; waiting for one is bounded by the
    /// pool's acquisition timeout, so overload turns into 503s instead of a growing queue.
    threads: Arc<Semaphore>,
    wait: Duration,
    waits: Arc<WaitCounters>,
}

/// How often work had to queue for a connection, and how often it gave up (for `/metrics`).
#[derive(Debug, Default)]
pub struct WaitCounters {
    /// Calls that found every connection busy and had to wait.
    pub waited: AtomicU64,
    /// Calls that waited longer than the acquisition timeout (503).
    pub timed_out: AtomicU64,
}

impl Database {
    /// A database whose blocking work is limited to as many threads as the pool has connections.
    pub fn new(pool: PgPool) -> Self {
        let threads = pool.max_size() as usize;
        Self::with_blocking_threads(pool, threads)
    }

    /// A database whose blocking work runs on at most `threads` threads at once.
    pub fn with_blocking_threads(pool: PgPool, threads: usize) -> Self {
        Self {
            wait: pool.connection_timeout(),
            threads: Arc::new(Semaphore::new(threads.max(1))),
            waits: Arc::default(),
            pool,
        }
    }

    /// The underlying pool, e.g. for its statistics; queries go through [`Database::run`].
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Counts of waits for a connection since this database was built (shared by its clones).
    pub fn wait_counters(&self) -> &WaitCounters {
        &self.waits
    }

    /// Runs `query` on a pooled connection on the blocking thread pool, never on an async
    /// worker. The caller's tracing span follows the work; errors are mapped to [`DbError`].
    ///
    /// A pooled connection that the server has closed since it was last used (a restart, a
    /// failover, `pg_terminate_backend`) fails its first statement at once and is discarded;
    /// `query` then runs again on the next connection, so that no client sees the stale ones.
    /// It may therefore run more than once, but only after a lost connection, which rolled back
    /// whatever it had begun.
    pub async fn run<T, F>(&self, query: F) -> Result<T, DbError>
    where
        F: Fn(&mut PgConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.permit().await?;
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let task = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let _permit = permit;
            run_on_live_connection(&pool, query)
        });
        task.await
            .map_err(|join| DbError::Internal(format!("blocking task failed: {join}")))?
    }

    /// A blocking thread of this database's share, waiting at most the acquisition timeout.
    async fn permit(&self) -> Result<OwnedSemaphorePermit, DbError> {
        if let Ok(permit) = self.threads.clone().try_acquire_owned() {
            return Ok(permit);
        }
        self.waits.waited.fetch_add(1, Ordering::Relaxed);
        match tokio::time::timeout(self.wait, self.threads.clone().acquire_owned()).await {
            Ok(permit) => permit.map_err(|closed| DbError::Internal(closed.to_string())),
            Err(_) => {
                self.waits.timed_out.fetch_add(1, Ordering::Relaxed);
                Err(DbError::Unavailable(
                    "no blocking thread free in time".into(),
                ))
            }
        }
    }
}

/// Runs `query` on a connection of `pool`, again on the next one while the connection turns
/// out to be lost: at most once per connection the pool can hold, plus one on a new one.
fn run_on_live_connection<T>(
    pool: &PgPool,
    query: impl Fn(&mut PgConnection) -> QueryResult<T>,
) -> Result<T, DbError> {
    let mut attempts_left = pool.max_size() + 1;
    loop {
        let mut conn = pool.get()?;
        match query(&mut conn) {
            Err(error) if attempts_left > 1 && is_connection_lost(&error) => {
                tracing::info!(%error, "a pooled connection was lost; running again on another");
                attempts_left -= 1;
            }
            Err(error) => {
                let timed_out = crate::clock::last_statement_timed_out(&mut conn);
                return Err(DbError::from_statement(error, timed_out));
            }
            Ok(value) => return Ok(value),
        }
    }
}

/// A connection the server closed: diesel reads it from the connection's status (and from
/// SQLSTATE class 08). Its transaction state is then broken, so the pool discards it.
fn is_connection_lost(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        error,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        )
    )
}
