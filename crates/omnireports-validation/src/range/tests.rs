use super::*;

fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

fn tz(name: &str) -> Tz {
    name.parse().unwrap()
}

/// `years_between` in UTC, rounded like the contract's table (six decimals).
fn years(start: &str, end: &str) -> f64 {
    let years = years_between(instant(start), instant(end), Tz::UTC);
    (years * 1e6).round() / 1e6
}

#[test]
fn every_vector_of_the_contract_has_its_years() {
    let vectors = [
        ("2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 1.0),
        ("2023-01-01T00:00:00Z", "2024-01-04T23:59:59Z", 1.008065),
        ("2023-01-01T00:00:00Z", "2024-01-05T00:00:00Z", 1.010753),
        ("2023-03-01T00:00:00Z", "2024-03-04T00:00:00Z", 1.008929),
        ("2023-03-01T00:00:00Z", "2024-03-05T00:00:00Z", 1.011905),
        ("2024-02-29T00:00:00Z", "2025-03-03T00:00:00Z", 1.008621),
        ("2024-02-29T00:00:00Z", "2025-03-04T00:00:00Z", 1.011494),
        ("2019-02-25T00:00:00Z", "2020-02-29T00:00:00Z", 1.008333),
        ("2020-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 4.0),
        ("2024-06-02T00:00:00Z", "2023-01-01T00:00:00Z", -1.419355),
    ];
    for (start, end, expected) in vectors {
        assert_eq!(years(start, end), expected, "{start} -> {end}");
    }
}

#[test]
fn every_vector_of_the_contract_has_its_result() {
    let vectors = [
        ("2023-01-01T00:00Z", "2024-01-01T00:00Z", None),
        ("2023-01-01T00:00Z", "2024-01-04T23:59:59Z", None),
        (
            "2023-01-01T00:00Z",
            "2024-01-05T00:00Z",
            Some(DateError::MoreThanOneYear),
        ),
        ("2023-03-01", "2024-03-04", None),
        ("2023-03-01", "2024-03-05", Some(DateError::MoreThanOneYear)),
        ("2024-02-29", "2025-03-03", None),
        ("2024-02-29", "2025-03-04", Some(DateError::MoreThanOneYear)),
        ("2019-02-25", "2020-02-29", None),
        ("2020-01-01", "2024-01-01", Some(DateError::MoreThanOneYear)),
        ("2024-06-02", "2023-01-01", Some(DateError::StartAfterEnd)),
    ];
    for (start, end, error) in vectors {
        assert_eq!(
            check_range(start, end, Tz::UTC).err(),
            error,
            "{start} -> {end}"
        );
    }
}

#[test]
fn the_range_keeps_the_parsed_instants() {
    assert_eq!(
        check_range("2024-01-01T10:30:00Z", "2024-01-02T12:00:00.5Z", Tz::UTC),
        Ok(DateRange {
            start: instant("2024-01-01T10:30:00Z"),
            end: instant("2024-01-02T12:00:00.5Z"),
        })
    );
}

#[test]
fn start_equal_to_end_is_valid() {
    let now = "2024-05-05T12:34:56.789Z";
    let range = check_range(now, now, Tz::UTC).unwrap();
    assert_eq!(range.start, range.end);
}

#[test]
fn start_one_millisecond_after_end_is_out_of_order() {
    assert_eq!(
        check_range(
            "2024-01-01T00:00:00.001Z",
            "2024-01-01T00:00:00.000Z",
            Tz::UTC
        ),
        Err(DateError::StartAfterEnd)
    );
}

#[test]
fn the_order_check_uses_full_instants_not_days() {
    assert_eq!(
        check_range("2024-01-01T12:00:00Z", "2024-01-01T11:00:00Z", Tz::UTC),
        Err(DateError::StartAfterEnd)
    );
}

#[test]
fn an_invalid_start_is_reported_before_an_invalid_end() {
    assert_eq!(
        check_range("test", "test", Tz::UTC),
        Err(DateError::InvalidStart)
    );
    assert_eq!(
        check_range("2020-01-01", "test", Tz::UTC),
        Err(DateError::InvalidEnd)
    );
}

#[test]
fn the_one_year_rule_is_reported_before_the_order() {
    assert_eq!(
        check_range("2026-01-01", "2024-01-01", Tz::UTC),
        Err(DateError::StartAfterEnd)
    );
    assert_eq!(
        check_range("2022-01-01", "2024-01-01T00:00:00Z", Tz::UTC),
        Err(DateError::MoreThanOneYear)
    );
}

#[test]
fn the_days_are_those_of_the_configured_zone() {
    // In UTC the days are 2023-01-05 and 2024-01-08 (1.008 years); in São Paulo (UTC-3) the start
    // is still 2023-01-04, which makes 1.011.
    let (start, end) = ("2023-01-05T01:00:00Z", "2024-01-08T12:00:00Z");
    assert!(check_range(start, end, Tz::UTC).is_ok());
    assert_eq!(
        check_range(start, end, tz("America/Sao_Paulo")),
        Err(DateError::MoreThanOneYear)
    );
    let years = years_between(instant(start), instant(end), tz("America/Sao_Paulo"));
    assert!((years - 1.010753).abs() < 1e-6, "{years}");
}

#[test]
fn dates_without_an_offset_are_read_in_the_configured_zone() {
    let berlin = tz("Europe/Berlin");
    assert_eq!(
        check_range("2024-01-01", "2024-01-01T00:30:00", berlin),
        Ok(DateRange {
            start: instant("2023-12-31T23:00:00Z"),
            end: instant("2023-12-31T23:30:00Z"),
        })
    );
}

#[test]
fn a_month_with_a_dst_change_is_an_hour_longer() {
    // Anchors 2023-10-04 and 2023-11-04 in Berlin are 31 days and one hour apart (clocks go back
    // on 2023-10-29), so the three days before the anchor weigh 72 / 745 of a month.
    let berlin = tz("Europe/Berlin");
    let years = years_between(
        instant("2023-10-31T23:00:00Z"),
        instant("2024-11-03T23:00:00Z"),
        berlin,
    );
    let expected = (12.0 + 72.0 / 745.0) / 12.0;
    assert!((years - expected).abs() < 1e-12, "{years} != {expected}");
}

#[test]
fn a_day_starting_in_a_dst_gap_starts_after_the_gap() {
    // Havana springs forward at midnight: 2024-03-10 begins at 01:00 (UTC-4).
    let havana = tz("America/Havana");
    assert_eq!(
        start_of_day(instant("2024-03-10T12:00:00Z"), havana),
        Some(instant("2024-03-10T05:00:00Z"))
    );
}

/// 00:00 UTC of a date in any year chrono holds.
fn midnight(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(year, month, day).unwrap();
    date.and_time(NaiveTime::MIN).and_utc()
}

#[test]
fn the_storable_start_is_postgres_first_instant() {
    assert_eq!(DateRange::STORABLE_START, midnight(-4713, 11, 24));
}

#[test]
fn a_range_before_what_postgres_stores_becomes_empty_at_its_start() {
    let range = check_range("-005000-01-01", "-005000-06-01", Tz::UTC).unwrap();
    assert_eq!(range.start, midnight(-5000, 1, 1));
    let storable = DateRange {
        start: DateRange::STORABLE_START,
        end: DateRange::STORABLE_START,
    };
    assert_eq!(range.storable(), storable);
}

#[test]
fn a_range_across_the_storable_start_keeps_its_end() {
    let range = check_range("-004713-01-01", "-004713-12-15", Tz::UTC).unwrap();
    let storable = range.storable();
    assert_eq!(storable.start, DateRange::STORABLE_START);
    assert_eq!(storable.end, range.end);
}

#[test]
fn a_storable_range_is_unchanged() {
    let range = check_range("2024-01-01", "2024-02-01", Tz::UTC).unwrap();
    assert_eq!(range.storable(), range);
    let latest = check_range("+262142-12-01", "+262142-12-31T23:59:59.999Z", Tz::UTC).unwrap();
    assert_eq!(latest.storable(), latest);
}

#[test]
fn the_checks_use_the_dates_as_given_not_as_stored() {
    assert_eq!(
        check_range("-006000-01-01", "-005000-01-01", Tz::UTC),
        Err(DateError::MoreThanOneYear)
    );
    assert_eq!(
        check_range("-005000-06-01", "-005000-01-01", Tz::UTC),
        Err(DateError::StartAfterEnd)
    );
}
