//! Rocket.Chat's sign-in routes: `POST /api/v1/login`, `POST|GET /api/v1/logout` and
//! `GET /api/v1/me`, behind the same rate limiter as every route.

use crate::caller::{count_call, credentials};
use crate::AppState;
use actix_web::http::header::{self, ContentType};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::StreamExt as _;
use omnireports_auth::login::{self, Account, LoginRequest, SecondFactorError};
use omnireports_auth::Profile;
use omnireports_error::{ApiError, RateLimit, TwoFactor};
use serde::Serialize;

/// The largest login body read; a larger one is refused before it is read whole.
pub const MAX_LOGIN_BODY: usize = 8 * 1024;

pub const LOGIN_PATH: &str = "/api/v1/login";
pub const LOGOUT_PATH: &str = "/api/v1/logout";
pub const ME_PATH: &str = "/api/v1/me";

/// Registers the three routes; other methods get the 405 envelope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::resource(
        LOGIN_PATH,
        &["POST"],
        vec![web::post().to(login)],
    ))
    .service(crate::resource(
        LOGOUT_PATH,
        &["GET", "POST"],
        vec![web::post().to(logout), web::get().to(logout)],
    ))
    .service(crate::resource(ME_PATH, &["GET"], vec![web::get().to(me)]));
}

#[derive(Serialize)]
struct Success<T> {
    status: &'static str,
    data: T,
    success: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoggedIn {
    user_id: String,
    auth_token: String,
    me: Profile,
}

#[derive(Serialize)]
struct LoggedOut {
    message: &'static str,
}

#[derive(Serialize)]
struct Me {
    #[serde(flatten)]
    profile: Profile,
    success: bool,
}

async fn login(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // Nobody is known yet: no exemption from the limiter.
    let rate_limit = count_call(&state, &req, "login")?;
    let body = read_body(&req, payload).await?;
    let request =
        LoginRequest::parse(&body).map_err(|error| ApiError::InvalidLogin(error.to_string()))?;
    let site = site(&req);
    let (user_id, auth_token) = match request {
        LoginRequest::Resume(token) => resume(&state, token).await?,
        LoginRequest::Password {
            name,
            password,
            code,
        } => {
            let account = state
                .auth_db
                .run(move |conn| login::find_account(conn, &name))
                .await?;
            let (account, verified) = state
                .password_checks
                .run(move || {
                    let verified = login::verify_password(account.as_ref(), &password);
                    (account, verified)
                })
                .await?;
            let account = match account {
                Some(account) if verified => account,
                _ => return Err(ApiError::LoginFailed),
            };
            let code = code.or_else(|| header_code(&req));
            let user_id = admit(&account, code.as_deref())?;
            let token = state
                .auth_db
                .run(move |conn| login::issue_login_token(conn, &user_id, Utc::now()))
                .await?;
            (account.id, token)
        }
    };
    crate::telemetry::record_user(&req, &user_id);
    let me = load_profile(&state, user_id.clone(), site).await?;
    let data = LoggedIn {
        user_id,
        auth_token,
        me,
    };
    Ok(respond(&success(data), rate_limit))
}

/// Meteor's order after the password: an inactive user is refused, then the second factor.
fn admit(account: &Account, code: Option<&str>) -> Result<String, ApiError> {
    if !account.active {
        return Err(ApiError::UserNotActivated);
    }
    login::check_second_factor(account, code, Utc::now()).map_err(|error| match error {
        SecondFactorError::Required(methods) => ApiError::TwoFactorRequired(two_factor(methods)),
        SecondFactorError::Invalid(methods) => ApiError::TwoFactorInvalid(two_factor(methods)),
    })?;
    Ok(account.id.clone())
}

fn two_factor(methods: login::Methods) -> TwoFactor {
    TwoFactor {
        method: methods.selected,
        available: methods.available,
    }
}

/// `{"resume": token}`: the same token back while it is valid. A resumed session skips the
/// second factor, as in Rocket.Chat.
async fn resume(state: &AppState, token: String) -> Result<(String, String), ApiError> {
    let days = state.login_expiration_days;
    let resumed = {
        let token = token.clone();
        state
            .auth_db
            .run(move |conn| login::resume(conn, &token, Utc::now(), days))
            .await?
    };
    match resumed {
        None => Err(ApiError::LoginFailed),
        Some((_, false)) => Err(ApiError::UserNotActivated),
        Some((user_id, true)) => Ok((user_id, token)),
    }
}

async fn logout(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (user_id, token, rate_limit) = authenticated(&req, &state, "logout").await?;
    state
        .auth_db
        .run(move |conn| login::revoke_token(conn, &user_id, &token))
        .await?;
    let data = LoggedOut {
        message: "You've been logged out!",
    };
    Ok(respond(&success(data), rate_limit))
}

async fn me(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (user_id, _, rate_limit) = authenticated(&req, &state, "me").await?;
    let profile = load_profile(&state, user_id, site(&req)).await?;
    let body = Me {
        profile,
        success: true,
    };
    Ok(respond(&body, rate_limit))
}

/// The caller's id and token (401 without valid ones), and their call counted unless they hold
/// `api-bypass-rate-limit`. No report permission is needed.
async fn authenticated(
    req: &HttpRequest,
    state: &AppState,
    route: &'static str,
) -> Result<(String, String, Option<RateLimit>), ApiError> {
    let (user_id, token) = credentials(req).ok_or(ApiError::Unauthorized)?;
    let days = state.login_expiration_days;
    let authorize = || {
        let (user_id, token) = (user_id.clone(), token.clone());
        state
            .auth_db
            .run(move |conn| omnireports_auth::authorize(conn, &user_id, &token, Utc::now(), days))
    };
    let mut authorized = authorize().await?;
    if authorized.is_none() && crate::caller::vouched(state, &user_id, &token).await? {
        authorized = authorize().await?;
    }
    let authorized = authorized.ok_or(ApiError::Unauthorized)?;
    crate::telemetry::record_user(req, &user_id);
    let rate_limit = match authorized.bypasses_rate_limit {
        true => None,
        false => count_call(state, req, route)?,
    };
    Ok((user_id, token, rate_limit))
}

async fn load_profile(
    state: &AppState,
    user_id: String,
    site: String,
) -> Result<Profile, ApiError> {
    state
        .auth_db
        .run(move |conn| omnireports_auth::profile(conn, &user_id, &site))
        .await?
        // Deleted between the credentials' check and now: as if never signed in.
        .ok_or(ApiError::Unauthorized)
}

/// The body, at most [`MAX_LOGIN_BODY`] bytes: a declared or streamed larger one is refused
/// as soon as that is known.
async fn read_body(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::InvalidLogin(format!(
            "The request body must be at most {MAX_LOGIN_BODY} bytes"
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_LOGIN_BODY as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::InvalidLogin("The request body could not be read".into()))?;
        if body.len() + chunk.len() > MAX_LOGIN_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The header Rocket.Chat's clients send a two-factor code in.
fn header_code(req: &HttpRequest) -> Option<String> {
    let code = req.headers().get("x-2fa-code")?.to_str().ok()?;
    Some(code.to_owned())
}

/// Where avatars are served, as the client reached this server (`getURL(…, {full: true})`).
fn site(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

fn success<T>(data: T) -> Success<T> {
    Success {
        status: "success",
        data,
        success: true,
    }
}

fn respond(body: &impl Serialize, rate_limit: Option<RateLimit>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    omnireports_error::no_store(&mut response);
    if let Some(limit) = rate_limit {
        omnireports_error::rate_limit_headers(&mut response, &limit);
    }
    match serde_json::to_vec(body) {
        Ok(body) => response.content_type(ContentType::json()).body(body),
        Err(error) => actix_web::ResponseError::error_response(&ApiError::internal(error)),
    }
}
