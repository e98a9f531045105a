//! The extension routes of every report under [`EXTENSIONS_PATH`]: time series (JSON and CSV),
//! the comparison with the previous period, and Rocket.Chat's Reports CSV. They run the reports'
//! chain (credentials, permission, rate limit, then their own parameters) and compute on the
//! blocking pool, all ranges of one request in one call.

use crate::caller::count_call;
use crate::report_cache::CacheKey;
use crate::report_route::authorize;
use crate::AppState;
use actix_web::http::header::{self, ContentType, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono_tz::Tz;
use omnireports_analytics::{Report, ReportBody, ReportRequest};
use omnireports_error::{ApiError, RateLimit};
use omnireports_model::{DateRange, Interval};
use omnireports_trends::{Comparison, Period, Series, MAX_BUCKETS};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

/// Where omnireports' own routes live: never under Rocket.Chat's prefix.
pub const EXTENSIONS_PATH: &str = "/api/omnireports/v1";

/// One of the four extension routes of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `timeseries/<report>`: the report per bucket, JSON.
    Series,
    /// `timeseries/<report>.csv`: the same as CSV.
    SeriesCsv,
    /// `compare/<report>`: the range and the previous one.
    Compare,
    /// `export/<report>.csv`: Rocket.Chat's Reports CSV.
    Export,
}

impl Kind {
    /// Every kind, in the order they are served and described.
    pub const ALL: [Kind; 4] = [Kind::Series, Kind::SeriesCsv, Kind::Compare, Kind::Export];

    /// The route's path for `report`.
    pub fn path(self, report: &str) -> String {
        match self {
            Kind::Series => format!("{EXTENSIONS_PATH}/timeseries/{report}"),
            Kind::SeriesCsv => format!("{EXTENSIONS_PATH}/timeseries/{report}.csv"),
            Kind::Compare => format!("{EXTENSIONS_PATH}/compare/{report}"),
            Kind::Export => format!("{EXTENSIONS_PATH}/export/{report}.csv"),
        }
    }

    /// Whether the route reads `interval`.
    pub fn takes_interval(self) -> bool {
        matches!(self, Kind::Series | Kind::SeriesCsv)
    }
}

/// The rate limiter's key of a route: its path, interned once (the limiter keys by `'static`
/// names; there are four per report).
fn route_key(path: String) -> &'static str {
    static KEYS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut keys = KEYS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(key) = keys.get(path.as_str()) {
        return key;
    }
    let key: &'static str = Box::leak(path.into_boxed_str());
    keys.insert(key);
    key
}

/// Registers the four routes of each report.
pub fn configure(cfg: &mut web::ServiceConfig, reports: &[Arc<dyn Report>]) {
    for report in reports {
        for kind in Kind::ALL {
            let report = report.clone();
            let path = kind.path(report.name());
            let key = route_key(path.clone());
            cfg.service(crate::get_only(
                &path,
                web::get().to(move |req, state| serve(req, state, report.clone(), kind, key)),
            ));
        }
    }
}

#[derive(Serialize)]
struct Success<T> {
    #[serde(flatten)]
    body: T,
    success: bool,
}

/// Serves one extension request through the chain.
async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    report: Arc<dyn Report>,
    kind: Kind,
    route: &'static str,
) -> Result<HttpResponse, ApiError> {
    let caller = authorize(&req, &state).await?;
    let rate_limit = match caller.bypass_rate_limit {
        true => None,
        false => count_call(&state, &req, route)?,
    };
    let validated = omnireports_validation::validate_extension(
        req.query_string(),
        state.timezone,
        report.reads_sort(),
        kind.takes_interval(),
    )?;
    let (range, tz, interval) = (validated.range, validated.timezone, validated.interval);
    let request = ReportRequest {
        range,
        sort: validated.sort.unwrap_or_else(|| report.default_sort()),
        restriction: caller.restriction,
    };
    let ranges = match kind {
        Kind::Series | Kind::SeriesCsv => {
            omnireports_trends::buckets(range, interval, tz, MAX_BUCKETS)
                .map_err(|error| ApiError::InvalidParams(error.to_string()))?
        }
        Kind::Compare => vec![range, omnireports_trends::previous(range)],
        Kind::Export => vec![range],
    };
    // The answer depends on the zone and interval too.
    let key = CacheKey::with_calendar(route, &request, tz, interval);
    let cached = caller
        .version
        .and_then(|version| state.report_cache.get(&key, version));
    if caller.version.is_some() {
        state.metrics.report_cache(cached.is_some());
    }
    let body = match cached {
        Some(body) => body,
        None => {
            let version = caller.version;
            let (computing, asked) = (report.clone(), ranges.clone());
            let (computed, unchanged) = state
                .reports_db
                .run(move |conn| {
                    // One range is the report's own query, as its JSON route runs it.
                    let bodies = match asked.as_slice() {
                        [only] => {
                            let own = ReportRequest {
                                range: *only,
                                ..request.clone()
                            };
                            vec![computing.compute(conn, &own)?]
                        }
                        _ => computing.compute_ranges(conn, &request, &asked)?,
                    };
                    let unchanged = match version {
                        Some(version) => omnireports_db::data_version(conn)? == version,
                        None => false,
                    };
                    Ok((bodies, unchanged))
                })
                .await?;
            let periods: Vec<(DateRange, ReportBody)> = ranges.into_iter().zip(computed).collect();
            let body = render(report.as_ref(), kind, range, tz, interval, periods)?;
            if let (Some(version), true) = (caller.version, unchanged) {
                state.report_cache.insert(key, version, body.clone());
            }
            body
        }
    };
    let mut response = answer(rate_limit);
    match kind {
        Kind::Series | Kind::Compare => response.content_type(ContentType::json()),
        Kind::SeriesCsv | Kind::Export => {
            let name = match kind {
                Kind::SeriesCsv => {
                    omnireports_trends::series_file_name(report.name(), interval, range, tz)
                }
                _ => omnireports_trends::file_name(report.name(), range, tz),
            };
            // File names are ASCII: the report's name and dates.
            let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
            response
                .insert_header((
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ))
                .insert_header((header::CONTENT_DISPOSITION, disposition))
        }
    };
    Ok(response.body(body))
}

/// The answer's body: the computed periods as JSON or CSV.
fn render(
    report: &dyn Report,
    kind: Kind,
    range: DateRange,
    tz: Tz,
    interval: Interval,
    mut periods: Vec<(DateRange, ReportBody)>,
) -> Result<Bytes, ApiError> {
    let bytes = match kind {
        Kind::Series => json(&Series {
            interval: interval.name(),
            timezone: tz.name(),
            buckets: periods
                .into_iter()
                .map(|(range, body)| Period::new(range, tz, body))
                .collect(),
        })?,
        Kind::SeriesCsv => omnireports_trends::series_csv(report.column(), interval, tz, &periods),
        Kind::Compare => {
            let (previous, current) = (periods.pop(), periods.pop());
            let (Some(current), Some(previous)) = (current, previous) else {
                return Err(ApiError::internal(
                    "a comparison computed fewer than two periods",
                ));
            };
            json(&Comparison {
                current: Period::new(current.0, tz, current.1),
                previous: Period::new(previous.0, tz, previous.1),
            })?
        }
        Kind::Export => {
            let Some((_, body)) = periods.pop() else {
                return Err(ApiError::internal("an export computed no body"));
            };
            omnireports_trends::report_csv(report.column(), range, tz, &body)
        }
    };
    Ok(Bytes::from(bytes))
}

fn answer(rate_limit: Option<RateLimit>) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    omnireports_error::no_store(&mut response);
    if let Some(limit) = rate_limit {
        omnireports_error::rate_limit_headers(&mut response, &limit);
    }
    response
}

fn json<T: Serialize>(body: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(&Success {
        body,
        success: true,
    })
    .map_err(ApiError::internal)
}
