//! Which failed statement ran into `statement_timeout`, told by the clock rather than by
//! PostgreSQL's message, which is in the server's `lc_messages` language. (diesel 2.3 does not
//! hand out the SQLSTATE; `57014` would say the same.)

use diesel::connection::{Connection, Instrumentation, InstrumentationEvent};
use diesel::PgConnection;
use std::time::{Duration, Instant};

/// Times each statement of one connection: one that failed after running for the connection's
/// whole `statement_timeout` was cancelled by it, since PostgreSQL ends every statement there.
#[derive(Debug)]
pub(crate) struct StatementClock {
    timeout: Option<Duration>,
    started: Option<Instant>,
    last_timed_out: bool,
}

impl StatementClock {
    /// A clock for a connection whose `statement_timeout` is `timeout_ms` (0: none).
    pub(crate) fn new(timeout_ms: u64) -> Self {
        Self {
            timeout: (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms)),
            started: None,
            last_timed_out: false,
        }
    }
}

impl Instrumentation for StatementClock {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => {
                self.started = Some(Instant::now());
                self.last_timed_out = false;
            }
            InstrumentationEvent::FinishQuery { error, .. } => {
                let ran = self.started.take().map(|started| started.elapsed());
                self.last_timed_out = error.is_some()
                    && matches!((ran, self.timeout), (Some(ran), Some(timeout)) if ran >= timeout);
            }
            _ => {}
        }
    }
}

/// Whether the last statement on `conn` failed because it reached its statement timeout.
pub(crate) fn last_statement_timed_out(conn: &mut PgConnection) -> bool {
    conn.instrumentation()
        .downcast_ref::<StatementClock>()
        .is_some_and(|clock| clock.last_timed_out)
}
