//! The whole chain on any query string: no panic, and every failure is a 400 with one of the
//! documented bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omnireports_error::ApiError;
use omnireports_validation::{validate, Tz};

const ZONES: [Tz; 3] = [Tz::UTC, Tz::America__Sao_Paulo, Tz::Asia__Kathmandu];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let tz = ZONES[usize::from(selector) % ZONES.len()];
    let reads_sort = selector & 0x80 != 0;
    let query = String::from_utf8_lossy(rest);
    if let Err(error) = validate(&query, tz, reads_sort) {
        let error = ApiError::from(error);
        assert_eq!(error.status_code(), 400, "{query:?}: {error:?}");
        let body: serde_json::Value = serde_json::from_str(&error.to_json()).unwrap();
        assert_eq!(body["success"], false);
        assert!(body["error"].is_string());
    }
});
