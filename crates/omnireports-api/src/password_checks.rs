//! The bcrypt checks of logins: slow on purpose (tens of milliseconds of CPU each), so they run
//! on the blocking pool, and at most `permits` at once. A burst of logins then queues here
//! instead of taking every core, and every database thread, from the reports.

use omnireports_error::ApiError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

#[derive(Debug)]
pub struct PasswordChecks {
    permits: Arc<Semaphore>,
    /// How long a check may wait for its turn before the login gets a 503.
    wait: Duration,
}

impl PasswordChecks {
    /// `permits` checks at once; 0 means half the cores, at least one.
    pub fn new(permits: usize, wait: Duration) -> Self {
        let permits = match permits {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        };
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            wait,
        }
    }

    /// Runs `check` on the blocking pool once a permit is free.
    pub async fn run<T, F>(&self, check: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::unavailable("no password check free in time"))?
            .map_err(ApiError::internal)?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let _permit = permit;
            check()
        })
        .await
        .map_err(ApiError::internal)
    }
}
