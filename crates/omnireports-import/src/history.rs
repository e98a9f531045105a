//! The record of committed imports (`import_runs`), written in the import's transaction so that
//! only imports that commit are counted; the server's `/metrics` reads it.

use crate::summary::Summary;
use diesel::prelude::*;
use omnireports_db::schema::{import_run_collections, import_runs};

/// Records `summary` as one run with a row per collection.
pub fn record(conn: &mut PgConnection, summary: &Summary) -> QueryResult<()> {
    let run_id: i64 = diesel::insert_into(import_runs::table)
        .default_values()
        .returning(import_runs::id)
        .get_result(conn)?;
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let rows: Vec<_> = summary
        .collections
        .iter()
        .map(|c| {
            (
                import_run_collections::run_id.eq(run_id),
                import_run_collections::collection.eq(c.collection.name()),
                import_run_collections::read.eq(count(c.read)),
                import_run_collections::inserted.eq(count(c.inserted)),
                import_run_collections::updated.eq(count(c.updated)),
                import_run_collections::unchanged.eq(count(c.unchanged)),
                import_run_collections::ignored.eq(count(c.ignored)),
                import_run_collections::skipped.eq(count(c.skipped)),
                import_run_collections::deleted.eq(count(c.deleted)),
                import_run_collections::watermark.eq(c.newest),
            )
        })
        .collect();
    diesel::insert_into(import_run_collections::table)
        .values(&rows)
        .execute(conn)?;
    Ok(())
}

/// The newest stamp each collection has committed, over every import: where the next
/// increment starts. Collections never imported with a stamp are absent.
pub fn watermarks(
    conn: &mut PgConnection,
) -> QueryResult<Vec<(String, chrono::DateTime<chrono::Utc>)>> {
    use diesel::dsl::max;
    let rows: Vec<(String, Option<chrono::DateTime<chrono::Utc>>)> = import_run_collections::table
        .group_by(import_run_collections::collection)
        .select((
            import_run_collections::collection,
            max(import_run_collections::watermark),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(collection, newest)| Some((collection, newest?)))
        .collect())
}
