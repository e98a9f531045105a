//! A zone's calendar as UTC instants: where its hours, days, ISO weeks and months begin.

use chrono::offset::LocalResult;
use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use omnireports_model::{DateRange, Interval};

/// The most buckets one series may have.
pub const MAX_BUCKETS: usize = 1000;

/// A range that [`buckets`] would cut into more than [`MAX_BUCKETS`] buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The \"interval\" query parameter makes more than {max} buckets of this range; choose a longer interval or a shorter range.")]
pub struct TooManyBuckets {
    /// The limit that was passed.
    pub max: usize,
}

/// `range` cut at every start of an `interval` of `tz` inside it: adjacent, in order, together
/// exactly `[start, end)`; the first and last are cut at `start` and `end`. None for an empty
/// range.
///
/// A period starts at the first instant at which the zone's wall clock reads its first local time
/// (midnight, the whole hour, the 1st, Monday): when a DST change skips that time, at the end of
/// the skipped span; when the clock goes back over it, at its first pass. So a day is 23 or 25
/// hours across a change, and a repeated local hour is one bucket of two hours.
pub fn buckets(
    range: DateRange,
    interval: Interval,
    tz: Tz,
    max: usize,
) -> Result<Vec<DateRange>, TooManyBuckets> {
    let mut buckets = Vec::new();
    if range.start >= range.end {
        return Ok(buckets);
    }
    // Beyond chrono's range the zone has no calendar: one bucket.
    let Some(local) = crate::local_time(range.start, tz) else {
        return Ok(vec![range]);
    };
    let mut period = period_start(local, interval);
    let mut lo = range.start;
    loop {
        let next = next_period(period, interval).and_then(|next| {
            period = next;
            first_instant(next, tz)
        });
        let hi = match next {
            Some(hi) if hi < range.end => hi,
            // Past the end, or beyond what chrono can name: the last bucket.
            _ => range.end,
        };
        // The clock going back across a period's start can bring that start before `lo`.
        if hi > lo {
            if buckets.len() == max {
                return Err(TooManyBuckets { max });
            }
            buckets.push(DateRange { start: lo, end: hi });
            lo = hi;
        }
        if hi == range.end {
            return Ok(buckets);
        }
    }
}

/// The first local time of the period holding `local`.
pub fn period_start(local: NaiveDateTime, interval: Interval) -> NaiveDateTime {
    let date = local.date();
    match interval {
        Interval::Hour => date.and_time(NaiveTime::MIN) + Duration::hours(i64::from(local.hour())),
        Interval::Day => date.and_time(NaiveTime::MIN),
        Interval::Week => {
            let monday = date
                .checked_sub_signed(Duration::days(i64::from(
                    date.weekday().num_days_from_monday(),
                )))
                .unwrap_or(date);
            monday.and_time(NaiveTime::MIN)
        }
        Interval::Month => date.with_day(1).unwrap_or(date).and_time(NaiveTime::MIN),
    }
}

/// The first local time of the period after the one starting at `start`.
fn next_period(start: NaiveDateTime, interval: Interval) -> Option<NaiveDateTime> {
    match interval {
        Interval::Hour => start.checked_add_signed(Duration::hours(1)),
        Interval::Day => start.checked_add_signed(Duration::days(1)),
        Interval::Week => start.checked_add_signed(Duration::days(7)),
        Interval::Month => {
            let date = start.date();
            let (year, month) = match date.month() {
                12 => (date.year().checked_add(1)?, 1),
                month => (date.year(), month + 1),
            };
            Some(NaiveDate::from_ymd_opt(year, month, 1)?.and_time(NaiveTime::MIN))
        }
    }
}

/// The first instant at which `tz`'s wall clock reads `local`; when `local` falls in a gap (the
/// clock jumps over it), the instant of the jump.
pub fn first_instant(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.to_utc()),
        LocalResult::Ambiguous(earlier, later) => Some(earlier.min(later).to_utc()),
        LocalResult::None => gap_end(local, tz),
    }
}

/// The jump over `local`: the first whole second whose wall time is past it. Offsets stay within
/// ±16 hours, so the jump lies within 16 hours of `local` read as UTC; transitions fall on whole
/// seconds.
fn gap_end(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    let as_utc = local.and_utc().timestamp();
    let past = |second: i64| {
        DateTime::from_timestamp(second, 0)
            .and_then(|t| crate::local_time(t, tz))
            .is_some_and(|wall| wall > local)
    };
    let (mut lo, mut hi) = (as_utc - 16 * 3600, as_utc + 16 * 3600);
    if past(lo) || !past(hi) {
        return None;
    }
    // Invariant: `lo` is not past, `hi` is.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if past(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    fn range(start: &str, end: &str) -> DateRange {
        DateRange {
            start: at(start),
            end: at(end),
        }
    }

    fn starts(range: DateRange, interval: Interval, tz: Tz) -> Vec<String> {
        buckets(range, interval, tz, MAX_BUCKETS)
            .unwrap()
            .iter()
            .map(|bucket| bucket.start.to_rfc3339())
            .collect()
    }

    #[test]
    fn berlin_days_are_23_and_25_hours_across_dst() {
        let spring = buckets(
            range("2025-03-29T23:00:00Z", "2025-03-31T22:00:00Z"),
            Interval::Day,
            Tz::Europe__Berlin,
            MAX_BUCKETS,
        )
        .unwrap();
        let hours: Vec<i64> = spring
            .iter()
            .map(|b| (b.end - b.start).num_hours())
            .collect();
        assert_eq!(hours, [23, 24]);
        let autumn = buckets(
            range("2025-10-25T22:00:00Z", "2025-10-26T23:00:00Z"),
            Interval::Day,
            Tz::Europe__Berlin,
            MAX_BUCKETS,
        )
        .unwrap();
        assert_eq!((autumn[0].end - autumn[0].start).num_hours(), 25);
    }

    #[test]
    fn kathmandu_days_start_at_a_quarter_past_six_utc() {
        assert_eq!(
            starts(
                range("2025-01-01T00:00:00Z", "2025-01-03T00:00:00Z"),
                Interval::Day,
                Tz::Asia__Kathmandu
            ),
            [
                "2025-01-01T00:00:00+00:00",
                "2025-01-01T18:15:00+00:00",
                "2025-01-02T18:15:00+00:00"
            ]
        );
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_at_the_jump() {
        // Santiago: 2024-09-08 00:00 -04 became 01:00 -03 (04:00Z).
        assert_eq!(
            starts(
                range("2024-09-07T12:00:00Z", "2024-09-08T12:00:00Z"),
                Interval::Day,
                Tz::America__Santiago
            ),
            ["2024-09-07T12:00:00+00:00", "2024-09-08T04:00:00+00:00"]
        );
    }

    #[test]
    fn lord_howe_hours_follow_its_half_hour_shift() {
        // 2025-04-06 02:00 +11 went back to 01:30 +10:30 (15:00Z): the hour 01 lasts 90 minutes.
        let hours = buckets(
            range("2025-04-05T14:00:00Z", "2025-04-05T17:00:00Z"),
            Interval::Hour,
            Tz::Australia__Lord_Howe,
            MAX_BUCKETS,
        )
        .unwrap();
        let minutes: Vec<i64> = hours
            .iter()
            .map(|b| (b.end - b.start).num_minutes())
            .collect();
        assert_eq!(minutes, [90, 60, 30]);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        assert_eq!(
            starts(
                range("2025-01-01T00:00:00Z", "2025-01-15T00:00:00Z"),
                Interval::Week,
                Tz::UTC
            ),
            [
                "2025-01-01T00:00:00+00:00",
                "2025-01-06T00:00:00+00:00",
                "2025-01-13T00:00:00+00:00"
            ]
        );
        assert_eq!(
            starts(
                range("2025-01-15T00:00:00Z", "2025-03-02T00:00:00Z"),
                Interval::Month,
                Tz::Asia__Kolkata
            ),
            [
                "2025-01-15T00:00:00+00:00",
                "2025-01-31T18:30:00+00:00",
                "2025-02-28T18:30:00+00:00"
            ]
        );
    }

    #[test]
    fn too_many_buckets_is_an_error_and_an_empty_range_has_none() {
        let year = range("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
        assert_eq!(
            buckets(year, Interval::Hour, Tz::UTC, MAX_BUCKETS),
            Err(TooManyBuckets { max: MAX_BUCKETS })
        );
        assert_eq!(
            buckets(year, Interval::Day, Tz::UTC, MAX_BUCKETS)
                .unwrap()
                .len(),
            365
        );
        let empty = range("2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z");
        assert_eq!(
            buckets(empty, Interval::Day, Tz::UTC, MAX_BUCKETS),
            Ok(vec![])
        );
    }
}
