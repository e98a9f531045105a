//! How an import keeps the conversation aggregates (`omnireports_db::engine`): logged per
//! statement by the triggers and folded after the commit, like any write, or, when the import
//! brings at least as many new rooms as the database already holds (a first import), by one
//! rebuild before the commit, which fills the tables anew and indexes them once instead of
//! logging every room and folding it bucket by bucket.

use crate::error::{Context as _, ImportError};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use omnireports_db::engine;

#[derive(QueryableByName)]
struct Rooms {
    #[diesel(sql_type = BigInt)]
    existing: i64,
    #[diesel(sql_type = BigInt)]
    new: i64,
}

/// Whether the staged rooms should be aggregated by a rebuild. If so, other writers of
/// conversations are held off until the commit and this transaction's writes are not logged
/// ([`engine::defer_logging`]), and [`rebuild`] must run before it commits.
pub(crate) fn defer(conn: &mut PgConnection) -> Result<bool, ImportError> {
    let rooms: Rooms = diesel::sql_query(
        // The staged ids less those already there (an `IN`, not a correlated NOT EXISTS, which
        // Citus cannot run between a temporary and a distributed table).
        "SELECT (SELECT count(*) FROM conversations) AS existing,
                (SELECT count(DISTINCT id) FROM import_conversations)
                - (SELECT count(*) FROM conversations
                    WHERE id IN (SELECT id FROM import_conversations)) AS new",
    )
    .get_result(conn)
    .context("counting new rooms")?;
    let bulk = rooms.new > 0 && rooms.new >= rooms.existing;
    if bulk {
        engine::defer_logging(conn).context("deferring the aggregates")?;
    }
    Ok(bulk)
}

/// Rebuilds every aggregate from the conversations, ending the deferral.
pub(crate) fn rebuild(conn: &mut PgConnection) -> Result<(), ImportError> {
    engine::rebuild_deferred(conn).context("rebuilding the aggregates")
}
