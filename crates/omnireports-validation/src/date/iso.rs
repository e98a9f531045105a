//! moment's ISO 8601 path (`configFromISO`): two regexes decide whether the input is ISO and which
//! format it has, then moment's format parser reads the fields and checks their ranges.

use super::civil;
use super::{is_js_space, Attempt};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;

/// moment's `isoDates`, tried in order against the date part: (format, pattern, time allowed).
/// In patterns `#` is a digit, `S` a sign, anything else itself; like the regexes they stand for,
/// they match anywhere in the text.
const DATE_FORMATS: [(&str, &str, bool); 13] = [
    ("YYYYYY-MM-DD", "S######-##-##", true),
    ("YYYY-MM-DD", "####-##-##", true),
    ("GGGG-[W]WW-E", "####-W##-#", true),
    ("GGGG-[W]WW", "####-W##", false),
    ("YYYY-DDD", "####-###", true),
    ("YYYY-MM", "####-##", false),
    ("YYYYYYMMDD", "S##########", true),
    ("YYYYMMDD", "########", true),
    ("GGGG[W]WWE", "####W###", true),
    ("GGGG[W]WW", "####W##", false),
    ("YYYYDDD", "#######", true),
    ("YYYYMM", "######", false),
    ("YYYY", "####", false),
];

/// moment's `isoTimes`, tried in order against the time part.
const TIME_FORMATS: [(&str, &str); 9] = [
    ("HH:mm:ss.SSSS", "##:##:##.#"),
    ("HH:mm:ss,SSSS", "##:##:##,#"),
    ("HH:mm:ss", "##:##:##"),
    ("HH:mm", "##:##"),
    ("HHmmss.SSSS", "######.#"),
    ("HHmmss,SSSS", "######,#"),
    ("HHmmss", "######"),
    ("HHmm", "####"),
    ("HH", "##"),
];

/// The ISO path: `Skip` when the input does not match moment's ISO regexes, or has a time after a
/// date format that allows none (moment then tries the other formats).
pub(super) fn parse(input: &str, tz: Tz) -> Attempt {
    let Some(shape) = Shape::of(input) else {
        return Attempt::Skip;
    };
    let Some(&(date, _, allows_time)) = DATE_FORMATS
        .iter()
        .find(|(_, pattern, _)| contains(shape.date, pattern))
    else {
        return Attempt::Skip;
    };
    let mut format = date.to_owned();
    if let Some((separator, time)) = shape.time {
        let Some((time_format, _)) = TIME_FORMATS
            .iter()
            .find(|(_, pattern)| contains(time, pattern))
        else {
            return Attempt::Skip;
        };
        if !allows_time {
            return Attempt::Skip;
        }
        format.push(separator);
        format.push_str(time_format);
    }
    if shape.zone {
        format.push('Z');
    }
    Attempt::Done(read(input, &tokens(&format)).and_then(|fields| fields.resolve(tz)))
}

/// The groups of moment's `extendedIsoRegex` or `basicIsoRegex` (whichever matches first).
#[derive(Debug)]
struct Shape<'a> {
    date: &'a str,
    time: Option<TimePart<'a>>,
    zone: bool,
}

impl<'a> Shape<'a> {
    fn of(input: &'a str) -> Option<Self> {
        let text = input.trim_start_matches(is_js_space);
        Self::styled(text, true).or_else(|| Self::styled(text, false))
    }

    /// `^\s*` date `(?:(T| )time zone?)?$`, in the extended (dashes and colons) or basic style.
    fn styled(text: &'a str, extended: bool) -> Option<Self> {
        let bytes = text.as_bytes();
        let year = if matches!(bytes.first(), Some(b'+' | b'-')) {
            "S######"
        } else {
            "####"
        };
        if !pattern_at(bytes, 0, year) {
            return None;
        }
        let rests: &[&str] = if extended {
            &["-##-##", "-W##-#", "-W##", "-###", "-##"]
        } else {
            &["####", "W###", "W##", "###", "##", ""]
        };
        // Tried in the regex's order, backtracking into the next one when the rest fails.
        rests
            .iter()
            .filter(|rest| pattern_at(bytes, year.len(), rest))
            .find_map(|rest| {
                let end = year.len() + rest.len();
                let (time, zone) = time_and_zone(&text[end..], extended)?;
                Some(Shape {
                    date: &text[..end],
                    time,
                    zone,
                })
            })
    }
}

/// The separator (`T` or space) and the time text.
type TimePart<'a> = (char, &'a str);

/// The optional `(T| )time zone?` and the end of input. The regex's quantifiers are greedy and
/// what follows each cannot start like it, so the first reading is the only one.
fn time_and_zone(text: &str, extended: bool) -> Option<(Option<TimePart<'_>>, bool)> {
    let Some(separator) = text.chars().next() else {
        return Some((None, false));
    };
    if separator != 'T' && separator != ' ' {
        return None;
    }
    let len = time_len(&text.as_bytes()[1..], extended)?;
    let time = Some((separator, &text[1..1 + len]));
    match &text[1 + len..] {
        "" => Some((time, false)),
        zone => is_zone(zone).then_some((time, true)),
    }
}

/// `HH(:mm(:ss([.,]S+)?)?)?` (extended) or `HH(mm(ss([.,]S+)?)?)?` (basic).
fn time_len(bytes: &[u8], extended: bool) -> Option<usize> {
    if !pattern_at(bytes, 0, "##") {
        return None;
    }
    let step = if extended { ":##" } else { "##" };
    let mut len = 2;
    for _ in 0..2 {
        if !pattern_at(bytes, len, step) {
            return Some(len);
        }
        len += step.len();
    }
    let digits = count_digits(bytes, len + 1, usize::MAX);
    if matches!(bytes.get(len), Some(b'.' | b',')) && digits > 0 {
        len += 1 + digits;
    }
    Some(len)
}

/// `[+-]\d\d(?::?\d\d)?` or `\s*Z`, up to the end.
fn is_zone(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !pattern_at(bytes, 0, "S##") {
        return text.trim_start_matches(is_js_space) == "Z";
    }
    match &bytes[3..] {
        [] => true,
        minutes @ [_, _] => pattern_at(minutes, 0, "##"),
        minutes @ [_, _, _] => pattern_at(minutes, 0, ":##"),
        _ => false,
    }
}

/// Whether `pattern` matches `bytes` at `at`.
fn pattern_at(bytes: &[u8], at: usize, pattern: &str) -> bool {
    let Some(window) = bytes.get(at..at + pattern.len()) else {
        return false;
    };
    window.iter().zip(pattern.bytes()).all(|(&b, p)| match p {
        b'#' => b.is_ascii_digit(),
        b'S' => b == b'+' || b == b'-',
        _ => b == p,
    })
}

/// Whether `pattern` matches anywhere in `text`.
fn contains(text: &str, pattern: &str) -> bool {
    (0..text.len()).any(|at| pattern_at(text.as_bytes(), at, pattern))
}

/// The number of ASCII digits at `at`, at most `max`.
fn count_digits(bytes: &[u8], at: usize, max: usize) -> usize {
    bytes
        .get(at..)
        .unwrap_or_default()
        .iter()
        .take(max)
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// A field of moment's format tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Year,
    WeekYear,
    Month,
    Day,
    DayOfYear,
    Week,
    Weekday,
    Hour,
    Minute,
    Second,
    Fraction,
    Offset,
}

/// What a token's (non-strict) regex accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// `\d{1,max}`
    Digits(usize),
    /// `[+-]?\d{1,6}`
    SignedDigits,
    /// `Z|[+-]\d\d(?::?\d\d)?`, case-insensitive
    Offset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Field(Field, Pattern),
    Literal(u8),
}

/// The tokens of the formats above, longest first where one is a prefix of another.
const TOKENS: [(&str, Field, Pattern); 13] = [
    ("YYYYYY", Field::Year, Pattern::SignedDigits),
    ("YYYY", Field::Year, Pattern::Digits(4)),
    ("GGGG", Field::WeekYear, Pattern::Digits(4)),
    ("SSSS", Field::Fraction, Pattern::Digits(usize::MAX)),
    ("DDD", Field::DayOfYear, Pattern::Digits(3)),
    ("DD", Field::Day, Pattern::Digits(2)),
    ("MM", Field::Month, Pattern::Digits(2)),
    ("WW", Field::Week, Pattern::Digits(2)),
    ("HH", Field::Hour, Pattern::Digits(2)),
    ("mm", Field::Minute, Pattern::Digits(2)),
    ("ss", Field::Second, Pattern::Digits(2)),
    ("E", Field::Weekday, Pattern::Digits(1)),
    ("Z", Field::Offset, Pattern::Offset),
];

fn tokens(format: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = format;
    while let Some(&first) = rest.as_bytes().first() {
        if let Some(after) = rest.strip_prefix("[W]") {
            tokens.push(Token::Literal(b'W'));
            rest = after;
        } else if let Some((name, field, pattern)) =
            TOKENS.iter().find(|(name, ..)| rest.starts_with(name))
        {
            tokens.push(Token::Field(*field, *pattern));
            rest = &rest[name.len()..];
        } else {
            tokens.push(Token::Literal(first));
            rest = &rest[1..];
        }
    }
    tokens
}

impl Token {
    /// The length of this token's match at `at`, if it matches there.
    fn match_at(self, bytes: &[u8], at: usize) -> Option<usize> {
        let first = *bytes.get(at)?;
        let len = match self {
            Token::Literal(literal) => usize::from(first == literal),
            Token::Field(_, Pattern::Digits(max)) => count_digits(bytes, at, max),
            Token::Field(_, Pattern::SignedDigits) => {
                let sign = usize::from(first == b'+' || first == b'-');
                match count_digits(bytes, at + sign, 6) {
                    0 => 0,
                    digits => sign + digits,
                }
            }
            Token::Field(_, Pattern::Offset) => offset_len(bytes, at),
        };
        (len > 0).then_some(len)
    }

    /// The leftmost match in `text`, as byte positions (`String.prototype.match`).
    fn find(self, text: &str) -> Option<(usize, usize)> {
        let bytes = text.as_bytes();
        (0..bytes.len()).find_map(|at| self.match_at(bytes, at).map(|len| (at, at + len)))
    }
}

fn offset_len(bytes: &[u8], at: usize) -> usize {
    if matches!(bytes[at], b'Z' | b'z') {
        1
    } else if !pattern_at(bytes, at, "S##") {
        0
    } else if pattern_at(bytes, at + 3, ":##") {
        6
    } else if pattern_at(bytes, at + 3, "##") {
        5
    } else {
        3
    }
}

/// The fields moment's parser collected.
#[derive(Debug, Default)]
struct Parsed {
    year: Option<i64>,
    month0: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    week_year: Option<i64>,
    week: Option<i64>,
    weekday: Option<i64>,
    hour: Option<i64>,
    minute: Option<i64>,
    second: Option<i64>,
    ms: Option<i64>,
    /// Minutes east of UTC; `None` means local time.
    offset: Option<i64>,
}

/// moment's non-strict format parser: each token takes the first match of its regex in what is
/// left of the input, skipping anything before it. `None` when no token matched.
fn read(input: &str, tokens: &[Token]) -> Option<Parsed> {
    let mut parsed = Parsed::default();
    let mut any = false;
    let mut rest = input;
    for &token in tokens {
        let Some((start, end)) = token.find(rest) else {
            continue;
        };
        if let Token::Field(field, _) = token {
            parsed.set(field, &rest[start..end]);
            any = true;
        }
        rest = &rest[end..];
    }
    any.then_some(parsed)
}

impl Parsed {
    fn set(&mut self, field: Field, text: &str) {
        // Digits only (plus a sign for the year), at most six of them: the parse cannot fail.
        let number = || text.parse::<i64>().unwrap_or_default();
        match field {
            Field::Year => self.year = Some(number()),
            Field::WeekYear => self.week_year = Some(number()),
            Field::Month => self.month0 = Some(number() - 1),
            Field::Day => self.day = Some(number()),
            Field::DayOfYear => self.day_of_year = Some(number()),
            Field::Week => self.week = Some(number()),
            Field::Weekday => self.weekday = Some(number()),
            Field::Hour => self.hour = Some(number()),
            Field::Minute => self.minute = Some(number()),
            Field::Second => self.second = Some(number()),
            Field::Fraction => self.ms = Some(fraction_ms(text)),
            Field::Offset => self.offset = Some(offset_minutes(text)),
        }
    }

    /// moment's `configFromArray` and `checkOverflow`: defaults, range checks, then the instant.
    fn resolve(&self, tz: Tz) -> Option<DateTime<Utc>> {
        let date = self.date()?;
        let (hour, minute) = (self.hour.unwrap_or(0), self.minute.unwrap_or(0));
        let (second, ms) = (self.second.unwrap_or(0), self.ms.unwrap_or(0));
        // 24:00:00.000 is the next midnight.
        let midnight_24 = hour == 24 && minute == 0 && second == 0 && ms == 0;
        if !(hour < 24 || midnight_24) || minute > 59 || second > 59 || ms > 999 {
            return None;
        }
        let clock = TimeDelta::hours(hour)
            + TimeDelta::minutes(minute)
            + TimeDelta::seconds(second)
            + TimeDelta::milliseconds(ms);
        let local = date.and_time(NaiveTime::MIN).checked_add_signed(clock)?;
        match self.offset {
            Some(offset) => civil::at_offset(local, TimeDelta::minutes(offset)),
            None => civil::local_to_utc(local, tz),
        }
    }

    /// The calendar date from week, ordinal or month fields; `None` when one is out of range.
    fn date(&self) -> Option<NaiveDate> {
        if let Some(week_year) = self.week_year {
            let weekday = u8::try_from(self.weekday.unwrap_or(1) - 1).ok()?;
            return NaiveDate::from_isoywd_opt(
                i32::try_from(week_year).ok()?,
                u32::try_from(self.week.unwrap_or(1)).ok()?,
                Weekday::try_from(weekday).ok()?,
            );
        }
        let year = i32::try_from(self.year?).ok()?;
        if let Some(day_of_year) = self.day_of_year {
            return NaiveDate::from_yo_opt(year, u32::try_from(day_of_year).ok()?);
        }
        NaiveDate::from_ymd_opt(
            year,
            u32::try_from(self.month0.unwrap_or(0) + 1).ok()?,
            u32::try_from(self.day.unwrap_or(1)).ok()?,
        )
    }
}

/// moment's `toInt(('0.' + digits) * 1000)`: digits beyond the milliseconds are cut, with the
/// float rounding JavaScript has (so seventeen 9s round up to 1000, which is out of range).
fn fraction_ms(digits: &str) -> i64 {
    let fraction: f64 = format!("0.{digits}").parse().unwrap_or_default();
    (fraction * 1000.0).trunc() as i64
}

/// moment's `offsetFromString` (up to 2.30.1): `Z`, `±HH`, `±HHmm` or `±HH:mm`, in minutes east
/// of UTC: `HH * 60 + mm`, with any two digits for either (`+99:99` is 6039 minutes).
fn offset_minutes(text: &str) -> i64 {
    let digits: Vec<i64> = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| i64::from(b - b'0'))
        .collect();
    let minutes = match digits.as_slice() {
        [h1, h2] => (h1 * 10 + h2) * 60,
        [h1, h2, m1, m2] => (h1 * 10 + h2) * 60 + m1 * 10 + m2,
        _ => return 0,
    };
    if text.starts_with('+') {
        minutes
    } else {
        -minutes
    }
}
