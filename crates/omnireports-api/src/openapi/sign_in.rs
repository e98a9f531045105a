//! The sign-in routes' part of the description: `/api/v1/login`, `/logout`, `/me`. Their
//! schemas are written as JSON Schema, the shape clients read; every error example is the
//! exact body the server sends.

use super::{error_response, rate_limited, with_rate_limit_headers, JSON};
use crate::session::{LOGIN_PATH, LOGOUT_PATH, MAX_LOGIN_BODY, ME_PATH};
use omnireports_error::{ApiError, TwoFactor};
use serde_json::{json, Value};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItemBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{PathItem, PathsBuilder, RefOr, Required, Schema};

/// Adds the three routes to `paths`.
pub(super) fn paths(paths: PathsBuilder) -> PathsBuilder {
    paths
        .path(LOGIN_PATH, PathItem::new(HttpMethod::Post, login()))
        .path(
            LOGOUT_PATH,
            PathItemBuilder::new()
                .operation(
                    HttpMethod::Post,
                    logout().operation_id(Some("logout")).build(),
                )
                .operation(
                    HttpMethod::Get,
                    logout().operation_id(Some("logout-get")).build(),
                )
                .build(),
        )
        .path(ME_PATH, PathItem::new(HttpMethod::Get, me()))
}

fn schema(value: Value) -> RefOr<Schema> {
    serde_json::from_value(value).expect("a valid JSON Schema")
}

fn login() -> OperationBuilder {
    let name = json!({"type": "string", "description": "A username, or an e-mail address when it contains `@`"});
    let password = json!({"oneOf": [
        {"type": "string", "maxLength": 256},
        {"type": "object", "required": ["digest", "algorithm"], "properties": {
            "digest": {"type": "string", "description": "Lowercase hex SHA-256 of the password"},
            "algorithm": {"type": "string", "enum": ["sha-256"]}}}]});
    let code =
        json!({"type": "string", "description": "A two-factor code (or the `x-2fa-code` header)"});
    let body = schema(json!({"oneOf": [
        {"type": "object", "required": ["user", "password"], "properties": {
            "user": {"oneOf": [name, {"type": "object", "properties": {
                "username": {"type": "string"}, "email": {"type": "string"}, "id": {"type": "string"}}}]},
            "password": password, "code": code}},
        {"type": "object", "required": ["username", "password"], "properties": {
            "username": {"type": "string"}, "password": password, "code": code}},
        {"type": "object", "required": ["email", "password"], "properties": {
            "email": {"type": "string"}, "password": password, "code": code}},
        {"type": "object", "required": ["resume"], "properties": {
            "resume": {"type": "string", "description": "A valid token: answered with itself"}}}]}));
    let request = RequestBodyBuilder::new()
        .description(Some(format!("JSON, at most {MAX_LOGIN_BODY} bytes")))
        .required(Some(Required::True))
        .content(
            JSON,
            ContentBuilder::new()
                .schema(Some(body))
                .example(Some(
                    json!({"user": "manager", "password": "demo-password"}),
                ))
                .build(),
        )
        .build();
    let totp = TwoFactor {
        method: "totp",
        available: vec!["totp"],
    };
    OperationBuilder::new()
        .operation_id(Some("login"))
        .tag("sign-in")
        .summary(Some("Sign in with a password (Rocket.Chat's login)"))
        .description(Some(
            "Issues a login token, which expires like Rocket.Chat's. Rate limited per client \
             like every route; `api-bypass-rate-limit` does not apply, no user being known yet.",
        ))
        .request_body(Some(request))
        .response(
            "200",
            success("The user id, a new token and the user", logged_in_example()),
        )
        .response(
            "400",
            error_response(
                "Not a login body",
                &[ApiError::InvalidLogin("password: is required".into())],
            ),
        )
        .response(
            "401",
            error_response(
                "Wrong password or unknown user (the same body), inactive user, two-factor",
                &[
                    ApiError::LoginFailed,
                    ApiError::UserNotActivated,
                    ApiError::TwoFactorRequired(totp.clone()),
                    ApiError::TwoFactorInvalid(totp),
                ],
            ),
        )
        .response("429", with_rate_limit_headers(rate_limited_response()))
        .response("503", unavailable())
}

fn logout() -> OperationBuilder {
    authenticated(
        "Sign out: removes only the token of the call (also by GET, as older clients do)",
    )
    .response(
        "200",
        success(
            "Signed out",
            json!({"status": "success", "data": {"message": "You've been logged out!"}, "success": true}),
        ),
    )
}

fn me() -> OperationBuilder {
    let mut example = profile_example();
    example["success"] = json!(true);
    authenticated("The signed-in user, as Rocket.Chat's /me shows it")
        .operation_id(Some("me"))
        .response("200", success("The user", example))
}

fn authenticated(summary: &str) -> OperationBuilder {
    OperationBuilder::new()
        .tag("sign-in")
        .summary(Some(summary))
        .security(
            SecurityRequirement::new("userId", Vec::<String>::new())
                .add("authToken", Vec::<String>::new()),
        )
        .response(
            "401",
            error_response(
                "Missing, unknown or expired credentials",
                &[ApiError::Unauthorized],
            ),
        )
        .response("429", with_rate_limit_headers(rate_limited_response()))
        .response("503", unavailable())
}

fn success(description: &str, example: Value) -> Response {
    with_rate_limit_headers(
        ResponseBuilder::new()
            .description(description)
            .content(JSON, ContentBuilder::new().example(Some(example)).build())
            .build(),
    )
}

fn rate_limited_response() -> Response {
    error_response("Over the rate limit", &[rate_limited()])
}

fn unavailable() -> Response {
    error_response(
        "The database is unreachable, or no password check was free in time",
        &[ApiError::ServiceUnavailable],
    )
}

fn profile_example() -> Value {
    json!({
        "_id": "demo-manager", "username": "manager", "name": "Mia Manager",
        "emails": [{"address": "manager@example.com", "verified": true}],
        "status": "offline", "active": true, "roles": ["user", "livechat-manager"],
        "settings": {"preferences": {}}, "email": "manager@example.com",
        "avatarUrl": "http://127.0.0.1:3000/avatar/manager",
        "services": {"password": {"exists": true}},
    })
}

fn logged_in_example() -> Value {
    json!({
        "status": "success",
        "data": {
            "userId": "demo-manager",
            "authToken": "9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq",
            "me": profile_example(),
        },
        "success": true,
    })
}
