use crate::schema::data_version;
use diesel::prelude::*;
use std::sync::atomic::{AtomicI64, Ordering};

/// The count of committed writes to what reports read (conversations, departments, users),
/// bumped by triggers in each writing transaction: two snapshots that see the same version see
/// the same report data, so an answer computed at one version is exact for any other read of it.
///
/// On Citus no trigger keeps it (each would write a reference table from every shard): each
/// call returns a new negative number instead, so that no answer is ever kept or reused.
pub fn data_version(conn: &mut PgConnection) -> QueryResult<i64> {
    static UNSEEN: AtomicI64 = AtomicI64::new(-1);
    if crate::engine::is_distributed(conn)? {
        return Ok(UNSEEN.fetch_sub(1, Ordering::Relaxed));
    }
    data_version::table
        .select(data_version::version)
        .first(conn)
}
