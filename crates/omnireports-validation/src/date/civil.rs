//! Calendar arithmetic the way JavaScript's `Date` does it.

use chrono::{
    DateTime, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

/// JavaScript's limit on time values: ±8.64e15 ms around the epoch.
const MAX_TIME_MS: i64 = 8_640_000_000_000_000;

/// Calendar fields as `Date.UTC` and `new Date(y, m, d, ...)` take them: a field out of its range
/// overflows into the next larger unit (day 0 is the last day of the previous month).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Fields {
    pub year: i64,
    /// January is 0.
    pub month0: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub ms: i64,
}

impl Fields {
    /// The wall-clock time the fields denote (ECMAScript's MakeDay and MakeTime).
    ///
    /// `None` when the year is beyond what chrono represents. The parsers only produce fields of a
    /// few digits besides the year, so the sums below cannot overflow.
    pub fn naive(&self) -> Option<NaiveDateTime> {
        let year = self.year.checked_add(self.month0.div_euclid(12))?;
        let month = u32::try_from(self.month0.rem_euclid(12) + 1).ok()?;
        let first = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, 1)?;
        let hours = (self.day - 1) * 24 + self.hour;
        let ms = ((hours * 60 + self.minute) * 60 + self.second) * 1000 + self.ms;
        first
            .and_time(NaiveTime::MIN)
            .checked_add_signed(TimeDelta::try_milliseconds(ms)?)
    }
}

/// The instant of a wall-clock time at a fixed offset east of UTC.
pub(super) fn at_offset(local: NaiveDateTime, offset: TimeDelta) -> Option<DateTime<Utc>> {
    clip(local.checked_sub_signed(offset)?.and_utc())
}

/// A wall-clock time in `tz` as an instant, the way JavaScript's `Date` resolves it (and so
/// moment): in a DST gap the offset from before the transition applies, which moves the time
/// forward by the gap (02:30 in a 02:00-03:00 gap becomes 03:30); in an overlap the earlier
/// instant wins.
pub(crate) fn local_to_utc(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    if let Some(instant) = tz.from_local_datetime(&local).earliest() {
        return clip(instant.with_timezone(&Utc));
    }
    // A gap lasts less than a day, so a day earlier is still before the transition (ECMAScript's
    // UTC(t) looks just before it too).
    let before = local.checked_sub_signed(TimeDelta::days(1))?;
    let offset = tz.offset_from_utc_datetime(&before).fix().local_minus_utc();
    at_offset(local, TimeDelta::seconds(i64::from(offset)))
}

/// `Some` when the instant is a valid JavaScript time value.
pub(super) fn clip(instant: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (instant.timestamp_millis().abs() <= MAX_TIME_MS).then_some(instant)
}

/// The number of days of a month (January is 1).
pub(crate) fn days_in_month(year: i32, month: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = first.checked_add_months(Months::new(1))?;
    u32::try_from(next.signed_duration_since(first).num_days()).ok()
}
