//! The whole chain on any query string, of Rocket.Chat's routes and of the extension routes: no
//! panic, and every failure is a 400 with one of the documented bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omnireports_error::ApiError;
use omnireports_validation::{validate, validate_extension, Tz};

const ZONES: [Tz; 3] = [Tz::UTC, Tz::America__Sao_Paulo, Tz::Asia__Kathmandu];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let tz = ZONES[usize::from(selector) % ZONES.len()];
    let reads_sort = selector & 0x80 != 0;
    let query = String::from_utf8_lossy(rest);
    let failed = match selector & 0x40 != 0 {
        false => validate(&query, tz, reads_sort).err(),
        true => validate_extension(&query, tz, reads_sort, selector & 0x20 != 0).err(),
    };
    if let Some(error) = failed {
        let error = ApiError::from(error);
        assert_eq!(error.status_code(), 400, "{query:?}: {error:?}");
        let body: serde_json::Value = serde_json::from_str(&error.to_json()).unwrap();
        assert_eq!(body["success"], false);
        assert!(body["error"].is_string());
    }
});
