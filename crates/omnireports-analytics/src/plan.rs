//! Splits `[start, end)` into pieces whose counts add up exactly to the raw count: whole
//! month, week, day, six-hour, hour and (in the unrestricted tables) quarter-hour buckets of the
//! aggregate tables, and raw rows for what is left. Each level tiles the buckets of the level above it, so a range reads at most
//! a few buckets of each level at each edge.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use omnireports_model::DateRange;

/// Where a piece is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Conversation rows with `lo <= ts < hi`.
    Rows = -1,
    /// Hour buckets starting in `[lo, hi)`.
    Hour = 0,
    /// UTC day buckets starting in `[lo, hi)`.
    Day = 1,
    /// UTC calendar-month buckets starting in `[lo, hi)`.
    Month = 2,
    /// 00:00–06:00, 06:00–12:00, 12:00–18:00 and 18:00–24:00.
    SixHours = 3,
    /// Days 1–7, 8–14, 15–21, 22–28 and 29 to the end of a month (none in a 28-day February).
    Week = 4,
    /// Quarter hours, in the unrestricted tables only ([`Levels::Plain`]).
    Quarter = 5,
}

/// The levels of the tables a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Levels {
    /// The unrestricted tables: down to quarter hours.
    Plain,
    /// The scoped and per-unit tables: down to hours.
    Scoped,
}

impl Levels {
    /// Coarsest first; below the last level come raw rows.
    fn coarsest_first(self) -> &'static [Level] {
        match self {
            Levels::Plain => &LEVELS,
            Levels::Scoped => &LEVELS[..LEVELS.len() - 1],
        }
    }
}

/// A signed part of the range: the range's count is `Σ sign × count(piece)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Where the piece is counted: raw rows or one bucket level.
    pub level: Level,
    /// Start of the piece (inclusive).
    pub lo: DateTime<Utc>,
    /// End of the piece (exclusive).
    pub hi: DateTime<Utc>,
    /// `1` when the piece's count is added, `-1` when it is subtracted.
    pub sign: i64,
}

const QUARTER: Duration = Duration::minutes(15);
const HOUR: Duration = Duration::hours(1);
const SIX_HOURS: Duration = Duration::hours(6);
const DAY: Duration = Duration::days(1);
const WEEK: Duration = Duration::days(7);

/// Coarsest first.
const LEVELS: [Level; 6] = [
    Level::Month,
    Level::Week,
    Level::Day,
    Level::SixHours,
    Level::Hour,
    Level::Quarter,
];

/// The pieces of `[start, end)`; empty when `start >= end`.
///
/// Buckets are used from the first month PostgreSQL holds whole to the last month chrono can
/// end; whatever lies outside is read as raw rows, so that no bucket bound falls beyond either
/// (bind `start` and `end` themselves only from a [`DateRange::storable`] range).
pub fn plan(start: DateTime<Utc>, end: DateTime<Utc>, levels: Levels) -> Vec<Piece> {
    let first = ceil(Level::Month, DateRange::STORABLE_START);
    let last = floor(Level::Month, DateTime::<Utc>::MAX_UTC);
    let (lo, hi) = (start.max(first), end.min(last));
    let mut pieces = Vec::new();
    rows(&mut pieces, start, end.min(lo));
    Cover {
        pieces: &mut pieces,
        levels: levels.coarsest_first(),
    }
    .cover(lo, hi, 1, 0);
    rows(&mut pieces, start.max(hi), end);
    pieces
}

fn rows(pieces: &mut Vec<Piece>, lo: DateTime<Utc>, hi: DateTime<Utc>) {
    if lo < hi {
        pieces.push(piece(Level::Rows, lo, hi, 1));
    }
}

/// The whole-bucket pieces of a plan as a step function of time, for rows that are not in the
/// aggregates yet (logged changes): on `[bounds[i], bounds[i + 1])` a row counts `weights[i]`
/// times (the summed sign of the pieces whose buckets hold it), and outside the bounds not at all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Steps {
    /// Ascending, without repeats.
    pub bounds: Vec<DateTime<Utc>>,
    /// One fewer than `bounds`.
    pub weights: Vec<i64>,
}

impl Steps {
    /// The steps of the whole-bucket pieces of `pieces`; [`Level::Rows`] pieces are left out.
    pub fn of(pieces: &[Piece]) -> Self {
        let whole = || pieces.iter().filter(|p| p.level != Level::Rows);
        let mut bounds: Vec<_> = whole().flat_map(|p| [p.lo, p.hi]).collect();
        bounds.sort_unstable();
        bounds.dedup();
        let weights = bounds
            .windows(2)
            .map(|step| {
                whole()
                    .filter(|p| p.lo <= step[0] && step[1] <= p.hi)
                    .map(|p| p.sign)
                    .sum()
            })
            .collect();
        Self { bounds, weights }
    }
}

/// The pieces of a plan as they are found, from `levels`.
struct Cover<'a> {
    pieces: &'a mut Vec<Piece>,
    levels: &'static [Level],
}

impl Cover<'_> {
    /// Adds `sign × [lo, hi)` using whole buckets of `levels[depth]` and finer.
    fn cover(&mut self, lo: DateTime<Utc>, hi: DateTime<Utc>, sign: i64, depth: usize) {
        if lo >= hi {
            return;
        }
        let Some(&level) = self.levels.get(depth) else {
            self.pieces.push(piece(Level::Rows, lo, hi, sign));
            return;
        };
        let (first, last) = (ceil(level, lo), floor(level, hi));
        if first > last {
            // Both ends in one bucket.
            self.partial(lo, hi, level, sign, depth);
            return;
        }
        if first < last {
            self.pieces.push(piece(level, first, last, sign));
        }
        self.partial(lo, first, level, sign, depth);
        self.partial(last, hi, level, sign, depth);
    }

    /// `[lo, hi)` inside one bucket of `level`: counted at the finer levels, or, when it is more
    /// than half the bucket, as the bucket minus the finer count of the rest.
    fn partial(
        &mut self,
        lo: DateTime<Utc>,
        hi: DateTime<Utc>,
        level: Level,
        sign: i64,
        depth: usize,
    ) {
        if lo >= hi {
            return;
        }
        let bucket = floor(level, lo);
        let bucket_end = next(level, bucket);
        if (hi - lo) * 2 <= bucket_end - bucket {
            self.cover(lo, hi, sign, depth + 1);
            return;
        }
        self.pieces.push(piece(level, bucket, bucket_end, sign));
        self.cover(bucket, lo, -sign, depth + 1);
        self.cover(hi, bucket_end, -sign, depth + 1);
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

/// Start of the bucket of `level` holding `t`.
pub(crate) fn floor(level: Level, t: DateTime<Utc>) -> DateTime<Utc> {
    match level {
        Level::Rows => t,
        Level::Quarter => truncate(t, QUARTER),
        Level::Hour => truncate(t, HOUR),
        Level::SixHours => truncate(t, SIX_HOURS),
        Level::Day => truncate(t, DAY),
        Level::Week => floor_week(t),
        Level::Month => floor_month(t),
    }
}

/// First bucket start of `level` at or after `t`.
fn ceil(level: Level, t: DateTime<Utc>) -> DateTime<Utc> {
    let start = floor(level, t);
    if start == t {
        t
    } else {
        next(level, start)
    }
}

/// The start of the bucket after the one starting at `start`.
pub(crate) fn next(level: Level, start: DateTime<Utc>) -> DateTime<Utc> {
    match level {
        Level::Rows => start,
        Level::Quarter => start + QUARTER,
        Level::Hour => start + HOUR,
        Level::SixHours => start + SIX_HOURS,
        Level::Day => start + DAY,
        Level::Week => next_month(start).min(start + WEEK),
        Level::Month => next_month(start),
    }
}

/// UTC-aligned: days, six hours and hours start at multiples of their length since the epoch.
/// In microseconds, which span all of chrono's years (`duration_trunc` counts nanoseconds, which
/// end in 1677 and 2262).
fn truncate(t: DateTime<Utc>, unit: Duration) -> DateTime<Utc> {
    let (micros, unit) = (t.timestamp_micros(), unit.num_microseconds().unwrap_or(1));
    DateTime::from_timestamp_micros(micros - micros.rem_euclid(unit)).unwrap_or(t)
}

/// The week of `t`'s month holding `t`: its start day is 1, 8, 15, 22 or 29.
fn floor_week(t: DateTime<Utc>) -> DateTime<Utc> {
    let day = ((t.day() - 1) / 7 * 7 + 1).min(29);
    let date = NaiveDate::from_ymd_opt(t.year(), t.month(), day)
        .expect("a day of t's month on or before t's own");
    Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

/// The start of the month after the one holding `t`.
fn next_month(t: DateTime<Utc>) -> DateTime<Utc> {
    match t.month() {
        12 => month_start(t.year() + 1, 1),
        month => month_start(t.year(), month + 1),
    }
}

/// The first instant of a month; `plan` asks only for months chrono holds (see its bounds).
fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(year, month, 1).expect("a month chrono holds");
    Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

fn floor_month(t: DateTime<Utc>) -> DateTime<Utc> {
    month_start(t.year(), t.month())
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
        exact(at(start), at(end));
    }

    fn exact(start: DateTime<Utc>, end: DateTime<Utc>) {
        for levels in [Levels::Plain, Levels::Scoped] {
            exact_with(start, end, levels);
        }
    }

    fn exact_with(start: DateTime<Utc>, end: DateTime<Utc>, levels: Levels) {
        let pieces = plan(start, end, levels);
        let mut t = start
            .checked_sub_signed(Duration::hours(2))
            .unwrap_or(start);
        while t < end.checked_add_signed(Duration::hours(2)).unwrap_or(end) {
            let covered: i64 = pieces
                .iter()
                .filter(|p| contains(p, t))
                .map(|p| p.sign)
                .sum();
            let expected = i64::from(start <= t && t < end);
            assert_eq!(covered, expected, "{t} in {start}..{end}: {pieces:?}");
            match t.checked_add_signed(Duration::minutes(7)) {
                Some(next) => t = next,
                None => break,
            }
        }
    }

    /// The steps give every instant the weight of the whole-bucket pieces holding it.
    fn assert_steps(start: &str, end: &str) {
        let pieces = plan(at(start), at(end), Levels::Plain);
        let steps = Steps::of(&pieces);
        assert_eq!(steps.weights.len() + 1, steps.bounds.len().max(1));
        let mut t = at(start) - Duration::hours(2);
        while t < at(end) + Duration::hours(2) {
            let expected: i64 = pieces
                .iter()
                .filter(|p| p.level != Level::Rows && contains(p, t))
                .map(|p| p.sign)
                .sum();
            let step = steps.bounds.partition_point(|b| *b <= t);
            let weight = match step {
                0 => 0,
                i => steps.weights.get(i - 1).copied().unwrap_or(0),
            };
            assert_eq!(weight, expected, "{t} in {start}..{end}: {steps:?}");
            t += Duration::minutes(7);
        }
    }

    /// Whether the piece counts an instant `t` (a bucket counts all of its own hour/day/month).
    fn contains(p: &Piece, t: DateTime<Utc>) -> bool {
        let bucket = floor(p.level, t);
        p.lo <= bucket && bucket < p.hi
    }

    /// How many aggregate buckets the pieces read (raw rows not counted).
    fn buckets(pieces: &[Piece]) -> usize {
        let mut count = 0;
        for p in pieces.iter().filter(|p| p.level != Level::Rows) {
            let mut t = p.lo;
            while t < p.hi {
                count += 1;
                t = next(p.level, t);
            }
        }
        count
    }

    #[test]
    fn ui_year_range_reads_few_buckets() {
        let pieces = plan(
            at("2025-11-26T00:00:00Z"),
            at("2026-11-25T23:59:59.999Z"),
            Levels::Plain,
        );
        assert!(buckets(&pieces) <= 20, "{pieces:?}");
        let finest = [Level::Quarter, Level::Hour, Level::SixHours];
        assert!(
            pieces.iter().all(|p| !finest.contains(&p.level)),
            "{pieces:?}"
        );
    }

    #[test]
    fn any_range_reads_few_buckets_per_key() {
        // Starts every 7 h 13 min 17.5 s over a year, each with lengths from 1 ms to a year.
        let year = Duration::days(365);
        let mut start = at("2025-01-01T00:00:00Z");
        let mut most = 0;
        while start < at("2026-01-01T00:00:00Z") {
            for length in [
                1,
                3_600_001,
                86_399_999,
                302_400_000,
                1_300_000_000,
                15_000_000_000,
            ] {
                let end = start + Duration::milliseconds(length).min(year);
                most = most.max(buckets(&plan(start, end, Levels::Plain)));
            }
            start += Duration::milliseconds(26_000_000 - 2_500);
        }
        // Months inside the range, then at each edge a few weeks, days, six hours, hours and
        // quarter hours.
        assert!(most <= 26, "{most}");
    }

    #[test]
    fn raw_rows_are_at_most_half_the_finest_bucket() {
        for (levels, half) in [
            (Levels::Plain, Duration::seconds(450)),
            (Levels::Scoped, Duration::minutes(30)),
        ] {
            let mut start = at("2025-03-01T00:00:00.001Z");
            while start < at("2025-03-03T00:00:00Z") {
                for length in [1, 599_999, 3_600_001, 86_399_999, 1_300_000_000] {
                    let end = start + Duration::milliseconds(length);
                    for piece in plan(start, end, levels) {
                        if piece.level == Level::Rows {
                            assert!(piece.hi - piece.lo <= half, "{levels:?} {piece:?}");
                        }
                    }
                }
                start += Duration::milliseconds(7 * 60_000 + 13_777);
            }
        }
    }

    #[test]
    fn days_a_quarter_hour_off_utc_read_no_rows() {
        // A day of Asia/Kathmandu (+05:45) and of Asia/Kolkata (+05:30).
        for (start, end) in [
            ("2026-01-09T18:15:00Z", "2026-01-10T18:15:00Z"),
            ("2026-01-09T18:30:00Z", "2026-01-10T18:30:00Z"),
        ] {
            let pieces = plan(at(start), at(end), Levels::Plain);
            assert!(pieces.iter().all(|p| p.level != Level::Rows), "{pieces:?}");
            assert_exact(start, end);
        }
    }

    #[test]
    fn ui_month_range_is_few_pieces() {
        let pieces = plan(
            at("2026-10-26T00:00:00Z"),
            at("2026-11-25T23:59:59.999Z"),
            Levels::Plain,
        );
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
            // Weeks of the month: a 28-day February has no fifth week, a leap one has a one-day
            // fifth week, a 31-day month a three-day one.
            ("2026-02-21T23:00:00Z", "2026-03-08T01:00:00Z"),
            ("2024-02-20T05:30:00Z", "2024-03-01T00:00:00.001Z"),
            ("2024-02-29T00:00:00Z", "2024-03-15T00:00:00Z"),
            ("2026-01-28T18:00:00Z", "2026-02-01T06:00:00Z"),
            ("2026-01-03T07:00:00Z", "2026-01-29T17:00:00Z"),
        ] {
            assert_exact(start, end);
            assert_steps(start, end);
        }
    }

    /// 00:00 UTC of a date in any year chrono holds.
    fn midnight(year: i32, month: u32, day: u32) -> DateTime<Utc> {
        let date = NaiveDate::from_ymd_opt(year, month, day).unwrap();
        Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
    }

    #[test]
    fn buckets_are_aligned_in_every_year() {
        let t = midnight(1500, 3, 1) + Duration::minutes(10 * 60 + 7);
        assert_eq!(floor(Level::Day, t), midnight(1500, 3, 1));
        assert_eq!(floor(Level::SixHours, t), midnight(1500, 3, 1) + SIX_HOURS);
        let t = midnight(-4713, 12, 3) - Duration::milliseconds(1);
        assert_eq!(floor(Level::Hour, t), midnight(-4713, 12, 3) - HOUR);
    }

    #[test]
    fn far_ranges_reach_no_bound_postgres_or_chrono_lacks() {
        let first = DateRange::STORABLE_START;
        let hour = Duration::hours(1);
        for (start, end) in [
            (first, first + Duration::days(20)),
            (first + hour, midnight(-4713, 12, 15) + hour),
            (first, midnight(-4712, 11, 20)),
            (midnight(262142, 11, 20), DateTime::<Utc>::MAX_UTC),
            (midnight(262142, 12, 15), midnight(262142, 12, 31) + hour),
        ] {
            let pieces = plan(start, end, Levels::Plain);
            let bounds = pieces.iter().flat_map(|p| [p.lo, p.hi]);
            assert!(bounds.clone().all(|b| b >= first), "{pieces:?}");
            assert!(bounds.clone().all(|b| b.year() < 262143), "{pieces:?}");
            exact(start, end);
        }
    }

    #[test]
    fn empty_range_has_no_pieces() {
        let t = at("2026-01-10T00:00:00Z");
        assert!(plan(t, t, Levels::Plain).is_empty());
    }
}
