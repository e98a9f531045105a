//! `parse_date` on any text in zones with odd offsets and DST: no panic, and every date is
//! within JavaScript's range (±8.64e15 ms).
#![no_main]

use libfuzzer_sys::fuzz_target;
use omnireports_validation::{parse_date, Tz};

const ZONES: [Tz; 5] = [
    Tz::UTC,
    Tz::America__Sao_Paulo,
    Tz::Asia__Kolkata,
    Tz::Australia__Lord_Howe,
    Tz::Pacific__Kiritimati,
];
const JS_MAX_MS: i64 = 8_640_000_000_000_000;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    for tz in ZONES {
        if let Some(instant) = parse_date(&input, tz) {
            let ms = instant.timestamp_millis();
            assert!(
                (-JS_MAX_MS..=JS_MAX_MS).contains(&ms),
                "{input:?} in {tz}: {ms}"
            );
        }
    }
});
