//! The parameter schema: the query string read the way Node's `qs` reads it (its defaults), then
//! ajv's checks in Rocket.Chat's order.

/// The parameters after the schema check, raw strings as received (percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    /// The `start` parameter.
    pub start: String,
    /// The `end` parameter.
    pub end: String,
    /// The `sort` parameter; `None` when absent.
    pub sort: Option<String>,
}

/// The first schema violation, worded as ajv words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// No `start` parameter.
    #[error("must have required property 'start'")]
    MissingStart,
    /// No `end` parameter.
    #[error("must have required property 'end'")]
    MissingEnd,
    /// A parameter other than `start`, `end` and `sort`.
    #[error("must NOT have additional properties")]
    AdditionalProperties,
    /// A parameter that qs reads as an array or an object (`start[]=…`, `start=a&start=b`).
    #[error("must be string")]
    NotString,
    /// On an omnireports extension route: a parameter the route does not take, by its name.
    #[error("The \"{0}\" query parameter is not allowed.")]
    NotAllowed(String),
}

/// The properties the schema declares.
const PROPERTIES: [&str; 3] = ["start", "end", "sort"];

/// qs's default `parameterLimit`: parts after the first 1000 are silently dropped.
const PARAMETER_LIMIT: usize = 1000;

/// qs-style parse of the raw query string (without '?'), then the ajv schema
/// `{start, end, sort: string; required [start, end]; additionalProperties false}`.
pub fn parse_query(query_string: &str) -> Result<ReportQuery, SchemaError> {
    let params = parse_params(query_string);
    let find = |name: &str| params.iter().find(|param| param.name == name);
    // ajv reports required properties first, then unknown ones, then types.
    let start = find("start").ok_or(SchemaError::MissingStart)?;
    let end = find("end").ok_or(SchemaError::MissingEnd)?;
    if params
        .iter()
        .any(|param| !PROPERTIES.contains(&param.name.as_str()))
    {
        return Err(SchemaError::AdditionalProperties);
    }
    Ok(ReportQuery {
        start: start.string()?,
        end: end.string()?,
        sort: find("sort").map(Param::string).transpose()?,
    })
}

/// One top-level property of qs's result.
#[derive(Debug)]
struct Param {
    name: String,
    /// `None` when qs builds an array or an object rather than a plain string.
    value: Option<String>,
}

impl Param {
    fn string(&self) -> Result<String, SchemaError> {
        self.value.clone().ok_or(SchemaError::NotString)
    }
}

/// The parameters of an omnireports extension route after its schema: Rocket.Chat's three, then
/// each of the route's own parameters in the order asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionQuery {
    /// `start`, `end` and `sort`, checked as on Rocket.Chat's routes.
    pub report: ReportQuery,
    /// Per extra parameter: `None` when absent, `Some(None)` when qs reads it as an array or an
    /// object, else its value.
    pub extra: Vec<Option<Option<String>>>,
}

/// The schema of an extension route (`/api/omnireports/v1/…`): [`parse_query`]'s checks in its
/// order, except that `extra` are allowed too, and a parameter that is none of them fails as
/// [`SchemaError::NotAllowed`], by name. Rocket.Chat's routes keep [`parse_query`] itself.
pub fn parse_extension_query(
    query_string: &str,
    extra: &[&str],
) -> Result<ExtensionQuery, SchemaError> {
    let params = parse_params(query_string);
    let find = |name: &str| params.iter().find(|param| param.name == name);
    let start = find("start").ok_or(SchemaError::MissingStart)?;
    let end = find("end").ok_or(SchemaError::MissingEnd)?;
    if let Some(unknown) = params.iter().find(|param| {
        !PROPERTIES.contains(&param.name.as_str()) && !extra.contains(&param.name.as_str())
    }) {
        return Err(SchemaError::NotAllowed(unknown.name.clone()));
    }
    Ok(ExtensionQuery {
        report: ReportQuery {
            start: start.string()?,
            end: end.string()?,
            sort: find("sort").map(Param::string).transpose()?,
        },
        extra: extra
            .iter()
            .map(|name| find(name).map(|param| param.value.clone()))
            .collect(),
    })
}

/// The top-level properties qs makes of `query`, in first-seen order.
fn parse_params(query: &str) -> Vec<Param> {
    let mut params: Vec<Param> = Vec::new();
    for (key, mut values) in group_by_key(query) {
        let Some((name, plain)) = property(&key) else {
            continue;
        };
        // A key given twice is already an array.
        let value = (plain && values.len() == 1).then(|| values.remove(0));
        match params.iter_mut().find(|param| param.name == name) {
            // Two keys for one property (`start`, `[start]`) merge into an array, except that
            // qs's merge skips an empty string.
            Some(_) if value.as_deref() == Some("") => {}
            Some(existing) => existing.value = None,
            None => params.push(Param { name, value }),
        }
    }
    params
}

/// qs's first pass: the decoded values of each decoded key, keys in first-seen order.
fn group_by_key(query: &str) -> Vec<(String, Vec<String>)> {
    let query = unescape_brackets(query);
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    for part in query.split('&').take(PARAMETER_LIMIT) {
        let (key, value) = split_part(part);
        let (key, value) = (decode(key), decode(value));
        match keys.iter_mut().find(|(seen, _)| *seen == key) {
            Some((_, values)) => values.push(value),
            None => keys.push((key, vec![value])),
        }
    }
    keys
}

/// qs turns `%5B` and `%5D` (any case) into brackets before anything else, so encoded brackets
/// still nest.
fn unescape_brackets(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(percent) = rest.find('%') {
        out.push_str(&rest[..percent]);
        let escape = rest.get(percent..percent + 3).unwrap_or("");
        let bracket = if escape.eq_ignore_ascii_case("%5B") {
            Some('[')
        } else if escape.eq_ignore_ascii_case("%5D") {
            Some(']')
        } else {
            None
        };
        match bracket {
            Some(bracket) => {
                out.push(bracket);
                rest = &rest[percent + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[percent + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Splits a part into key and value: at the first `]=` when there is one (so `a[=]=b` keeps its
/// key), else at the first `=`. A part without `=` is a key with the value "".
fn split_part(part: &str) -> (&str, &str) {
    let at = part
        .find("]=")
        .map(|bracket| bracket + 1)
        .or_else(|| part.find('='));
    match at {
        Some(at) => (&part[..at], &part[at + 1..]),
        None => (part, ""),
    }
}

/// qs's decoder: `+` is a space, then `decodeURIComponent`; when that throws (a malformed escape
/// or invalid UTF-8) the text is kept as is, spaces included.
fn decode(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_decode(&spaced).unwrap_or(spaced)
}

/// Strict percent-decoding: every `%` starts two hex digits and the bytes form UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let high = hex_digit(*bytes.get(i + 1)?)?;
            let low = hex_digit(*bytes.get(i + 2)?)?;
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

/// The top-level property a decoded key sets, and whether its value stays a plain string.
/// `None` for the empty key, which qs skips.
///
/// Like qs, the property is the part of the key before its first `[`, and any bracket makes the
/// value an array or object. A key that starts with `[` names the property by its first bracket
/// group (`[start]=a` sets `start`; `[]` makes an array, merged as index 0).
fn property(key: &str) -> Option<(String, bool)> {
    match key.find('[') {
        _ if key.is_empty() => None,
        None => Some((key.to_owned(), true)),
        Some(0) => Some(leading_group(key)),
        Some(first) => Some((key[..first].to_owned(), false)),
    }
}

/// The property a key starting with `[` names, and whether no further group follows. Brackets nest
/// inside a group; an unclosed group is the whole key.
fn leading_group(key: &str) -> (String, bool) {
    let mut level = 0;
    for (i, byte) in key.bytes().enumerate() {
        level += match byte {
            b'[' => 1,
            b']' => -1,
            _ => 0,
        };
        if level == 0 {
            let name = match &key[1..i] {
                "" => "0",
                inner => inner,
            };
            return (name.to_owned(), !key[i..].contains('['));
        }
    }
    (key.to_owned(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(start: &str, end: &str, sort: Option<&str>) -> ReportQuery {
        ReportQuery {
            start: start.to_owned(),
            end: end.to_owned(),
            sort: sort.map(str::to_owned),
        }
    }

    #[test]
    fn start_and_end_alone_pass_the_schema() {
        assert_eq!(
            parse_query("start=2024-01-01&end=2024-01-31"),
            Ok(query("2024-01-01", "2024-01-31", None))
        );
    }

    #[test]
    fn sort_is_an_optional_string() {
        assert_eq!(
            parse_query("start=a&end=b&sort=%7B%22total%22%3A1%7D"),
            Ok(query("a", "b", Some(r#"{"total":1}"#)))
        );
    }

    #[test]
    fn an_empty_query_misses_start() {
        assert_eq!(parse_query(""), Err(SchemaError::MissingStart));
    }

    #[test]
    fn only_end_misses_start() {
        assert_eq!(
            parse_query("end=2024-01-01"),
            Err(SchemaError::MissingStart)
        );
    }

    #[test]
    fn only_an_unknown_key_misses_start() {
        assert_eq!(parse_query("foo=1"), Err(SchemaError::MissingStart));
    }

    #[test]
    fn only_start_misses_end() {
        assert_eq!(
            parse_query("start=2024-01-01"),
            Err(SchemaError::MissingEnd)
        );
    }

    #[test]
    fn any_other_key_is_an_additional_property() {
        for key in ["foo", "count", "offset", "fields", "query", "access_token"] {
            assert_eq!(
                parse_query(&format!("start=a&end=b&{key}=1")),
                Err(SchemaError::AdditionalProperties),
                "{key}"
            );
        }
    }

    #[test]
    fn a_bracketed_unknown_key_is_an_additional_property() {
        assert_eq!(
            parse_query("start=a&end=b&foo[x]=1"),
            Err(SchemaError::AdditionalProperties)
        );
    }

    #[test]
    fn an_unknown_key_without_a_value_is_still_a_property() {
        assert_eq!(
            parse_query("start=a&end=b&foo"),
            Err(SchemaError::AdditionalProperties)
        );
    }

    #[test]
    fn a_missing_property_is_reported_before_an_additional_one() {
        assert_eq!(parse_query("start=a&foo=1"), Err(SchemaError::MissingEnd));
    }

    #[test]
    fn an_additional_property_is_reported_before_a_type_error() {
        assert_eq!(
            parse_query("start=a&start=b&end=c&foo=1"),
            Err(SchemaError::AdditionalProperties)
        );
    }

    #[test]
    fn a_key_given_twice_is_not_a_string() {
        assert_eq!(
            parse_query("start=a&start=b&end=c"),
            Err(SchemaError::NotString)
        );
        assert_eq!(
            parse_query("start=a&end=b&sort=a&sort=b"),
            Err(SchemaError::NotString)
        );
    }

    #[test]
    fn bracket_forms_are_not_strings() {
        for query in [
            "start[]=a&end=b",
            "start[x]=a&end=b",
            "start[0]=a&end=b",
            "start=a&end=b&sort[total]=1",
            "start=a&end[]=b",
        ] {
            assert_eq!(parse_query(query), Err(SchemaError::NotString), "{query}");
        }
    }

    #[test]
    fn percent_encoded_brackets_still_nest() {
        assert_eq!(
            parse_query("start%5Bx%5d=a&end=b"),
            Err(SchemaError::NotString)
        );
    }

    #[test]
    fn another_form_of_a_key_with_an_empty_value_is_skipped() {
        assert_eq!(
            parse_query("start=a&[start]&end=b"),
            Ok(query("a", "b", None))
        );
        assert_eq!(
            parse_query("[start]&start=a&end=b"),
            Err(SchemaError::NotString)
        );
        assert_eq!(
            parse_query("start=a&start=&end=b"),
            Err(SchemaError::NotString)
        );
    }

    #[test]
    fn a_leading_bracket_group_names_the_property() {
        assert_eq!(parse_query("[start]=a&end=b"), Ok(query("a", "b", None)));
        assert_eq!(
            parse_query("[start][x]=a&end=b"),
            Err(SchemaError::NotString)
        );
    }

    #[test]
    fn an_unclosed_bracket_still_ends_the_name() {
        assert_eq!(parse_query("start[=a&end=b"), Err(SchemaError::NotString));
    }

    #[test]
    fn a_closing_bracket_alone_is_part_of_the_name() {
        assert_eq!(
            parse_query("start=a&end=b&start]=c"),
            Err(SchemaError::AdditionalProperties)
        );
    }

    #[test]
    fn a_leading_group_nests_brackets() {
        assert_eq!(
            parse_query("[st[ar]t]=a&start=a&end=b"),
            Err(SchemaError::AdditionalProperties)
        );
        assert_eq!(parse_query("[start]x=a&end=b"), Ok(query("a", "b", None)));
    }

    #[test]
    fn empty_values_pass_the_schema() {
        assert_eq!(parse_query("start=&end="), Ok(query("", "", None)));
    }

    #[test]
    fn a_key_without_equals_has_an_empty_value() {
        assert_eq!(parse_query("start&end"), Ok(query("", "", None)));
    }

    #[test]
    fn empty_keys_and_parts_are_ignored() {
        assert_eq!(
            parse_query("&start=a&&=x&end=b&"),
            Ok(query("a", "b", None))
        );
    }

    #[test]
    fn plus_is_a_space_and_escapes_are_decoded() {
        assert_eq!(
            parse_query("start=2024-01-01T10:00:00+05:00&end=2024-01-01T10:00:00%2B05:00"),
            Ok(query(
                "2024-01-01T10:00:00 05:00",
                "2024-01-01T10:00:00+05:00",
                None
            ))
        );
    }

    #[test]
    fn a_malformed_escape_keeps_the_raw_text() {
        assert_eq!(
            parse_query("start=100%+sure%2&end=%E2%82%AC"),
            Ok(query("100% sure%2", "\u{20ac}", None))
        );
    }

    #[test]
    fn invalid_utf8_keeps_the_raw_text() {
        assert_eq!(parse_query("start=%FF&end=b"), Ok(query("%FF", "b", None)));
    }

    #[test]
    fn an_encoded_ampersand_stays_in_the_value() {
        assert_eq!(
            parse_query("start=a%26b&end=c"),
            Ok(query("a&b", "c", None))
        );
    }

    #[test]
    fn the_value_is_split_at_the_first_equals() {
        assert_eq!(parse_query("start=a=b&end=c"), Ok(query("a=b", "c", None)));
    }

    #[test]
    fn an_extension_route_names_a_parameter_it_does_not_take() {
        assert_eq!(
            parse_extension_query("start=a&end=b&interval=day&foo[x]=1", &["interval"]),
            Err(SchemaError::NotAllowed("foo".into()))
        );
        assert_eq!(
            parse_extension_query("end=b&foo=1", &["interval"]),
            Err(SchemaError::MissingStart)
        );
    }

    #[test]
    fn an_extension_route_reads_its_own_parameters() {
        let parsed = parse_extension_query(
            "start=a&end=b&timezone=x&interval[]=d",
            &["interval", "timezone", "other"],
        )
        .unwrap();
        assert_eq!(parsed.report, query("a", "b", None));
        assert_eq!(parsed.extra, vec![Some(None), Some(Some("x".into())), None]);
    }

    #[test]
    fn parts_beyond_the_parameter_limit_are_dropped() {
        let padding = "&".repeat(PARAMETER_LIMIT - 2);
        assert_eq!(
            parse_query(&format!("start=a&end=b{padding}&foo=1")),
            Ok(query("a", "b", None))
        );
    }
}
