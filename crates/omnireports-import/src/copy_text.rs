//! Rows in PostgreSQL's COPY text format: tab-separated fields, `\N` for NULL, backslash
//! escapes. Text never contains NUL here: the mapping layer rejects it, as PostgreSQL would.

use chrono::{DateTime, Datelike, Timelike, Utc};
use std::io::Write as _;

/// Writes one row field by field; [`Row::end`] terminates it.
#[derive(Debug)]
pub struct Row<'a> {
    out: &'a mut Vec<u8>,
    fields: usize,
}

impl<'a> Row<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, fields: 0 }
    }

    /// The fields written so far.
    pub fn fields(&self) -> usize {
        self.fields
    }

    fn field(&mut self) -> &mut Vec<u8> {
        if self.fields > 0 {
            self.out.push(b'\t');
        }
        self.fields += 1;
        self.out
    }

    pub fn null(&mut self) {
        self.field().extend_from_slice(b"\\N");
    }

    pub fn text(&mut self, value: &str) {
        let out = self.field();
        escape_into(out, value.as_bytes(), false);
    }

    pub fn opt_text(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    pub fn bool(&mut self, value: bool) {
        self.field().push(if value { b't' } else { b'f' });
    }

    pub fn int(&mut self, value: u64) {
        let _ = write!(self.field(), "{value}");
    }

    pub fn opt_float(&mut self, value: Option<f64>) {
        let Some(value) = value else {
            return self.null();
        };
        let out = self.field();
        if value.is_nan() {
            out.extend_from_slice(b"NaN");
        } else if value.is_infinite() {
            out.extend_from_slice(if value > 0.0 {
                b"Infinity"
            } else {
                b"-Infinity"
            });
        } else {
            let _ = write!(out, "{value}");
        }
    }

    /// A date in years 1 to 9999 (the decoding checks), to the millisecond.
    pub fn timestamp(&mut self, t: DateTime<Utc>) {
        let out = self.field();
        write_timestamp(out, t);
    }

    pub fn opt_timestamp(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            Some(t) => self.timestamp(t),
            None => self.null(),
        }
    }

    /// A `text[]` literal; `None` elements are SQL NULLs.
    pub fn text_array<'s>(&mut self, items: impl IntoIterator<Item = Option<&'s str>>) {
        let out = self.field();
        out.push(b'{');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match item {
                Some(item) => {
                    out.push(b'"');
                    escape_into(out, item.as_bytes(), true);
                    out.push(b'"');
                }
                None => out.extend_from_slice(b"NULL"),
            }
        }
        out.push(b'}');
    }

    /// A `timestamptz[]` literal.
    pub fn timestamp_array(&mut self, items: impl IntoIterator<Item = DateTime<Utc>>) {
        let out = self.field();
        out.push(b'{');
        for (i, t) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            write_timestamp(out, t);
            out.push(b'"');
        }
        out.push(b'}');
    }

    pub fn end(self) {
        self.out.push(b'\n');
    }
}

/// COPY escapes; inside an array element `"` and `\` are first escaped for the array literal,
/// and that backslash is then escaped again for COPY.
fn escape_into(out: &mut Vec<u8>, bytes: &[u8], array_element: bool) {
    for &byte in bytes {
        match byte {
            b'\\' if array_element => out.extend_from_slice(b"\\\\\\\\"),
            b'"' if array_element => out.extend_from_slice(b"\\\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(byte),
        }
    }
}

/// `YYYY-MM-DD hh:mm:ss.mmm+00`, which PostgreSQL reads for any year 1 to 9999.
fn write_timestamp(out: &mut Vec<u8>, t: DateTime<Utc>) {
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}+00",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.timestamp_subsec_millis()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(build: impl FnOnce(&mut Row)) -> String {
        let mut out = Vec::new();
        let mut row = Row::new(&mut out);
        build(&mut row);
        row.end();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_tab_separated_and_escaped() {
        let line = row(|r| {
            r.text("a\tb\\c\nd");
            r.opt_text(None);
            r.bool(true);
            r.opt_float(Some(1.5));
            r.opt_float(Some(f64::NEG_INFINITY));
        });
        assert_eq!(line, "a\\tb\\\\c\\nd\t\\N\tt\t1.5\t-Infinity\n");
    }

    #[test]
    fn array_elements_are_quoted_then_copy_escaped() {
        let line = row(|r| r.text_array([Some("x\"y"), Some("a\\b"), None]));
        assert_eq!(line, "{\"x\\\\\"y\",\"a\\\\\\\\b\",NULL}\n");
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let t = DateTime::from_timestamp_millis(1_704_164_645_678).unwrap();
        let line = row(|r| r.timestamp(t));
        assert_eq!(line, "2024-01-02 03:04:05.678+00\n");
    }
}
