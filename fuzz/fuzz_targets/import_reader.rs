//! The importer's reader and mappers on any file content: no panic, no overflow, whatever the
//! bytes (JSON Lines, a JSON array, BSON, gzip'd or not).
#![no_main]

use libfuzzer_sys::fuzz_target;
use omnireports_import::{check_bytes, COLLECTIONS};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let collection = COLLECTIONS[usize::from(selector & 0x7f) % COLLECTIONS.len()];
    let bson = selector & 0x80 != 0;
    // Ok or Err: both are answers; only a crash is a finding.
    let _ = check_bytes(collection, bson, bytes);
});
