//! A write of most of the data (a first import), aggregated by one rebuild before its commit
//! instead of logged row by row and folded.

use super::{citus, SCHEMA};
use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;

/// Stops logging this transaction's writes of `conversations` and holds off other writers
/// until it ends (the rebuild would drop the changes they log); [`rebuild_deferred`] must run
/// before it commits.
pub fn defer_logging(conn: &mut PgConnection) -> QueryResult<()> {
    match citus::is_citus(conn)? {
        true => citus::disable_logging(conn),
        false => conn.batch_execute(
            "LOCK TABLE conversations IN SHARE MODE; SET LOCAL omnireports.defer_aggregates = on",
        ),
    }
}

/// Ends [`defer_logging`] and rebuilds every aggregate from the conversations.
pub fn rebuild_deferred(conn: &mut PgConnection) -> QueryResult<()> {
    match citus::is_citus(conn)? {
        true => citus::enable_logging(conn)?,
        false => conn.batch_execute("SET LOCAL omnireports.defer_aggregates = off")?,
    }
    conn.batch_execute(&format!("SELECT {SCHEMA}.rebuild_aggregates()"))
}
