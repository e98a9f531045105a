use crate::engine;
use diesel::dsl::sql;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel::PgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The SQL migrations of the repository's `migrations/` folder, embedded in the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The oldest PostgreSQL the schema runs on (`server_version_num`): `UNIQUE NULLS NOT
/// DISTINCT` is new in PostgreSQL 15.
pub const MIN_SERVER_VERSION_NUM: i32 = 150_000;

/// Applies every pending migration, then lays out the aggregate engine for the shipped
/// dimensions ([`engine::install`]); returns the versions applied. A server older than
/// [`MIN_SERVER_VERSION_NUM`] is refused before anything is applied.
pub fn run_pending_migrations(conn: &mut PgConnection) -> Result<Vec<String>, BoxError> {
    let (number, version) = diesel::select((
        sql::<Integer>("current_setting('server_version_num')::int"),
        sql::<Text>("current_setting('server_version')"),
    ))
    .get_result::<(i32, String)>(conn)?;
    supported_server(number, &version)?;
    refuse_unknown_versions(conn)?;
    let applied: Vec<String> = conn
        .run_pending_migrations(MIGRATIONS)?
        .iter()
        .map(ToString::to_string)
        .collect();
    engine::install(conn, engine::BUILTIN)?;
    Ok(applied)
}

/// A database that has migrations this binary does not know was laid out by another version
/// of omnireports (a newer one, or one from before the migrations were squashed): applying
/// ours on top would fail half-way, so say so first.
fn refuse_unknown_versions(conn: &mut PgConnection) -> Result<(), BoxError> {
    let known: Vec<String> = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)?
        .iter()
        .map(|migration| migration.name().version().to_string())
        .collect();
    let unknown: Vec<String> = conn
        .applied_migrations()?
        .iter()
        .map(ToString::to_string)
        .filter(|version| !known.contains(version))
        .collect();
    match unknown.as_slice() {
        [] => Ok(()),
        _ => Err(format!(
            "this database has migrations this omnireports does not know ({}): it was laid out \
             by another version; migrate a new database (for `make run`: make db-down && rm -rf .data)",
            unknown.join(", ")
        )
        .into()),
    }
}

/// Drops the engine, then reverts every applied migration (newest first) with its `down.sql`.
pub fn revert_all_migrations(conn: &mut PgConnection) -> Result<Vec<String>, BoxError> {
    engine::uninstall(conn, engine::BUILTIN)?;
    let reverted = conn.revert_all_migrations(MIGRATIONS)?;
    Ok(reverted.iter().map(ToString::to_string).collect())
}

/// Whether migrations embedded in this binary are missing from the database.
pub fn has_pending_migrations(conn: &mut PgConnection) -> diesel::QueryResult<bool> {
    // Keep diesel's own error (e.g. a lost connection, a 503) rather than wrapping it as a 500.
    let versioned = conn.has_pending_migration(MIGRATIONS).map_err(|error| {
        match error.downcast::<diesel::result::Error>() {
            Ok(error) => *error,
            Err(other) => diesel::result::Error::QueryBuilderError(other),
        }
    })?;
    Ok(versioned || !engine::is_installed(conn, engine::BUILTIN)?)
}

/// An error naming the server's version unless it is [`MIN_SERVER_VERSION_NUM`] or newer.
fn supported_server(server_version_num: i32, server_version: &str) -> Result<(), String> {
    match server_version_num >= MIN_SERVER_VERSION_NUM {
        true => Ok(()),
        false => Err(format!(
            "PostgreSQL {server_version} is too old: omnireports needs PostgreSQL 15 or newer"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::supported_server;

    #[test]
    fn servers_before_15_are_refused_by_name() {
        assert_eq!(
            supported_server(140_011, "14.11 (Debian 14.11-1)"),
            Err("PostgreSQL 14.11 (Debian 14.11-1) is too old: omnireports needs PostgreSQL 15 or newer".into())
        );
        assert_eq!(supported_server(150_000, "15.0"), Ok(()));
        assert_eq!(supported_server(170_002, "17.2"), Ok(()));
    }
}
