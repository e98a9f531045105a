//! What an import did, per collection, printed as a table at the end.

use crate::collection::Collection;
use crate::error::Invalid;
use crate::progress::rate;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// One collection: documents read, and what became of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSummary {
    /// The collection.
    pub collection: Collection,
    /// Its file; `None` when the export has none.
    pub file: Option<PathBuf>,
    /// Documents read, valid or not.
    pub read: u64,
    /// Rows inserted.
    pub inserted: u64,
    /// Rows updated (that differed from their document).
    pub updated: u64,
    /// Rows deleted (the trash's).
    pub deleted: u64,
    /// The newest `_updatedAt` (the trash: `_deletedAt`) of the documents read: the next
    /// increment asks for what changed since.
    pub newest: Option<chrono::DateTime<chrono::Utc>>,
    /// Valid documents whose row was already up to date (or repeated an earlier `_id`).
    pub unchanged: u64,
    /// Valid documents that are not for omnireports (rooms other than livechats).
    pub ignored: u64,
    /// Malformed documents passed over by `--skip-invalid`.
    pub skipped: u64,
    /// The first of them, with why.
    pub skipped_at: Vec<Invalid>,
    /// Reading the file and COPYing its rows into the staging table.
    pub reading: Duration,
    /// Writing the rows into their table (with the aggregates the triggers keep).
    pub writing: Duration,
}

/// The login tokens of the imported users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenSummary {
    /// Tokens of active users in the export (an inactive user holds none).
    pub read: u64,
    /// Tokens new to the database.
    pub inserted: u64,
    /// Tokens whose kind, name or issue date changed.
    pub updated: u64,
    /// Tokens already up to date.
    pub unchanged: u64,
    /// Tokens of imported users that the export no longer has (logged out).
    pub deleted: u64,
}

/// What an import did; its `Display` is the table `omnireports import` prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every collection, in import order, with a file or not.
    pub collections: Vec<CollectionSummary>,
    /// The login tokens of the imported users.
    pub tokens: TokenSummary,
    /// Roles used by users or permissions, absent from the export's roles, created by id.
    pub roles_created: u64,
    /// The whole import, transaction included.
    pub elapsed: Duration,
}

impl CollectionSummary {
    /// Nothing done yet (nothing at all when the export has no file for `collection`).
    pub fn new(collection: Collection) -> Self {
        Self {
            collection,
            file: None,
            read: 0,
            inserted: 0,
            updated: 0,
            deleted: 0,
            newest: None,
            unchanged: 0,
            ignored: 0,
            skipped: 0,
            skipped_at: Vec::new(),
            reading: Duration::ZERO,
            writing: Duration::ZERO,
        }
    }
}

impl Summary {
    /// The collection named `name` (`"rocketchat_room"`).
    pub fn collection(&self, name: &str) -> Option<&CollectionSummary> {
        self.collections
            .iter()
            .find(|c| c.collection.name() == name)
    }

    /// Documents read, over all collections.
    pub fn read(&self) -> u64 {
        self.collections.iter().map(|c| c.read).sum()
    }

    /// Documents skipped as invalid, over all collections.
    pub fn skipped(&self) -> u64 {
        self.collections.iter().map(|c| c.skipped).sum()
    }
}

const HEADER: [&str; 10] = [
    "collection",
    "read",
    "inserted",
    "updated",
    "deleted",
    "unchanged",
    "ignored",
    "skipped",
    "read s",
    "write s",
];

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [name, rest @ ..] = HEADER;
        write!(f, "{name:<34}")?;
        for column in rest {
            write!(f, " {column:>10}")?;
        }
        writeln!(f)?;
        for c in &self.collections {
            let counts = [
                c.read,
                c.inserted,
                c.updated,
                c.deleted,
                c.unchanged,
                c.ignored,
                c.skipped,
            ];
            write_row(f, c.collection.name(), &counts, c.file.is_none())?;
            if c.file.is_some() {
                let (read, write) = (c.reading.as_secs_f64(), c.writing.as_secs_f64());
                write!(f, " {read:>10.1} {write:>10.1}")?;
            }
            writeln!(f)?;
        }
        let t = &self.tokens;
        let counts = [t.read, t.inserted, t.updated, t.deleted, t.unchanged, 0, 0];
        write_row(f, "  users: login tokens", &counts, false)?;
        writeln!(f)?;
        if self.roles_created > 0 {
            writeln!(
                f,
                "{} role(s) created: used by users or permissions, absent from rocketchat_roles",
                self.roles_created
            )?;
        }
        write_skipped(f, &self.collections)?;
        write!(
            f,
            "{} documents in {:.1} s ({:.0} documents/s)",
            self.read(),
            self.elapsed.as_secs_f64(),
            rate(self.read(), self.elapsed)
        )
    }
}

fn write_row(f: &mut fmt::Formatter<'_>, name: &str, counts: &[u64], absent: bool) -> fmt::Result {
    write!(f, "{name:<34}")?;
    if absent {
        return write!(f, " {:>10}", "(no file)");
    }
    for count in counts {
        write!(f, " {count:>10}")?;
    }
    Ok(())
}

fn write_skipped(f: &mut fmt::Formatter<'_>, collections: &[CollectionSummary]) -> fmt::Result {
    let skipped: u64 = collections.iter().map(|c| c.skipped).sum();
    if skipped == 0 {
        return Ok(());
    }
    writeln!(f, "{skipped} invalid document(s) skipped:")?;
    for c in collections.iter().filter(|c| c.skipped > 0) {
        for invalid in &c.skipped_at {
            writeln!(f, "  {invalid}")?;
        }
        let unlisted = c.skipped - c.skipped_at.len() as u64;
        if unlisted > 0 {
            writeln!(f, "  … and {unlisted} more in {}", c.collection)?;
        }
    }
    Ok(())
}
