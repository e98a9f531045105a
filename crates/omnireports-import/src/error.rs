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
        line: u64,
        column: Option<u64>,
        document: Option<u64>,
    },
    /// BSON: byte offset of the document in the (uncompressed) stream, and its 1-based index.
    Offset { offset: u64, document: u64 },
}

/// A file and a position in it, shown as `file:line[:column]` or `file: byte offset N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub position: Position,
}

impl Location {
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
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no Rocket.Chat collection file in {}{}", dir.display(), subdirectory_hint(hint))]
    NoCollections { dir: PathBuf, hint: Vec<PathBuf> },
    #[error("two files for collection {collection}: {} and {}", first.display(), second.display())]
    Ambiguous {
        collection: Collection,
        first: PathBuf,
        second: PathBuf,
    },
    /// The file cannot be read past this point (truncated, not an array…): never skippable.
    #[error("{location}: {message}")]
    Unreadable { location: Location, message: String },
    /// A malformed document, and `--skip-invalid` was not given.
    #[error("{0} (nothing was imported; --skip-invalid imports the valid documents)")]
    Invalid(Invalid),
    #[error("cannot connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("{step}: {source}")]
    Step {
        step: String,
        source: diesel::result::Error,
    },
    #[error("sending rows to PostgreSQL: {0}")]
    Copy(std::io::Error),
    /// Stands for the reader's error while diesel ends the COPY; never returned.
    #[error("{0}")]
    Aborted(String),
    #[error("the reader thread of {collection} panicked")]
    ReaderPanicked { collection: Collection },
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
