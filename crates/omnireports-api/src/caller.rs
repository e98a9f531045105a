//! What every authenticated route reads of its caller: the credential headers, and the call
//! counted against the rate limiter.

use crate::AppState;
use actix_web::HttpRequest;
use chrono::Utc;
use omnireports_error::{ApiError, RateLimit};

/// `X-User-Id` and `X-Auth-Token`, both present and non-empty. A repeated header is read as
/// Node reads it, its values joined by `", "` (so two user ids are nobody's).
pub(crate) fn credentials(req: &HttpRequest) -> Option<(String, String)> {
    let header = |name: &str| {
        let values: Option<Vec<&str>> = req
            .headers()
            .get_all(name)
            .map(|value| value.to_str().ok())
            .collect();
        let value = values?.join(", ");
        (!value.is_empty()).then_some(value)
    };
    Some((header("x-user-id")?, header("x-auth-token")?))
}

/// Counts a call of `route` by the client; the 429 when it is over the limit.
pub(crate) fn count_call(
    state: &AppState,
    req: &HttpRequest,
    route: &'static str,
) -> Result<Option<RateLimit>, ApiError> {
    let ip = crate::client_ip::client_ip(req, &state.trusted_proxies);
    state
        .rate_limiter
        .check(ip, route, Utc::now().timestamp_millis())
        .map_err(ApiError::RateLimited)
}

/// Whether the Rocket.Chat of `auth.rocketchat_url` vouches for a pair omnireports does not
/// know; if it does, the user and the token are now known here.
pub(crate) async fn vouched(
    state: &AppState,
    user_id: &str,
    token: &str,
) -> Result<bool, ApiError> {
    let Some(rocketchat) = &state.rocketchat else {
        return Ok(false);
    };
    let Some(user) = rocketchat.vouch(user_id, token).await? else {
        return Ok(false);
    };
    let token = token.to_owned();
    state
        .auth_db
        .run(move |conn| omnireports_auth::remote::remember(conn, &user, &token, Utc::now()))
        .await?;
    Ok(true)
}
