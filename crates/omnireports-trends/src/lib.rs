#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod calendar;
mod table;

pub use calendar::{buckets, first_instant, period_start, TooManyBuckets, MAX_BUCKETS};
pub use table::{file_name, report_csv, series_csv, series_file_name};

use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use omnireports_analytics::ReportBody;
use omnireports_model::{DateRange, Interval};
use serde::Serialize;

/// One bucket of a series, or one period of a comparison: its range and the report over it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// The first instant, in the zone's offset ([`instant`]).
    pub start: String,
    /// The end (exclusive), in the zone's offset.
    pub end: String,
    /// The report over `[start, end)`.
    #[serde(flatten)]
    pub body: ReportBody,
}

impl Period {
    /// `body`, the report over `range`, with the range written in `tz`.
    pub fn new(range: DateRange, tz: Tz, body: ReportBody) -> Self {
        Self {
            start: instant(range.start, tz),
            end: instant(range.end, tz),
            body,
        }
    }
}

/// A time series' JSON body (without `success`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    /// The interval's name.
    pub interval: &'static str,
    /// The zone's IANA name.
    pub timezone: &'static str,
    /// Every bucket, in order, empty ones included.
    pub buckets: Vec<Period>,
}

/// A comparison's JSON body (without `success`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The requested range.
    pub current: Period,
    /// The range of the same length that ends where `current` starts.
    pub previous: Period,
}

/// The range of the same length as `range` that ends at its start (clamped to chrono's first
/// instant, before which nothing can be stored anyway).
pub fn previous(range: DateRange) -> DateRange {
    let length = range.end - range.start;
    DateRange {
        start: range
            .start
            .checked_sub_signed(length)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
        end: range.start,
    }
}

/// `t` as ISO 8601 with milliseconds and `tz`'s offset there (`+00:00` for UTC). The few
/// historical offsets with seconds (local mean time) cannot be written as `±hh:mm`: such an
/// instant is written in UTC, so that it stays exact.
pub fn instant(t: DateTime<Utc>, tz: Tz) -> String {
    const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3f%:z";
    let offset = tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    match (offset.local_minus_utc() % 60, local_time(t, tz)) {
        (0, Some(_)) => t.with_timezone(&offset).format(FORMAT).to_string(),
        // Also at chrono's very ends, where the local time has no name.
        _ => t.fixed_offset().format(FORMAT).to_string(),
    }
}

/// `t`'s wall-clock time in `tz`; `None` when it lies beyond chrono's range (within hours of
/// its ends, in zones far from UTC).
pub fn local_time(t: DateTime<Utc>, tz: Tz) -> Option<chrono::NaiveDateTime> {
    let offset = tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    t.naive_utc().checked_add_offset(offset)
}

/// The last instant of `range` that it holds (its start when empty): the day a "To" column
/// names, as Rocket.Chat's Reports page does with its `…T23:59:59.999` ends.
pub(crate) fn last_instant(range: DateRange) -> DateTime<Utc> {
    range
        .end
        .checked_sub_signed(Duration::milliseconds(1))
        .map_or(range.start, |last| last.max(range.start))
}

/// The name of an interval as a series' file name says it.
pub(crate) fn per(interval: Interval) -> &'static str {
    interval.name()
}
