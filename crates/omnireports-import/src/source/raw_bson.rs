//! serde over a raw BSON document, for the typed documents of `map.rs`. Unlike the `bson`
//! crate's own deserializer, a field that is skipped is passed over by its length, never looked
//! into (nor recursed into: a skipped field may nest a million levels), a kept top-level field
//! nested deeper than MongoDB allows is refused before it is read, and a typed value (an
//! ObjectId, a date…) reaches the visitor as an enum variant holding its [`Bson`], so that it
//! is never confused with a document that happens to have a `$oid` key.

use bson::raw::{RawElement, RawIter};
use bson::{Bson, RawBsonRef, RawDocument};
use serde::de::value::{MapAccessDeserializer, StrDeserializer};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};
use serde::{forward_to_deserialize_any, Deserializer};
use std::fmt;

/// MongoDB refuses documents nested deeper than 100 levels; the document itself is one.
const MAX_NESTING: usize = 99;

/// Decodes `document` as `T`; the error reads `invalid BSON: …`.
pub fn from_document<T: DeserializeOwned>(document: &RawDocument) -> Result<T, String> {
    let elements = Elements {
        elements: document.iter_elements(),
        pending: None,
        top: true,
    };
    T::deserialize(MapAccessDeserializer::new(elements)).map_err(|e| format!("invalid BSON: {e}"))
}

/// Why a BSON document cannot be decoded.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error(message.to_string())
    }
}

impl From<bson::error::Error> for Error {
    fn from(error: bson::error::Error) -> Self {
        Error(error.to_string())
    }
}

/// The elements of a document (a map) or an array (a sequence).
struct Elements<'de> {
    elements: RawIter<'de>,
    pending: Option<RawElement<'de>>,
    /// The document's own fields, whose nesting is checked.
    top: bool,
}

impl<'de> Elements<'de> {
    fn next_element(&mut self) -> Result<Option<RawElement<'de>>, Error> {
        Ok(self.elements.next().transpose()?)
    }
}

impl<'de> MapAccess<'de> for Elements<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(element) = self.next_element()? else {
            return Ok(None);
        };
        let key = element.key().as_str();
        self.pending = Some(element);
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let element = self
            .pending
            .take()
            .ok_or_else(|| Error("a value asked for before its key".into()))?;
        seed.deserialize(Value {
            element,
            top: self.top,
        })
    }
}

impl<'de> SeqAccess<'de> for Elements<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(element) = self.next_element()? else {
            return Ok(None);
        };
        seed.deserialize(Value {
            element,
            top: false,
        })
        .map(Some)
    }
}

fn nested(elements: RawIter<'_>) -> Elements<'_> {
    Elements {
        elements,
        pending: None,
        top: false,
    }
}

/// One element's value, decoded only when asked for.
struct Value<'de> {
    element: RawElement<'de>,
    top: bool,
}

impl<'de> Deserializer<'de> for Value<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = self.element.value()?;
        if self.top && !nesting_within(value, MAX_NESTING) {
            let key = self.element.key().as_str();
            return Err(Error(format!(
                "{key}: nested deeper than MongoDB's 100 levels"
            )));
        }
        match value {
            RawBsonRef::Double(v) => visitor.visit_f64(v),
            RawBsonRef::String(v) => visitor.visit_borrowed_str(v),
            RawBsonRef::Boolean(v) => visitor.visit_bool(v),
            RawBsonRef::Null => visitor.visit_unit(),
            RawBsonRef::Int32(v) => visitor.visit_i32(v),
            RawBsonRef::Int64(v) => visitor.visit_i64(v),
            RawBsonRef::Document(document) => visitor.visit_map(nested(document.iter_elements())),
            RawBsonRef::Array(array) => visitor.visit_seq(nested(array.iter_elements())),
            typed => visitor.visit_enum(Typed(Bson::try_from(typed)?)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.element.element_type() {
            bson::spec::ElementType::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// A skipped field is not decoded at all.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        false
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
    }
}

/// A typed value (ObjectId, date, decimal, binary…), as a variant whose content is its `Bson`
/// in canonical Extended JSON, which the `bson` crate reads back exactly (its own serde form
/// spells a date past year 9999 as 9999-12-31, so that it would pass as one).
struct Typed(Bson);

impl<'de> EnumAccess<'de> for Typed {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let tag = seed.deserialize(StrDeserializer::<Error>::new("bson"))?;
        Ok((tag, self))
    }
}

impl<'de> VariantAccess<'de> for Typed {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Err(de::Error::custom("a BSON value is not a unit"))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self.0.into_canonical_extjson())
            .map_err(de::Error::custom)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("a BSON value is not a tuple"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom("a BSON value is not a struct"))
    }
}

/// Whether `value` holds at most `levels` levels of documents and arrays. Decoding a value
/// recurses once per level, so a corrupt file could overflow the stack.
fn nesting_within(value: RawBsonRef<'_>, levels: usize) -> bool {
    use bson::RawBsonRef::{Array, Document, JavaScriptCodeWithScope};
    // A malformed element passes: decoding reports it.
    let within = |child: bson::error::Result<RawBsonRef<'_>>| {
        child.map_or(true, |child| nesting_within(child, levels - 1))
    };
    match value {
        Document(doc) => levels > 0 && doc.iter().all(|e| within(e.map(|(_, v)| v))),
        Array(array) => levels > 0 && array.into_iter().all(within),
        JavaScriptCodeWithScope(code) => levels > 0 && within(Ok(Document(code.scope))),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Field, Id, Problem};
    use chrono::{DateTime, Utc};
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Probe {
        id: Field<Id>,
        date: Field<DateTime<Utc>>,
    }

    fn decode(doc: bson::Document) -> Probe {
        let bytes = doc.to_vec().unwrap();
        from_document(RawDocument::from_bytes(&bytes).unwrap()).unwrap()
    }

    #[test]
    fn typed_values_keep_their_types_and_documents_stay_documents() {
        let oid = bson::oid::ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap();
        let at = bson::DateTime::from_millis(1_704_164_645_678);
        let probe = decode(bson::doc! {"id": oid, "date": at, "skipped": {"$oid": 1}});
        assert_eq!(probe.id, Field::Is(Id(oid.to_hex())));
        let millis = at.timestamp_millis();
        let expected = DateTime::from_timestamp_millis(millis).unwrap();
        assert_eq!(probe.date, Field::Is(expected));
        let probe = decode(bson::doc! {"id": {"$oid": oid.to_hex()}, "date": "today"});
        assert_eq!(probe.id, Field::Wrong(Problem::Found("a document")));
        assert_eq!(probe.date, Field::Wrong(Problem::Found("a string")));
        let decimal = bson::Decimal128::from_bytes([0; 16]);
        let probe = decode(bson::doc! {"id": decimal, "date": Bson::Null});
        assert_eq!(probe.id, Field::Wrong(Problem::Found("a number")));
        assert_eq!(probe.date, Field::Absent);
        // Exactly: the first millisecond of year 10000 is not a date of a timestamp column.
        let after = bson::DateTime::from_millis(253_402_300_800_000);
        let probe = decode(bson::doc! {"date": after});
        assert_eq!(probe.date, Field::Wrong(Problem::OutOfRange(after)));
    }
}
