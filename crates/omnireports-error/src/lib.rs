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
/// Text of the 401 body of a failed login (both `error` and `message`): a wrong password and an
/// unknown user get the same.
pub const LOGIN_FAILED: &str = "Unauthorized";
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
    /// A login with a wrong password or for an unknown user (told apart by nobody).
    LoginFailed,
    /// The right password of a deactivated user.
    UserNotActivated,
    /// The user has two-factor authentication and the login brought no code.
    TwoFactorRequired(TwoFactor),
    /// The login's two-factor code is not valid.
    TwoFactorInvalid(TwoFactor),
    /// A login body that is not one of the forms `/api/v1/login` accepts.
    InvalidLogin(String),
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

/// The two-factor methods of a user, as a login's 401 names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactor {
    /// The method the code must come from: `totp` (an app) before `email`.
    pub method: &'static str,
    /// Every method the user has.
    pub available: Vec<&'static str>,
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
    pub error_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `details` of a body: what Rocket.Chat adds to some errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged, rename_all_fields = "camelCase")]
// Undocumented fields for the same reason as `ErrorBody`'s.
#[allow(missing_docs)]
pub enum Details {
    /// The invalid-sort body's.
    Helper { helper_method: &'static str },
    /// The inactive user's.
    Function { function: &'static str },
    /// The two-factor bodies'.
    TwoFactor {
        method: &'static str,
        available_methods: Vec<&'static str>,
    },
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
            ApiError::Unauthorized
            | ApiError::LoginFailed
            | ApiError::UserNotActivated
            | ApiError::TwoFactorRequired(_)
            | ApiError::TwoFactorInvalid(_) => 401,
            ApiError::Forbidden => 403,
            ApiError::RateLimited(_) => 429,
            ApiError::InvalidParams(_)
            | ApiError::InvalidSort(_)
            | ApiError::BadRequest(_)
            | ApiError::InvalidLogin(_) => 400,
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
            ApiError::LoginFailed => login_error(LOGIN_FAILED, None, LOGIN_FAILED),
            ApiError::UserNotActivated => login_error(
                "error-user-is-not-activated",
                Some(Details::Function {
                    function: "Accounts.validateLoginAttempt",
                }),
                "User is not activated",
            ),
            ApiError::TwoFactorRequired(methods) => {
                login_error("totp-required", Some(methods.details()), "TOTP Required")
            }
            ApiError::TwoFactorInvalid(methods) => {
                login_error("totp-invalid", Some(methods.details()), "TOTP Invalid")
            }
            ApiError::InvalidLogin(message) => ErrorBody {
                error_type: Some("error-invalid-params"),
                ..plain(format!("{message} [error-invalid-params]"))
            },
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
                details: Some(Details::Helper {
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

impl TwoFactor {
    fn details(&self) -> Details {
        Details::TwoFactor {
            method: self.method,
            available_methods: self.available.clone(),
        }
    }
}

/// The 401 of a refused login, as Rocket.Chat's `/api/v1/login` shapes it.
fn login_error(error: &str, details: Option<Details>, message: &str) -> ErrorBody {
    ErrorBody {
        success: false,
        error: error.to_owned(),
        status: Some("error"),
        error_type: None,
        details,
        message: Some(message.to_owned()),
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
