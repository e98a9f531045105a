#![doc = include_str!("../README.md")]

pub mod admin;
pub mod demo;
mod rate_limit;
mod report_route;
pub mod settings;
pub mod telemetry;

pub use rate_limit::RateLimiter;
pub use report_route::REPORTS_PATH;
pub use settings::Settings;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use chrono_tz::Tz;
use omnireports_analytics::Registry;
use omnireports_db::{build_pool, Database};
use omnireports_error::ApiError;
use secrecy::{ExposeSecret, SecretString};
use std::net::TcpListener;
use tracing_actix_web::TracingLogger;

/// Everything a request needs, shared by all workers.
#[derive(Debug)]
pub struct AppState {
    /// The primary: credentials and permissions.
    pub auth_db: Database,
    /// Where reports read from (the primary, or `database.read_url`).
    pub reports_db: Database,
    pub registry: Registry,
    pub rate_limiter: RateLimiter,
    pub timezone: Tz,
    pub login_expiration_days: u32,
}

impl AppState {
    /// Builds pools (without connecting) and the builtin report registry.
    pub fn from_settings(settings: &Settings) -> Self {
        let database = &settings.database;
        let threads = match database.blocking_threads {
            0 => database.max_size as usize,
            n => n,
        };
        let connect = |url: &SecretString| {
            Database::with_blocking_threads(
                build_pool(url.expose_secret(), &database.pool()),
                threads,
            )
        };
        let primary = connect(&database.url);
        let reports_db = match &database.read_url {
            Some(url) => connect(url),
            None => primary.clone(),
        };
        Self {
            auth_db: primary,
            reports_db,
            registry: Registry::builtin(),
            rate_limiter: RateLimiter::new(settings.rate_limit),
            timezone: settings.timezone,
            login_expiration_days: settings.auth.login_expiration_days,
        }
    }
}

/// Registers one route per report of the registry, each behind the shared chain. A known path
/// with another method gets the 405 envelope.
pub fn configure(cfg: &mut web::ServiceConfig, registry: &Registry) {
    for report in registry.iter() {
        let report = report.clone();
        let path = format!("{REPORTS_PATH}/{}", report.name());
        cfg.service(
            web::resource(path)
                .route(
                    web::get()
                        .to(move |req, state| report_route::serve(req, state, report.clone())),
                )
                .default_service(web::to(method_not_allowed)),
        );
    }
}

/// Liveness: the process answers; no database involved.
async fn health() -> HttpResponse {
    no_store(HttpResponse::Ok()).json(serde_json::json!({"status": "ok"}))
}

/// Readiness: the database answers and has every migration of this binary.
async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pending = state
        .auth_db
        .run(omnireports_db::has_pending_migrations)
        .await?;
    if pending {
        return Err(ApiError::unavailable("database migrations are pending"));
    }
    Ok(no_store(HttpResponse::Ok()).json(serde_json::json!({"status": "ready"})))
}

fn no_store(mut response: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    response
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header((actix_web::http::header::PRAGMA, "no-cache"));
    response
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// The HTTP server on an already bound listener (tests bind port 0).
pub fn server(state: AppState, listener: TcpListener, workers: usize) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        let registry = state.registry.clone();
        App::new()
            .app_data(state.clone())
            .wrap(TracingLogger::default())
            .route("/health", web::get().to(health))
            .route("/ready", web::get().to(ready))
            .configure(|cfg| configure(cfg, &registry))
            .default_service(web::to(not_found))
    })
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}
