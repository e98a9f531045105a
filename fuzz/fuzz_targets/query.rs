//! `parse_query` on any text: no panic, and decoding never makes a value longer than its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omnireports_validation::parse_query;

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    if let Ok(parsed) = parse_query(&query) {
        let longest = [Some(&parsed.start), Some(&parsed.end), parsed.sort.as_ref()]
            .into_iter()
            .flatten()
            .map(String::len)
            .max()
            .unwrap_or(0);
        assert!(longest <= query.len(), "{query:?} gave {parsed:?}");
    }
});
