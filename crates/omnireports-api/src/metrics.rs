//! Prometheus metrics at `/metrics`: requests per route and status, a latency histogram per
//! route, the pools' connections (in use, idle, waited for), the committed imports and the
//! folded and still logged conversation changes.

use crate::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::ContentType;
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use omnireports_db::Database;
use omnireports_error::ApiError;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// The label of requests that matched no route, so unknown paths cannot grow the label set.
const UNMATCHED: &str = "unmatched";

/// The `method` label of requests whose method is none of the standard ones.
const OTHER_METHOD: &str = "other";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

/// The method's label: its name when it is one of HTTP's standard methods, else
/// [`OTHER_METHOD`], so that made-up methods cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    STANDARD
        .into_iter()
        .find(|name| *name == method.as_str())
        .unwrap_or(OTHER_METHOD)
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Every metric of the server; cheap to update from any worker.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    report_cache: Family<CacheLabels, Counter>,
    folded_changes: Counter,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    outcome: &'static str,
}

impl Metrics {
    /// Registers the request metrics and a collector reading `pools` (name, database) at each
    /// scrape.
    pub fn new(pools: Vec<(&'static str, Database)>) -> Self {
        let mut registry = Registry::with_prefix("omnireports");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route pattern, method and status",
            requests.clone(),
        );
        let latency: LatencyFamily = Family::new_with_constructor(|| {
            // 0.25 ms to ~4 s.
            Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response, by route pattern",
            latency.clone(),
        );
        let report_cache = Family::<CacheLabels, Counter>::default();
        registry.register(
            "report_cache_lookups",
            "Report answers looked up by data version, by outcome (hit, miss)",
            report_cache.clone(),
        );
        let folded_changes = Counter::default();
        registry.register(
            "folded_changes",
            "Logged conversation changes this server folded into the aggregates",
            folded_changes.clone(),
        );
        registry.register_collector(Box::new(PoolCollector { pools }));
        Self {
            registry,
            requests,
            latency,
            report_cache,
            folded_changes,
        }
    }

    /// Counts a report cache lookup.
    pub fn report_cache(&self, hit: bool) {
        let outcome = if hit { "hit" } else { "miss" };
        self.report_cache
            .get_or_create(&CacheLabels { outcome })
            .inc();
    }

    /// Counts logged changes folded into the aggregates.
    pub fn folded_changes(&self, rows: u64) {
        self.folded_changes.inc_by(rows);
    }

    fn observe(&self, route: String, method: &'static str, status: u16, seconds: f64) {
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
    }

    /// The text exposition, with whichever of the database's figures could be read.
    fn encode(&self, from_database: Vec<Box<dyn Collector>>) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode_registry(&mut text, &self.registry)?;
        let mut registry = Registry::with_prefix("omnireports");
        for collector in from_database {
            registry.register_collector(collector);
        }
        prometheus_client::encoding::text::encode_registry(&mut text, &registry)?;
        prometheus_client::encoding::text::encode_eof(&mut text)?;
        Ok(text)
    }
}

/// Middleware: counts and times every request under its route pattern.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(req).await?;
    if let Some(state) = state {
        let request = response.request();
        state.metrics.observe(
            request
                .match_pattern()
                .unwrap_or_else(|| UNMATCHED.to_owned()),
            method_label(request.method()),
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

/// `GET /metrics`. Import totals and logged changes need the database; each is left out when
/// it cannot be read, and the rest is still served.
pub async fn serve(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let from_database = state
        .auth_db
        .run(|conn| {
            let mut collectors: Vec<Box<dyn Collector>> = Vec::new();
            if let Ok(imports) = omnireports_import::committed_totals(conn) {
                collectors.push(Box::new(ImportTotals(imports)));
            }
            if let Ok(n) = omnireports_analytics::logged_changes(conn) {
                collectors.push(Box::new(LoggedChanges { n }));
            }
            Ok(collectors)
        })
        .await
        .unwrap_or_default();
    let mut from_database = from_database;
    if let Some(status) = state.reports_db.replica_status() {
        from_database.push(Box::new(ReplicaMetrics(status)));
    }
    let text = state
        .metrics
        .encode(from_database)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType(
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
                .parse()
                .expect("valid mime"),
        ))
        .body(text))
}

/// Reads the r2d2 pools' state and the waits counted by [`Database`] at each scrape.
#[derive(Debug)]
struct PoolCollector {
    pools: Vec<(&'static str, Database)>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabels {
    pool: &'static str,
    state: &'static str,
}

impl PoolCollector {
    /// One counter family with a sample per pool.
    fn encode_counter(
        &self,
        encoder: &mut DescriptorEncoder,
        name: &str,
        help: &str,
        read: impl Fn(&Database) -> u64,
    ) -> Result<(), std::fmt::Error> {
        let kind = ConstCounter::new(0_u64).metric_type();
        let mut family = encoder.encode_descriptor(name, help, None, kind)?;
        for (pool, database) in &self.pools {
            let labels = PoolLabels { pool };
            ConstCounter::new(read(database)).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

impl Collector for PoolCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let gauge = ConstGauge::new(0_i64).metric_type();
        let mut family = encoder.encode_descriptor(
            "db_connections",
            "Pooled connections by state",
            None,
            gauge,
        )?;
        for (pool, database) in &self.pools {
            let state = database.pool().state();
            let idle = i64::from(state.idle_connections);
            for (label, value) in [
                ("in_use", i64::from(state.connections) - idle),
                ("idle", idle),
            ] {
                let labels = ConnectionLabels { pool, state: label };
                ConstGauge::new(value).encode(family.encode_family(&labels)?)?;
            }
        }
        let waits = |db: &Database| db.wait_counters().waited.load(Ordering::Relaxed);
        let timeouts = |db: &Database| db.wait_counters().timed_out.load(Ordering::Relaxed);
        self.encode_counter(
            &mut encoder,
            "db_waits",
            "Queries that found every connection busy and waited for one",
            waits,
        )?;
        self.encode_counter(
            &mut encoder,
            "db_wait_timeouts",
            "Queries that waited longer than the acquisition timeout (503)",
            timeouts,
        )?;
        Ok(())
    }
}

/// Conversation changes that writes logged and nobody folded yet
/// (`omnireports_analytics::logged_changes`): a count that keeps growing means folding does not
/// keep up with the writes, or is off on every server.
#[derive(Debug)]
struct LoggedChanges {
    n: i64,
}

impl Collector for LoggedChanges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let logged = ConstGauge::new(self.n);
        let metric = encoder.encode_descriptor(
            "logged_changes",
            "Conversation changes logged by writes and not folded into the aggregates yet",
            None,
            logged.metric_type(),
        )?;
        logged.encode(metric)
    }
}

/// The replica of `database.read_url`: up or not, its lag, and where reports read.
#[derive(Debug)]
struct ReplicaMetrics(crate::reads::ReplicaStatus);

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReadLabels {
    database: &'static str,
}

impl Collector for ReplicaMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let status = &self.0;
        let up = ConstGauge::new(i64::from(status.up));
        let help = "1 while reports read from the replica, 0 while it does not answer";
        up.encode(encoder.encode_descriptor("replica_up", help, None, up.metric_type())?)?;
        let lag = ConstGauge::new(status.lag_seconds);
        let help = "How far the replica's replay is behind the primary, at the last check";
        lag.encode(encoder.encode_descriptor(
            "replica_lag_seconds",
            help,
            None,
            lag.metric_type(),
        )?)?;
        let fallbacks = ConstCounter::new(status.fallbacks);
        let help = "Report reads that went to the primary because the replica did not answer";
        let kind = fallbacks.metric_type();
        fallbacks.encode(encoder.encode_descriptor("replica_fallbacks", help, None, kind)?)?;
        let help = "Report reads by the database that answered them";
        let kind = ConstCounter::new(0_u64).metric_type();
        let mut family = encoder.encode_descriptor("report_reads", help, None, kind)?;
        for (database, n) in [("replica", status.reads), ("primary", status.primary_reads)] {
            ConstCounter::new(n).encode(family.encode_family(&ReadLabels { database })?)?;
        }
        Ok(())
    }
}

/// What the committed imports did (`omnireports_import::committed_totals`).
#[derive(Debug)]
struct ImportTotals(omnireports_import::ImportTotals);

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DocumentLabels {
    collection: String,
    outcome: &'static str,
}

impl Collector for ImportTotals {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let totals = &self.0;
        let runs = ConstCounter::new(totals.runs.max(0) as u64);
        let metric =
            encoder.encode_descriptor("imports", "Committed imports", None, runs.metric_type())?;
        runs.encode(metric)?;
        if let Some(seconds) = totals.last_finished {
            let last = ConstGauge::new(seconds);
            let metric = encoder.encode_descriptor(
                "import_last_finished_timestamp_seconds",
                "When the last committed import finished",
                None,
                last.metric_type(),
            )?;
            last.encode(metric)?;
        }
        let kind = ConstCounter::new(0_u64).metric_type();
        let mut family = encoder.encode_descriptor(
            "import_documents",
            "Documents of committed imports by collection and outcome",
            None,
            kind,
        )?;
        for c in &totals.collections {
            let outcomes = [
                ("read", c.read),
                ("inserted", c.inserted),
                ("updated", c.updated),
                ("deleted", c.deleted),
                ("unchanged", c.unchanged),
                ("ignored", c.ignored),
                ("skipped", c.skipped),
            ];
            for (outcome, value) in outcomes {
                let labels = DocumentLabels {
                    collection: c.collection.clone(),
                    outcome,
                };
                ConstCounter::new(value.max(0) as u64).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}
