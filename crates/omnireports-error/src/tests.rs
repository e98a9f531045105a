use super::*;
use serde_json::{json, Value};

fn body(error: ApiError) -> Value {
    serde_json::from_str(&error.to_json()).unwrap()
}

#[test]
fn unauthorized_body_matches_rocket_chat() {
    assert_eq!(ApiError::Unauthorized.status_code(), 401);
    assert_eq!(
        ApiError::Unauthorized.to_json(),
        r#"{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}"#
    );
}

#[test]
fn forbidden_body_matches_rocket_chat() {
    assert_eq!(ApiError::Forbidden.status_code(), 403);
    assert_eq!(
        body(ApiError::Forbidden),
        json!({"success":false,"error":"User does not have the permissions required for this action [error-unauthorized]"})
    );
}

#[test]
fn rate_limited_body_names_the_wait() {
    let error = ApiError::RateLimited(RateLimit {
        limit: 10,
        remaining: 0,
        reset_ms: 1_700_000_000_000,
        wait_secs: 42,
    });
    assert_eq!(error.status_code(), 429);
    assert_eq!(
        body(error),
        json!({"success":false,"error":"Error, too many requests. Please slow down. You must wait 42 seconds before trying this endpoint again. [error-too-many-requests]"})
    );
}

#[test]
fn invalid_params_body_has_error_type() {
    let error = ApiError::InvalidParams("must have required property 'start'".into());
    assert_eq!(error.status_code(), 400);
    assert_eq!(
        error.to_json(),
        r#"{"success":false,"error":"must have required property 'start' [invalid-params]","errorType":"invalid-params"}"#
    );
}

#[test]
fn invalid_sort_body_quotes_the_raw_sort() {
    let error = ApiError::InvalidSort("{\"total\":2}".into());
    assert_eq!(
        body(error),
        json!({"success":false,"error":"Invalid sort parameter provided: \"{\"total\":2}\" [error-invalid-sort]","errorType":"error-invalid-sort","details":{"helperMethod":"parseJsonQuery"}})
    );
}

#[test]
fn bad_request_is_a_plain_error() {
    let error = ApiError::BadRequest("The \"start\" query parameter must be a valid date.".into());
    assert_eq!(
        error.to_json(),
        r#"{"success":false,"error":"The \"start\" query parameter must be a valid date."}"#
    );
}

#[test]
fn server_side_bodies_are_opaque() {
    assert_eq!(
        ApiError::internal("password=secret SELECT 1"),
        ApiError::Internal
    );
    assert_eq!(
        ApiError::Internal.to_json(),
        r#"{"success":false,"error":"Internal server error"}"#
    );
    assert_eq!(ApiError::unavailable("pool timed out").status_code(), 503);
    assert_eq!(
        body(ApiError::ServiceUnavailable),
        json!({"success":false,"error":"Service unavailable [error-service-unavailable]","errorType":"error-service-unavailable"})
    );
}

#[test]
fn routing_errors_share_the_envelope() {
    assert_eq!(ApiError::NotFound.status_code(), 404);
    assert_eq!(
        body(ApiError::NotFound),
        json!({"success":false,"error":"Not found"})
    );
    assert_eq!(ApiError::MethodNotAllowed.status_code(), 405);
    assert_eq!(
        body(ApiError::MethodNotAllowed),
        json!({"success":false,"error":"Method not allowed"})
    );
}

#[test]
fn oversized_requests_share_the_envelope() {
    assert_eq!(ApiError::UriTooLong.status_code(), 414);
    assert_eq!(
        ApiError::UriTooLong.to_json(),
        r#"{"success":false,"error":"URI too long"}"#
    );
    assert_eq!(ApiError::HeadersTooLarge.status_code(), 431);
    assert_eq!(
        ApiError::HeadersTooLarge.to_json(),
        r#"{"success":false,"error":"Request header fields too large"}"#
    );
}

/// The login failures of `/api/v1/login`, byte for byte as the sign-in contract lists them.
#[test]
fn login_failures_match_rocket_chat_byte_for_byte() {
    let totp = TwoFactor {
        method: "totp",
        available: vec!["totp"],
    };
    let cases = [
        (
            ApiError::LoginFailed,
            r#"{"success":false,"error":"Unauthorized","status":"error","message":"Unauthorized"}"#,
        ),
        (
            ApiError::UserNotActivated,
            r#"{"success":false,"error":"error-user-is-not-activated","status":"error","details":{"function":"Accounts.validateLoginAttempt"},"message":"User is not activated"}"#,
        ),
        (
            ApiError::TwoFactorRequired(totp.clone()),
            r#"{"success":false,"error":"totp-required","status":"error","details":{"method":"totp","availableMethods":["totp"]},"message":"TOTP Required"}"#,
        ),
        (
            ApiError::TwoFactorInvalid(totp),
            r#"{"success":false,"error":"totp-invalid","status":"error","details":{"method":"totp","availableMethods":["totp"]},"message":"TOTP Invalid"}"#,
        ),
    ];
    for (error, expected) in cases {
        assert_eq!(error.status_code(), 401);
        assert_eq!(error.to_json(), expected);
    }
}

#[test]
fn an_invalid_login_body_is_a_400_naming_the_problem() {
    let error = ApiError::InvalidLogin("password: expected a string".into());
    assert_eq!(error.status_code(), 400);
    assert_eq!(
        error.to_json(),
        r#"{"success":false,"error":"password: expected a string [error-invalid-params]","errorType":"error-invalid-params"}"#
    );
}
