#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use serde::Serialize;
use std::fmt;

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "actix")]
pub use actix::{no_store, rate_limit_headers};

/// Text of the 401 body (both `error` and `message`).
pub const UNAUTHORIZED: &str = "You must be logged in to do this.";
/// Text of the 403 body.
pub const FORBIDDEN: &str =
    "User does not have the permissions required for this action [error-unauthorized]";

/// Every error a client of omnireports can receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// Missing, unknown, expired or revoked credentials.
    Unauthorized,
    /// Authenticated, but without the route's permission.
    Forbidden,
    /// The caller exceeded the rate limit of the route.
    RateLimited(RateLimit),
    /// The query string does not match the schema; the message is ajv's first error.
    InvalidParams(String),
    /// The `sort` parameter, as received, is not a valid sort.
    InvalidSort(String),
    /// A plain error thrown by the endpoint (the date checks).
    BadRequest(String),
    /// No route has this path.
    NotFound,
    /// The path exists but not with this method.
    MethodNotAllowed,
    /// The request target (path and query) is longer than the server reads.
    UriTooLong,
    /// The request's header fields are larger than the server reads.
    HeadersTooLarge,
    /// A server fault; the cause is in the log, never in the body.
    Internal,
    /// The database is unreachable, exhausted or too slow.
    ServiceUnavailable,
}

/// The state of a rate-limit window, as reported in `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per window (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Calls left in the window (`X-RateLimit-Remaining`).
    pub remaining: u32,
    /// When the window resets, in epoch milliseconds (`X-RateLimit-Reset`).
    pub reset_ms: i64,
    /// Whole seconds until the reset, as shown in the 429 message.
    pub wait_secs: u64,
}

/// The JSON envelope of every error response. Absent fields are not serialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
// The fields stay undocumented: utoipa would turn their doc comments into OpenAPI descriptions,
// and the served document is pinned by tests/e2e/snapshots/openapi.json.
#[allow(missing_docs)]
pub struct ErrorBody {
    pub success: bool,
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
}

/// `details` of the invalid-sort body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
// Undocumented field for the same reason as `ErrorBody`'s.
#[allow(missing_docs)]
pub struct Details {
    pub helper_method: &'static str,
}

impl ApiError {
    /// Logs `cause` and returns the opaque 500.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(%cause, "internal server error");
        ApiError::Internal
    }

    /// Logs `cause` and returns the opaque 503.
    pub fn unavailable(cause: impl fmt::Display) -> Self {
        tracing::warn!(%cause, "service unavailable");
        ApiError::ServiceUnavailable
    }

    /// The HTTP status code of this error.
    pub fn status_code(&self) -> u16 {
        match self {
            ApiError::Unauthorized => 401,
            ApiError::Forbidden => 403,
            ApiError::RateLimited(_) => 429,
            ApiError::InvalidParams(_) | ApiError::InvalidSort(_) | ApiError::BadRequest(_) => 400,
            ApiError::NotFound => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::UriTooLong => 414,
            ApiError::HeadersTooLarge => 431,
            ApiError::Internal => 500,
            ApiError::ServiceUnavailable => 503,
        }
    }

    /// The response body of this error.
    pub fn body(&self) -> ErrorBody {
        let plain = |error: String| ErrorBody {
            success: false,
            error,
            status: None,
            message: None,
            error_type: None,
            details: None,
        };
        match self {
            ApiError::Unauthorized => ErrorBody {
                status: Some("error"),
                message: Some(UNAUTHORIZED.to_owned()),
                ..plain(UNAUTHORIZED.to_owned())
            },
            ApiError::Forbidden => plain(FORBIDDEN.to_owned()),
            ApiError::RateLimited(limit) => plain(format!(
                "Error, too many requests. Please slow down. You must wait {} seconds before \
                 trying this endpoint again. [error-too-many-requests]",
                limit.wait_secs
            )),
            ApiError::InvalidParams(message) => ErrorBody {
                error_type: Some("invalid-params"),
                ..plain(format!("{message} [invalid-params]"))
            },
            ApiError::InvalidSort(raw) => ErrorBody {
                error_type: Some("error-invalid-sort"),
                details: Some(Details {
                    helper_method: "parseJsonQuery",
                }),
                ..plain(format!(
                    "Invalid sort parameter provided: \"{raw}\" [error-invalid-sort]"
                ))
            },
            ApiError::BadRequest(message) => plain(message.clone()),
            ApiError::NotFound => plain("Not found".to_owned()),
            ApiError::MethodNotAllowed => plain("Method not allowed".to_owned()),
            ApiError::UriTooLong => plain("URI too long".to_owned()),
            ApiError::HeadersTooLarge => plain("Request header fields too large".to_owned()),
            ApiError::Internal => plain("Internal server error".to_owned()),
            ApiError::ServiceUnavailable => ErrorBody {
                error_type: Some("error-service-unavailable"),
                ..plain("Service unavailable [error-service-unavailable]".to_owned())
            },
        }
    }

    /// The response body serialized as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.body()).expect("an ErrorBody always serializes")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.body().error)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests;
