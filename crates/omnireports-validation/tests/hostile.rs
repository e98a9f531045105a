//! Hostile input: whatever the query string, the parsers never panic and every failure is a 400
//! with one of the documented bodies. Deep nesting and huge numbers are invalid, never a crash.

use omnireports_error::ApiError;
use omnireports_validation::{
    parse_date, parse_query, parse_sort, validate, validate_extension, DateError, ParameterError,
    Tz, ValidationError,
};
use proptest::prelude::*;
use serde_json::{json, Value};

const SCHEMA: [&str; 4] = [
    "must have required property 'start'",
    "must have required property 'end'",
    "must NOT have additional properties",
    "must be string",
];
const DATES: [&str; 4] = [
    "The \"start\" query parameter must be a valid date.",
    "The \"end\" query parameter must be a valid date.",
    "The \"start\" and \"end\" query parameters must be less than 1 year apart.",
    "The \"start\" query parameter must be before the \"end\" query parameter.",
];
const ZONES: [Tz; 4] = [
    Tz::UTC,
    Tz::America__Sao_Paulo,
    Tz::Asia__Kolkata,
    Tz::Australia__Lord_Howe,
];
/// JavaScript's dates end 8.64e15 ms either side of the epoch.
const JS_MAX_MS: i64 = 8_640_000_000_000_000;
const RANGE: &str = "start=2024-01-01T00:00:00.000Z&end=2024-01-31T00:00:00.000Z";

/// The documented body this error must have, rebuilt from the README's table.
fn documented_body(error: &ApiError) -> Option<Value> {
    let body: Value = serde_json::from_str(&error.to_json()).ok()?;
    let text = body["error"].as_str()?;
    let expected = if let Some(message) = text.strip_suffix(" [invalid-params]") {
        SCHEMA
            .contains(&message)
            .then(|| json!({"success": false, "error": text, "errorType": "invalid-params"}))?
    } else if text.ends_with("\" [error-invalid-sort]") {
        text.strip_prefix("Invalid sort parameter provided: \"")?;
        json!({"success": false, "error": text, "errorType": "error-invalid-sort",
               "details": {"helperMethod": "parseJsonQuery"}})
    } else {
        DATES
            .contains(&text)
            .then(|| json!({"success": false, "error": text}))?
    };
    Some(expected)
}

fn check_failure(query: &str, error: ValidationError) -> Result<(), TestCaseError> {
    let error = ApiError::from(error);
    prop_assert_eq!(error.status_code(), 400, "{:?}", query);
    let body: Value = serde_json::from_str(&error.to_json()).unwrap();
    prop_assert_eq!(Some(body), documented_body(&error), "{:?}", query);
    Ok(())
}

/// Pieces of hostile query strings: syntax, broken escapes, invalid UTF-8, huge numbers.
fn fragment() -> impl Strategy<Value = String> {
    const PIECES: [&str; 44] = [
        "start=",
        "end=",
        "sort=",
        "&",
        "=",
        "[",
        "]",
        "[]",
        "[0]",
        "%5B",
        "%5d",
        "%",
        "%G1",
        "%E2%82",
        "%FF%FE",
        "%E2%82%AC",
        "%00",
        "+",
        "%2B",
        "2024-01-01",
        "2024-12-31T23:59:59.999Z",
        "1e400",
        "-",
        ":",
        "T",
        "Z",
        ".",
        "/Date(",
        ")/",
        "GMT",
        "Mon, ",
        " ",
        "%7B",
        "%7D",
        "%22total%22",
        "%3A",
        "1",
        "-1",
        "{",
        "}",
        "\"",
        "é",
        "\u{0}",
        "\u{feff}",
    ];
    prop_oneof![
        prop::sample::select(PIECES.as_slice()).prop_map(str::to_owned),
        "[0-9]{1,400}",
        any::<String>(),
    ]
}

fn hostile_query() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..16).prop_map(|parts| parts.concat())
}

/// `start`, `end` and `sort` with hostile values, so that most cases reach the dates and sort.
fn hostile_params() -> impl Strategy<Value = String> {
    (hostile_query(), hostile_query(), hostile_query())
        .prop_map(|(start, end, sort)| format!("start={start}&end={end}&sort={sort}"))
}

/// Date-shaped text: ISO-like fields of any width, offsets, words.
fn date_like() -> impl Strategy<Value = String> {
    prop_oneof![
        r"[+-]?[0-9]{1,7}(-[0-9]{1,3}(-[0-9]{1,3})?)?(T[0-9]{1,3}(:[0-9]{1,3}(:[0-9]{1,3}(\.[0-9]{1,12})?)?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?",
        r"[A-Za-z]{0,9},? ?[0-9]{0,3} [A-Za-z]{0,9} [0-9]{0,6} [0-9:]{0,9} ?(GMT|UTC|[A-Z]{1,4})?([+-][0-9]{1,5})?",
        r"/?[Dd]ate\(-?[0-9]{0,30}\)?/?",
        r"[0-9 ,./:+TZWAPMapm\-()]{0,40}",
        any::<String>(),
    ]
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        prop::sample::select([1.0, -1.0, 0.0, 2.0, 1e300, -1e-300].as_slice())
            .prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec((".{0,6}", inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// `JSON.parse` then the sort rule, computed independently of the parser under test.
fn is_valid_sort(value: &Value) -> bool {
    let Value::Object(keys) = value else {
        return false;
    };
    !keys.is_empty()
        && keys
            .values()
            .all(|v| matches!(v.as_f64(), Some(n) if n == 1.0 || n == -1.0))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn validate_fails_only_with_documented_400s(
        query in prop_oneof![hostile_query(), hostile_params()],
        tz in prop::sample::select(ZONES.as_slice()),
        reads_sort in any::<bool>(),
    ) {
        if let Err(error) = validate(&query, tz, reads_sort) {
            check_failure(&query, error)?;
        }
    }

    #[test]
    fn the_extension_chain_fails_only_with_documented_400s(
        query in prop_oneof![hostile_query(), hostile_params()],
        extra in prop::collection::vec(prop_oneof![
            Just("&timezone=Asia/Kathmandu".to_owned()),
            Just("&timezone=Pacific/Kiritimati".to_owned()),
            Just("&interval=week".to_owned()),
            hostile_query().prop_map(|value| format!("&timezone={value}")),
            hostile_query().prop_map(|value| format!("&interval={value}")),
            hostile_query().prop_map(|value| format!("&{value}")),
        ], 0..3),
        tz in prop::sample::select(ZONES.as_slice()),
        (reads_sort, takes_interval) in (any::<bool>(), any::<bool>()),
    ) {
        let query = format!("{query}{}", extra.concat());
        if let Err(error) = validate_extension(&query, tz, reads_sort, takes_interval) {
            let own = [ParameterError::Timezone.to_string(), ParameterError::Interval.to_string()];
            let error = ApiError::from(error);
            prop_assert_eq!(error.status_code(), 400, "{:?}", query);
            let body: Value = serde_json::from_str(&error.to_json()).unwrap();
            let text = body["error"].as_str().unwrap_or_default().to_owned();
            let named = text
                .strip_suffix(" [invalid-params]")
                .is_some_and(|m| own.iter().any(|o| o == m)
                    || (m.starts_with("The \"") && m.ends_with("\" query parameter is not allowed.")));
            match named {
                true => prop_assert_eq!(
                    body,
                    json!({"success": false, "error": text, "errorType": "invalid-params"})
                ),
                false => prop_assert_eq!(Some(body), documented_body(&error), "{:?}", query),
            }
        }
    }

    #[test]
    fn parse_query_never_panics_on_any_string(query in any::<String>()) {
        let _ = parse_query(&query);
    }

    #[test]
    fn dates_are_none_or_within_javascripts_range(
        input in date_like(),
        tz in prop::sample::select(ZONES.as_slice()),
    ) {
        if let Some(instant) = parse_date(&input, tz) {
            let ms = instant.timestamp_millis();
            prop_assert!((-JS_MAX_MS..=JS_MAX_MS).contains(&ms), "{:?}: {}", input, ms);
        }
    }

    #[test]
    fn a_sort_error_quotes_any_text_unchanged(raw in prop_oneof![
        any::<String>(),
        r#"[{}\[\]":,0-9eE+\-. a-z]{0,64}"#,
    ]) {
        if let Err(error) = parse_sort(&raw) {
            prop_assert_eq!(error.raw, raw);
        }
    }

    #[test]
    fn any_json_is_a_sort_exactly_when_a_non_empty_object_of_plus_or_minus_one(
        value in json_value(),
    ) {
        let raw = value.to_string();
        prop_assert_eq!(parse_sort(&raw).is_ok(), is_valid_sort(&value), "{}", raw);
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn sort_error(raw: &str) -> Result<(), ValidationError> {
    let query = format!("{RANGE}&sort={}", percent_encode(raw));
    match validate(&query, Tz::UTC, true) {
        Err(ValidationError::Sort(error)) if error.raw == raw => Ok(()),
        other => panic!("{raw:.40}…: {other:?}"),
    }
}

#[test]
fn deeply_nested_sort_json_is_an_invalid_sort() {
    for raw in [
        "{\"a\":".repeat(10_000),
        format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000)),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!(
            "{{\"total\":{}1{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    ] {
        sort_error(&raw).unwrap();
    }
}

#[test]
fn huge_numbers_in_sort_are_invalid_sorts() {
    let digits = "9".repeat(400);
    for raw in [
        r#"{"total":1e400}"#.to_owned(),
        r#"{"total":-1e400}"#.to_owned(),
        r#"{"total":1e-400}"#.to_owned(),
        format!(r#"{{"total":{digits}}}"#),
        format!(r#"{{"total":-{digits}}}"#),
    ] {
        sort_error(&raw).unwrap();
    }
}

#[test]
fn a_one_spelled_with_many_digits_is_still_one() {
    // JSON.parse rounds to the nearest double, as serde_json does.
    let raw = format!(r#"{{"total":1.{}1}}"#, "0".repeat(400));
    assert!(parse_sort(&raw).is_ok());
}

#[test]
fn huge_numbers_in_dates_are_invalid_dates() {
    let digits = "9".repeat(400);
    for start in [
        "1e400".to_owned(),
        digits.clone(),
        format!("-{digits}"),
        format!("/Date({digits})/"),
        format!("/Date(-{digits})/"),
        format!("{digits}-01-01"),
        format!("2024-01-01T00:00:00.{digits}Z"),
        format!("+{digits}-01-01T00:00:00Z"),
        "+275760-09-13T00:00:00.001Z".to_owned(),
        "-271821-04-19T23:59:59.999Z".to_owned(),
    ] {
        let query = format!("start={}&end=2024-01-31", percent_encode(&start));
        assert_eq!(
            validate(&query, Tz::America__Sao_Paulo, true),
            Err(ValidationError::Date(DateError::InvalidStart)),
            "{start:.40}"
        );
    }
}

#[test]
fn broken_escapes_and_invalid_utf8_stay_raw_and_fail_as_dates() {
    for value in ["%", "%G1", "%E2%82", "%FF%FE", "%%%", "%E2%82%"] {
        let query = format!("start={value}&end=2024-01-31");
        assert_eq!(
            validate(&query, Tz::UTC, true),
            Err(ValidationError::Date(DateError::InvalidStart)),
            "{value}"
        );
    }
}

#[test]
fn a_megabyte_query_string_is_answered() {
    let query = format!("{RANGE}&sort={}", "%7B".repeat(350_000));
    assert!(matches!(
        validate(&query, Tz::UTC, true),
        Err(ValidationError::Sort(_))
    ));
    let parts = format!("{RANGE}{}", "&a=1".repeat(250_000));
    assert!(matches!(
        validate(&parts, Tz::UTC, true),
        Err(ValidationError::Schema(_))
    ));
}
