//! `parse_sort` on any text: no panic; a sort has keys, an error quotes the input unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omnireports_validation::parse_sort;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    match parse_sort(&raw) {
        Ok(sort) => assert!(!sort.0.is_empty(), "{raw:?}"),
        Err(error) => assert_eq!(error.raw, raw),
    }
});
