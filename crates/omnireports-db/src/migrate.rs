use diesel::PgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The SQL migrations of the repository's `migrations/` folder, embedded in the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration; returns the versions applied.
pub fn run_pending_migrations(conn: &mut PgConnection) -> Result<Vec<String>, BoxError> {
    let applied = conn.run_pending_migrations(MIGRATIONS)?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Reverts every applied migration (newest first) with its `down.sql`.
pub fn revert_all_migrations(conn: &mut PgConnection) -> Result<Vec<String>, BoxError> {
    let reverted = conn.revert_all_migrations(MIGRATIONS)?;
    Ok(reverted.iter().map(ToString::to_string).collect())
}

/// Whether migrations embedded in this binary are missing from the database.
pub fn has_pending_migrations(conn: &mut PgConnection) -> diesel::QueryResult<bool> {
    // Keep diesel's own error (e.g. a lost connection, a 503) rather than wrapping it as a 500.
    conn.has_pending_migration(MIGRATIONS).map_err(|error| {
        match error.downcast::<diesel::result::Error>() {
            Ok(error) => *error,
            Err(other) => diesel::result::Error::QueryBuilderError(other),
        }
    })
}
