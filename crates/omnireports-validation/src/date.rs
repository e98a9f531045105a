//! `moment(string)`: the formats moment tries, in its order. The first format whose shape matches
//! decides; only a shape mismatch moves on to the next one.

mod civil;
mod iso;
mod legacy;
mod rfc2822;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub(crate) use civil::{days_in_month, local_to_utc};

/// The outcome of one of moment's formats.
#[derive(Debug)]
enum Attempt {
    /// The input does not have this format's shape: try the next format.
    Skip,
    /// The format applies; `None` when its fields make an invalid date.
    Done(Option<DateTime<Utc>>),
}

/// moment(string)-compatible parse; an input without an offset is read in `tz`.
///
/// Tries ASP.NET `/Date(ms)/`, ISO 8601, RFC 2822 and finally V8's `new Date(string)`, with
/// moment's and V8's quirks (see the crate documentation).
pub fn parse_date(input: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let formats: [fn(&str, Tz) -> Attempt; 3] = [asp_net, iso::parse, rfc2822::parse];
    for format in formats {
        if let Attempt::Done(instant) = format(input, tz) {
            return instant;
        }
    }
    legacy::parse(input, tz)
}

/// moment's `/^\/?Date\((-?\d+)/i`: epoch milliseconds; whatever follows the digits is ignored.
fn asp_net(input: &str, _tz: Tz) -> Attempt {
    let rest = input.strip_prefix('/').unwrap_or(input);
    let Some(rest) = rest
        .get(..5)
        .filter(|prefix| prefix.eq_ignore_ascii_case("date("))
        .map(|_| &rest[5..])
    else {
        return Attempt::Skip;
    };
    let (negative, rest) = match rest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let digits = &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()];
    if digits.is_empty() {
        return Attempt::Skip;
    }
    Attempt::Done(epoch_ms(digits, negative))
}

/// `new Date(+digits)`: valid within JavaScript's ±8.64e15 ms.
fn epoch_ms(digits: &str, negative: bool) -> Option<DateTime<Utc>> {
    let significant = digits.trim_start_matches('0');
    // More than 16 digits is beyond the range (and beyond i64 for long inputs).
    if significant.len() > 16 {
        return None;
    }
    let ms: i64 = significant.parse().unwrap_or(0);
    let ms = if negative { -ms } else { ms };
    civil::clip(DateTime::from_timestamp_millis(ms)?)
}

/// JavaScript's whitespace (`\s`, and what V8's date parser skips): Unicode White_Space except
/// U+0085, plus the BOM.
fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

#[cfg(test)]
mod tests;
