//! One Extended JSON document (a line, or an element of a `--jsonArray`): its size limit and
//! its decoding.

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
use std::marker::PhantomData;

/// The longest line or `--jsonArray` element read: twice MongoDB's 16 MiB, for Extended JSON's
/// longer spelling (a large Rocket.Chat document, a user with many login tokens say, takes
/// about 1.3 times its BSON bytes). The reader never holds more, so a file of one endless line
/// costs this and no more; three times would leave too little of a 64 MiB budget.
pub(super) const MAX_JSON_DOCUMENT: usize = 32 * 1024 * 1024;

/// Parses one Extended JSON document (relaxed, canonical or legacy) as `T`. The error is
/// `(line, column, message)` relative to `bytes`.
pub(super) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, (usize, usize, String)> {
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

/// Why a line or an array element longer than `limit` is not read.
pub(super) fn too_long(what: &str, limit: usize) -> String {
    const MIB: usize = 1024 * 1024;
    let limit = match limit % MIB {
        0 => format!("{} MiB", limit / MIB),
        _ => format!("{limit} bytes"),
    };
    format!("{what} longer than {limit} (the limit for one document)")
}
