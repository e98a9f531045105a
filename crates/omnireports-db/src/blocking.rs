use crate::{DbError, PgPool};
use diesel::{PgConnection, QueryResult};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The pool plus the one way to use it from async code: [`Database::run`].
#[derive(Clone, Debug)]
pub struct Database {
    pool: PgPool,
    /// Bounds the blocking threads busy with this database; waiting for one is bounded by the
    /// pool's acquisition timeout, so overload turns into 503s instead of a growing queue.
    threads: Arc<Semaphore>,
    wait: Duration,
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
            pool,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `query` on a pooled connection on the blocking thread pool, never on an async
    /// worker. The caller's tracing span follows the work; errors are mapped to [`DbError`].
    pub async fn run<T, F>(&self, query: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(self.wait, self.threads.clone().acquire_owned())
            .await
            .map_err(|_| DbError::Unavailable("no blocking thread free in time".into()))?
            .map_err(|closed| DbError::Internal(closed.to_string()))?;
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let task = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let _permit = permit;
            let mut conn = pool.get()?;
            query(&mut conn).map_err(DbError::from)
        });
        task.await
            .map_err(|join| DbError::Internal(format!("blocking task failed: {join}")))?
    }
}
