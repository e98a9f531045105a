//! Logging: `tracing` with an EnvFilter (RUST_LOG, else `log.filter`), human-readable or JSON.
//! Each request is one line when its span closes: method, route, status, request id, user id and
//! time (from `tracing-actix-web`); headers, and so tokens, are never recorded. The request id is
//! returned to the client as `X-Request-Id`.

use crate::settings::{LogFormat, LogSettings};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use tracing::field::{Field, Visit};
use tracing::{Level, Span};
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpan, RootSpanBuilder};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::EnvFilter;

/// Header carrying the request id of the log line.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber; a second call is a no-op.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = tracing_subscriber::fmt::layer()
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr);
    let lines = match settings.format {
        LogFormat::Json => lines.json().boxed(),
        LogFormat::Text => lines.boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(ClientFaults)
        .with(lines)
        .try_init();
}

/// actix-http logs every connection that ends in an error at ERROR, the client's own faults
/// included: a malformed request, a connection reset, a client too slow to send its head. Those
/// are written again as WARN (malformed requests) or DEBUG (the network), so that ERROR keeps
/// meaning a fault of the server.
#[derive(Debug)]
struct ClientFaults;

impl<S: tracing::Subscriber> Layer<S> for ClientFaults {
    fn event_enabled(&self, event: &tracing::Event<'_>, _: Context<'_, S>) -> bool {
        let meta = event.metadata();
        if *meta.level() != Level::ERROR || meta.target() != "actix_http::h1::dispatcher" {
            return true;
        }
        let mut message = Message::default();
        event.record(&mut message);
        let Some(cause) = message.0.strip_prefix("stream error: ") else {
            return true;
        };
        if cause.starts_with("request parse error") {
            tracing::warn!(target: "omnireports::http", "malformed request: {cause}");
        } else if cause.starts_with("I/O error")
            || cause.starts_with("request did not complete within")
            || cause.starts_with("connection shutdown timeout")
        {
            tracing::debug!(target: "omnireports::http", "connection closed: {cause}");
        } else {
            return true;
        }
        false
    }
}

/// The `message` field of an event.
#[derive(Debug, Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// The request's root span: `tracing-actix-web`'s fields plus the authenticated `user_id`.
#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        tracing_actix_web::root_span!(request, user_id = tracing::field::Empty)
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Records the authenticated user on the request's log line.
pub fn record_user(req: &HttpRequest, user_id: &str) {
    if let Some(span) = req.extensions().get::<RootSpan>() {
        span.record("user_id", user_id);
    }
}

/// Middleware (inside `TracingLogger`): answers with the request id as `X-Request-Id`.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().copied();
    let mut response = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}
