//! Typed decoding of the fields the mapping reads. A collection's document is a struct of
//! [`Field`]s (`map.rs`), which serde fills from Extended JSON and from BSON alike. A value of
//! the wrong type is not an error here: it is recorded as a [`Problem`] and skipped unread, so
//! that the mapping still names the first wrong field in its own order, and so that it costs no
//! memory: an array stops being collected at its first wrong element (`roles: [[], [], …]`),
//! and holds at most [`MAX_ITEMS`] elements.

use bson::Bson;
use chrono::{DateTime, Utc};
use serde::de::value::{MapAccessDeserializer, StringDeserializer};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IgnoredAny, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::marker::PhantomData;

/// The longest indexed text: an id, a username, a token hash, a tag, a source's type or alias.
/// PostgreSQL refuses an index entry over 2704 bytes (a third of a page); the largest holds
/// three of these and a conversation's ancestors (`agg_source_scoped`: 2616 bytes at the
/// limits, measured), so none can fail, however incompressible.
pub const MAX_KEY: usize = 512;
/// The most elements an array may hold. A user's login tokens are the longest array
/// Rocket.Chat keeps (one per login); a real one takes at least 75 bytes of BSON, so MongoDB's
/// 16 MiB holds fewer than 2^18 of them. Past it, an array of tiny values would cost about 50
/// times its text in memory (`["", "", …]`), so a longer one makes its document invalid.
pub const MAX_ITEMS: usize = 1 << 18;
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: what a timestamp column round-trips.
const MIN_MILLIS: i64 = -62_135_596_800_000;
const MAX_MILLIS: i64 = 253_402_300_799_999;

/// The keys that make a JSON object an Extended JSON value rather than a document, as the
/// `bson` crate reads them (its `Bson` visitor).
const EXTENDED_JSON_TYPES: [&str; 18] = [
    "$oid",
    "$symbol",
    "$numberInt",
    "$numberLong",
    "$numberDouble",
    "$numberDecimal",
    "$numberDecimalBytes",
    "$binary",
    "$uuid",
    "$code",
    "$scope",
    "$timestamp",
    "$regularExpression",
    "$dbPointer",
    "$date",
    "$maxKey",
    "$minKey",
    "$undefined",
];

/// What a document held under one key.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Field<T> {
    /// Absent, or null: the same to the mapping.
    #[default]
    Absent,
    /// A value the mapping can use.
    Is(T),
    /// A value it cannot use, and why.
    Wrong(Problem),
}

/// Why a value cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A value of another type, as described in messages ("a number").
    Found(&'static str),
    /// Text with a NUL character, which PostgreSQL cannot store.
    Nul,
    /// Indexed text over [`MAX_KEY`] bytes.
    TooLong,
    /// An array over [`MAX_ITEMS`] elements.
    TooMany,
    /// A date a timestamp column cannot hold.
    OutOfRange(bson::DateTime),
}

impl Problem {
    /// The message for a value that should have been `expected` ("a date").
    pub fn message(self, expected: &str) -> String {
        match self {
            Problem::Found(found) => format!("expected {expected}, found {found}"),
            Problem::Nul => "contains a NUL character".into(),
            Problem::TooLong => {
                format!("longer than {MAX_KEY} bytes (the most an indexed value may take)")
            }
            Problem::TooMany => {
                format!("more than {MAX_ITEMS} elements (the most one array may hold)")
            }
            Problem::OutOfRange(t) => format!("date out of range (year 1 to 9999): {t}"),
        }
    }
}

impl<T> From<Result<T, Problem>> for Field<T> {
    fn from(value: Result<T, Problem>) -> Self {
        value.map_or_else(Field::Wrong, Field::Is)
    }
}

/// A type the mapping reads a field as, and which values it takes. Values of other types are
/// described; documents and arrays are skipped without being built.
pub trait Kind: Sized {
    /// What the field should be, for messages ("a string or ObjectId").
    const EXPECTED: &'static str;

    /// From a string (copied only when taken).
    fn from_text(_text: &str) -> Result<Self, Problem> {
        Err(Problem::Found("a string"))
    }

    /// From any value but a string, a document and an array.
    fn from_scalar(value: &Bson) -> Result<Self, Problem> {
        Err(Problem::Found(describe(value)))
    }

    /// From a document's entries.
    fn from_document<'de, A: MapAccess<'de>>(
        mut map: A,
    ) -> Result<Result<Self, Problem>, A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Err(Problem::Found("a document")))
    }

    /// From an array's elements.
    fn from_array<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Result<Self, Problem>, A::Error> {
        skip_rest(&mut seq)?;
        Ok(Err(Problem::Found("an array")))
    }
}

/// An id: a string, or an ObjectId as its 24-hex form; indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Id(pub String);

impl Kind for Id {
    const EXPECTED: &'static str = "a string or ObjectId";

    fn from_text(text: &str) -> Result<Self, Problem> {
        key(text).map(Id)
    }

    fn from_scalar(value: &Bson) -> Result<Self, Problem> {
        match value {
            Bson::ObjectId(oid) => Ok(Id(oid.to_hex())),
            other => Err(Problem::Found(describe(other))),
        }
    }
}

/// Indexed text: a username, a token hash, a source's type or alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(pub String);

impl Kind for Key {
    const EXPECTED: &'static str = "a string";

    fn from_text(text: &str) -> Result<Self, Problem> {
        key(text).map(Key)
    }
}

fn key(text: &str) -> Result<String, Problem> {
    let text = <String as Kind>::from_text(text)?;
    match text.len() > MAX_KEY {
        true => Err(Problem::TooLong),
        false => Ok(text),
    }
}

/// Text, unindexed: any length, no NUL.
impl Kind for String {
    const EXPECTED: &'static str = "a string";

    fn from_text(text: &str) -> Result<Self, Problem> {
        match text.contains('\0') {
            true => Err(Problem::Nul),
            false => Ok(text.to_owned()),
        }
    }
}

impl Kind for bool {
    const EXPECTED: &'static str = "a boolean";

    fn from_scalar(value: &Bson) -> Result<Self, Problem> {
        match value {
            Bson::Boolean(b) => Ok(*b),
            other => Err(Problem::Found(describe(other))),
        }
    }
}

impl Kind for f64 {
    const EXPECTED: &'static str = "a number";

    fn from_scalar(value: &Bson) -> Result<Self, Problem> {
        match value {
            Bson::Double(n) => Ok(*n),
            Bson::Int32(n) => Ok(f64::from(*n)),
            #[allow(clippy::cast_precision_loss)] // a duration in seconds is far below 2^53
            Bson::Int64(n) => Ok(*n as f64),
            other => Err(Problem::Found(describe(other))),
        }
    }
}

/// A date that a timestamp column holds (years 1 to 9999).
impl Kind for DateTime<Utc> {
    const EXPECTED: &'static str = "a date";

    fn from_scalar(value: &Bson) -> Result<Self, Problem> {
        let Bson::DateTime(t) = value else {
            return Err(Problem::Found(describe(value)));
        };
        let millis = t.timestamp_millis();
        (MIN_MILLIS..=MAX_MILLIS)
            .contains(&millis)
            .then(|| DateTime::from_timestamp_millis(millis))
            .flatten()
            .ok_or(Problem::OutOfRange(*t))
    }
}

/// A sub-document, read as `T` (a struct of fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sub<T>(pub T);

impl<T: DeserializeOwned> Kind for Sub<T> {
    const EXPECTED: &'static str = "a document";

    fn from_document<'de, A: MapAccess<'de>>(map: A) -> Result<Result<Self, Problem>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|doc| Ok(Sub(doc)))
    }
}

/// An array of `T`, up to its first element that is not one (null included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct List<T> {
    /// The elements before the first wrong one.
    pub items: Vec<T>,
    /// The index of the first wrong element, and why.
    pub failed: Option<(usize, Problem)>,
}

impl<T: Kind> Kind for List<T> {
    const EXPECTED: &'static str = "an array";

    fn from_array<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Result<Self, Problem>, A::Error> {
        let mut items = Vec::new();
        loop {
            if items.len() == MAX_ITEMS {
                return Ok(match skip_rest(&mut seq)? {
                    true => Err(Problem::TooMany),
                    false => Ok(List {
                        items,
                        failed: None,
                    }),
                });
            }
            let problem = match seq.next_element::<Field<T>>()? {
                None => {
                    return Ok(Ok(List {
                        items,
                        failed: None,
                    }))
                }
                Some(Field::Is(item)) => {
                    items.push(item);
                    continue;
                }
                Some(Field::Absent) => Problem::Found("null"),
                Some(Field::Wrong(problem)) => problem,
            };
            skip_rest(&mut seq)?;
            let failed = Some((items.len(), problem));
            return Ok(Ok(List { items, failed }));
        }
    }
}

/// Skips the rest of an array; whether there was any.
fn skip_rest<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<bool, A::Error> {
    let mut any = false;
    while seq.next_element::<Skip>()?.is_some() {
        any = true;
    }
    Ok(any)
}

impl<'de, T: Kind> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // JSON is human-readable: its objects may stand for typed values ({"$date": …}). The
        // BSON reader is not, and hands typed values over as enum variants.
        let extended_json = deserializer.is_human_readable();
        deserializer.deserialize_any(FieldVisitor::<T> {
            extended_json,
            kind: PhantomData,
        })
    }
}

struct FieldVisitor<T> {
    extended_json: bool,
    kind: PhantomData<T>,
}

fn scalar<T: Kind>(value: Bson) -> Field<T> {
    match value {
        Bson::Null => Field::Absent,
        Bson::String(text) => T::from_text(&text).into(),
        value => T::from_scalar(&value).into(),
    }
}

impl<'de, T: Kind> Visitor<'de> for FieldVisitor<T> {
    type Value = Field<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTED)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Field<T>, E> {
        Ok(scalar(Bson::Boolean(v)))
    }

    fn visit_i32<E>(self, v: i32) -> Result<Field<T>, E> {
        Ok(scalar(Bson::Int32(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Field<T>, E> {
        Ok(scalar(Bson::Int64(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Field<T>, E> {
        unsigned(v).map(scalar)
    }

    fn visit_f64<E>(self, v: f64) -> Result<Field<T>, E> {
        Ok(scalar(Bson::Double(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Field<T>, E> {
        Ok(T::from_text(v).into())
    }

    fn visit_bytes<E>(self, _: &[u8]) -> Result<Field<T>, E> {
        Ok(Field::Wrong(Problem::Found("a BSON Binary")))
    }

    fn visit_unit<E>(self) -> Result<Field<T>, E> {
        Ok(Field::Absent)
    }

    fn visit_none<E>(self) -> Result<Field<T>, E> {
        Ok(Field::Absent)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field<T>, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field<T>, A::Error> {
        T::from_array(seq).map(Field::from)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field<T>, A::Error> {
        if !self.extended_json {
            return T::from_document(map).map(Field::from);
        }
        let mut typed = None;
        let document = T::from_document(Plain {
            map,
            typed: &mut typed,
        })?;
        Ok(typed.map_or_else(|| document.into(), scalar))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Field<T>, A::Error> {
        let (IgnoredAny, variant) = data.variant()?;
        Ok(scalar(variant.newtype_variant::<Bson>()?))
    }
}

/// An unsigned JSON integer as the `bson` crate takes it: the smallest signed type it fits.
fn unsigned<E: de::Error>(v: u64) -> Result<Bson, E> {
    if let Ok(v) = i32::try_from(v) {
        Ok(Bson::Int32(v))
    } else if let Ok(v) = i64::try_from(v) {
        Ok(Bson::Int64(v))
    } else {
        Err(E::custom(format!(
            "cannot represent {v} as a signed number"
        )))
    }
}

/// A JSON object's entries, ending at its first Extended JSON type key: from there on the
/// object is that typed value (`{"$date": …}`), read by the `bson` crate into `typed`.
struct Plain<'a, A> {
    map: A,
    typed: &'a mut Option<Bson>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Plain<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if self.typed.is_some() {
            return Ok(None);
        }
        let Some(key) = self.map.next_key::<String>()? else {
            return Ok(None);
        };
        if !EXTENDED_JSON_TYPES.contains(&key.as_str()) {
            return seed.deserialize(StringDeserializer::new(key)).map(Some);
        }
        let rest = Replay {
            key: Some(key),
            map: &mut self.map,
        };
        *self.typed = Some(Bson::deserialize(MapAccessDeserializer::new(rest))?);
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// The rest of a map, its key already read.
struct Replay<'a, A> {
    key: Option<String>,
    map: &'a mut A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.key.take() {
            Some(key) => seed.deserialize(StringDeserializer::new(key)).map(Some),
            None => self.map.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// Reads a value and drops it. Unlike [`IgnoredAny`], it descends through the deserializer,
/// so that a kept value nested too deep still meets the JSON parser's recursion limit.
pub struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_bytes<E>(self, _: &[u8]) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_none<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Skip, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        skip_rest(&mut seq).map(|_| Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<IgnoredAny, Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Skip, A::Error> {
        let (IgnoredAny, variant) = data.variant()?;
        variant.newtype_variant::<IgnoredAny>().map(|_| Skip)
    }
}

/// "a string", "a date"… for messages.
pub fn describe(value: &Bson) -> &'static str {
    use bson::spec::ElementType as T;
    match value.element_type() {
        T::Double | T::Int32 | T::Int64 | T::Decimal128 => "a number",
        T::String => "a string",
        T::Array => "an array",
        T::EmbeddedDocument => "a document",
        T::Boolean => "a boolean",
        T::Null => "null",
        T::ObjectId => "an ObjectId",
        T::DateTime => "a date",
        T::Binary => "a BSON Binary",
        T::Undefined => "a BSON Undefined",
        T::RegularExpression => "a BSON RegularExpression",
        T::DbPointer => "a BSON DbPointer",
        T::JavaScriptCode => "a BSON JavaScriptCode",
        T::Symbol => "a BSON Symbol",
        T::JavaScriptCodeWithScope => "a BSON JavaScriptCodeWithScope",
        T::Timestamp => "a BSON Timestamp",
        T::MaxKey => "a BSON MaxKey",
        T::MinKey => "a BSON MinKey",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Probe {
        id: Field<Id>,
        n: Field<f64>,
        at: Field<DateTime<Utc>>,
        ids: Field<List<Id>>,
        sub: Field<Sub<Inner>>,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Inner {
        id: Field<Id>,
    }

    fn json(text: &str) -> Result<Probe, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    const OID: &str = "65a1b2c3d4e5f60718293a4b";

    fn is_id(text: &str) -> Field<Id> {
        Field::Is(Id(text.into()))
    }

    #[test]
    fn extended_json_values_in_every_form() {
        let at = DateTime::from_timestamp_millis(1_704_164_645_678).unwrap();
        let dates = [
            r#"{"$date": "2024-01-02T03:04:05.678Z"}"#,
            r#"{"$date": {"$numberLong": "1704164645678"}}"#,
            r#"{"$date": 1704164645678}"#,
        ];
        for date in dates {
            assert_eq!(
                json(&format!(r#"{{"at": {date}}}"#)).unwrap().at,
                Field::Is(at)
            );
        }
        let numbers = [
            (r#"{"$numberLong": "5"}"#, 5.0),
            (r#"{"$numberInt": "-5"}"#, -5.0),
            (r#"{"$numberDouble": "Infinity"}"#, f64::INFINITY),
            ("12.5", 12.5),
            ("600", 600.0),
        ];
        for (number, value) in numbers {
            let n = json(&format!(r#"{{"n": {number}}}"#)).unwrap().n;
            assert_eq!(n, Field::Is(value), "{number}");
        }
        let probe = json(&format!(
            r#"{{"id": {{"$oid": "{OID}"}}, "ids": ["a", {{"$oid": "{OID}"}}]}}"#
        ));
        let probe = probe.unwrap();
        assert_eq!(probe.id, is_id(OID));
        let list = List {
            items: vec![Id("a".into()), Id(OID.into())],
            failed: None,
        };
        assert_eq!(probe.ids, Field::Is(list));
    }

    #[test]
    fn an_object_is_a_typed_value_at_its_first_type_key_as_the_bson_crate_reads_it() {
        // Its other keys before that one are ignored, as by `bson::Bson`'s own visitor.
        let probe = json(&format!(r#"{{"id": {{"x": [1], "$oid": "{OID}"}}}}"#)).unwrap();
        assert_eq!(probe.id, is_id(OID));
        let found = |probe: Result<Probe, String>| match probe.unwrap().sub {
            Field::Wrong(Problem::Found(found)) => found,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            found(json(&format!(r#"{{"sub": {{"$oid": "{OID}"}}}}"#))),
            "an ObjectId"
        );
        let date = r#"{"sub": {"id": "a", "$date": 5}}"#;
        assert_eq!(found(json(date)), "a date");
        let sub = json(r#"{"sub": {"id": "a", "$other": 1}}"#).unwrap().sub;
        assert_eq!(sub, Field::Is(Sub(Inner { id: is_id("a") })));
        // A malformed one is invalid JSON, as it was.
        let error = json(r#"{"id": {"$oid": 5}}"#).unwrap_err();
        assert!(error.contains("invalid type: integer `5`"), "{error}");
    }

    #[test]
    fn other_types_are_described_and_null_is_absent() {
        let cases = [
            (r#"{"$numberDecimal": "1.5"}"#, "a number"),
            (
                r#"{"$binary": {"base64": "AA==", "subType": "00"}}"#,
                "a BSON Binary",
            ),
            (r#"{"$timestamp": {"t": 1, "i": 2}}"#, "a BSON Timestamp"),
            (r#"{"$minKey": 1}"#, "a BSON MinKey"),
            (r#"{"$date": "2024-01-02T03:04:05Z"}"#, "a date"),
            ("true", "a boolean"),
            ("[[]]", "an array"),
            (r#"{"a": {"b": 1}}"#, "a document"),
        ];
        for (value, found) in cases {
            let id = json(&format!(r#"{{"id": {value}}}"#)).unwrap().id;
            assert_eq!(id, Field::Wrong(Problem::Found(found)), "{value}");
        }
        assert_eq!(json(r#"{"id": null}"#).unwrap().id, Field::Absent);
        let far = json(r#"{"at": {"$date": {"$numberLong": "-62135596800001"}}}"#).unwrap();
        assert!(
            matches!(far.at, Field::Wrong(Problem::OutOfRange(_))),
            "{far:?}"
        );
    }

    #[test]
    fn an_array_stops_at_its_first_wrong_element_or_past_its_limit() {
        let ids = |text: &str| json(&format!(r#"{{"ids": {text}}}"#)).unwrap().ids;
        let failed = |index, problem| {
            Field::Is(List {
                items: vec![Id("a".into())],
                failed: Some((index, problem)),
            })
        };
        assert_eq!(
            ids(r#"["a", [], 1]"#),
            failed(1, Problem::Found("an array"))
        );
        assert_eq!(ids(r#"["a", null]"#), failed(1, Problem::Found("null")));
        let long = "x".repeat(MAX_KEY + 1);
        assert_eq!(
            ids(&format!(r#"["a", "{long}"]"#)),
            failed(1, Problem::TooLong)
        );
        assert_eq!(ids(r#"["a", "b\u0000"]"#), failed(1, Problem::Nul));
        let full = format!("[{}]", vec![r#""a""#; MAX_ITEMS].join(","));
        assert!(matches!(ids(&full), Field::Is(List { failed: None, .. })));
        let over = format!("[{}]", vec![r#""a""#; MAX_ITEMS + 1].join(","));
        assert_eq!(ids(&over), Field::Wrong(Problem::TooMany));
    }

    #[test]
    fn a_kept_value_meets_the_recursion_limit_and_a_skipped_one_does_not() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let error = json(&format!(r#"{{"id": {deep}}}"#)).unwrap_err();
        assert!(error.contains("recursion limit"), "{error}");
        let error = json(&format!(r#"{{"ids": ["a", {deep}]}}"#)).unwrap_err();
        assert!(error.contains("recursion limit"), "{error}");
        assert!(json(&format!(r#"{{"skipped": {deep}}}"#)).is_ok());
    }
}
