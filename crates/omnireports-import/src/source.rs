//! The reader layer: which files of an export hold which collection, in which encoding, and a
//! stream of their documents, each with its position in the file.

use crate::error::{ImportError, Location, Position};
use bson::RawDocument;
use flate2::read::MultiGzDecoder;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::marker::PhantomData;
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

/// MongoDB stores no document over 16 MiB in a collection (mongodump's extra 16 KiB is for
/// the oplog, which omnireports never reads): a larger length prefix means a corrupt file.
const MAX_BSON_DOCUMENT: usize = 16 * 1024 * 1024;
/// The longest line or `--jsonArray` element read: twice MongoDB's 16 MiB, for Extended JSON's
/// longer spelling (a large Rocket.Chat document, a user with many login tokens say, takes
/// about 1.3 times its BSON bytes). The reader never holds more, so a file of one endless line
/// costs this and no more; three times would leave too little of a 64 MiB budget.
const MAX_JSON_DOCUMENT: usize = 32 * 1024 * 1024;
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
    // `.gz` or not, the content tells gzip (see `Documents::open`).
    let name = name.strip_suffix(".gz").unwrap_or(name);
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

type Input = Box<dyn BufRead + Send>;

impl<T: DeserializeOwned> Documents<T> {
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
        let raw = BufReader::with_capacity(READ_BUFFER, raw);
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

/// The first byte after white space, without consuming it (line numbers still count it);
/// a UTF-8 byte order mark is consumed. Looks only as far as the first buffer (256 KiB).
fn first_non_space(input: &mut Input) -> io::Result<Option<u8>> {
    if input.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        input.consume(3);
    }
    let buf = input.fill_buf()?;
    Ok(buf.iter().copied().find(|b| !b.is_ascii_whitespace()))
}

/// Parses one Extended JSON document (relaxed, canonical or legacy) as `T`. The error is
/// `(line, column, message)` relative to `bytes`.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, (usize, usize, String)> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    Top(PhantomData)
        .deserialize(&mut deserializer)
        .and_then(|document| deserializer.end().map(|()| document))
        .map_err(|e| {
            let text = e.to_string();
            let message = text
                .rsplit_once(" at line ")
                .map_or(text.as_str(), |(m, _)| m);
            (e.line(), e.column(), format!("invalid JSON: {message}"))
        })
}

/// A top-level JSON document as `T`: its keys are fields, whatever their spelling (a `$date`
/// key is not read as a date here).
struct Top<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Top<T> {
    type Value = T;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Top<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a document")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

/// Decodes one BSON document as `T`.
fn parse_bson<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let raw = RawDocument::from_bytes(bytes).map_err(|e| format!("invalid BSON: {e}"))?;
    crate::raw_bson::from_document(raw)
}

/// `mongoexport`'s default: one document per line; blank lines are skipped.
struct JsonLines {
    input: Input,
    line: u64,
    buf: Vec<u8>,
    /// The longest line read (its line break aside); a longer one is an invalid document.
    limit: usize,
    /// The last line was longer than `limit`: its rest is yet to be skipped.
    overlong: bool,
}

impl JsonLines {
    fn new(input: Input) -> Self {
        Self {
            input,
            line: 0,
            buf: Vec::new(),
            limit: MAX_JSON_DOCUMENT,
            overlong: false,
        }
    }

    fn next<T: DeserializeOwned>(&mut self) -> Result<Option<Item<T>>, Fatal> {
        if std::mem::take(&mut self.overlong) {
            self.input.skip_until(b'\n')?;
        }
        loop {
            self.buf.clear();
            // One byte past the limit tells a line of exactly `limit` bytes from a longer one.
            let within = (self.limit + 1) as u64;
            if (&mut self.input)
                .take(within)
                .read_until(b'\n', &mut self.buf)?
                == 0
            {
                return Ok(None);
            }
            self.line += 1;
            if self.buf.len() > self.limit && self.buf.last() != Some(&b'\n') {
                self.overlong = true;
                return Ok(Some(self.overlong_item()));
            }
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

    fn overlong_item<T>(&self) -> Item<T> {
        Item {
            position: Position::Line {
                line: self.line,
                column: None,
                document: None,
            },
            document: Err(too_long("line", self.limit)),
        }
    }
}

/// Why a line or an array element longer than `limit` is not read.
fn too_long(what: &str, limit: usize) -> String {
    const MIB: usize = 1024 * 1024;
    let limit = match limit % MIB {
        0 => format!("{} MiB", limit / MIB),
        _ => format!("{limit} bytes"),
    };
    format!("{what} longer than {limit} (the limit for one document)")
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
    scanner: Scanner,
    /// The longest element read; a longer one is an invalid document.
    limit: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum ArrayState {
    Open,
    First,
    Next,
    /// Inside an element longer than the limit, already reported: its rest is to be skipped.
    Overlong,
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
            scanner: Scanner::default(),
            limit: MAX_JSON_DOCUMENT,
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

    fn next<T: DeserializeOwned>(&mut self) -> Result<Option<Item<T>>, Fatal> {
        if !self.advance()? {
            return Ok(None);
        }
        let (line, column) = (self.line, self.column);
        self.buf.clear();
        self.scanner = Scanner::default();
        let complete = self.scan(true)?;
        self.index += 1;
        if !complete {
            self.state = ArrayState::Overlong;
            let document = Err(too_long("document", self.limit));
            return Ok(Some(self.item(line, column, document)));
        }
        let (line, column, document) = match parse_json(&self.buf) {
            Ok(document) => (line, column, Ok(document)),
            Err((1, c, message)) => (line, column + c as u64 - 1, Err(message)),
            Err((l, c, message)) => (line + l as u64 - 1, c as u64, Err(message)),
        };
        Ok(Some(self.item(line, column, document)))
    }

    /// Moves to the start of the next element; false at the end of the array.
    fn advance(&mut self) -> Result<bool, Fatal> {
        match self.state {
            ArrayState::Done => return Ok(false),
            ArrayState::Open => {
                self.expect(b"[", "'['")?;
                self.state = ArrayState::First;
                if self.skip_space()? == Some(b']') {
                    self.state = ArrayState::Done;
                    return Ok(false);
                }
            }
            ArrayState::First => {}
            ArrayState::Next | ArrayState::Overlong => {
                if self.state == ArrayState::Overlong {
                    self.scan(false)?;
                }
                if self.expect(b",]", "',' or ']'")? == b']' {
                    self.state = ArrayState::Done;
                    return Ok(false);
                }
            }
        }
        self.state = ArrayState::Next;
        self.skip_space()?;
        Ok(true)
    }

    fn item<T>(&self, line: u64, column: u64, document: Result<T, String>) -> Item<T> {
        Item {
            position: Position::Line {
                line,
                column: Some(column),
                document: Some(self.index),
            },
            document,
        }
    }

    /// Reads on to the end of the current element, into `buf` when `store`. False when `buf`
    /// is full (`limit` bytes) before the element ends: the rest is left for a later call.
    fn scan(&mut self, store: bool) -> Result<bool, Fatal> {
        loop {
            let Some(byte) = self.peek()? else {
                return Err(Fatal::At(
                    self.position(),
                    "unexpected end of file inside the array".into(),
                ));
            };
            let before = self.scanner;
            let scanned = self.scanner.feed(byte);
            if scanned == Scanned::After {
                return Ok(true);
            }
            if store {
                if self.buf.len() == self.limit {
                    self.scanner = before;
                    return Ok(false);
                }
                self.buf.push(byte);
            }
            self.bump(byte);
            if scanned == Scanned::Last {
                return Ok(true);
            }
        }
    }
}

/// Where an array element ends, byte by byte: a closing bracket, or for a scalar the next `,`,
/// `]` or white space, at nesting depth 0 and outside strings.
#[derive(Debug, Default, Clone, Copy)]
struct Scanner {
    depth: u32,
    in_string: bool,
    escaped: bool,
}

#[derive(PartialEq)]
enum Scanned {
    /// Part of the element.
    Inside,
    /// The element's closing bracket.
    Last,
    /// The first byte after the element; the scanner is left as it was.
    After,
}

impl Scanner {
    fn feed(&mut self, byte: u8) -> Scanned {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.in_string = false;
            }
            return Scanned::Inside;
        }
        match byte {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b',' | b'}' | b']' if self.depth == 0 => return Scanned::After,
            b'}' | b']' => {
                self.depth -= 1;
                if self.depth == 0 {
                    return Scanned::Last;
                }
            }
            b if b.is_ascii_whitespace() && self.depth == 0 => return Scanned::After,
            _ => {}
        }
        Scanned::Inside
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

    fn next<T: DeserializeOwned>(&mut self) -> Result<Option<Item<T>>, Fatal> {
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
            .ok_or_else(|| {
                Fatal::At(
                    position.clone(),
                    format!("invalid document length {length}"),
                )
            })?;
        self.buf.clear();
        self.buf.extend_from_slice(&prefix);
        self.buf.resize(length, 0);
        if read_full(&mut self.input, &mut self.buf[4..])? != length - 4 {
            return Err(Fatal::At(
                position.clone(),
                format!("truncated document: its length is {length} bytes"),
            ));
        }
        self.offset += length as u64;
        self.index += 1;
        let document = parse_bson(&self.buf);
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

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{Bson, Document};
    use std::io::Cursor;

    /// Two fields kept whole, as the `bson` crate reads them; the others are skipped.
    #[derive(Debug, serde::Deserialize)]
    struct Probe {
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

    fn input(bytes: &[u8]) -> Input {
        Box::new(Cursor::new(bytes.to_vec()))
    }

    /// `(line, column, document index)` or the error of each item, then the fatal error.
    fn positions(mut next: impl FnMut() -> Result<Option<Item<Probe>>, Fatal>) -> Vec<String> {
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

    fn array(text: &str) -> Vec<String> {
        let mut array = JsonArray::new(input(text.as_bytes()));
        positions(|| array.next())
    }

    fn lines(text: &str) -> Vec<String> {
        let mut lines = JsonLines::new(input(text.as_bytes()));
        positions(|| lines.next())
    }

    #[test]
    fn array_elements_are_split_outside_strings_only() {
        let text = r#"[{"_id":"a],}{\"\\","n":[1,[2]]},{"_id":"b","skip":{"x":"]"}}]"#;
        assert_eq!(
            array(text),
            [
                r#"f:1:2 (document 1) { "_id": "a],}{"\", "n": [1, [2]] }"#,
                r#"f:1:34 (document 2) { "_id": "b" }"#,
            ]
        );
    }

    #[test]
    fn pretty_arrays_report_each_documents_line() {
        let text = "[\n  {\"_id\": \"a\"},\n  {\n    \"_id\": 1,,\n  }\n]\n";
        assert_eq!(
            array(text),
            [
                r#"f:2:3 (document 1) { "_id": "a" }"#,
                "f:4:14 (document 2) ERR invalid JSON: key must be a string",
            ]
        );
    }

    #[test]
    fn empty_and_broken_arrays() {
        assert!(array("[]").is_empty());
        assert!(array(" [ \n ] ").is_empty());
        assert_eq!(
            array(r#"[1, {"_id":"a"}]"#),
            [
                "f:1:2 (document 1) ERR invalid JSON: invalid type: integer `1`, expected a document",
                r#"f:1:5 (document 2) { "_id": "a" }"#,
            ]
        );
        assert_eq!(
            array(r#"[{"_id":"a"} {"_id":"b"}]"#),
            [
                r#"f:1:2 (document 1) { "_id": "a" }"#,
                "f:1:14 (document 2) FATAL expected ',' or ']', found '{'",
            ]
        );
        assert_eq!(
            array(r#"[{"_id":"a"},"#),
            [
                r#"f:1:2 (document 1) { "_id": "a" }"#,
                "f:1:14 (document 2) FATAL unexpected end of file inside the array",
            ]
        );
    }

    #[test]
    fn json_lines_count_blank_lines_and_accept_crlf() {
        let text = "{\"_id\":\"a\"}\r\n\n   \n  {\"_id\":\"b\", \"n\": {\"$numberLong\": \"5\"}}\r\n{\"_id\":\n";
        assert_eq!(
            lines(text),
            [
                r#"f:1 { "_id": "a" }"#,
                r#"f:4 { "_id": "b", "n": 5 }"#,
                "f:5:7 ERR invalid JSON: EOF while parsing a value",
            ]
        );
    }

    #[test]
    fn a_line_past_the_limit_is_invalid_and_skipped_to_its_end() {
        // 11 bytes, 12 with '\r' (too long), 11 at the end of the file, then 12 there.
        let text = "{\"_id\":\"a\"}\n{\"_id\":\"bb\"}\r\n{\"_id\":\"c\"}\n{\"_id\":\"dd\"}";
        let mut lines = JsonLines::new(input(text.as_bytes()));
        lines.limit = 11;
        let too_long = "ERR line longer than 11 bytes (the limit for one document)";
        assert_eq!(
            positions(|| lines.next()),
            [
                r#"f:1 { "_id": "a" }"#.to_owned(),
                format!("f:2 {too_long}"),
                r#"f:3 { "_id": "c" }"#.to_owned(),
                format!("f:4 {too_long}"),
            ]
        );
    }

    #[test]
    fn an_array_element_past_the_limit_is_invalid_and_skipped_to_its_end() {
        // The second element is cut inside its string: the scan resumes there, not at `]}`. The
        // third is exactly 11 bytes (its error is at its end, as serde reports it).
        let text = r#"[{"_id":"a"}, {"_id":"b]}"} ,"123456789", {"_id":"c"}]"#;
        let mut array = JsonArray::new(input(text.as_bytes()));
        array.limit = 11;
        assert_eq!(
            positions(|| array.next()),
            [
                r#"f:1:2 (document 1) { "_id": "a" }"#,
                "f:1:15 (document 2) ERR document longer than 11 bytes (the limit for one document)",
                r#"f:1:40 (document 3) ERR invalid JSON: invalid type: string "123456789", expected a document"#,
                r#"f:1:43 (document 4) { "_id": "c" }"#,
            ]
        );
    }

    #[test]
    fn extended_json_dates_in_every_form_are_dates() {
        let text = concat!(
            r#"{"n": {"$date": "2024-01-02T03:04:05.678Z"}}"#,
            "\n",
            r#"{"n": {"$date": {"$numberLong": "1704164645678"}}}"#,
            "\n",
            r#"{"n": {"$date": 1704164645678}}"#,
            "\n",
        );
        let dates: Vec<String> = lines(text).into_iter().map(|l| l[4..].to_owned()).collect();
        assert_eq!(
            dates,
            vec![r#"{ "n": DateTime("2024-01-02 3:04:05.678 +00:00:00") }"#; 3]
        );
    }

    #[test]
    fn bson_documents_are_framed_by_their_length() {
        let good = bson::doc! {"_id": "a", "other": [1, 2]}.to_vec().unwrap();
        let mut bad = bson::doc! {"_id": "b"}.to_vec().unwrap();
        bad[4] = 0x7f; // an unknown element type
        let mut bytes = [good.clone(), bad.clone(), good.clone()].concat();
        bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0x7f]);
        let mut documents = BsonDocuments::new(input(&bytes));
        let items = positions(|| documents.next());
        let (g, b) = (good.len(), good.len() + bad.len());
        assert_eq!(items[0], r#"f: byte offset 0 (document 1) { "_id": "a" }"#);
        assert!(
            items[1].starts_with(&format!("f: byte offset {g} (document 2) ERR invalid BSON")),
            "{items:?}"
        );
        assert_eq!(
            items[2],
            format!(r#"f: byte offset {b} (document 3) {{ "_id": "a" }}"#)
        );
        assert_eq!(
            items[3],
            format!(
                "f: byte offset {} (document 4) FATAL invalid document length 2147483647",
                b + g
            )
        );
    }

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
            .map(|f| (f.collection, f.format))
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
