//! Hostile export files: the reader and the mappers never panic, whatever the bytes, and count
//! the documents of well-formed files the same in every encoding. No database needed.

mod fixtures;

use bson::{doc, Bson};
use flate2::write::GzEncoder;
use flate2::Compression;
use omnireports_import::{check_bytes, Checked, Collection, COLLECTIONS};
use proptest::prelude::*;
use serde_json::json;
use std::io::Write;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A room of the generator: what the mapper must make of it.
#[derive(Debug, Clone)]
struct Room {
    id: String,
    livechat: bool,
    /// `None`: `ts` is a string, which makes the room invalid.
    ts: Option<i64>,
}

impl Room {
    fn t(&self) -> &'static str {
        if self.livechat {
            "l"
        } else {
            "c"
        }
    }

    fn json(&self) -> serde_json::Value {
        let ts = match self.ts {
            Some(millis) => json!({ "$date": { "$numberLong": millis.to_string() } }),
            None => json!("yesterday"),
        };
        json!({ "_id": self.id, "t": self.t(), "ts": ts, "tags": ["a", "b"], "open": true })
    }

    fn bson(&self) -> Vec<u8> {
        let ts = match self.ts {
            Some(millis) => Bson::DateTime(bson::DateTime::from_millis(millis)),
            None => Bson::String("yesterday".into()),
        };
        let doc =
            doc! { "_id": &self.id, "t": self.t(), "ts": ts, "tags": ["a", "b"], "open": true };
        doc.to_vec().unwrap()
    }
}

fn room() -> impl Strategy<Value = Room> {
    // Years 1970 to 2100, where a timestamp column holds every value.
    let ts = prop_oneof![9 => (0i64..4_102_444_800_000).prop_map(Some), 1 => Just(None)];
    ("[a-zA-Z0-9]{1,24}", any::<bool>(), ts).prop_map(|(id, livechat, ts)| Room {
        id,
        livechat,
        ts,
    })
}

/// Rows, ignored and invalid documents.
fn counts(checked: &Checked) -> (u64, u64, usize) {
    (checked.rows, checked.ignored, checked.invalid.len())
}

fn expected(rooms: &[Room]) -> (u64, u64, usize) {
    let count = |f: fn(&Room) -> bool| rooms.iter().filter(|r| f(r)).count();
    (
        count(|r| r.livechat && r.ts.is_some()) as u64,
        count(|r| !r.livechat) as u64,
        count(|r| r.livechat && r.ts.is_none()),
    )
}

fn json_lines(rooms: &[Room]) -> Vec<u8> {
    rooms
        .iter()
        .map(|r| format!("{}\n", r.json()))
        .collect::<String>()
        .into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(
        collection in prop::sample::select(COLLECTIONS.as_slice()),
        bson in any::<bool>(),
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        // Ok or Err, both fine: only a panic fails.
        let _ = check_bytes(collection, bson, &bytes);
        let _ = check_bytes(collection, bson, &gzip(&bytes));
    }

    #[test]
    fn arbitrary_text_never_panics(
        collection in prop::sample::select(COLLECTIONS.as_slice()),
        text in r#"[\[\]{}",:\n $a-z0-9\\]{0,256}"#,
    ) {
        let _ = check_bytes(collection, false, text.as_bytes());
    }

    #[test]
    fn every_encoding_of_the_same_rooms_counts_the_same(
        rooms in prop::collection::vec(room(), 0..20),
    ) {
        let want = expected(&rooms);
        let lines = json_lines(&rooms);
        let array = serde_json::to_vec_pretty(&rooms.iter().map(Room::json).collect::<Vec<_>>())
            .unwrap();
        let bson: Vec<u8> = rooms.iter().flat_map(Room::bson).collect();
        for (bson_format, bytes) in [(false, &lines), (false, &array), (true, &bson)] {
            let got = check_bytes(Collection::Rooms, bson_format, bytes).unwrap();
            prop_assert_eq!(counts(&got), want);
            let got = check_bytes(Collection::Rooms, bson_format, &gzip(bytes)).unwrap();
            prop_assert_eq!(counts(&got), want);
        }
    }

    #[test]
    fn a_corrupted_byte_never_panics(
        rooms in prop::collection::vec(room(), 1..8),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        bson_format in any::<bool>(),
    ) {
        let mut bytes = match bson_format {
            true => rooms.iter().flat_map(Room::bson).collect(),
            false => json_lines(&rooms),
        };
        let at = at.index(bytes.len());
        bytes[at] = byte;
        let _ = check_bytes(Collection::Rooms, bson_format, &bytes);
    }
}

/// `{"_id": {"": {"": … {}}}}`, nested `depth` levels, as BSON bytes (7 bytes per level).
fn nested_bson(depth: usize) -> Vec<u8> {
    let inner_length = |level: usize| 5 + 7 * (depth - level);
    let mut bytes = Vec::with_capacity(inner_length(0) + 16);
    let total = 4 + 1 + 4 + inner_length(0) + 1;
    bytes.extend_from_slice(&(total as i32).to_le_bytes());
    bytes.extend_from_slice(b"\x03_id\0");
    for level in 0..depth {
        bytes.extend_from_slice(&(inner_length(level) as i32).to_le_bytes());
        bytes.extend_from_slice(b"\x03\0");
    }
    bytes.extend_from_slice(&[5, 0, 0, 0, 0]);
    bytes.resize(bytes.len() + depth + 1, 0);
    bytes
}

#[test]
fn deeply_nested_bson_is_an_invalid_document_not_a_stack_overflow() {
    // 1,000,000 levels: 7 MB, within MongoDB's 16 MiB document size.
    let bytes = nested_bson(1_000_000);
    let checked = check_bytes(Collection::Users, true, &bytes).unwrap();
    assert_eq!(checked.invalid.len(), 1);
    assert!(
        checked.invalid[0].starts_with("invalid BSON"),
        "{checked:?}"
    );
}

#[test]
fn bson_nested_as_deep_as_mongodb_allows_is_read() {
    // MongoDB allows 100 levels: the document, `_id`, and 98 more.
    let checked = check_bytes(Collection::Users, true, &nested_bson(98)).unwrap();
    // Read, then refused by the mapper (an `_id` is a string or ObjectId), not by the reader.
    assert_eq!(
        checked.invalid,
        ["_id: expected a string or ObjectId, found a document"]
    );
    let checked = check_bytes(Collection::Users, true, &nested_bson(99)).unwrap();
    assert_eq!(
        checked.invalid,
        ["invalid BSON: _id: nested deeper than MongoDB's 100 levels"]
    );
}

#[test]
fn deeply_nested_json_is_an_invalid_document() {
    let line = format!(
        "{{\"_id\":{}1{}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let checked = check_bytes(Collection::Users, false, line.as_bytes()).unwrap();
    assert_eq!(checked.invalid.len(), 1);
    assert!(
        checked.invalid[0].contains("recursion limit"),
        "{checked:?}"
    );
    let array = format!("[{}]", line.trim_end());
    let checked = check_bytes(Collection::Users, false, array.as_bytes()).unwrap();
    assert!(
        checked.invalid[0].contains("recursion limit"),
        "{checked:?}"
    );
}

#[test]
fn a_huge_bson_length_prefix_stops_the_file() {
    let error = check_bytes(Collection::Users, true, &[0xff, 0xff, 0xff, 0x7f, 0]).unwrap_err();
    assert!(
        error.to_string().contains("invalid document length"),
        "{error}"
    );
}

#[test]
fn a_bson_length_over_16_mib_stops_the_file_before_the_document_is_read() {
    let limit = 16 * 1024 * 1024_i32;
    let error = check_bytes(Collection::Users, true, &(limit + 1).to_le_bytes()).unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with(&format!("invalid document length {}", limit + 1)),
        "{error}"
    );
    // At the limit the length is taken, and the missing bytes found.
    let error = check_bytes(Collection::Users, true, &limit.to_le_bytes()).unwrap_err();
    assert!(error.to_string().contains("truncated document"), "{error}");
}

#[test]
fn a_document_over_32_mib_is_invalid_and_the_next_one_is_read() {
    let lines = fixtures::gzip_with_run(b"{\"_id\":\"", 40, b"\"}\n{\"_id\":\"b\"}\n");
    let array = fixtures::gzip_with_run(b"[{\"_id\":\"", 40, b"\"}, {\"_id\":\"b\"}]");
    for (bytes, message) in [
        (lines, "line longer than 32 MiB"),
        (array, "document longer than 32 MiB"),
    ] {
        let checked = check_bytes(Collection::Users, false, &bytes).unwrap();
        assert_eq!((checked.rows, checked.invalid.len()), (1, 1), "{message}");
        assert!(checked.invalid[0].starts_with(message), "{checked:?}");
    }
}

#[test]
fn a_repeated_key_that_is_read_makes_its_document_invalid() {
    // Which one would count is ambiguous; a repeated key that is not read is no matter.
    let lines = b"{\"_id\":\"a\",\"_id\":\"b\"}\n{\"_id\":\"c\",\"x\":1,\"x\":2}\n";
    let mut bson = Vec::new();
    for (key, value) in [("_id", "a"), ("_id", "b")] {
        let element = doc! { key: value }.to_vec().unwrap();
        bson.extend_from_slice(&element[4..element.len() - 1]);
    }
    let length = (bson.len() + 5) as i32;
    let bson = [&length.to_le_bytes()[..], &bson, &[0]].concat();
    for (is_bson, bytes) in [(false, &lines[..]), (true, &bson[..])] {
        let checked = check_bytes(Collection::Users, is_bson, bytes).unwrap();
        assert_eq!(checked.invalid.len(), 1, "{checked:?}");
        assert!(
            checked.invalid[0].contains("duplicate field `_id`"),
            "{checked:?}"
        );
    }
}
