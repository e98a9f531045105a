use crate::schema::data_version;
use diesel::prelude::*;

/// The count of committed writes to what reports read (conversations, departments, users),
/// bumped by triggers in each writing transaction: two snapshots that see the same version see
/// the same report data, so an answer computed at one version is exact for any other read of it.
pub fn data_version(conn: &mut PgConnection) -> QueryResult<i64> {
    data_version::table
        .select(data_version::version)
        .first(conn)
}
