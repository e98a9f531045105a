use super::*;
use chrono::SecondsFormat;

fn tz(name: &str) -> Tz {
    name.parse().unwrap()
}

/// The instant `input` denotes in `zone`, as `YYYY-MM-DDTHH:mm:ss.sssZ`.
fn parse_in(input: &str, zone: Tz) -> Option<String> {
    parse_date(input, zone).map(|instant| instant.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn parse(input: &str) -> Option<String> {
    parse_in(input, Tz::UTC)
}

fn assert_parses(cases: &[(&str, &str)], zone: Tz) {
    for &(input, expected) in cases {
        assert_eq!(
            parse_in(input, zone).as_deref(),
            Some(expected),
            "{input:?}"
        );
    }
}

fn assert_invalid(inputs: &[&str]) {
    for input in inputs {
        assert_eq!(parse(input), None, "{input:?}");
    }
}

#[test]
fn asp_net_dates_are_epoch_milliseconds() {
    assert_parses(
        &[
            ("/Date(1700000000000)/", "2023-11-14T22:13:20.000Z"),
            ("/Date(1700000000000+0100)/", "2023-11-14T22:13:20.000Z"),
            ("Date(0)", "1970-01-01T00:00:00.000Z"),
            ("/date(-1000)", "1969-12-31T23:59:59.000Z"),
            ("/Date(0001)/", "1970-01-01T00:00:00.001Z"),
        ],
        Tz::UTC,
    );
}

#[test]
fn asp_net_dates_beyond_the_javascript_range_are_invalid() {
    assert_invalid(&["/Date(8640000000000001)/", "/Date(99999999999999999999)/"]);
}

#[test]
fn asp_net_without_digits_is_not_asp_net() {
    assert_invalid(&["/Date()/", "/Date(-)/", "/Date(x)/"]);
}

#[test]
fn the_ui_format_is_valid() {
    assert_parses(
        &[
            ("2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z"),
            ("2024-01-31T23:59:59.999Z", "2024-01-31T23:59:59.999Z"),
        ],
        tz("America/Sao_Paulo"),
    );
}

#[test]
fn extended_iso_dates_and_times_are_valid() {
    assert_parses(
        &[
            ("2024-03-15", "2024-03-15T00:00:00.000Z"),
            ("2024-03", "2024-03-01T00:00:00.000Z"),
            ("2024", "2024-01-01T00:00:00.000Z"),
            ("+002024-03-15", "2024-03-15T00:00:00.000Z"),
            ("-000001-03-15T00:00Z", "-0001-03-15T00:00:00.000Z"),
            ("2024-03-15T10", "2024-03-15T10:00:00.000Z"),
            ("2024-03-15T10:20", "2024-03-15T10:20:00.000Z"),
            ("2024-03-15 10:20:30", "2024-03-15T10:20:30.000Z"),
            ("2024-03-15T10:20:30.5", "2024-03-15T10:20:30.500Z"),
            ("2024-03-15T10:20:30,25", "2024-03-15T10:20:30.250Z"),
            ("  2024-03-15T10:20:30Z", "2024-03-15T10:20:30.000Z"),
        ],
        Tz::UTC,
    );
}

#[test]
fn basic_iso_dates_and_times_are_valid() {
    assert_parses(
        &[
            ("20240315", "2024-03-15T00:00:00.000Z"),
            ("202403", "2024-03-01T00:00:00.000Z"),
            ("+0020240315", "2024-03-15T00:00:00.000Z"),
            ("20240315T10", "2024-03-15T10:00:00.000Z"),
            ("20240315T1020", "2024-03-15T10:20:00.000Z"),
            ("20240315 102030", "2024-03-15T10:20:30.000Z"),
            ("20240315T102030.123Z", "2024-03-15T10:20:30.123Z"),
            ("20240315T102030,9+0100", "2024-03-15T09:20:30.900Z"),
        ],
        Tz::UTC,
    );
}

#[test]
fn iso_week_dates_are_valid() {
    assert_parses(
        &[
            ("2020-W01-1", "2019-12-30T00:00:00.000Z"),
            ("2020-W01", "2019-12-30T00:00:00.000Z"),
            ("2020W013", "2020-01-01T00:00:00.000Z"),
            ("2020W53", "2020-12-28T00:00:00.000Z"),
            ("2020-W53-7T12:00Z", "2021-01-03T12:00:00.000Z"),
        ],
        Tz::UTC,
    );
}

#[test]
fn iso_ordinal_dates_are_valid() {
    assert_parses(
        &[
            ("2020-001", "2020-01-01T00:00:00.000Z"),
            ("2020-366", "2020-12-31T00:00:00.000Z"),
            ("2021060", "2021-03-01T00:00:00.000Z"),
            ("2021-060T08:00Z", "2021-03-01T08:00:00.000Z"),
        ],
        Tz::UTC,
    );
}

#[test]
fn iso_zones_are_applied() {
    assert_parses(
        &[
            ("2024-03-15T10:00Z", "2024-03-15T10:00:00.000Z"),
            ("2024-03-15T10:00 Z", "2024-03-15T10:00:00.000Z"),
            ("2024-03-15T10:00+05", "2024-03-15T05:00:00.000Z"),
            ("2024-03-15T10:00-0330", "2024-03-15T13:30:00.000Z"),
            ("2024-03-15T10:00:00.000+05:30", "2024-03-15T04:30:00.000Z"),
            ("2024-03-15T10:00+14:00", "2024-03-14T20:00:00.000Z"),
            ("2024-03-15T10:00-12:00", "2024-03-15T22:00:00.000Z"),
        ],
        tz("Europe/Berlin"),
    );
}

#[test]
fn iso_offsets_take_any_two_digits_of_hours_and_minutes() {
    // moment's offsetFromString: hh * 60 + mm minutes, neither range-checked.
    assert_parses(
        &[
            ("2026-01-01T00:00:00+24:00", "2025-12-31T00:00:00.000Z"),
            ("2026-01-01T00:00:00-24:00", "2026-01-02T00:00:00.000Z"),
            ("2026-01-01T00:00:00+2400", "2025-12-31T00:00:00.000Z"),
            ("2026-01-01T00:00:00+24", "2025-12-31T00:00:00.000Z"),
            ("2024-03-15T10:00+14:01", "2024-03-14T19:59:00.000Z"),
            ("2024-03-15T10:00-12:01", "2024-03-15T22:01:00.000Z"),
            ("2024-03-15T10:00+01:60", "2024-03-15T08:00:00.000Z"),
            // 99 * 60 + 99 = 6039 minutes.
            ("2024-03-15T10:00+99:99", "2024-03-11T05:21:00.000Z"),
            ("2024-03-15T10:00-9999", "2024-03-19T14:39:00.000Z"),
            ("20240315T1000+9999", "2024-03-11T05:21:00.000Z"),
        ],
        tz("Europe/Berlin"),
    );
}

#[test]
fn digits_beyond_the_milliseconds_are_cut() {
    assert_parses(
        &[
            ("2024-03-15T10:20:30.123456789Z", "2024-03-15T10:20:30.123Z"),
            ("2024-03-15T10:20:30.9999Z", "2024-03-15T10:20:30.999Z"),
            (
                "2024-03-15T10:20:30.9999999999999999Z",
                "2024-03-15T10:20:30.999Z",
            ),
        ],
        Tz::UTC,
    );
}

#[test]
fn a_fraction_that_rounds_to_a_full_second_is_invalid() {
    // As in JavaScript, 0.99999999999999999 is the double 1.0: 1000 ms.
    assert_invalid(&["2024-03-15T10:20:30.99999999999999999Z"]);
}

#[test]
fn hour_24_is_the_next_midnight() {
    assert_parses(
        &[
            ("2024-12-31T24:00", "2025-01-01T00:00:00.000Z"),
            ("2024-02-28T24:00:00.000Z", "2024-02-29T00:00:00.000Z"),
        ],
        Tz::UTC,
    );
    assert_invalid(&[
        "2024-01-01T24:01",
        "2024-01-01T24:00:01",
        "2024-01-01T24:00:00.001",
    ]);
}

#[test]
fn out_of_range_iso_fields_are_invalid() {
    assert_invalid(&[
        "2020-13-01",
        "2020-00-10",
        "2020-02-30",
        "2021-02-29",
        "2020-04-31",
        "2020-01-00",
        "2020-01-01T25:00",
        "2020-01-01T10:60",
        "2020-01-01T10:00:60",
        "2020-000",
        "2021-366",
        "2021-W53",
        "2020-W00",
        "2020-W01-0",
        "2020-W01-8",
        "20201301",
    ]);
}

#[test]
fn mixing_extended_and_basic_iso_is_invalid() {
    assert_invalid(&["2024-01-01T102030", "2024-01-01T1020"]);
}

#[test]
fn a_time_on_a_month_date_falls_back_to_v8() {
    // Not ISO for moment (`YYYY-MM` takes no time), but V8 reads it.
    assert_eq!(
        parse("2020-01 10:00").as_deref(),
        Some("2020-01-01T10:00:00.000Z")
    );
}

#[test]
fn iso_without_an_offset_is_local_time() {
    assert_parses(
        &[
            ("2024-01-15", "2024-01-14T23:00:00.000Z"),
            ("2024-07-15T12:00", "2024-07-15T10:00:00.000Z"),
        ],
        tz("Europe/Berlin"),
    );
}

#[test]
fn a_local_time_in_a_dst_gap_moves_forward_by_the_gap() {
    assert_parses(
        &[
            ("2024-03-10T02:30:00", "2024-03-10T07:30:00.000Z"),
            ("March 10, 2024 02:30", "2024-03-10T07:30:00.000Z"),
        ],
        tz("America/New_York"),
    );
}

#[test]
fn a_local_time_in_a_dst_overlap_is_the_earlier_instant() {
    assert_parses(
        &[
            ("2024-11-03T01:30:00", "2024-11-03T05:30:00.000Z"),
            ("11/3/2024 1:30", "2024-11-03T05:30:00.000Z"),
        ],
        tz("America/New_York"),
    );
}

#[test]
fn rfc_2822_dates_are_valid() {
    assert_parses(
        &[
            (
                "Mon, 25 Dec 1995 13:30:00 +0430",
                "1995-12-25T09:00:00.000Z",
            ),
            ("25 Dec 1995 13:30 GMT", "1995-12-25T13:30:00.000Z"),
            ("Mon 25 Dec 1995 13:30:00 UT", "1995-12-25T13:30:00.000Z"),
            ("25 Dec 95 13:30 EST", "1995-12-25T18:30:00.000Z"),
            ("1 Jan 20 00:00 PDT", "2020-01-01T07:00:00.000Z"),
            ("1 Jan 2020 00:00 z", "2020-01-01T00:00:00.000Z"),
            ("1 Jan 2020 00:00 -0130", "2020-01-01T01:30:00.000Z"),
            (
                " Mon, 25 Dec 1995\t13:30:00  (a comment) +0430 ",
                "1995-12-25T09:00:00.000Z",
            ),
        ],
        tz("Europe/Berlin"),
    );
}

#[test]
fn out_of_range_rfc_2822_fields_are_invalid() {
    assert_invalid(&[
        "31 Feb 2020 10:00 GMT",
        "0 Jan 2020 10:00 GMT",
        "1 Jan 2020 25:00 GMT",
        "1 Jan 2020 24:00:00 GMT",
        "1 Jan 2020 10:60 GMT",
        "1 Jan 2020 10:00:60 GMT",
    ]);
}

#[test]
fn rfc_2822_offsets_are_not_range_checked() {
    // moment's calculateOffset: hhmm / 100 hours and hhmm % 100 minutes of the signed number.
    assert_parses(
        &[
            ("1 Jan 2020 10:00 +0099", "2020-01-01T08:21:00.000Z"),
            ("1 Jan 2020 10:00 +2400", "2019-12-31T10:00:00.000Z"),
            ("1 Jan 2020 10:00 -9999", "2020-01-05T14:39:00.000Z"),
        ],
        Tz::UTC,
    );
}

#[test]
fn a_wrong_day_of_week_is_invalid() {
    assert_invalid(&[
        "Tue, 25 Dec 1995 13:30:00 +0430",
        "Sun 25 Dec 1995 13:30 GMT",
    ]);
}

#[test]
fn javascript_date_strings_are_valid() {
    assert_parses(
        &[
            ("Jan 1 2020", "2020-01-01T00:00:00.000Z"),
            ("December 17, 1995 03:24:00", "1995-12-17T03:24:00.000Z"),
            ("1/2/2020", "2020-01-02T00:00:00.000Z"),
            ("2020/01/01", "2020-01-01T00:00:00.000Z"),
            ("2020-1-1", "2020-01-01T00:00:00.000Z"),
            (
                "Tue Jan 02 2024 10:00:00 GMT+0000 (Coordinated Universal Time)",
                "2024-01-02T10:00:00.000Z",
            ),
            ("1 January 2020", "2020-01-01T00:00:00.000Z"),
            ("2020 Jan 5", "2020-01-05T00:00:00.000Z"),
            ("1/2/20 1:05 pm", "2020-01-02T13:05:00.000Z"),
            ("12/25/2020 12:00 AM", "2020-12-25T00:00:00.000Z"),
            ("Jan 1 2020 10:00:00.25", "2020-01-01T10:00:00.250Z"),
        ],
        Tz::UTC,
    );
}

#[test]
fn javascript_date_strings_are_local_unless_they_carry_an_offset() {
    assert_parses(
        &[
            ("Jan 1 2020", "2019-12-31T23:00:00.000Z"),
            ("1/2/2020 10:00", "2020-01-02T09:00:00.000Z"),
            (
                "Tue Jan 02 2024 10:00:00 GMT+0000 (Coordinated Universal Time)",
                "2024-01-02T10:00:00.000Z",
            ),
            (
                "Tue Jan 02 2024 10:00:00 GMT-0300 (Brasilia Standard Time)",
                "2024-01-02T13:00:00.000Z",
            ),
            ("Jan 1 2020 10:00 UTC", "2020-01-01T10:00:00.000Z"),
            ("Jan 1 2020 10:00 EST", "2020-01-01T15:00:00.000Z"),
            ("1/1/2020 10:00 +05:30", "2020-01-01T04:30:00.000Z"),
            ("2020-01-01Z", "2020-01-01T00:00:00.000Z"),
        ],
        tz("Europe/Berlin"),
    );
}

#[test]
fn an_es5_date_time_that_moment_rejects_is_local_in_v8() {
    // Not ISO for moment (a basic date with an extended time); V8 reads it as ES5.
    assert_parses(
        &[("2020T10:00", "2020-01-01T09:00:00.000Z")],
        tz("Europe/Berlin"),
    );
}

#[test]
fn v8_checks_es5_offsets_but_not_legacy_ones() {
    // Not ISO for moment, so `new Date` decides: its ES5 reader wants hours up to 23 and minutes
    // up to 59; its legacy reader takes any.
    assert_parses(
        &[
            ("2020T10:00+23:59", "2019-12-31T10:01:00.000Z"),
            ("Jan 1 2020 10:00 GMT+9999", "2019-12-28T05:21:00.000Z"),
            ("1/1/2020 10:00 +24:00", "2019-12-31T10:00:00.000Z"),
        ],
        Tz::UTC,
    );
    assert_invalid(&["2020T10:00+24:00", "2020T10:00+0060"]);
}

#[test]
fn moment_quirks_are_kept() {
    assert_parses(
        &[
            // `+002020-01` takes the `YYYY-MM` format, whose year token reads the first four digits.
            ("+002020-01", "0020-01-01T00:00:00.000Z"),
            // A year alone followed by a space and a number is not ISO; V8 reads year and month.
            ("2020 10", "2020-10-01T00:00:00.000Z"),
        ],
        Tz::UTC,
    );
}

#[test]
fn v8_quirks_are_kept() {
    assert_parses(
        &[
            // No year: 2001.
            ("Jan 5", "2001-01-05T00:00:00.000Z"),
            ("12", "2001-12-01T00:00:00.000Z"),
            // Two-digit years.
            ("1/2/99", "1999-01-02T00:00:00.000Z"),
            // A day up to 31 overflows.
            ("2/31/2021", "2021-03-03T00:00:00.000Z"),
            // A NUL ends the input.
            ("Jan 1 2020\0garbage", "2020-01-01T00:00:00.000Z"),
        ],
        Tz::UTC,
    );
}

#[test]
fn strings_that_are_no_date_are_invalid() {
    assert_invalid(&[
        "test",
        "",
        "   ",
        "1700000000000",
        " 05:00",
        "2024-01-01T10:00:00 05:00",
        "now",
        "Jan",
        "32/1/2020",
        "1/32/2020",
        "13/13/2020",
        "1/1/2020 25:00",
        "1/1/2020 10:00 x",
        "abc1 1/1/2020",
        "1/1/2020 +0100",
        "Jan 1 2020 13:00 pm",
    ]);
}
