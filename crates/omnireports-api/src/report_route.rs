//! The chain every report runs behind: credentials (401) → permission (403) → rate limit (429)
//! → parameters (400) → monitor restriction → the report on the blocking pool.

use crate::caller::{count_call, credentials, vouched};
use crate::report_cache::CacheKey;
use crate::AppState;
use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::{PgConnection, QueryResult};
use omnireports_analytics::{Report, ReportBody, ReportRequest};
use omnireports_db::Restriction;
use omnireports_error::{ApiError, RateLimit};
use serde::Serialize;
use std::sync::Arc;

/// What the database says about the caller.
#[derive(Debug)]
enum Access {
    Anonymous,
    Forbidden,
    Allowed {
        bypass_rate_limit: bool,
        restriction: Restriction,
    },
}

/// Serves one report request through the whole chain.
pub async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    report: Arc<dyn Report>,
) -> Result<HttpResponse, ApiError> {
    let caller = authorize(&req, &state).await?;
    let rate_limit = match caller.bypass_rate_limit {
        true => None,
        false => count_call(&state, &req, report.name())?,
    };
    let validated =
        omnireports_validation::validate(req.query_string(), state.timezone, report.reads_sort())?;
    let request = ReportRequest {
        range: validated.range,
        sort: validated.sort.unwrap_or_else(|| report.default_sort()),
        restriction: caller.restriction,
    };
    let body = match caller.version {
        Some(version) => cached_answer(&state, report, request, version).await?,
        None => {
            let body = state
                .reports_db
                .run(move |conn| report.compute(conn, &request))
                .await?;
            serialize(&body)?
        }
    };
    Ok(respond(body, rate_limit))
}

/// A caller allowed to read reports.
#[derive(Debug)]
pub(crate) struct Caller {
    pub(crate) bypass_rate_limit: bool,
    pub(crate) restriction: Restriction,
    /// The data version seen with the credentials, when answers are cached.
    pub(crate) version: Option<i64>,
}

/// 401 or 403, else who is calling. The data version is read in the same database call: no
/// extra round trip on the way to a cached answer.
pub(crate) async fn authorize(req: &HttpRequest, state: &AppState) -> Result<Caller, ApiError> {
    let (user_id, token) = credentials(req).ok_or(ApiError::Unauthorized)?;
    let mut found = access_of(state, &user_id, &token).await?;
    if matches!(found.0, Access::Anonymous) && vouched(state, &user_id, &token).await? {
        found = access_of(state, &user_id, &token).await?;
    }
    let (access, version) = found;
    let caller = user_id;
    match access {
        Access::Anonymous => Err(ApiError::Unauthorized),
        Access::Forbidden => {
            crate::telemetry::record_user(req, &caller);
            Err(ApiError::Forbidden)
        }
        Access::Allowed {
            bypass_rate_limit,
            restriction,
        } => {
            crate::telemetry::record_user(req, &caller);
            Ok(Caller {
                bypass_rate_limit,
                restriction,
                version,
            })
        }
    }
}

/// The caller's access, and the data version when answers are cached, in one database call.
async fn access_of(
    state: &AppState,
    user_id: &str,
    token: &str,
) -> Result<(Access, Option<i64>), ApiError> {
    let days = state.login_expiration_days;
    let versioned = state.report_cache.is_enabled();
    let (user_id, token) = (user_id.to_owned(), token.to_owned());
    let found = state
        .auth_db
        .run(move |conn| {
            let access = load_access(conn, &user_id, &token, days)?;
            let version = match (&access, versioned) {
                (Access::Allowed { .. }, true) => Some(omnireports_db::data_version(conn)?),
                _ => None,
            };
            Ok((access, version))
        })
        .await?;
    Ok(found)
}

/// The answer computed at `version` if the cache has it; else computes it and keeps it when
/// the version still reads the same afterwards (then no write committed between the credentials'
/// snapshot and the report's, so the answer is the one of `version`).
async fn cached_answer(
    state: &AppState,
    report: Arc<dyn Report>,
    request: ReportRequest,
    version: i64,
) -> Result<Bytes, ApiError> {
    let key = CacheKey::new(report.name(), &request);
    if let Some(body) = state.report_cache.get(&key, version) {
        state.metrics.report_cache(true);
        return Ok(body);
    }
    state.metrics.report_cache(false);
    let (body, unchanged) = state
        .reports_db
        .run(move |conn| {
            let body = report.compute(conn, &request)?;
            Ok((body, omnireports_db::data_version(conn)? == version))
        })
        .await?;
    let body = serialize(&body)?;
    if unchanged {
        state.report_cache.insert(key, version, body.clone());
    }
    Ok(body)
}

fn load_access(
    conn: &mut PgConnection,
    user_id: &str,
    token: &str,
    login_expiration_days: u32,
) -> QueryResult<Access> {
    let now = Utc::now();
    let Some(authorized) =
        omnireports_auth::authorize(conn, user_id, token, now, login_expiration_days)?
    else {
        return Ok(Access::Anonymous);
    };
    if !authorized.can_view_reports {
        return Ok(Access::Forbidden);
    }
    Ok(Access::Allowed {
        bypass_rate_limit: authorized.bypasses_rate_limit,
        restriction: omnireports_auth::restriction_for(conn, &authorized.user)?,
    })
}

#[derive(Serialize)]
struct Success<'a> {
    #[serde(flatten)]
    body: &'a ReportBody,
    success: bool,
}

fn serialize(body: &ReportBody) -> Result<Bytes, ApiError> {
    let success = Success {
        body,
        success: true,
    };
    serde_json::to_vec(&success)
        .map(Bytes::from)
        .map_err(ApiError::internal)
}

fn respond(body: Bytes, rate_limit: Option<RateLimit>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    omnireports_error::no_store(&mut response);
    if let Some(limit) = rate_limit {
        omnireports_error::rate_limit_headers(&mut response, &limit);
    }
    response.content_type(ContentType::json()).body(body)
}
