#![doc = include_str!("../README.md")]

mod caller;
mod client_ip;
mod cors;
mod dashboard;
pub mod demo;
mod folding;
mod limits;
mod metrics;
pub mod openapi;
mod panics;
mod password_checks;
mod rate_limit;
pub mod reads;
mod report_cache;
mod report_route;
mod rocketchat;
pub mod session;
pub mod settings;
pub mod telemetry;
pub mod trend_routes;

pub use omnireports_analytics::REPORTS_PATH;
pub use rate_limit::RateLimiter;
pub use settings::Settings;
pub use trend_routes::EXTENSIONS_PATH;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use chrono_tz::Tz;
use ipnet::IpNet;
use omnireports_analytics::Registry;
use omnireports_db::{build_pool, Database};
use omnireports_error::ApiError;
use secrecy::{ExposeSecret, SecretString};
use settings::CorsSettings;
use std::net::TcpListener;
use tracing_actix_web::TracingLogger;

/// Everything a request needs, shared by all workers.
#[derive(Debug)]
pub struct AppState {
    /// The primary: credentials and permissions.
    pub auth_db: Database,
    /// Where reports read from: `database.read_url` while it answers, else the primary.
    pub reports_db: reads::ReportsDb,
    pub registry: Registry,
    pub rate_limiter: RateLimiter,
    pub timezone: Tz,
    pub login_expiration_days: u32,
    /// Proxies whose `X-Forwarded-For` names the client for the rate limiter.
    pub trusted_proxies: Vec<IpNet>,
    pub cors: CorsSettings,
    pub metrics: metrics::Metrics,
    pub report_cache: report_cache::ReportCache,
    /// The OpenAPI description of `registry`, serialized once.
    pub openapi_json: web::Bytes,
    /// How often the server folds logged changes into the aggregates; `None` = never.
    pub fold_every: Option<std::time::Duration>,
    /// Where logins' bcrypt checks run.
    pub password_checks: password_checks::PasswordChecks,
    /// The Rocket.Chat asked about unknown credentials (`auth.rocketchat_url`), if any.
    pub rocketchat: Option<rocketchat::RocketChat>,
}

impl AppState {
    /// Builds pools (without connecting) and the builtin report registry.
    pub fn from_settings(settings: &Settings) -> Self {
        let database = &settings.database;
        let threads = match database.blocking_threads {
            0 => database.pool.max_size as usize,
            n => n,
        };
        let connect = |url: &SecretString| {
            Database::with_blocking_threads(
                build_pool(url.expose_secret(), &database.pool),
                threads,
            )
        };
        let primary = connect(&database.url);
        let mut pools = vec![("primary", primary.clone())];
        let replica = database.read_url.as_ref().map(connect);
        if let Some(replica) = &replica {
            pools.push(("reports", replica.clone()));
        }
        let reports_db = reads::ReportsDb::new(primary.clone(), replica);
        Self {
            auth_db: primary,
            reports_db,
            registry: Registry::default(),
            openapi_json: web::Bytes::new(),
            rate_limiter: RateLimiter::new(settings.rate_limit),
            timezone: settings.timezone,
            login_expiration_days: settings.auth.login_expiration_days,
            trusted_proxies: settings.server.trusted_proxies.clone(),
            cors: settings.cors.clone(),
            metrics: metrics::Metrics::new(pools),
            // A replica's data can lag the primary's version: no cache then.
            report_cache: report_cache::ReportCache::new(match database.read_url {
                Some(_) => 0,
                None => settings.cache.max_bytes,
            }),
            rocketchat: rocketchat::RocketChat::new(
                &settings.auth.rocketchat_url,
                std::time::Duration::from_millis(settings.auth.rocketchat_timeout_ms),
            ),
            password_checks: password_checks::PasswordChecks::new(
                settings.auth.password_checks,
                std::time::Duration::from_millis(database.pool.acquire_timeout_ms),
            ),
            fold_every: match settings.aggregates.fold_interval_ms {
                0 => None,
                ms => Some(std::time::Duration::from_millis(ms)),
            },
        }
        .with_registry(Registry::builtin())
    }

    /// The same state serving `registry`'s reports (the database must have their dimensions:
    /// `omnireports_db::engine::install`).
    pub fn with_registry(mut self, registry: Registry) -> Self {
        self.openapi_json = openapi::document(&registry)
            .to_pretty_json()
            .expect("the OpenAPI description serializes")
            .into();
        self.registry = registry;
        self
    }
}

/// Registers one route per report of the registry, each behind the shared chain. A known path
/// with another method gets the 405 envelope.
pub fn configure(cfg: &mut web::ServiceConfig, registry: &Registry) {
    for report in registry.iter() {
        let report = report.clone();
        let path = report.path();
        cfg.service(get_only(
            &path,
            web::get().to(move |req, state| report_route::serve(req, state, report.clone())),
        ));
    }
    let reports: Vec<_> = registry.iter().cloned().collect();
    trend_routes::configure(cfg, &reports);
}

/// Liveness: the process answers; no database involved.
async fn health() -> HttpResponse {
    omnireports_error::no_store(&mut HttpResponse::Ok()).json(serde_json::json!({"status": "ok"}))
}

/// Readiness: the primary answers and has every migration of this binary. With a replica, the
/// body also says whether reports read from it (`up`) or from the primary (`down`), and its lag;
/// a replica that is down does not make the server unready, the primary serves its reads.
async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pending = state
        .auth_db
        .run(omnireports_db::has_pending_migrations)
        .await?;
    if pending {
        return Err(ApiError::unavailable("database migrations are pending"));
    }
    let mut body = serde_json::json!({"status": "ready"});
    if let Some(replica) = state.reports_db.replica_status() {
        body["replica"] = serde_json::json!({
            "status": if replica.up { "up" } else { "down" },
            "lagSeconds": replica.lag_seconds,
        });
    }
    Ok(omnireports_error::no_store(&mut HttpResponse::Ok()).json(body))
}

/// The OpenAPI description of this server's routes.
async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(state.openapi_json.clone())
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// A path answering `GET` with `route`, and any other method with the 405 envelope.
pub(crate) fn get_only(
    path: &str,
    route: actix_web::Route,
) -> impl actix_web::dev::HttpServiceFactory {
    resource(path, &["GET"], vec![route])
}

/// A path answering the `allowed` methods with `routes`, and any other with the 405 envelope.
pub(crate) fn resource(
    path: &str,
    allowed: &'static [&'static str],
    routes: Vec<actix_web::Route>,
) -> impl actix_web::dev::HttpServiceFactory {
    // Per resource, after routing: the request can then be kept for the 500 of a panic.
    routes
        .into_iter()
        .fold(web::resource(path), |resource, route| resource.route(route))
        .default_service(web::to(move || method_not_allowed(allowed)))
        .wrap(from_fn(panics::catch_panic))
}

/// The 405 envelope, with the `Allow` header RFC 9110 requires.
async fn method_not_allowed(allowed: &'static [&'static str]) -> HttpResponse {
    let mut response = actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed);
    let allow = actix_web::http::header::HeaderValue::from_str(&allowed.join(", "))
        .expect("method names are header values");
    response
        .headers_mut()
        .insert(actix_web::http::header::ALLOW, allow);
    response
}

/// The HTTP server on an already bound listener (tests bind port 0).
pub fn server(state: AppState, listener: TcpListener, workers: usize) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    actix_web::rt::spawn(state.reports_db.clone().watch_replica());
    if let Some(every) = state.fold_every {
        actix_web::rt::spawn(folding::run(state.clone(), every));
    }
    let mut server = HttpServer::new(move || {
        let registry = state.registry.clone();
        // Outermost last: the log span and request id see everything, metrics see CORS answers.
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(limits::check_head))
            .wrap(cors::middleware(&state.cors))
            .wrap(cors::json_errors())
            .wrap(from_fn(metrics::track))
            .wrap(from_fn(telemetry::request_id_header))
            .wrap(TracingLogger::<telemetry::RequestSpan>::new())
            .service(get_only("/health", web::get().to(health)))
            .service(get_only("/ready", web::get().to(ready)))
            .service(get_only("/metrics", web::get().to(metrics::serve)))
            .service(get_only(openapi::OPENAPI_PATH, web::get().to(openapi_json)))
            .configure(|cfg| configure(cfg, &registry))
            .configure(session::configure)
            .configure(dashboard::configure)
            .default_service(web::to(not_found))
    })
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}
