//! The reader layer: which files of an export hold which collection, in which encoding
//! (gzip told by the content), and a stream of their documents, each with its position in the
//! file and decoded as the mapping's type. One module per format: `json_lines.rs`,
//! `json_array.rs` (with `json.rs`, what they share) and `bson.rs` (with `raw_bson.rs`).

mod bson;
mod json;
mod json_array;
mod json_lines;
mod raw_bson;

use self::bson::BsonDocuments;
use crate::collection::Collection;
use crate::error::{ImportError, Location, Position};
use flate2::read::MultiGzDecoder;
use json_array::JsonArray;
use json_lines::JsonLines;
use serde::de::DeserializeOwned;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What is read from disk (and inflated) at a time.
const READ_BUFFER: usize = 256 * 1024;

/// How a file is laid out; gzip is undone before this applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One Extended JSON document per line (`mongoexport`), or an array (`--jsonArray`),
    /// told apart by the first non-space byte.
    Json,
    /// Concatenated BSON documents (`mongodump`).
    Bson,
}

/// One collection's file in an export directory, or its documents on standard input.
#[derive(Debug, Clone)]
pub struct CollectionFile {
    pub collection: Collection,
    /// Its path; `<stdin>` names standard input in messages.
    pub path: PathBuf,
    pub format: Format,
    /// Read from standard input instead of `path` (`omnireports import --collection C -`).
    pub stdin: bool,
}

impl CollectionFile {
    /// The documents of `collection` on standard input, as mongoexport writes them (JSON Lines
    /// or a JSON array, gzip'd or not).
    pub fn stdin(collection: Collection) -> Self {
        Self {
            collection,
            path: PathBuf::from("<stdin>"),
            format: Format::Json,
            stdin: true,
        }
    }
}

/// Finds the file of each known collection in `dir`; other files are ignored.
pub fn discover(dir: &Path) -> Result<Vec<CollectionFile>, ImportError> {
    let io_error = |source| ImportError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut found: Vec<CollectionFile> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let path = entry.map_err(io_error)?.path();
        let Some(file) = classify(&path) else {
            continue;
        };
        if let Some(other) = found.iter().find(|f| f.collection == file.collection) {
            return Err(ImportError::Ambiguous {
                collection: file.collection,
                first: other.path.clone(),
                second: path,
            });
        }
        found.push(file);
    }
    if found.is_empty() {
        return Err(ImportError::NoCollections {
            dir: dir.to_owned(),
            hint: database_subdirectories(dir),
        });
    }
    found.sort_by_key(|f| f.collection);
    Ok(found)
}

/// The collection and encoding of a file, from its name: `users.json`, `users.jsonl`,
/// `users.bson`, `users.bson.gz`… `users.metadata.json` names collection `users.metadata`,
/// which is unknown, so mongodump's metadata files are skipped like any other stray file.
fn classify(path: &Path) -> Option<CollectionFile> {
    if !path.is_file() {
        return None;
    }
    let name = path.file_name()?.to_str()?;
    // `.gz` or not, the content tells gzip (see `Documents::open`).
    let name = name.strip_suffix(".gz").unwrap_or(name);
    let (stem, extension) = name.rsplit_once('.')?;
    let format = match extension {
        "json" | "jsonl" | "ndjson" => Format::Json,
        "bson" => Format::Bson,
        _ => return None,
    };
    let collection = Collection::from_name(stem)?;
    Some(CollectionFile {
        collection,
        path: path.to_owned(),
        format,
        stdin: false,
    })
}

/// Subdirectories holding collection files: the database directories of a mongodump.
fn database_subdirectories(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| {
            std::fs::read_dir(p)
                .map(|inner| {
                    inner
                        .filter_map(Result::ok)
                        .any(|e| classify(&e.path()).is_some())
                })
                .unwrap_or(false)
        })
        .collect();
    dirs.sort();
    dirs
}

/// A document read from a file, decoded as `T`, or why this one document could not be read
/// (the next one can).
#[derive(Debug)]
pub struct Item<T> {
    pub position: Position,
    pub document: Result<T, String>,
}

/// The documents of one file, in order, each decoded as `T` (the fields a mapping reads; the
/// others are skipped unparsed). An `Err` is fatal: the file cannot be read further.
pub struct Documents<T> {
    inner: Inner,
    path: PathBuf,
    decoded: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Documents<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

enum Inner {
    Lines(JsonLines),
    Array(JsonArray),
    Bson(BsonDocuments),
}

pub(super) type Input = Box<dyn BufRead + Send>;

impl<T: DeserializeOwned> Documents<T> {
    /// Opens `file`; `consumed` counts the bytes read from disk (compressed, for gzip).
    pub fn open(file: &CollectionFile, consumed: Arc<AtomicU64>) -> Result<Self, ImportError> {
        let io_error = |source| ImportError::Io {
            path: file.path.clone(),
            source,
        };
        let inner: Box<dyn Read + Send> = match file.stdin {
            true => Box::new(io::stdin()),
            false => Box::new(File::open(&file.path).map_err(io_error)?),
        };
        let raw = BufReader::with_capacity(READ_BUFFER, Counting { inner, consumed });
        Self::from_reader(raw, file).map_err(io_error)
    }

    /// Reads the content of `file` from `raw` (gzip'd or not) instead of opening it.
    pub fn from_reader(
        mut raw: impl BufRead + Send + 'static,
        file: &CollectionFile,
    ) -> io::Result<Self> {
        // gzip is told by its magic bytes, whatever the name says.
        let gzip = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        let mut input: Input = if gzip {
            Box::new(BufReader::with_capacity(
                READ_BUFFER,
                MultiGzDecoder::new(raw),
            ))
        } else {
            Box::new(raw)
        };
        let inner = match file.format {
            Format::Bson => Inner::Bson(BsonDocuments::new(input)),
            Format::Json => {
                if first_non_space(&mut input)? == Some(b'[') {
                    Inner::Array(JsonArray::new(input))
                } else {
                    Inner::Lines(JsonLines::new(input))
                }
            }
        };
        Ok(Self {
            inner,
            path: file.path.clone(),
            decoded: PhantomData,
        })
    }

    fn fatal(&self, position: Position, message: String) -> ImportError {
        ImportError::Unreadable {
            location: Location::new(&self.path, position),
            message,
        }
    }
}

impl<T: DeserializeOwned> Iterator for Documents<T> {
    type Item = Result<Item<T>, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = match &mut self.inner {
            Inner::Lines(lines) => lines.next(),
            Inner::Array(array) => array.next(),
            Inner::Bson(bson) => bson.next(),
        };
        match next {
            Ok(item) => item.map(Ok),
            Err(Fatal::Io(source)) => Some(Err(ImportError::Io {
                path: self.path.clone(),
                source,
            })),
            Err(Fatal::At(position, message)) => Some(Err(self.fatal(position, message))),
        }
    }
}

/// An error after which the rest of the file cannot be found.
pub(super) enum Fatal {
    Io(io::Error),
    At(Position, String),
}

impl From<io::Error> for Fatal {
    fn from(error: io::Error) -> Self {
        Fatal::Io(error)
    }
}

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    consumed: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The first byte after white space, without consuming it (line numbers still count it);
/// a UTF-8 byte order mark is consumed. Looks only as far as the first buffer (256 KiB).
fn first_non_space(input: &mut Input) -> io::Result<Option<u8>> {
    if input.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        input.consume(3);
    }
    let buf = input.fill_buf()?;
    Ok(buf.iter().copied().find(|b| !b.is_ascii_whitespace()))
}

#[cfg(test)]
mod testing {
    //! What the format modules' tests share.

    use super::{Fatal, Input, Item};
    use crate::error::Location;
    use bson::{Bson, Document};
    use std::io::Cursor;
    use std::path::Path;

    /// Two fields kept whole, as the `bson` crate reads them; the others are skipped.
    #[derive(Debug, serde::Deserialize)]
    pub struct Probe {
        #[serde(rename = "_id")]
        id: Option<Bson>,
        n: Option<Bson>,
    }

    impl std::fmt::Display for Probe {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let mut doc = Document::new();
            let fields = [("_id", &self.id), ("n", &self.n)];
            for (key, value) in fields {
                if let Some(value) = value {
                    doc.insert(key, value.clone());
                }
            }
            write!(f, "{doc}")
        }
    }

    pub fn input(bytes: &[u8]) -> Input {
        Box::new(Cursor::new(bytes.to_vec()))
    }

    /// `(line, column, document index)` or the error of each item, then the fatal error.
    pub fn positions(mut next: impl FnMut() -> Result<Option<Item<Probe>>, Fatal>) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            match next() {
                Ok(None) => return out,
                Ok(Some(item)) => {
                    let at = Location::new(Path::new("f"), item.position).to_string();
                    match item.document {
                        Ok(doc) => out.push(format!("{at} {doc}")),
                        Err(message) => out.push(format!("{at} ERR {message}")),
                    }
                }
                Err(Fatal::At(position, message)) => {
                    let at = Location::new(Path::new("f"), position);
                    out.push(format!("{at} FATAL {message}"));
                    return out;
                }
                Err(Fatal::Io(e)) => panic!("{e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Probe;
    use super::*;

    #[test]
    fn leading_blank_lines_and_a_bom_keep_positions_right() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("\n\n  [{\"_id\": 1}]", "users.json:3:4 (document 1) OK"),
            ("\u{feff}\n\n{\"_id\": 1}\n", "users.json:3 OK"),
            ("\n \n", ""),
        ];
        for (text, expected) in cases {
            let path = dir.path().join("users.json");
            std::fs::write(&path, text).unwrap();
            let file = classify(&path).unwrap();
            let mut documents = Documents::<Probe>::open(&file, Arc::default()).unwrap();
            let first = documents.next().map(|item| {
                let item = item.unwrap();
                let at = Location::new(Path::new("users.json"), item.position);
                format!("{at} {}", if item.document.is_ok() { "OK" } else { "ERR" })
            });
            assert_eq!(first.unwrap_or_default(), expected, "{text:?}");
        }
    }

    #[test]
    fn file_names_give_collection_and_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "users.json",
            "rocketchat_room.bson.gz",
            "rocketchat_roles.jsonl",
            "users.metadata.json",
            "rocketchat_room.metadata.json",
            "rocketchat_message.bson",
            "rocketchat_permissions.txt",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let found: Vec<(&str, Format)> = discover(dir.path())
            .unwrap()
            .into_iter()
            .map(|f| (f.collection.name(), f.format))
            .collect();
        assert_eq!(
            found,
            [
                ("rocketchat_roles", Format::Json),
                ("users", Format::Json),
                ("rocketchat_room", Format::Bson),
            ]
        );
    }
}
