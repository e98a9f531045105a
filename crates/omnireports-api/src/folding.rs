//! Folds the changes that writes to conversations log into the aggregates, every
//! `aggregates.fold_interval_ms`, so reports read few of them. Answers are exact either way;
//! with several servers on one database, one folds at a time and the others skip.

use crate::AppState;
use actix_web::web;
use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, PgConnection, QueryResult};
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// Changes folded per transaction: a few seconds of work for rows spread over a year.
const BATCH: i32 = 20_000;

/// Batches per tick, so that one tick holds a pooled connection for a bounded time; a larger
/// backlog is taken over the next ticks.
const BATCHES_PER_TICK: usize = 10;

/// Every `every`, folds up to `BATCHES_PER_TICK` batches of logged changes; forever.
pub(crate) async fn run(state: web::Data<AppState>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        // On the primary: a replica (`database.read_url`) cannot be written.
        match state.auth_db.run(fold_batches).await {
            Ok(0) => {}
            Ok(rows) => {
                tracing::debug!(rows, "folded logged changes");
                state.metrics.folded_changes(rows.unsigned_abs());
            }
            Err(error) => tracing::warn!(%error, "folding logged changes failed"),
        }
    }
}

fn fold_batches(conn: &mut PgConnection) -> QueryResult<i64> {
    let mut total = 0;
    for _ in 0..BATCHES_PER_TICK {
        let folded = conn.transaction(|conn| {
            // A batch may outlast the pool's statement timeout, which is sized for reports.
            conn.batch_execute("SET LOCAL statement_timeout = '5min'")?;
            omnireports_analytics::fold_changes(conn, Some(BATCH))
        })?;
        total += folded;
        if folded < i64::from(BATCH) {
            break;
        }
    }
    if total > 0 {
        // Reports scan the log: reclaim the folded rows now rather than at autovacuum's next
        // visit, up to a minute away. Without the right to, PostgreSQL only warns. The folds
        // are committed whatever happens here, so a failure is only logged.
        if let Err(error) = conn.batch_execute("VACUUM conversation_changes") {
            tracing::warn!(%error, "vacuuming the folded changes failed");
        }
    }
    Ok(total)
}
