//! V8's `new Date(string)` (`src/date/dateparser*`), moment's last resort: the ES5 ISO format as
//! far as it goes, then V8's legacy rules for what is left.
//!
//! Legacy rules in short: words before the first number are ignored, month names (any word
//! starting like one) name the month, `am`/`pm` and zone names (`UTC`, `GMT`, `EST`, ...) apply,
//! parenthesized text is skipped, `n:` starts a time, a sign after a time or `GMT` starts an offset,
//! and other numbers are date components read as M/D/Y, or Y/M/D when the first is not a day.
//! A date without an offset is local time, except an ES5 date without a time (UTC).

use super::civil::{self, Fields};
use super::is_js_space;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use std::iter::Peekable;
use std::str::Chars;

/// V8 keeps the first nine significant digits of a number.
const MAX_SIGNIFICANT_DIGITS: usize = 9;

pub(super) fn parse(input: &str, tz: Tz) -> Option<DateTime<Utc>> {
    // V8 reads a NUL character as the end of the input.
    let text = input.split('\0').next().unwrap_or_default();
    let mut parser = Parser {
        scanner: Scanner::new(text),
        day: DayComposer::default(),
        time: TimeComposer::default(),
        zone: ZoneComposer::default(),
    };
    let next = parser.es5()?;
    parser.legacy(next)?;
    let (year, month0, day) = parser.day.write()?;
    let [hour, minute, second, ms] = parser.time.write()?;
    let local = Fields {
        year,
        month0,
        day,
        hour,
        minute,
        second,
        ms,
    }
    .naive()?;
    match parser.zone.write()? {
        Some(offset) => civil::at_offset(local, TimeDelta::seconds(offset)),
        None => civil::local_to_utc(local, tz),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `value` holds at most nine significant digits; `len` counts every digit.
    Number {
        value: i64,
        len: usize,
    },
    Symbol(char),
    Word(Word),
    Space,
    Unknown,
    End,
}

/// A word, by the keyword its first three letters (lowercased) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    /// 1 to 12.
    Month(i64),
    /// The hours to add: 0 or 12.
    AmPm(i64),
    /// The offset in hours.
    Zone {
        hours: i64,
        is_z: bool,
    },
    /// The ES5 date-time separator `T`.
    T,
    Other,
}

impl Token {
    fn number(self) -> i64 {
        match self {
            Token::Number { value, .. } => value,
            _ => 0,
        }
    }

    fn is_number(self) -> bool {
        matches!(self, Token::Number { .. })
    }

    fn has_len(self, wanted: usize) -> bool {
        matches!(self, Token::Number { len, .. } if len == wanted)
    }

    fn sign(self) -> Option<i64> {
        match self {
            Token::Symbol('+') => Some(1),
            Token::Symbol('-') => Some(-1),
            _ => None,
        }
    }

    fn is_z(self) -> bool {
        matches!(self, Token::Word(Word::Zone { is_z: true, .. }))
    }
}

/// V8's keyword table; a longer word matches only a month name.
const KEYWORDS: [(&str, Word); 27] = [
    ("jan", Word::Month(1)),
    ("feb", Word::Month(2)),
    ("mar", Word::Month(3)),
    ("apr", Word::Month(4)),
    ("may", Word::Month(5)),
    ("jun", Word::Month(6)),
    ("jul", Word::Month(7)),
    ("aug", Word::Month(8)),
    ("sep", Word::Month(9)),
    ("oct", Word::Month(10)),
    ("nov", Word::Month(11)),
    ("dec", Word::Month(12)),
    ("am", Word::AmPm(0)),
    ("pm", Word::AmPm(12)),
    ("ut", zone(0)),
    ("utc", zone(0)),
    (
        "z",
        Word::Zone {
            hours: 0,
            is_z: true,
        },
    ),
    ("gmt", zone(0)),
    ("cdt", zone(-5)),
    ("cst", zone(-6)),
    ("edt", zone(-4)),
    ("est", zone(-5)),
    ("mdt", zone(-6)),
    ("mst", zone(-7)),
    ("pdt", zone(-7)),
    ("pst", zone(-8)),
    ("t", Word::T),
];

const fn zone(hours: i64) -> Word {
    Word::Zone { hours, is_z: false }
}

fn keyword(word: &str) -> Word {
    let prefix: String = word
        .chars()
        .take(3)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let long = word.chars().count() > 3;
    KEYWORDS
        .iter()
        .find(|(name, kind)| *name == prefix && (!long || matches!(kind, Word::Month(_))))
        .map_or(Word::Other, |&(_, kind)| kind)
}

/// V8's tokenizer with its one-token lookahead.
#[derive(Debug)]
struct Scanner<'a> {
    chars: Peekable<Chars<'a>>,
    next: Token,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        let mut chars = text.chars().peekable();
        let next = scan(&mut chars);
        Scanner { chars, next }
    }

    fn peek(&self) -> Token {
        self.next
    }

    fn next(&mut self) -> Token {
        std::mem::replace(&mut self.next, scan(&mut self.chars))
    }

    fn skip_symbol(&mut self, symbol: char) -> bool {
        let found = self.next == Token::Symbol(symbol);
        if found {
            self.next();
        }
        found
    }
}

fn scan(chars: &mut Peekable<Chars<'_>>) -> Token {
    let Some(&c) = chars.peek() else {
        return Token::End;
    };
    if c.is_ascii_digit() {
        return number(chars);
    }
    if matches!(c, ':' | '-' | '+' | '.' | ')') {
        chars.next();
        return Token::Symbol(c);
    }
    // V8's words are runs of anything from 'A' up that is not whitespace.
    if c >= 'A' && !is_js_space(c) {
        let mut word = String::new();
        while let Some(c) = chars.next_if(|&c| c >= 'A' && !is_js_space(c)) {
            word.push(c);
        }
        return Token::Word(keyword(&word));
    }
    chars.next();
    if is_js_space(c) {
        return Token::Space;
    }
    if c == '(' {
        skip_parentheses(chars);
    }
    Token::Unknown
}

fn number(chars: &mut Peekable<Chars<'_>>) -> Token {
    let (mut value, mut len, mut significant) = (0, 0, 0);
    while let Some(digit) = chars.next_if(char::is_ascii_digit) {
        len += 1;
        if digit == '0' && significant == 0 {
            continue;
        }
        if significant < MAX_SIGNIFICANT_DIGITS {
            value = value * 10 + i64::from(digit.to_digit(10).unwrap_or_default());
        }
        significant += 1;
    }
    Token::Number { value, len }
}

/// Skips the rest of a parenthesized group (the `(` is consumed), nested groups included.
fn skip_parentheses(chars: &mut Peekable<Chars<'_>>) {
    let mut depth = 1;
    while depth > 0 {
        match chars.next() {
            Some('(') => depth += 1,
            Some(')') => depth -= 1,
            Some(_) => {}
            None => return,
        }
    }
}

/// The first three digits of a fraction, as V8 reads them.
fn read_ms(token: Token) -> i64 {
    let Token::Number { value, len } = token else {
        return 0;
    };
    match len {
        1 => value * 100,
        2 => value * 10,
        3 => value,
        _ => {
            let extra = len.min(MAX_SIGNIFICANT_DIGITS) - 3;
            value / 10_i64.pow(u32::try_from(extra).unwrap_or_default())
        }
    }
}

fn is_month(n: i64) -> bool {
    (1..=12).contains(&n)
}

fn is_day(n: i64) -> bool {
    (1..=31).contains(&n)
}

fn is_hour(n: i64) -> bool {
    (0..=23).contains(&n)
}

fn is_minute(n: i64) -> bool {
    (0..=59).contains(&n)
}

fn is_ms(n: i64) -> bool {
    (0..=999).contains(&n)
}

#[derive(Debug)]
struct Parser<'a> {
    scanner: Scanner<'a>,
    day: DayComposer,
    time: TimeComposer,
    zone: ZoneComposer,
}

impl Parser<'_> {
    /// V8's `ParseES5DateTime`: `[+-YY]YYYY[-MM[-DD]][THH:mm[:ss[.sss]][Z|±hh:mm|±hhmm]]`.
    ///
    /// Returns the first token it did not handle (`End` when the whole input is ES5), or `None`
    /// when the input is invalid (once the `T` is read, anything unexpected is fatal).
    fn es5(&mut self) -> Option<Token> {
        let sc = &mut self.scanner;
        if let Some(sign) = sc.peek().sign() {
            let sign_token = sc.next();
            if !sc.peek().has_len(6) {
                return Some(sign_token);
            }
            // -000000 is not a year; V8 drops those digits and goes on from the sign.
            let year = sc.next().number();
            if sign < 0 && year == 0 {
                return Some(sign_token);
            }
            self.day.add(sign * year);
        } else if sc.peek().has_len(4) {
            self.day.add(sc.next().number());
        } else {
            return Some(sc.next());
        }
        for check in [is_month, is_day] {
            if !sc.skip_symbol('-') {
                break;
            }
            if !sc.peek().has_len(2) || !check(sc.peek().number()) {
                return Some(sc.next());
            }
            self.day.add(sc.next().number());
        }
        if sc.peek() == Token::Word(Word::T) {
            sc.next();
            self.es5_time()?;
        } else if sc.peek() != Token::End {
            return Some(sc.next());
        }
        // ES5: a date alone is UTC, a date with a time is local.
        if self.zone.is_empty() && self.time.is_empty() {
            self.zone.set(0);
        }
        self.day.iso = true;
        Some(Token::End)
    }

    /// `HH:mm[:ss[.sss]]` and the optional zone, to the end of the input.
    fn es5_time(&mut self) -> Option<()> {
        let sc = &mut self.scanner;
        let hour = sc.peek();
        if !hour.has_len(2) || hour.number() > 24 {
            return None;
        }
        // 24 is allowed only as 24:00[:00[.000]].
        let is_24 = hour.number() == 24;
        let fits = |token: Token| token.has_len(2) && !(is_24 && token.number() > 0);
        self.time.add(sc.next().number());
        if !sc.skip_symbol(':') || !fits(sc.peek()) || !is_minute(sc.peek().number()) {
            return None;
        }
        self.time.add(sc.next().number());
        if sc.skip_symbol(':') {
            if !fits(sc.peek()) || !is_minute(sc.peek().number()) {
                return None;
            }
            self.time.add(sc.next().number());
            if sc.skip_symbol('.') {
                let fraction = sc.peek();
                if !fraction.is_number() || (is_24 && fraction.number() > 0) {
                    return None;
                }
                self.time.add(read_ms(sc.next()));
            }
        }
        if sc.peek().is_z() {
            sc.next();
            self.zone.set(0);
        } else if let Some(sign) = sc.peek().sign() {
            sc.next();
            self.zone.sign = Some(sign);
            let (hours, minutes) = if sc.peek().has_len(4) {
                let hhmm = sc.next().number();
                (hhmm / 100, hhmm % 100)
            } else {
                if !sc.peek().has_len(2) {
                    return None;
                }
                let hours = sc.next().number();
                if !sc.skip_symbol(':') || !sc.peek().has_len(2) {
                    return None;
                }
                (hours, sc.next().number())
            };
            if !is_hour(hours) || !is_minute(minutes) {
                return None;
            }
            self.zone.hours = Some(hours);
            self.zone.minutes = Some(minutes);
        }
        (sc.peek() == Token::End).then_some(())
    }

    /// V8's legacy loop over the tokens the ES5 reader left. `None` when the input is invalid.
    fn legacy(&mut self, first: Token) -> Option<()> {
        let mut has_read_number = !self.day.is_empty();
        let mut token = first;
        while token != Token::End {
            match token {
                Token::Number { value, .. } => {
                    has_read_number = true;
                    self.legacy_number(value)?;
                }
                Token::Word(word) => self.legacy_word(word, has_read_number)?,
                Token::Symbol('+' | '-') if self.zone.is_utc() || !self.time.is_empty() => {
                    has_read_number = true;
                    self.legacy_offset(token.sign()?)?;
                }
                // After a number, a stray sign or `)` is an error; before one it is ignored.
                Token::Symbol('+' | '-' | ')') if has_read_number => return None,
                _ => {}
            }
            token = self.scanner.next();
        }
        Some(())
    }

    fn legacy_number(&mut self, n: i64) -> Option<()> {
        let sc = &mut self.scanner;
        if sc.skip_symbol(':') {
            if sc.skip_symbol(':') {
                // `n::` is hours and zero minutes.
                if !self.time.is_empty() {
                    return None;
                }
                self.time.add(n);
                self.time.add(0);
            } else {
                self.time.add(n).then_some(())?;
                if sc.peek() == Token::Symbol('.') {
                    sc.next();
                }
            }
        } else if sc.skip_symbol('.') && self.time.is_expecting(n) {
            // V8 consumes the '.' even when no time is expected.
            self.time.add(n);
            if !sc.peek().is_number() {
                return None;
            }
            self.time.add_final(read_ms(sc.next()));
        } else if self.zone.is_expecting(n) {
            self.zone.minutes = Some(n);
        } else if self.time.is_expecting(n) {
            self.time.add_final(n);
            // A finished time must be followed by the end, a space, `Z` or a sign.
            let next = sc.peek();
            let ends = matches!(next, Token::End | Token::Space) || next.is_z();
            if !ends && next.sign().is_none() {
                return None;
            }
        } else {
            self.day.add(n).then_some(())?;
            sc.skip_symbol('-');
        }
        Some(())
    }

    fn legacy_word(&mut self, word: Word, has_read_number: bool) -> Option<()> {
        match word {
            Word::AmPm(hours) if !self.time.is_empty() => self.time.hour_offset = Some(hours),
            Word::Month(month) => {
                self.day.named_month = Some(month);
                self.scanner.skip_symbol('-');
            }
            Word::Zone { hours, .. } if has_read_number => self.zone.set(hours),
            // Other words are allowed only before the first number, apart from it.
            _ if has_read_number || self.scanner.peek().is_number() => return None,
            _ => {}
        }
        Some(())
    }

    /// A sign after a time or a UTC zone: `±h`, `±hh`, `±hmm`, `±hhmm`, or `±hh:` with the
    /// minutes as the next number.
    fn legacy_offset(&mut self, sign: i64) -> Option<()> {
        let sc = &mut self.scanner;
        self.zone.sign = Some(sign);
        let (n, len) = match sc.peek() {
            Token::Number { value, len } => {
                sc.next();
                (value, len)
            }
            _ => (0, 0),
        };
        let (hours, minutes) = match len {
            _ if sc.peek() == Token::Symbol(':') => (n, None),
            1 | 2 => (n, Some(0)),
            3 | 4 => (n / 100, Some(n % 100)),
            _ => return None,
        };
        self.zone.hours = Some(hours);
        self.zone.minutes = minutes;
        Some(())
    }
}

/// Up to three date numbers, plus a named month.
#[derive(Debug, Default)]
struct DayComposer {
    numbers: Vec<i64>,
    named_month: Option<i64>,
    /// Read entirely as an ES5 date: year first, no two-digit years.
    iso: bool,
}

impl DayComposer {
    fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    fn add(&mut self, n: i64) -> bool {
        let room = self.numbers.len() < 3;
        if room {
            self.numbers.push(n);
        }
        room
    }

    /// Year, month (January is 0) and day. Missing components are 1, so a date without a year is
    /// in 2001 (`Jan 5` is 2001-01-05), as in V8.
    fn write(&self) -> Option<(i64, i64, i64)> {
        if self.numbers.is_empty() {
            return None;
        }
        let mut c = [1; 3];
        c[..self.numbers.len()].copy_from_slice(&self.numbers);
        let (year, month, day) = match self.named_month {
            None if self.iso || !is_day(c[0]) => (c[0], c[1], c[2]),
            None => (c[2], c[0], c[1]),
            Some(month) if !is_day(c[0]) => (c[0], month, c[1]),
            Some(month) => (c[1], month, c[0]),
        };
        let year = match year {
            0..=49 if !self.iso => year + 2000,
            50..=99 if !self.iso => year + 1900,
            _ => year,
        };
        (is_month(month) && is_day(day)).then_some((year, month - 1, day))
    }
}

/// Hours, minutes, seconds, milliseconds.
#[derive(Debug, Default)]
struct TimeComposer {
    parts: Vec<i64>,
    /// Set by `am` (0) or `pm` (12).
    hour_offset: Option<i64>,
}

impl TimeComposer {
    fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    fn is_expecting(&self, n: i64) -> bool {
        match self.parts.len() {
            1 | 2 => is_minute(n),
            3 => is_ms(n),
            _ => false,
        }
    }

    fn add(&mut self, n: i64) -> bool {
        let room = self.parts.len() < 4;
        if room {
            self.parts.push(n);
        }
        room
    }

    /// Adds the last component given; the rest are zero.
    fn add_final(&mut self, n: i64) {
        if self.add(n) {
            self.parts.resize(4, 0);
        }
    }

    fn write(&self) -> Option<[i64; 4]> {
        let mut parts = [0; 4];
        parts[..self.parts.len()].copy_from_slice(&self.parts);
        let [mut hour, minute, second, ms] = parts;
        if let Some(offset) = self.hour_offset {
            if !(0..=12).contains(&hour) {
                return None;
            }
            hour = hour % 12 + offset;
        }
        let valid = is_hour(hour) && is_minute(minute) && is_minute(second) && is_ms(ms);
        let midnight_24 = hour == 24 && minute == 0 && second == 0 && ms == 0;
        (valid || midnight_24).then_some([hour, minute, second, ms])
    }
}

/// The UTC offset: a sign, hours and minutes.
#[derive(Debug, Default)]
struct ZoneComposer {
    sign: Option<i64>,
    hours: Option<i64>,
    minutes: Option<i64>,
}

impl ZoneComposer {
    /// A zone name: an offset in whole hours.
    fn set(&mut self, hours: i64) {
        self.sign = Some(if hours < 0 { -1 } else { 1 });
        self.hours = Some(hours.abs());
        self.minutes = Some(0);
    }

    fn is_empty(&self) -> bool {
        self.hours.is_none()
    }

    fn is_utc(&self) -> bool {
        self.hours == Some(0) && self.minutes == Some(0)
    }

    /// After `±hh:`, the next number is the minutes.
    fn is_expecting(&self, n: i64) -> bool {
        self.hours.is_some() && self.minutes.is_none() && is_minute(n)
    }

    /// The offset in seconds east of UTC, `Some(None)` for local time, `None` when V8 rejects it
    /// (more seconds than a small integer holds).
    fn write(&self) -> Option<Option<i64>> {
        let Some(sign) = self.sign else {
            return Some(None);
        };
        let seconds = self.hours.unwrap_or(0) * 3600 + self.minutes.unwrap_or(0) * 60;
        (seconds <= i64::from(i32::MAX)).then_some(Some(sign * seconds))
    }
}
