#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod date;
mod query;
mod range;
mod sort;

pub use chrono_tz::Tz;
pub use date::parse_date;
pub use omnireports_model::{DateRange, Sort, SortDirection};
pub use query::{parse_query, ReportQuery, SchemaError};
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
        }
    }
}

#[cfg(test)]
mod tests;
