#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod aggregates;
mod check;
mod collection;
mod copy_text;
mod decode;
mod error;
mod history;
mod increment;
mod load;
mod map;
mod progress;
mod source;
mod staging;
mod summary;
mod totals;

#[doc(hidden)]
pub use check::{check_bytes, Checked};
pub use collection::Collection;
pub use error::{ImportError, Invalid, Location, Position};
pub use increment::{next_export_script, OVERLAP};
pub use summary::{CollectionSummary, Summary, TokenSummary};
pub use totals::{committed_totals, CollectionTotals, ImportTotals};

use collection::with_document;
use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use map::Mapping;
use progress::Progress;
use source::CollectionFile;
use std::path::Path;
use std::time::Instant;

/// The collections omnireports imports, in import order: [`Collection::ALL`].
pub const COLLECTIONS: [Collection; 7] = Collection::ALL;

/// Arbitrary key of the advisory lock that makes concurrent imports wait for each other.
const IMPORT_LOCK: i64 = 0x6f6d_6e69_696d_7074;

/// How to import.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Import the valid documents and report the malformed ones, instead of stopping.
    pub skip_invalid: bool,
    /// Draw a progress bar on stderr when it is a terminal.
    pub progress: bool,
}

/// Imports the export in `dir` into the database at `url`, in one transaction.
pub fn import_url(url: &str, dir: &Path, options: Options) -> Result<Summary, ImportError> {
    // Read the directory first: a wrong path fails before any connection.
    let files = source::discover(dir)?;
    let mut conn = PgConnection::establish(url)?;
    run(&mut conn, &files, options)
}

/// Imports the documents of one `collection` from standard input (JSON Lines or a JSON array,
/// as `mongoexport` writes them without `--out`) into the database at `url`, in one transaction.
/// Errors are positioned in `<stdin>`.
pub fn import_stdin(
    url: &str,
    collection: Collection,
    options: Options,
) -> Result<Summary, ImportError> {
    let mut conn = PgConnection::establish(url)?;
    run(&mut conn, &[CollectionFile::stdin(collection)], options)
}

/// The newest `_updatedAt` (the trash: `_deletedAt`) each collection has committed, over every
/// import: where the next increment starts. Collections never imported with a stamp are absent.
pub fn watermarks(
    conn: &mut PgConnection,
) -> QueryResult<Vec<(Collection, chrono::DateTime<chrono::Utc>)>> {
    let stamps = history::watermarks(conn)?;
    Ok(stamps
        .into_iter()
        .filter_map(|(name, newest)| Some((Collection::from_name(&name)?, newest)))
        .collect())
}

/// Imports the export in `dir` over `conn`, in one transaction: everything is imported, or
/// nothing. `conn` must not be inside a transaction already (the staging tables are dropped
/// at commit).
pub fn import(
    conn: &mut PgConnection,
    dir: &Path,
    options: Options,
) -> Result<Summary, ImportError> {
    let files = source::discover(dir)?;
    run(conn, &files, options)
}

fn run(
    conn: &mut PgConnection,
    files: &[CollectionFile],
    options: Options,
) -> Result<Summary, ImportError> {
    let started = Instant::now();
    let progress = Progress {
        enabled: options.progress,
    };
    let mut summary = conn.transaction(|conn| {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({IMPORT_LOCK})")).execute(conn)?;
        // Room for the sorts of the upserts (the server's memory, not ours).
        conn.batch_execute("SET LOCAL work_mem = '64MB'")?;
        // On Citus, one connection per worker: the reference tables (trash, import_runs) may
        // not be written after a statement that used several on the same transaction.
        if omnireports_db::engine::is_distributed(conn)? {
            conn.batch_execute("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")?;
        }
        staging::create(conn)?;
        let mut summary = Summary::default();
        for collection in Collection::ALL {
            let file = files.iter().find(|f| f.collection == collection);
            summary.collections.push(match file {
                Some(file) => with_document!(collection, D => {
                    import_file::<D>(conn, file, options, &progress)?
                }),
                None => CollectionSummary::new(collection),
            });
            if collection == Collection::Users {
                summary.tokens = token_summary(staging::sync_tokens(conn)?);
            }
        }
        summary.roles_created = staging::create_referenced_roles(conn)?;
        history::record(conn, &summary)?;
        Ok::<_, ImportError>(summary)
    })?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Stages the documents of `file`, read as `D`, and upserts them.
fn import_file<D: Mapping>(
    conn: &mut PgConnection,
    file: &CollectionFile,
    options: Options,
    progress: &Progress,
) -> Result<CollectionSummary, ImportError> {
    let size = std::fs::metadata(&file.path).map_or(0, |m| m.len());
    let bar = progress.bar(file.collection.name(), size);
    let started = Instant::now();
    let staged = load::stage::<D>(conn, file, options.skip_invalid, &bar)?;
    let reading = started.elapsed();
    bar.writing(staged.rows);
    let rebuild = file.collection == Collection::Rooms && aggregates::defer(conn)?;
    let applied = D::STAGING.apply(conn)?;
    if rebuild {
        aggregates::rebuild(conn)?;
    }
    bar.finish(staged.read);
    let (inserted, updated, deleted) = (applied.inserted, applied.updated, applied.deleted);
    Ok(CollectionSummary {
        collection: file.collection,
        file: Some(file.path.clone()),
        read: staged.read,
        inserted,
        updated,
        deleted,
        newest: staged.newest,
        unchanged: staged.rows.saturating_sub(inserted + updated + deleted),
        ignored: staged.ignored,
        skipped: staged.skipped,
        skipped_at: staged.skipped_at,
        reading,
        writing: started.elapsed() - reading,
    })
}

fn token_summary(changes: staging::TokenChanges) -> TokenSummary {
    let (inserted, updated) = (
        changes.upserted.inserted as u64,
        changes.upserted.updated as u64,
    );
    TokenSummary {
        read: changes.read,
        inserted,
        updated,
        unchanged: changes.read.saturating_sub(inserted + updated),
        deleted: changes.deleted,
    }
}
