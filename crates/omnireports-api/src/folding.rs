//! Folds the changes that writes to conversations log into the aggregates, every
//! `aggregates.fold_interval_ms`, so reports read few of them. Answers are exact either way;
//! with several servers on one database, one folds at a time and the others skip.

use crate::AppState;
use actix_web::web;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// Every `every`, folds a bounded part of the backlog (`omnireports_analytics::fold_backlog`);
/// forever.
pub(crate) async fn run(state: web::Data<AppState>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        // On the primary: a replica (`database.read_url`) cannot be written.
        match state.auth_db.run(omnireports_analytics::fold_backlog).await {
            Ok(0) => {}
            Ok(rows) => {
                tracing::debug!(rows, "folded logged changes");
                state.metrics.folded_changes(rows.unsigned_abs());
            }
            Err(error) => tracing::warn!(%error, "folding logged changes failed"),
        }
    }
}
