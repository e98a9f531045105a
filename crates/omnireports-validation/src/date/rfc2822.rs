//! moment's RFC 2822 path (`configFromRFC2822`).
//!
//! The fields are range-checked as moment's `checkOverflow` does it after parsing: `31 Feb`,
//! `25:00` and even `24:00` (the milliseconds are missing, so it is not "exactly" midnight) are
//! invalid. A day of week that does not match the date makes the date invalid too.

use super::civil::{self, Fields};
use super::{is_js_space, Attempt};
use chrono::{Datelike, TimeDelta};
use chrono_tz::Tz;

/// moment's short weekday names, Sunday first (the index is `Date#getDay`).
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The obsolete zone names and their offsets in minutes (`Z` is handled apart).
const ZONES: [(&str, i64); 10] = [
    ("UT", 0),
    ("GMT", 0),
    ("EDT", -4 * 60),
    ("EST", -5 * 60),
    ("CDT", -5 * 60),
    ("CST", -6 * 60),
    ("MDT", -6 * 60),
    ("MST", -7 * 60),
    ("PDT", -7 * 60),
    ("PST", -8 * 60),
];

/// `Skip` when the input, once cleaned like moment cleans it, does not match moment's RFC 2822
/// regex.
pub(super) fn parse(input: &str, tz: Tz) -> Attempt {
    let text = preprocess(input);
    let Some(date) = Rfc2822::read(&text) else {
        return Attempt::Skip;
    };
    if !date.in_range() {
        return Attempt::Done(None);
    }
    if let Some(weekday) = date.weekday {
        if date.actual_weekday(tz) != Some(weekday) {
            return Attempt::Done(None);
        }
    }
    let instant = date
        .fields
        .naive()
        .and_then(|utc| civil::at_offset(utc, TimeDelta::minutes(date.offset)));
    Attempt::Done(instant)
}

/// moment's `preprocessRFC2822`: comments `(...)` (without nested parentheses), tabs and newlines
/// become spaces, runs of whitespace become one space, and the ends are trimmed.
fn preprocess(input: &str) -> String {
    let mut spaced = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(c) = rest.chars().next() {
        if let Some(comment) = comment_len(rest) {
            spaced.push(' ');
            rest = &rest[comment..];
            continue;
        }
        spaced.push(if c == '\n' || c == '\t' { ' ' } else { c });
        rest = &rest[c.len_utf8()..];
    }
    collapse_spaces(&spaced)
        .trim_matches(is_js_space)
        .to_owned()
}

/// Runs of two or more whitespace characters become one space; a single one stays as it is.
fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_js_space(c) && chars.peek().is_some_and(|&next| is_js_space(next)) {
            while chars.next_if(|&next| is_js_space(next)).is_some() {}
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// The byte length of `\([^()]*\)` at the start of `text`.
fn comment_len(text: &str) -> Option<usize> {
    let inner = text.strip_prefix('(')?;
    let end = inner.find(['(', ')'])?;
    (inner.as_bytes()[end] == b')').then_some(end + 2)
}

/// A match of moment's regex:
/// `^(?:(Mon|...|Sun),?\s)?(\d{1,2})\s(Jan|...|Dec)\s(\d{2,4})\s(\d\d):(\d\d)(?::(\d\d))?\s`
/// `(?:(UT|GMT|[ECMP][SD]T)|([Zz])|([+-]\d{4}))$`.
#[derive(Debug)]
struct Rfc2822 {
    /// The day of week given, Sunday = 0.
    weekday: Option<usize>,
    /// The fields in UTC terms (before the offset is applied).
    fields: Fields,
    /// Minutes east of UTC.
    offset: i64,
}

impl Rfc2822 {
    fn read(text: &str) -> Option<Self> {
        let mut cursor = Cursor(text);
        let weekday = match WEEKDAYS.iter().position(|day| text.starts_with(day)) {
            Some(weekday) => {
                cursor.0 = &text[3..];
                cursor.literal(",");
                cursor.space()?;
                Some(weekday)
            }
            None => None,
        };
        let day = cursor.digits(1, 2)?;
        cursor.space()?;
        let month0 = cursor.one_of(&MONTHS)?;
        cursor.space()?;
        let (year, _) = cursor.digits(2, 4)?;
        cursor.space()?;
        let hour = cursor.digits(2, 2)?;
        if !cursor.literal(":") {
            return None;
        }
        let minute = cursor.digits(2, 2)?;
        let second = cursor.seconds();
        cursor.space()?;
        let offset = zone(cursor.0)?;
        Some(Rfc2822 {
            weekday,
            fields: Fields {
                year: untruncate_year(year),
                month0: i64::try_from(month0).ok()?,
                day: day.0,
                hour: hour.0,
                minute: minute.0,
                second: second.unwrap_or(0),
                ms: 0,
            },
            offset,
        })
    }

    /// moment's `checkOverflow` on `[year, month, day, hour, minute, second?]`.
    fn in_range(&self) -> bool {
        let Fields {
            year,
            month0,
            day,
            hour,
            minute,
            second,
            ..
        } = self.fields;
        let last_day = i32::try_from(year)
            .ok()
            .zip(u32::try_from(month0 + 1).ok())
            .and_then(|(year, month)| civil::days_in_month(year, month));
        last_day.is_some_and(|last| (1..=i64::from(last)).contains(&day))
            && hour <= 23
            && minute <= 59
            && second <= 59
    }

    /// `new Date(year, month, day).getDay()`: the weekday of the date at local midnight in `tz`
    /// (normally the date's own weekday).
    fn actual_weekday(&self, tz: Tz) -> Option<usize> {
        let midnight = Fields {
            hour: 0,
            minute: 0,
            second: 0,
            ..self.fields
        };
        let instant = civil::local_to_utc(midnight.naive()?, tz)?;
        let weekday = instant.with_timezone(&tz).weekday().num_days_from_sunday();
        usize::try_from(weekday).ok()
    }
}

/// moment's `untruncateYear`: up to 49 is 20xx, up to 999 is 19xx (so `100` is 2000).
fn untruncate_year(year: i64) -> i64 {
    match year {
        ..=49 => 2000 + year,
        50..=999 => 1900 + year,
        _ => year,
    }
}

/// The zone alternatives and the end of input, as minutes east of UTC. `±HHMM` is read as moment
/// reads it: hours and minutes of the number, minutes not range-checked.
fn zone(text: &str) -> Option<i64> {
    if let Some(&(_, offset)) = ZONES.iter().find(|(name, _)| *name == text) {
        return Some(offset);
    }
    if text == "Z" || text == "z" {
        return Some(0);
    }
    let (sign, digits) = match text.split_at_checked(1)? {
        ("+", digits) => (1, digits),
        ("-", digits) => (-1, digits),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: i64 = digits.parse().ok()?;
    Some(sign * (number / 100 * 60 + number % 100))
}

/// A position in the text being matched.
#[derive(Debug)]
struct Cursor<'a>(&'a str);

impl Cursor<'_> {
    /// Consumes `literal` if the text continues with it.
    fn literal(&mut self, literal: &str) -> bool {
        match self.0.strip_prefix(literal) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    /// One `\s`.
    fn space(&mut self) -> Option<()> {
        let c = self.0.chars().next().filter(|&c| is_js_space(c))?;
        self.0 = &self.0[c.len_utf8()..];
        Some(())
    }

    /// `\d{min,max}`, greedy: the value and the number of digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let len = self
            .0
            .bytes()
            .take(max)
            .take_while(u8::is_ascii_digit)
            .count();
        if len < min {
            return None;
        }
        let value = self.0[..len].parse().ok()?;
        self.0 = &self.0[len..];
        Some((value, len))
    }

    /// The index of the option the text continues with.
    fn one_of(&mut self, options: &[&str]) -> Option<usize> {
        let index = options
            .iter()
            .position(|option| self.0.starts_with(option))?;
        self.0 = &self.0[options[index].len()..];
        Some(index)
    }

    /// The optional `:ss`, taken only when both digits are there.
    fn seconds(&mut self) -> Option<i64> {
        let rest = self.0.strip_prefix(':')?;
        let mut after = Cursor(rest);
        let (value, _) = after.digits(2, 2)?;
        self.0 = after.0;
        Some(value)
    }
}
