use crate::{DbError, PgPool};
use diesel::{PgConnection, QueryResult};

/// The pool plus the one way to use it from async code: [`Database::run`].
#[derive(Clone, Debug)]
pub struct Database {
    pool: PgPool,
}

impl Database {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
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
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let task = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            query(&mut conn).map_err(DbError::from)
        });
        task.await
            .map_err(|join| DbError::Internal(format!("blocking task failed: {join}")))?
    }
}
