//! The bcrypt checks of logins: slow on purpose (tens of milliseconds of CPU each). They run on
//! threads of their own at the lowest CPU priority (nice 19), one check per thread at a time,
//! so a burst of logins queues here and takes from the reports only the CPU they leave idle,
//! and never a database thread.
//!
//! There is always one core fewer of them than the machine has (one at least): with a
//! low-priority check busy on every core, `make bench-login` measured the reports' p99 at 80×
//! its value without logins (against 1.2× with one core left; docs/performance.md).

use omnireports_error::ApiError;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, Semaphore};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Debug)]
pub struct PasswordChecks {
    /// One per thread: a check holds one from the queue until its answer is sent.
    permits: Arc<Semaphore>,
    /// How long a check may wait for its turn before the login gets a 503.
    wait: Duration,
    /// Closed when this is dropped, which ends the threads.
    jobs: mpsc::Sender<Job>,
}

impl PasswordChecks {
    /// `threads` checks at once (0: half the cores), at most one fewer than the cores.
    pub fn new(threads: usize, wait: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let wanted = threads;
        let threads = self::threads(wanted, cores);
        if wanted > threads {
            tracing::warn!(
                wanted,
                threads,
                cores,
                "auth.password_checks leaves a core to the reports"
            );
        }
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-check-{index}"))
                .spawn(move || serve(&queue))
                .expect("a password-check thread starts");
        }
        Self {
            permits: Arc::new(Semaphore::new(threads)),
            wait,
            jobs,
        }
    }

    /// Runs `check` on a password-check thread once one is free.
    pub async fn run<T, F>(&self, check: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::unavailable("no password check free in time"))?
            .map_err(ApiError::internal)?;
        let (answer, answered) = oneshot::channel();
        let span = tracing::Span::current();
        let job = move || {
            let _permit = permit;
            let _entered = span.enter();
            // The login may have been given up meanwhile: nobody to tell.
            let _ = answer.send(check());
        };
        self.jobs
            .send(Box::new(job))
            .map_err(|_| ApiError::internal("the password-check threads are gone"))?;
        answered
            .await
            .map_err(|_| ApiError::internal("a password check ended without an answer"))
    }
}

/// How many check threads `wanted` (0: half the cores) gives on `cores`.
fn threads(wanted: usize, cores: usize) -> usize {
    let wanted = if wanted == 0 { cores / 2 } else { wanted };
    wanted.min(cores.saturating_sub(1)).max(1)
}

/// A thread's loop: jobs until the queue's sender is dropped. A panicking check loses its
/// answer (the login gets a 500) but not the thread.
fn serve(queue: &Mutex<mpsc::Receiver<Job>>) {
    lower_priority();
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
            tracing::error!("a password check panicked");
        }
    }
}

/// Nice 19 for this thread only (Linux keeps a nice value per thread).
#[cfg(target_os = "linux")]
fn lower_priority() {
    let thread = rustix::thread::gettid();
    if let Err(error) = rustix::process::setpriority_process(Some(thread), 19) {
        tracing::warn!(%error, "password checks run at normal priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn checks_run_on_their_own_threads_at_the_lowest_priority() {
        let caller = rustix::process::getpriority_process(None).unwrap();
        let checks = PasswordChecks::new(1, Duration::from_secs(5));
        let (name, nice) = checks
            .run(|| {
                let name = std::thread::current().name().map(str::to_owned);
                (name, rustix::process::getpriority_process(None).unwrap())
            })
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("password-check-"));
        assert_eq!(nice, 19);
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), caller);
    }

    #[test]
    fn checks_leave_a_core_to_the_reports() {
        assert_eq!(threads(0, 8), 4);
        assert_eq!(threads(0, 1), 1);
        assert_eq!(threads(3, 8), 3);
        assert_eq!(threads(8, 8), 7);
        assert_eq!(threads(2, 2), 1);
        assert_eq!(threads(5, 1), 1);
    }

    #[tokio::test]
    async fn a_check_waiting_longer_than_allowed_is_unavailable() {
        let checks = PasswordChecks::new(1, Duration::from_millis(50));
        let (release, released) = mpsc::channel::<()>();
        let busy = checks.run(move || released.recv().is_ok());
        let waiting = async {
            let answer = checks.run(|| ()).await;
            release.send(()).unwrap();
            answer
        };
        let (busy, waiting) = tokio::join!(busy, waiting);
        assert!(busy.unwrap());
        assert!(matches!(waiting, Err(ApiError::ServiceUnavailable)));
    }

    #[tokio::test]
    async fn a_panicking_check_fails_its_login_but_keeps_its_thread() {
        let checks = PasswordChecks::new(1, Duration::from_secs(5));
        let panicked: Result<(), _> = checks.run(|| panic!("bcrypt")).await;
        assert!(panicked.is_err());
        assert_eq!(checks.run(|| 7).await.unwrap(), 7);
    }
}
