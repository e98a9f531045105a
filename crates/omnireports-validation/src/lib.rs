#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod date;
mod query;
mod range;
mod sort;

pub use chrono_tz::Tz;
pub use date::parse_date;
pub use omnireports_model::{DateRange, Interval, Sort, SortDirection};
pub use query::{parse_extension_query, parse_query, ExtensionQuery, ReportQuery, SchemaError};
pub use range::{check_range, years_between, DateError};
pub use sort::{parse_sort, SortError};

use omnireports_error::ApiError;

/// The parameters of a request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// The parsed `start` and `end`, as instants (not truncated to the day).
    pub range: DateRange,
    /// The parsed `sort`; `None` when absent or when the route does not read it.
    pub sort: Option<Sort>,
}

/// The first failing check of [`validate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The query string does not match the parameter schema (`invalid-params`).
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// `sort` is not a valid sort (`error-invalid-sort`).
    #[error(transparent)]
    Sort(#[from] SortError),
    /// A date check failed (a plain 400).
    #[error(transparent)]
    Date(#[from] DateError),
    /// An extension route's own parameter is not valid (`invalid-params`).
    #[error(transparent)]
    Parameter(#[from] ParameterError),
}

/// An extension route's own parameter that is not one of its values; the message names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParameterError {
    /// Not a name of the IANA time zone database.
    #[error(
        "The \"timezone\" query parameter must be an IANA time zone name, such as Europe/Berlin."
    )]
    Timezone,
    /// Not one of [`Interval::ALL`].
    #[error("The \"interval\" query parameter must be one of hour, day, week, month.")]
    Interval,
}

/// The parameters of an extension route (`/api/omnireports/v1/…`) that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionValidated {
    /// `start` and `end`; a date without an offset is read in [`Self::timezone`].
    pub range: DateRange,
    /// As [`Validated::sort`].
    pub sort: Option<Sort>,
    /// The `timezone` parameter, else the server's zone.
    pub timezone: Tz,
    /// The `interval` parameter (`day` when absent); always `day` on routes without one.
    pub interval: Interval,
}

/// The chain of an extension route: the schema ([`parse_extension_query`], which allows
/// `timezone`, and `interval` when `takes_interval`), then `timezone`, `interval`, `sort` and
/// the dates, each as on Rocket.Chat's routes but read in the requested zone. [`validate`], the
/// chain of Rocket.Chat's routes, is not involved: their contract stays byte for byte.
pub fn validate_extension(
    query_string: &str,
    default_tz: Tz,
    reads_sort: bool,
    takes_interval: bool,
) -> Result<ExtensionValidated, ValidationError> {
    let extra: &[&str] = match takes_interval {
        true => &["timezone", "interval"],
        false => &["timezone"],
    };
    let query = parse_extension_query(query_string, extra)?;
    let timezone = match &query.extra[0] {
        None => default_tz,
        Some(value) => value
            .as_deref()
            .and_then(|name| name.parse::<Tz>().ok())
            .ok_or(ParameterError::Timezone)?,
    };
    let interval = match query.extra.get(1) {
        None | Some(None) => Interval::Day,
        Some(Some(value)) => value
            .as_deref()
            .and_then(Interval::from_name)
            .ok_or(ParameterError::Interval)?,
    };
    let query = query.report;
    let sort = match query.sort.as_deref() {
        Some(raw) if reads_sort => Some(parse_sort(raw)?),
        _ => None,
    };
    let range = check_range(&query.start, &query.end, timezone)?;
    Ok(ExtensionValidated {
        range,
        sort,
        timezone,
        interval,
    })
}

/// Runs the whole chain in the contract's order: schema, then sort, then dates.
///
/// When `reads_sort` is false the schema still accepts a `sort` string, but it is never parsed,
/// so a malformed one cannot fail the request.
pub fn validate(
    query_string: &str,
    tz: Tz,
    reads_sort: bool,
) -> Result<Validated, ValidationError> {
    let query = parse_query(query_string)?;
    let sort = match query.sort.as_deref() {
        Some(raw) if reads_sort => Some(parse_sort(raw)?),
        _ => None,
    };
    let range = check_range(&query.start, &query.end, tz)?;
    Ok(Validated { range, sort })
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        match error {
            ValidationError::Schema(schema) => ApiError::InvalidParams(schema.to_string()),
            ValidationError::Sort(sort) => ApiError::InvalidSort(sort.raw),
            ValidationError::Date(date) => ApiError::BadRequest(date.to_string()),
            ValidationError::Parameter(parameter) => ApiError::InvalidParams(parameter.to_string()),
        }
    }
}

#[cfg(test)]
mod tests;
