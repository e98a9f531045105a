//! `mongodump`'s format: concatenated BSON documents, each starting with its length.

use super::{Fatal, Input, Item};
use crate::error::Position;
use bson::RawDocument;
use serde::de::DeserializeOwned;
use std::io::{self, Read};

/// MongoDB stores no document over 16 MiB in a collection (mongodump's extra 16 KiB is for
/// the oplog, which omnireports never reads): a larger length prefix means a corrupt file.
const MAX_BSON_DOCUMENT: usize = 16 * 1024 * 1024;

/// The documents of a BSON file. A document that does not decode is skippable; a length that
/// does not fit means the rest cannot be found.
pub(super) struct BsonDocuments {
    input: Input,
    offset: u64,
    index: u64,
    buf: Vec<u8>,
}

impl BsonDocuments {
    pub(super) fn new(input: Input) -> Self {
        Self {
            input,
            offset: 0,
            index: 0,
            buf: Vec::new(),
        }
    }

    pub(super) fn next<T: DeserializeOwned>(&mut self) -> Result<Option<Item<T>>, Fatal> {
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

/// Decodes one BSON document as `T`.
fn parse_bson<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let raw = RawDocument::from_bytes(bytes).map_err(|e| format!("invalid BSON: {e}"))?;
    super::raw_bson::from_document(raw)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{input, positions};
    use super::*;

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
}
