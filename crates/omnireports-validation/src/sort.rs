//! The `sort` parameter: a JSON object of keys to `1` or `-1`, as Rocket.Chat's `parseJsonQuery`
//! reads it, narrowed by our decision that only non-empty objects are sorts.

use omnireports_model::{Sort, SortDirection};
use serde_json::Value;

/// A `sort` that is not a valid sort; `raw` is the parameter as received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid sort parameter provided: \"{raw}\"")]
pub struct SortError {
    /// The `sort` parameter as received.
    pub raw: String,
}

/// Parses `raw` like `JSON.parse`: it must be a non-empty object whose values are all the number
/// `1` or `-1` (any spelling of those numbers, such as `1.0` or `1e0`).
///
/// A repeated key keeps its first position and its last value, as in JavaScript.
pub fn parse_sort(raw: &str) -> Result<Sort, SortError> {
    let invalid = || SortError {
        raw: raw.to_owned(),
    };
    let Ok(Value::Object(keys)) = serde_json::from_str::<Value>(raw) else {
        return Err(invalid());
    };
    if keys.is_empty() {
        return Err(invalid());
    }
    keys.into_iter()
        .map(|(key, value)| direction(&value).map(|direction| (key, direction)))
        .collect::<Option<Vec<_>>>()
        .map(Sort)
        .ok_or_else(invalid)
}

/// `1` or `-1` compared as JavaScript numbers; strings, booleans and other numbers are not.
fn direction(value: &Value) -> Option<SortDirection> {
    let number = value.as_f64()?;
    if number == 1.0 {
        Some(SortDirection::Asc)
    } else if number == -1.0 {
        Some(SortDirection::Desc)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SortDirection::{Asc, Desc};

    fn sort(keys: &[(&str, SortDirection)]) -> Sort {
        Sort(
            keys.iter()
                .map(|&(key, dir)| (key.to_owned(), dir))
                .collect(),
        )
    }

    fn invalid(raw: &str) -> Result<Sort, SortError> {
        Err(SortError {
            raw: raw.to_owned(),
        })
    }

    #[test]
    fn one_key_ascending_is_a_sort() {
        assert_eq!(parse_sort(r#"{"total":1}"#), Ok(sort(&[("total", Asc)])));
    }

    #[test]
    fn key_order_is_the_priority() {
        assert_eq!(
            parse_sort(r#"{"_id":-1,"total":1}"#),
            Ok(sort(&[("_id", Desc), ("total", Asc)]))
        );
        assert_eq!(
            parse_sort(r#"{"total":1,"_id":-1}"#),
            Ok(sort(&[("total", Asc), ("_id", Desc)]))
        );
    }

    #[test]
    fn other_spellings_of_one_count() {
        assert_eq!(
            parse_sort(r#"{"total":1.0,"_id":-1.0}"#),
            Ok(sort(&[("total", Asc), ("_id", Desc)]))
        );
        assert_eq!(parse_sort(r#"{"total":1e0}"#), Ok(sort(&[("total", Asc)])));
        assert_eq!(
            parse_sort(r#"{"total":-10E-1}"#),
            Ok(sort(&[("total", Desc)]))
        );
    }

    #[test]
    fn surrounding_json_whitespace_is_allowed() {
        assert_eq!(
            parse_sort(" {\"total\" : -1}\n"),
            Ok(sort(&[("total", Desc)]))
        );
    }

    #[test]
    fn unknown_keys_are_kept() {
        assert_eq!(
            parse_sort(r#"{"foo":1,"total":-1}"#),
            Ok(sort(&[("foo", Asc), ("total", Desc)]))
        );
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value() {
        assert_eq!(
            parse_sort(r#"{"total":1,"_id":1,"total":-1}"#),
            Ok(sort(&[("total", Desc), ("_id", Asc)]))
        );
    }

    #[test]
    fn malformed_json_is_invalid() {
        for raw in [
            "{total:1}",
            r#"{"total":1"#,
            r#"{"total":1,}"#,
            "a",
            "{'total':1}",
        ] {
            assert_eq!(parse_sort(raw), invalid(raw), "{raw}");
        }
    }

    #[test]
    fn values_other_than_one_or_minus_one_are_invalid() {
        for raw in [
            r#"{"total":"1"}"#,
            r#"{"total":0}"#,
            r#"{"total":true}"#,
            r#"{"total":2}"#,
            r#"{"total":null}"#,
            r#"{"total":{}}"#,
            r#"{"total":1,"_id":0}"#,
        ] {
            assert_eq!(parse_sort(raw), invalid(raw), "{raw}");
        }
    }

    #[test]
    fn json_that_is_not_an_object_is_invalid() {
        for raw in ["null", "[]", "[1]", "5", "1", r#""str""#, "true"] {
            assert_eq!(parse_sort(raw), invalid(raw), "{raw}");
        }
    }

    #[test]
    fn an_empty_object_is_invalid() {
        assert_eq!(parse_sort("{}"), invalid("{}"));
    }

    #[test]
    fn an_empty_sort_is_invalid() {
        assert_eq!(parse_sort(""), invalid(""));
    }

    #[test]
    fn the_message_quotes_the_raw_sort() {
        assert_eq!(
            parse_sort("{bad").unwrap_err().to_string(),
            r#"Invalid sort parameter provided: "{bad""#
        );
    }
}
