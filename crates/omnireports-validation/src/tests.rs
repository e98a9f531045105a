use super::*;
use chrono::{DateTime, Utc};

const RANGE: &str = "start=2024-01-01T00:00:00.000Z&end=2024-01-31T23:59:59.999Z";

fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

/// The `error` text of the body the failure of `query` produces.
fn error_text(query: &str) -> String {
    let error = validate(query, Tz::UTC, true).unwrap_err();
    ApiError::from(error).body().error
}

#[test]
fn every_row_of_the_schema_table_has_its_message() {
    let rows = [
        ("", "must have required property 'start' [invalid-params]"),
        (
            "end=2024-01-01",
            "must have required property 'start' [invalid-params]",
        ),
        (
            "foo=1",
            "must have required property 'start' [invalid-params]",
        ),
        (
            "start=2024-01-01",
            "must have required property 'end' [invalid-params]",
        ),
        (
            "start=a&end=b&foo=1",
            "must NOT have additional properties [invalid-params]",
        ),
        (
            "start=a&end=b&count=10",
            "must NOT have additional properties [invalid-params]",
        ),
        (
            "start=a&end=b&offset=0",
            "must NOT have additional properties [invalid-params]",
        ),
        (
            "start=a&end=b&fields=x",
            "must NOT have additional properties [invalid-params]",
        ),
        (
            "start=a&end=b&query=x",
            "must NOT have additional properties [invalid-params]",
        ),
        (
            "start=a&end=b&access_token=x",
            "must NOT have additional properties [invalid-params]",
        ),
        ("start=a&start=b&end=c", "must be string [invalid-params]"),
        ("start[]=a&end=b", "must be string [invalid-params]"),
        ("start[x]=a&end=b", "must be string [invalid-params]"),
        (
            "start=a&end=b&sort[total]=1",
            "must be string [invalid-params]",
        ),
        (
            "start=a&end=b&sort=a&sort=b",
            "must be string [invalid-params]",
        ),
        (
            "start=&end=",
            r#"The "start" query parameter must be a valid date."#,
        ),
    ];
    for (query, message) in rows {
        assert_eq!(error_text(query), message, "{query}");
    }
}

#[test]
fn schema_errors_become_invalid_params() {
    assert_eq!(
        ApiError::from(ValidationError::from(SchemaError::MissingEnd)),
        ApiError::InvalidParams("must have required property 'end'".to_owned())
    );
}

#[test]
fn sort_errors_become_invalid_sort_with_the_raw_sort() {
    let error = validate(
        &format!("{RANGE}&sort=%7B%22total%22%3A0%7D"),
        Tz::UTC,
        true,
    );
    let api = ApiError::from(error.unwrap_err());
    assert_eq!(api, ApiError::InvalidSort(r#"{"total":0}"#.to_owned()));
    assert_eq!(
        api.body().error,
        r#"Invalid sort parameter provided: "{"total":0}" [error-invalid-sort]"#
    );
}

#[test]
fn date_errors_become_bad_requests_with_the_exact_message() {
    let api = ApiError::from(ValidationError::from(DateError::StartAfterEnd));
    assert_eq!(
        api,
        ApiError::BadRequest(
            r#"The "start" query parameter must be before the "end" query parameter."#.to_owned()
        )
    );
    assert_eq!(
        api.to_json(),
        r#"{"success":false,"error":"The \"start\" query parameter must be before the \"end\" query parameter."}"#
    );
}

#[test]
fn a_valid_query_yields_the_range_and_the_sort() {
    let validated = validate(&format!("{RANGE}&sort=%7B%22_id%22%3A-1%7D"), Tz::UTC, true);
    assert_eq!(
        validated,
        Ok(Validated {
            range: DateRange {
                start: instant("2024-01-01T00:00:00Z"),
                end: instant("2024-01-31T23:59:59.999Z"),
            },
            sort: Some(Sort(vec![("_id".to_owned(), SortDirection::Desc)])),
        })
    );
}

#[test]
fn without_sort_there_is_no_sort() {
    assert_eq!(validate(RANGE, Tz::UTC, true).unwrap().sort, None);
}

#[test]
fn the_schema_is_checked_before_the_sort() {
    assert_eq!(
        validate("start=a&end=b&sort=bad&foo=1", Tz::UTC, true),
        Err(ValidationError::Schema(SchemaError::AdditionalProperties))
    );
}

#[test]
fn the_sort_is_checked_before_the_dates() {
    assert_eq!(
        validate("start=test&end=test&sort=bad", Tz::UTC, true),
        Err(ValidationError::Sort(SortError {
            raw: "bad".to_owned()
        }))
    );
}

#[test]
fn an_empty_sort_is_an_invalid_sort() {
    assert_eq!(
        validate(&format!("{RANGE}&sort="), Tz::UTC, true),
        Err(ValidationError::Sort(SortError { raw: String::new() }))
    );
}

#[test]
fn a_route_that_does_not_read_sort_ignores_a_bad_one() {
    let validated = validate(&format!("{RANGE}&sort=bad"), Tz::UTC, false).unwrap();
    assert_eq!(validated.sort, None);
}

#[test]
fn a_route_that_does_not_read_sort_ignores_a_good_one_too() {
    let query = format!("{RANGE}&sort=%7B%22total%22%3A1%7D");
    assert_eq!(validate(&query, Tz::UTC, false).unwrap().sort, None);
}

#[test]
fn a_route_that_does_not_read_sort_still_requires_a_string() {
    assert_eq!(
        validate(&format!("{RANGE}&sort[total]=1"), Tz::UTC, false),
        Err(ValidationError::Schema(SchemaError::NotString))
    );
}

#[test]
fn the_dates_are_checked_in_order() {
    let check = |query: &str| validate(query, Tz::UTC, true).unwrap_err();
    assert_eq!(
        check("start=test&end=test"),
        ValidationError::Date(DateError::InvalidStart)
    );
    assert_eq!(
        check("start=2020-01-01&end=test"),
        ValidationError::Date(DateError::InvalidEnd)
    );
    assert_eq!(
        check("start=2020-01-01&end=2024-01-01"),
        ValidationError::Date(DateError::MoreThanOneYear)
    );
    assert_eq!(
        check("start=2024-01-02&end=2024-01-01"),
        ValidationError::Date(DateError::StartAfterEnd)
    );
}

#[test]
fn an_unencoded_plus_offset_is_an_invalid_date() {
    assert_eq!(
        validate(
            "start=2024-01-01T10:00:00+05:00&end=2024-01-02T00:00:00Z",
            Tz::UTC,
            true
        ),
        Err(ValidationError::Date(DateError::InvalidStart))
    );
    assert!(validate(
        "start=2024-01-01T10:00:00%2B05:00&end=2024-01-02T00:00:00Z",
        Tz::UTC,
        true
    )
    .is_ok());
}

#[test]
fn the_configured_zone_reads_dates_without_an_offset() {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let validated = validate("start=2024-01-01&end=2024-01-02", berlin, true).unwrap();
    assert_eq!(validated.range.start, instant("2023-12-31T23:00:00Z"));
    assert_eq!(validated.range.end, instant("2024-01-01T23:00:00Z"));
}

fn extension_error(query: &str, takes_interval: bool) -> String {
    let error = validate_extension(query, Tz::UTC, true, takes_interval).unwrap_err();
    ApiError::from(error).body().error
}

#[test]
fn an_extension_route_names_each_bad_parameter() {
    let rows = [
        ("start=a&end=b&foo=1", "The \"foo\" query parameter is not allowed. [invalid-params]"),
        (
            "start=a&end=b&interval=day",
            "The \"interval\" query parameter is not allowed. [invalid-params]",
        ),
        ("end=b", "must have required property 'start' [invalid-params]"),
        (
            "start=a&end=b&timezone=Mars/Olympus",
            "The \"timezone\" query parameter must be an IANA time zone name, such as Europe/Berlin. [invalid-params]",
        ),
        (
            "start=a&end=b&timezone=europe/berlin",
            "The \"timezone\" query parameter must be an IANA time zone name, such as Europe/Berlin. [invalid-params]",
        ),
        (
            "start=a&end=b&timezone[]=UTC",
            "The \"timezone\" query parameter must be an IANA time zone name, such as Europe/Berlin. [invalid-params]",
        ),
        ("start=a&end=b&sort=1", "Invalid sort parameter provided: \"1\" [error-invalid-sort]"),
        ("start=a&end=b", "The \"start\" query parameter must be a valid date."),
    ];
    for (query, expected) in rows {
        assert_eq!(extension_error(query, false), expected, "{query}");
    }
    for query in [
        "start=a&end=b&interval=year",
        "start=a&end=b&interval=Day",
        "start=a&end=b&interval=day&interval=day",
    ] {
        assert_eq!(
            extension_error(query, true),
            "The \"interval\" query parameter must be one of hour, day, week, month. [invalid-params]",
            "{query}"
        );
    }
}

#[test]
fn an_extension_route_reads_dates_in_the_requested_zone() {
    let ok = validate_extension(
        "start=2025-03-30&end=2025-03-31&timezone=Asia/Kathmandu&interval=week",
        Tz::UTC,
        true,
        true,
    )
    .unwrap();
    assert_eq!(ok.timezone, Tz::Asia__Kathmandu);
    assert_eq!(ok.interval, Interval::Week);
    assert_eq!(ok.range.start, instant("2025-03-29T18:15:00Z"));
    let default = validate_extension(
        "start=2025-03-30&end=2025-03-31",
        Tz::Europe__Berlin,
        false,
        true,
    )
    .unwrap();
    assert_eq!(
        (default.timezone, default.interval),
        (Tz::Europe__Berlin, Interval::Day)
    );
    assert_eq!(default.range.start, instant("2025-03-29T23:00:00Z"));
}
