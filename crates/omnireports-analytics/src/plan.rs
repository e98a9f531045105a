//! Splits `[start, end)` into pieces whose counts add up exactly to the raw count: whole
//! month, day and hour buckets of the aggregate tables, and raw rows for partial hours.

use chrono::{DateTime, Datelike, Duration, DurationRound, NaiveDate, TimeZone, Utc};

/// Where a piece is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Conversation rows with `lo <= ts < hi`.
    Rows = -1,
    /// Hour buckets starting in `[lo, hi)`.
    Hour = 0,
    Day = 1,
    Month = 2,
}

/// A signed part of the range: the range's count is `Σ sign × count(piece)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub level: Level,
    pub lo: DateTime<Utc>,
    pub hi: DateTime<Utc>,
    pub sign: i64,
}

const HOUR: Duration = Duration::hours(1);
/// A partial hour longer than this is counted as its bucket minus the rows outside the range.
const HALF_HOUR: Duration = Duration::minutes(30);

/// The pieces of `[start, end)`; empty when `start >= end`.
pub fn plan(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Piece> {
    if start >= end {
        return vec![];
    }
    let first_hour = ceil_hour(start);
    let last_hour = floor_hour(end);
    if first_hour >= last_hour {
        return vec![piece(Level::Rows, start, end, 1)];
    }
    let mut pieces = Vec::new();
    if start < first_hour {
        edge(
            &mut pieces,
            start,
            first_hour,
            first_hour - HOUR,
            first_hour,
        );
    }
    cover_hours(&mut pieces, first_hour, last_hour);
    if last_hour < end {
        edge(&mut pieces, last_hour, end, last_hour, last_hour + HOUR);
    }
    pieces
}

/// The partial hour `[lo, hi)` inside the bucket `[bucket, bucket + 1h)`: its rows, or, when
/// that is more than half the hour, the bucket minus the rows on the other side.
fn edge(
    pieces: &mut Vec<Piece>,
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    bucket: DateTime<Utc>,
    bucket_end: DateTime<Utc>,
) {
    if hi - lo <= HALF_HOUR {
        pieces.push(piece(Level::Rows, lo, hi, 1));
        return;
    }
    pieces.push(piece(Level::Hour, bucket, bucket_end, 1));
    if bucket < lo {
        pieces.push(piece(Level::Rows, bucket, lo, -1));
    }
    if hi < bucket_end {
        pieces.push(piece(Level::Rows, hi, bucket_end, -1));
    }
}

/// Whole hours `[lo, hi)`: hours up to the first day boundary, days up to the first month
/// boundary, whole months, then days and hours down from the end.
fn cover_hours(pieces: &mut Vec<Piece>, lo: DateTime<Utc>, hi: DateTime<Utc>) {
    let day_lo = ceil_day(lo).min(hi);
    let day_hi = floor_day(hi).max(day_lo);
    push_nonempty(pieces, Level::Hour, lo, day_lo);
    let month_lo = ceil_month(day_lo).min(day_hi);
    let month_hi = floor_month(day_hi).max(month_lo);
    push_nonempty(pieces, Level::Day, day_lo, month_lo);
    push_nonempty(pieces, Level::Month, month_lo, month_hi);
    push_nonempty(pieces, Level::Day, month_hi, day_hi);
    push_nonempty(pieces, Level::Hour, day_hi, hi);
}

fn push_nonempty(pieces: &mut Vec<Piece>, level: Level, lo: DateTime<Utc>, hi: DateTime<Utc>) {
    if lo < hi {
        pieces.push(piece(level, lo, hi, 1));
    }
}

fn piece(level: Level, lo: DateTime<Utc>, hi: DateTime<Utc>, sign: i64) -> Piece {
    Piece {
        level,
        lo,
        hi,
        sign,
    }
}

fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(HOUR).unwrap_or(t)
}

fn ceil_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = floor_hour(t);
    if floor == t {
        t
    } else {
        floor + HOUR
    }
}

fn floor_day(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::days(1)).unwrap_or(t)
}

fn ceil_day(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = floor_day(t);
    if floor == t {
        t
    } else {
        floor + Duration::days(1)
    }
}

fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

fn floor_month(t: DateTime<Utc>) -> DateTime<Utc> {
    month_start(t.year(), t.month())
}

fn ceil_month(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = floor_month(t);
    if floor == t {
        return t;
    }
    match t.month() {
        12 => month_start(t.year() + 1, 1),
        month => month_start(t.year(), month + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Checks that the pieces add up to exactly the instants of [start, end), at a resolution of
    /// one minute over the pieces' span.
    fn assert_exact(start: &str, end: &str) {
        let (start, end) = (at(start), at(end));
        let pieces = plan(start, end);
        let mut t = start - Duration::hours(2);
        while t < end + Duration::hours(2) {
            let covered: i64 = pieces
                .iter()
                .filter(|p| contains(p, t))
                .map(|p| p.sign)
                .sum();
            let expected = i64::from(start <= t && t < end);
            assert_eq!(covered, expected, "{t} in {start}..{end}: {pieces:?}");
            t += Duration::minutes(7);
        }
    }

    /// Whether the piece counts an instant `t` (a bucket counts all of its own hour/day/month).
    fn contains(p: &Piece, t: DateTime<Utc>) -> bool {
        let bucket = match p.level {
            Level::Rows => t,
            Level::Hour => floor_hour(t),
            Level::Day => floor_day(t),
            Level::Month => floor_month(t),
        };
        p.lo <= bucket && bucket < p.hi
    }

    #[test]
    fn ui_month_range_is_few_pieces() {
        let pieces = plan(at("2026-10-26T00:00:00Z"), at("2026-11-25T23:59:59.999Z"));
        assert!(pieces.len() <= 6, "{pieces:?}");
        // The last hour is its bucket minus a millisecond of rows.
        let last = pieces.last().unwrap();
        assert_eq!((last.level, last.sign), (Level::Rows, -1));
        assert_eq!(last.hi - last.lo, Duration::milliseconds(1));
    }

    #[test]
    fn pieces_cover_exactly_the_range() {
        for (start, end) in [
            ("2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z"),
            ("2026-01-10T00:10:00Z", "2026-01-10T00:50:00Z"),
            ("2026-01-10T00:10:00Z", "2026-01-10T01:50:00Z"),
            ("2026-01-10T05:59:59.999Z", "2026-01-10T06:00:00.001Z"),
            ("2025-11-26T00:00:00Z", "2026-11-25T23:59:59.999Z"),
            ("2025-12-31T23:20:00Z", "2026-03-01T00:40:00Z"),
            ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
            ("2026-02-27T13:07:00Z", "2026-02-28T22:51:00Z"),
        ] {
            assert_exact(start, end);
        }
    }

    #[test]
    fn empty_range_has_no_pieces() {
        let t = at("2026-01-10T00:00:00Z");
        assert!(plan(t, t).is_empty());
    }
}
