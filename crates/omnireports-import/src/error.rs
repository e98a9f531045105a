//! Why an import failed, and where in the export.

use crate::collection::Collection;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a document starts in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// JSON: 1-based line (and column, when known), and for `--jsonArray` the 1-based index of
    /// the document in the array (all of mongoexport's array is on one line).
    Line {
        /// The line, from 1.
        line: u64,
        /// The column, from 1, in bytes; `None` for an error of a whole JSON line.
        column: Option<u64>,
        /// The document's index in a `--jsonArray`, from 1.
        document: Option<u64>,
    },
    /// BSON: byte offset of the document in the (uncompressed) stream, and its 1-based index.
    Offset {
        /// Bytes before the document, gzip undone.
        offset: u64,
        /// The document's index in the file, from 1.
        document: u64,
    },
}

/// A file and a position in it, shown as `file:line[:column]` or `file: byte offset N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as found in the export directory.
    pub file: PathBuf,
    /// Where the document starts in it.
    pub position: Position,
}

impl Location {
    /// `position` in `file`.
    pub fn new(file: &Path, position: Position) -> Self {
        Self {
            file: file.to_owned(),
            position,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match &self.position {
            Position::Line {
                line,
                column,
                document,
            } => {
                write!(f, "{file}:{line}")?;
                if let Some(column) = column {
                    write!(f, ":{column}")?;
                }
                if let Some(document) = document {
                    write!(f, " (document {document})")?;
                }
                Ok(())
            }
            Position::Offset { offset, document } => {
                write!(f, "{file}: byte offset {offset} (document {document})")
            }
        }
    }
}

/// A document that could not be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Where the document starts.
    pub location: Location,
    /// What is wrong with it (`ts: expected a date, found a string`).
    pub message: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Why an import failed; nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The export directory or one of its files cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The directory holds no file of a collection omnireports imports.
    #[error("no Rocket.Chat collection file in {}{}", dir.display(), subdirectory_hint(hint))]
    NoCollections {
        /// The directory given.
        dir: PathBuf,
        /// Its subdirectories that do hold some (a mongodump's database directories).
        hint: Vec<PathBuf>,
    },
    /// Two files hold the same collection (`users.json` and `users.bson`, say).
    #[error("two files for collection {collection}: {} and {}", first.display(), second.display())]
    Ambiguous {
        /// The collection.
        collection: Collection,
        /// One file of it.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// The file cannot be read past this point (truncated, not an array…): never skippable.
    #[error("{location}: {message}")]
    Unreadable {
        /// Where reading stopped.
        location: Location,
        /// Why.
        message: String,
    },
    /// A malformed document, and `--skip-invalid` was not given.
    #[error("{0} (nothing was imported; --skip-invalid imports the valid documents)")]
    Invalid(Invalid),
    /// The database cannot be reached.
    #[error("cannot connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    /// A statement failed.
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    /// A statement failed, and what it was for.
    #[error("{step}: {source}")]
    Step {
        /// What the statement did (`writing users`).
        step: String,
        /// How it failed.
        source: diesel::result::Error,
    },
    /// Rows could not be sent to PostgreSQL's COPY.
    #[error("sending rows to PostgreSQL: {0}")]
    Copy(std::io::Error),
    /// Stands for the reader's error while diesel ends the COPY; never returned.
    #[error("{0}")]
    Aborted(String),
    /// A bug: the thread reading a file panicked.
    #[error("the reader thread of {collection} panicked")]
    ReaderPanicked {
        /// The collection it read.
        collection: Collection,
    },
}

fn subdirectory_hint(dirs: &[PathBuf]) -> String {
    match dirs {
        [] => String::new(),
        dirs => {
            let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            format!(
                " (a mongodump output? its database directories are: {})",
                names.join(", ")
            )
        }
    }
}

/// Adds what was being done to a database error.
pub(crate) trait Context<T> {
    fn context(self, step: impl Into<String>) -> Result<T, ImportError>;
}

impl<T> Context<T> for Result<T, diesel::result::Error> {
    fn context(self, step: impl Into<String>) -> Result<T, ImportError> {
        self.map_err(|source| ImportError::Step {
            step: step.into(),
            source,
        })
    }
}
