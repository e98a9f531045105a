//! `mongoexport`'s default format: one Extended JSON document per line.

use super::json::{parse_json, too_long, MAX_JSON_DOCUMENT};
use super::{Fatal, Input, Item};
use crate::error::Position;
use serde::de::DeserializeOwned;
use std::io::{BufRead, Read};

/// `mongoexport`'s default: one document per line; blank lines are skipped.
pub(super) struct JsonLines {
    input: Input,
    line: u64,
    buf: Vec<u8>,
    /// The longest line read (its line break aside); a longer one is an invalid document.
    limit: usize,
    /// The last line was longer than `limit`: its rest is yet to be skipped.
    overlong: bool,
}

impl JsonLines {
    pub(super) fn new(input: Input) -> Self {
        Self {
            input,
            line: 0,
            buf: Vec::new(),
            limit: MAX_JSON_DOCUMENT,
            overlong: false,
        }
    }

    pub(super) fn next<T: DeserializeOwned>(&mut self) -> Result<Option<Item<T>>, Fatal> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{input, positions};
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        let mut lines = JsonLines::new(input(text.as_bytes()));
        positions(|| lines.next())
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
}
