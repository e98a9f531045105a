//! The date checks of Rocket.Chat's `checkDates`: both dates valid, less than a year apart the
//! way moment measures it, and in order.

use crate::date::{days_in_month, local_to_utc, parse_date};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use omnireports_model::DateRange;

/// moment's `diff(..., 'year', true)` is an estimate, so Rocket.Chat allows a little over a year.
const MAX_YEARS: f64 = 1.01;

/// The first failing date check; the messages are Rocket.Chat's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// `start` is not a date moment can parse.
    #[error("The \"start\" query parameter must be a valid date.")]
    InvalidStart,
    /// `end` is not a date moment can parse.
    #[error("The \"end\" query parameter must be a valid date.")]
    InvalidEnd,
    /// The dates are more than a year apart, as moment estimates it (over 1.01 years).
    #[error("The \"start\" and \"end\" query parameters must be less than 1 year apart.")]
    MoreThanOneYear,
    /// `start` is after `end`.
    #[error("The \"start\" query parameter must be before the \"end\" query parameter.")]
    StartAfterEnd,
}

/// The four checks in order: start valid, end valid, the one-year rule, start <= end.
///
/// The one-year rule comes before the order check, so an end before the start passes it (the
/// difference is negative) and fails as [`DateError::StartAfterEnd`].
pub fn check_range(start: &str, end: &str, tz: Tz) -> Result<DateRange, DateError> {
    let start = parse_date(start, tz).ok_or(DateError::InvalidStart)?;
    let end = parse_date(end, tz).ok_or(DateError::InvalidEnd)?;
    if years_between(start, end, tz) > MAX_YEARS {
        return Err(DateError::MoreThanOneYear);
    }
    if start > end {
        return Err(DateError::StartAfterEnd);
    }
    Ok(DateRange { start, end })
}

/// moment's `diff(E, S, 'year', true)` with both truncated to the start of their day in `tz`.
///
/// NaN (which passes the rule, as in moment) only for dates at the edge of chrono's range.
pub fn years_between(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> f64 {
    let diff = start_of_day(start, tz)
        .zip(start_of_day(end, tz))
        .and_then(|(start, end)| month_diff(end, start, tz));
    diff.map_or(f64::NAN, |months| months / 12.0)
}

/// moment's `startOf('day')`: local midnight (or the first instant of the day when midnight falls
/// in a DST gap).
fn start_of_day(instant: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    // Checked: near chrono's ends the local time of a zone far from UTC cannot be named.
    let offset = tz.offset_from_utc_datetime(&instant.naive_utc()).fix();
    let date = instant.naive_utc().checked_add_offset(offset)?.date();
    local_to_utc(date.and_time(NaiveTime::MIN), tz)
}

/// moment's `monthDiff(a, b)`: whole months from `a` to `b` plus a fraction interpolated, in
/// milliseconds, across the month around `b`. The result is negated, as moment's is.
fn month_diff(a: DateTime<Utc>, b: DateTime<Utc>, tz: Tz) -> Option<f64> {
    let (local_a, local_b) = (a.with_timezone(&tz), b.with_timezone(&tz));
    if local_a.day() < local_b.day() {
        // Anchoring on the later day of month keeps the end-of-month clamping right.
        return month_diff(b, a, tz).map(|months| -months);
    }
    let whole =
        (local_b.year() - local_a.year()) * 12 + local_b.month0() as i32 - local_a.month0() as i32;
    let anchor = add_months(a, whole, tz)?;
    let offset = millis(b) - millis(anchor);
    let adjust = if offset < 0.0 {
        offset / (millis(anchor) - millis(add_months(a, whole - 1, tz)?))
    } else {
        offset / (millis(add_months(a, whole + 1, tz)?) - millis(anchor))
    };
    let months = -(f64::from(whole) + adjust);
    // moment returns 0 rather than -0.
    Some(if months == 0.0 { 0.0 } else { months })
}

/// moment's `add(n, 'months')` on a local moment: the same wall-clock time `n` months later, the
/// day clamped to the month's last day, resolved in `tz` again.
fn add_months(instant: DateTime<Utc>, months: i32, tz: Tz) -> Option<DateTime<Utc>> {
    let local = instant.with_timezone(&tz).naive_local();
    let total = local.year().checked_mul(12)? + local.month0() as i32 + months;
    let (year, month) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    let day = local.day().min(days_in_month(year, month)?);
    local_to_utc(
        NaiveDate::from_ymd_opt(year, month, day)?.and_time(local.time()),
        tz,
    )
}

fn millis(instant: DateTime<Utc>) -> f64 {
    instant.timestamp_millis() as f64
}

#[cfg(test)]
mod tests;
