//! The reader layer: which files of an export hold which collection, in which encoding, and a
//! stream of their documents, each with its position in the file.

use crate::error::{ImportError, Location, Position};
use bson::{Document, RawDocument};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The collections omnireports reads, in import order (roles before the users that hold them).
pub const COLLECTIONS: [&str; 6] = [
    "rocketchat_roles",
    "rocketchat_permissions",
    "users",
    "rocketchat_livechat_department",
    "rocketchat_livechat_unit_monitors",
    "rocketchat_room",
];

/// MongoDB refuses documents over 16 MiB; a larger length prefix means a corrupt file.
const MAX_BSON_DOCUMENT: usize = 16 * 1024 * 1024 + 16 * 1024;
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

/// One collection's file in an export directory.
#[derive(Debug, Clone)]
pub struct CollectionFile {
    pub collection: &'static str,
    pub path: PathBuf,
    pub format: Format,
    pub gzip: bool,
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
    found.sort_by_key(|f| COLLECTIONS.iter().position(|c| *c == f.collection));
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
    let (name, gzip) = match name.strip_suffix(".gz") {
        Some(stem) => (stem, true),
        None => (name, false),
    };
    let (stem, extension) = name.rsplit_once('.')?;
    let format = match extension {
        "json" | "jsonl" | "ndjson" => Format::Json,
        "bson" => Format::Bson,
        _ => return None,
    };
    let collection = COLLECTIONS.iter().find(|c| **c == stem)?;
    Some(CollectionFile {
        collection,
        path: path.to_owned(),
        format,
        gzip,
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
                .map(|inner| inner.filter_map(Result::ok).any(|e| classify(&e.path()).is_some()))
                .unwrap_or(false)
        })
        .collect();
    dirs.sort();
    dirs
}

/// A document read from a file, or why this one document could not be read (the next one can).
#[derive(Debug)]
pub struct Item {
    pub position: Position,
    pub document: Result<Document, String>,
}

/// The documents of one file, in order. An `Err` is fatal: the file cannot be read further.
pub struct Documents {
    inner: Inner,
    path: PathBuf,
}

impl std::fmt::Debug for Documents {
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

type Input = Box<dyn BufRead + Send>;

impl Documents {
    /// Opens `file`; `consumed` counts the bytes read from disk (compressed, for gzip).
    pub fn open(file: &CollectionFile, consumed: Arc<AtomicU64>) -> Result<Self, ImportError> {
        let io_error = |source| ImportError::Io {
            path: file.path.clone(),
            source,
        };
        let raw = Counting {
            inner: File::open(&file.path).map_err(io_error)?,
            consumed,
        };
        let mut input: Input = if file.gzip {
            Box::new(BufReader::with_capacity(
                READ_BUFFER,
                MultiGzDecoder::new(BufReader::with_capacity(READ_BUFFER, raw)),
            ))
        } else {
            Box::new(BufReader::with_capacity(READ_BUFFER, raw))
        };
        let inner = match file.format {
            Format::Bson => Inner::Bson(BsonDocuments::new(input)),
            Format::Json => {
                if first_non_space(&mut input).map_err(io_error)? == Some(b'[') {
                    Inner::Array(JsonArray::new(input))
                } else {
                    Inner::Lines(JsonLines::new(input))
                }
            }
        };
        Ok(Self {
            inner,
            path: file.path.clone(),
        })
    }

    fn fatal(&self, position: Position, message: String) -> ImportError {
        ImportError::Unreadable {
            location: Location::new(&self.path, position),
            message,
        }
    }
}

impl Iterator for Documents {
    type Item = Result<Item, ImportError>;

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
enum Fatal {
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

/// Skips leading white space (and a UTF-8 byte order mark) and peeks at the next byte.
fn first_non_space(input: &mut Input) -> io::Result<Option<u8>> {
    let mut at_start = true;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if at_start && buf.starts_with(b"\xef\xbb\xbf") {
            input.consume(3);
            at_start = false;
            continue;
        }
        at_start = false;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let byte = buf[i];
                input.consume(i);
                return Ok(Some(byte));
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}

/// Parses one Extended JSON document (relaxed, canonical or legacy: the `bson` crate reads all
/// three). The error is `(line, column, message)` relative to `bytes`.
fn parse_json(bytes: &[u8]) -> Result<Document, (usize, usize, String)> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        let message = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(m, _)| m);
        (e.line(), e.column(), format!("invalid JSON: {message}"))
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err((1, 1, format!("expected a document, found {}", json_kind(&value))));
    };
    Document::try_from(map).map_err(|e| (1, 1, format!("invalid Extended JSON: {e}")))
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "a document",
    }
}

/// `mongoexport`'s default: one document per line; blank lines are skipped.
struct JsonLines {
    input: Input,
    line: u64,
    buf: Vec<u8>,
}

impl JsonLines {
    fn new(input: Input) -> Self {
        Self {
            input,
            line: 0,
            buf: Vec::new(),
        }
    }

    fn next(&mut self) -> Result<Option<Item>, Fatal> {
        loop {
            self.buf.clear();
            if self.input.read_until(b'\n', &mut self.buf)? == 0 {
                return Ok(None);
            }
            self.line += 1;
            let text = self.buf.trim_ascii();
            if text.is_empty() {
                continue;
            }
            let leading = self.buf.len() - self.buf.trim_ascii_start().len();
            let document = parse_json(text).map_err(|(_, column, message)| {
                // A line holds one document, so the parser's line is always 1.
                (column + leading, message)
            });
            let (column, document) = match document {
                Ok(document) => (None, Ok(document)),
                Err((column, message)) => (Some(column as u64), Err(message)),
            };
            return Ok(Some(Item {
                position: Position::Line {
                    line: self.line,
                    column,
                    document: None,
                },
                document,
            }));
        }
    }
}

/// `mongoexport --jsonArray`: one array of documents, read element by element so that a large
/// array is never held whole. Elements are delimited by a small scanner (strings and nesting);
/// each one is then parsed on its own, so a bad element does not hide the ones after it.
struct JsonArray {
    input: Input,
    state: ArrayState,
    line: u64,
    column: u64,
    index: u64,
    buf: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq)]
enum ArrayState {
    Open,
    First,
    Next,
    Done,
}

impl JsonArray {
    fn new(input: Input) -> Self {
        Self {
            input,
            state: ArrayState::Open,
            line: 1,
            column: 1,
            index: 0,
            buf: Vec::new(),
        }
    }

    fn position(&self) -> Position {
        Position::Line {
            line: self.line,
            column: Some(self.column),
            document: Some(self.index + 1),
        }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.input.fill_buf()?.first().copied())
    }

    fn bump(&mut self, byte: u8) {
        self.input.consume(1);
        if byte == b'\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
    }

    fn skip_space(&mut self) -> io::Result<Option<u8>> {
        while let Some(byte) = self.peek()? {
            if !byte.is_ascii_whitespace() {
                return Ok(Some(byte));
            }
            self.bump(byte);
        }
        Ok(None)
    }

    fn expect(&mut self, wanted: &[u8], what: &str) -> Result<u8, Fatal> {
        match self.skip_space()? {
            Some(byte) if wanted.contains(&byte) => {
                self.bump(byte);
                Ok(byte)
            }
            Some(byte) => Err(Fatal::At(
                self.position(),
                format!("expected {what}, found {:?}", char::from(byte)),
            )),
            None => Err(Fatal::At(
                self.position(),
                format!("unexpected end of file: expected {what}"),
            )),
        }
    }

    fn next(&mut self) -> Result<Option<Item>, Fatal> {
        match self.state {
            ArrayState::Done => return Ok(None),
            ArrayState::Open => {
                self.expect(b"[", "'['")?;
                self.state = ArrayState::First;
                if self.skip_space()? == Some(b']') {
                    self.state = ArrayState::Done;
                    return Ok(None);
                }
            }
            ArrayState::First => {}
            ArrayState::Next => {
                if self.expect(b",]", "',' or ']'")? == b']' {
                    self.state = ArrayState::Done;
                    return Ok(None);
                }
            }
        }
        self.state = ArrayState::Next;
        self.skip_space()?;
        let (line, column) = (self.line, self.column);
        self.scan_element()?;
        self.index += 1;
        let document = parse_json(&self.buf);
        let (line, column, document) = match document {
            Ok(document) => (line, column, Ok(document)),
            Err((1, c, message)) => (line, column + c as u64 - 1, Err(message)),
            Err((l, c, message)) => (line + l as u64 - 1, c as u64, Err(message)),
        };
        Ok(Some(Item {
            position: Position::Line {
                line,
                column: Some(column),
                document: Some(self.index),
            },
            document,
        }))
    }

    /// Reads one element into `buf`: up to its closing bracket, or for a scalar up to the next
    /// `,`, `]` or white space at nesting depth 0.
    fn scan_element(&mut self) -> Result<(), Fatal> {
        self.buf.clear();
        let (mut depth, mut in_string, mut escaped) = (0u32, false, false);
        loop {
            let Some(byte) = self.peek()? else {
                return Err(Fatal::At(
                    self.position(),
                    "unexpected end of file inside the array".into(),
                ));
            };
            if in_string {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
                }
            } else {
                match byte {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b',' | b']' | b'}' => return Ok(()),
                    b if b.is_ascii_whitespace() && depth == 0 => return Ok(()),
                    _ => {}
                }
            }
            self.buf.push(byte);
            self.bump(byte);
            if depth == 0 && !in_string && matches!(byte, b'}' | b']') {
                return Ok(());
            }
        }
    }
}

/// `mongodump`: concatenated BSON documents, each starting with its length. A document that
/// does not decode is skippable; a length that does not fit means the rest cannot be found.
struct BsonDocuments {
    input: Input,
    offset: u64,
    index: u64,
    buf: Vec<u8>,
}

impl BsonDocuments {
    fn new(input: Input) -> Self {
        Self {
            input,
            offset: 0,
            index: 0,
            buf: Vec::new(),
        }
    }

    fn next(&mut self) -> Result<Option<Item>, Fatal> {
        let position = Position::Offset {
            offset: self.offset,
            document: self.index + 1,
        };
        let mut prefix = [0u8; 4];
        match read_full(&mut self.input, &mut prefix)? {
            0 => return Ok(None),
            4 => {}
            _ => return Err(Fatal::At(position, "truncated document length".into())),
        }
        let length = i32::from_le_bytes(prefix);
        let length = usize::try_from(length)
            .ok()
            .filter(|l| (5..=MAX_BSON_DOCUMENT).contains(l))
            .ok_or_else(|| Fatal::At(position, format!("invalid document length {length}")))?;
        self.buf.clear();
        self.buf.extend_from_slice(&prefix);
        self.buf.resize(length, 0);
        if read_full(&mut self.input, &mut self.buf[4..])? != length - 4 {
            return Err(Fatal::At(
                position,
                format!("truncated document: its length is {length} bytes"),
            ));
        }
        self.offset += length as u64;
        self.index += 1;
        let document = RawDocument::from_bytes(&self.buf)
            .and_then(Document::try_from)
            .map_err(|e| format!("invalid BSON: {e}"));
        Ok(Some(Item { position, document }))
    }
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_full(input: &mut Input, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
