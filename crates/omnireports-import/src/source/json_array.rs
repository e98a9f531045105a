//! `mongoexport --jsonArray`: one array of Extended JSON documents.

use super::json::{parse_json, too_long, MAX_JSON_DOCUMENT};
use super::{Fatal, Input, Item};
use crate::error::Position;
use serde::de::DeserializeOwned;
use std::io;

/// `mongoexport --jsonArray`: one array of documents, read element by element so that a large
/// array is never held whole. Elements are delimited by a small scanner (strings and nesting);
/// each one is then parsed on its own, so a bad element does not hide the ones after it.
pub(super) struct JsonArray {
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
    pub(super) fn new(input: Input) -> Self {
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

    pub(super) fn next<T: DeserializeOwned>(&mut self) -> Result<Option<Item<T>>, Fatal> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{input, positions};
    use super::*;

    fn array(text: &str) -> Vec<String> {
        let mut array = JsonArray::new(input(text.as_bytes()));
        positions(|| array.next())
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
}
