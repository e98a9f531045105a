//! Folding the changes that writes log into the aggregates (`omnireports_db::engine`).

use diesel::connection::SimpleConnection as _;
use diesel::sql_types::{BigInt, Integer, Nullable};
use diesel::{Connection as _, PgConnection, QueryResult, QueryableByName, RunQueryDsl};

#[derive(QueryableByName)]
struct Folded {
    #[diesel(sql_type = BigInt)]
    folded: i64,
}

/// Moves up to `max_rows` of the changes logged by writes to conversations (all of them with
/// `None`) into the aggregates, in one transaction, and returns how many it moved.
///
/// Reports are exact whether or not changes are folded; folding keeps them fast, since a report
/// reads the changes still logged for its range. One session folds at a time: while another
/// one folds (or an import rebuilds the aggregates), this returns 0 at once.
pub fn fold_changes(conn: &mut PgConnection, max_rows: Option<i32>) -> QueryResult<i64> {
    diesel::sql_query("SELECT engine.fold_changes($1) AS folded")
        .bind::<Nullable<Integer>, _>(max_rows)
        .get_result::<Folded>(conn)
        .map(|row| row.folded)
}

/// Changes folded per transaction by [`fold_backlog`]: a few seconds of work for rows spread
/// over a year.
pub const FOLD_BATCH: i32 = 20_000;

/// Batches per [`fold_backlog`] call, so that one call holds its connection for a bounded time;
/// a larger backlog is taken over the next calls.
pub const FOLD_BATCHES_PER_CALL: usize = 10;

/// What a server does every `aggregates.fold_interval_ms`: folds up to
/// [`FOLD_BATCHES_PER_CALL`] batches of [`FOLD_BATCH`] changes, each in its own transaction
/// (allowed to outlast the pool's statement timeout, which is sized for reports), then vacuums
/// the log so that reports scan only live rows. Returns how many changes it folded.
pub fn fold_backlog(conn: &mut PgConnection) -> QueryResult<i64> {
    let mut total = 0;
    for _ in 0..FOLD_BATCHES_PER_CALL {
        let folded = conn.transaction(|conn| {
            conn.batch_execute("SET LOCAL statement_timeout = '5min'")?;
            fold_changes(conn, Some(FOLD_BATCH))
        })?;
        total += folded;
        if folded < i64::from(FOLD_BATCH) {
            break;
        }
    }
    if total > 0 {
        // Rather than at autovacuum's next visit, up to a minute away. Without the right to,
        // PostgreSQL only warns; the folds are committed whatever happens here.
        if let Err(error) = conn.batch_execute("VACUUM conversation_changes") {
            tracing::warn!(%error, "vacuuming the folded changes failed");
        }
    }
    Ok(total)
}

#[derive(QueryableByName)]
struct Logged {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Changes logged by writes and not folded yet: a count that keeps growing means folding does
/// not keep up with the writes, or runs nowhere.
pub fn logged_changes(conn: &mut PgConnection) -> QueryResult<i64> {
    diesel::sql_query("SELECT count(*) AS n FROM conversation_changes")
        .get_result::<Logged>(conn)
        .map(|row| row.n)
}
