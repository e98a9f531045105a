//! The importer's reading and mapping without a database: one collection file's bytes in, the
//! fate of each document out. The entry point of the fuzz target and the property tests.

use crate::collection::{with_document, Collection};
use crate::error::ImportError;
use crate::map::{self, Mapped, Mapping};
use crate::source::{CollectionFile, Documents, Format};
use std::io::Cursor;
use std::path::PathBuf;

/// What became of the documents of a file read by [`check_bytes`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// Documents that make a row.
    pub rows: u64,
    /// Valid documents that are not for omnireports (rooms that are not livechats).
    pub ignored: u64,
    /// Why each document that an import stops at (or skips, with `--skip-invalid`) is invalid.
    pub invalid: Vec<String>,
}

/// Reads `bytes` as the file of `collection`, BSON when `bson` is set, else JSON Lines or a JSON
/// array; gzip is detected as on import. Every document is mapped, as `--skip-invalid` would;
/// `Err` is what makes the rest of the file unreadable.
#[doc(hidden)]
pub fn check_bytes(
    collection: Collection,
    bson: bool,
    bytes: &[u8],
) -> Result<Checked, ImportError> {
    let (format, extension) = match bson {
        true => (Format::Bson, "bson"),
        false => (Format::Json, "json"),
    };
    let file = CollectionFile {
        collection,
        path: PathBuf::from(format!("{collection}.{extension}")),
        format,
        stdin: false,
    };
    with_document!(collection, D => check_as::<D>(&file, bytes))
}

fn check_as<D: Mapping>(file: &CollectionFile, bytes: &[u8]) -> Result<Checked, ImportError> {
    let documents =
        Documents::<D>::from_reader(Cursor::new(bytes.to_vec()), file).map_err(|source| {
            ImportError::Io {
                path: file.path.clone(),
                source,
            }
        })?;
    let (mut checked, mut row) = (Checked::default(), Vec::new());
    for (seq, item) in (1..).zip(documents) {
        let mapped = item?.document.and_then(|doc| {
            row.clear();
            map::map(&doc, seq, &mut row).map_err(|e| e.to_string())
        });
        match mapped {
            Ok(Mapped::Row) => checked.rows += 1,
            Ok(Mapped::Ignored) => checked.ignored += 1,
            Err(message) => checked.invalid.push(message),
        }
    }
    Ok(checked)
}
