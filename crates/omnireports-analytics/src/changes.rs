//! Folding the changes that writes log into the aggregates (`omnireports_db::engine`).

use diesel::sql_types::{BigInt, Integer, Nullable};
use diesel::{PgConnection, QueryResult, QueryableByName, RunQueryDsl};

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
