//! What the committed imports did, summed, from `import_runs`: what `/metrics` reports, so that
//! an `omnireports import` run anywhere against the database counts.

use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use omnireports_db::schema::import_runs;

/// Every committed import, summed.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportTotals {
    /// Committed imports.
    pub runs: i64,
    /// When the last one finished, in seconds since the epoch.
    pub last_finished: Option<f64>,
    /// Per collection, by collection name.
    pub collections: Vec<CollectionTotals>,
}

/// The documents of one collection over every committed import.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct CollectionTotals {
    /// The collection's name.
    #[diesel(sql_type = Text)]
    pub collection: String,
    /// Documents read.
    #[diesel(sql_type = BigInt)]
    pub read: i64,
    /// Rows inserted.
    #[diesel(sql_type = BigInt)]
    pub inserted: i64,
    /// Rows updated.
    #[diesel(sql_type = BigInt)]
    pub updated: i64,
    /// Rows deleted (by the trash).
    #[diesel(sql_type = BigInt)]
    pub deleted: i64,
    /// Documents identical to their row.
    #[diesel(sql_type = BigInt)]
    pub unchanged: i64,
    /// Documents of no interest (rooms that are not livechats).
    #[diesel(sql_type = BigInt)]
    pub ignored: i64,
    /// Invalid documents skipped (`--skip-invalid`).
    #[diesel(sql_type = BigInt)]
    pub skipped: i64,
}

/// Reads the totals of every committed import.
pub fn committed_totals(conn: &mut PgConnection) -> QueryResult<ImportTotals> {
    let (runs, last_finished) = import_runs::table
        .select((
            count_star(),
            sql::<Nullable<Double>>("extract(epoch FROM max(finished_at))::float8"),
        ))
        .get_result(conn)?;
    let collections = diesel::sql_query(
        "SELECT collection, sum(read)::int8 AS read, sum(inserted)::int8 AS inserted, \
         sum(updated)::int8 AS updated, sum(deleted)::int8 AS deleted, \
         sum(unchanged)::int8 AS unchanged, \
         sum(ignored)::int8 AS ignored, sum(skipped)::int8 AS skipped \
         FROM import_run_collections GROUP BY collection ORDER BY collection",
    )
    .load(conn)?;
    Ok(ImportTotals {
        runs,
        last_finished,
        collections,
    })
}
