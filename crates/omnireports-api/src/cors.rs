//! CORS for browsers on other origins (the Rocket.Chat web UI), from `[cors]`, and the JSON
//! envelope for the errors the CORS middleware raises itself (a preflight it refuses).

use crate::settings::CorsSettings;
use actix_cors::Cors;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, Method};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::ResponseError;
use omnireports_error::ApiError;

/// The CORS middleware: `GET` with the credential headers; the rate-limit and request-id
/// headers are readable by scripts. Off (a pass-through) when no origin is configured.
pub fn middleware(settings: &CorsSettings) -> actix_web::middleware::Condition<Cors> {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET])
        .allowed_headers(["x-user-id", "x-auth-token", "content-type"])
        .expose_headers([
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-request-id",
        ])
        .max_age(settings.max_age_secs);
    for origin in &settings.allowed_origins {
        cors = match origin.as_str() {
            "*" => cors.allow_any_origin(),
            origin => cors.allowed_origin(origin),
        };
    }
    let enabled = !settings.allowed_origins.is_empty();
    actix_web::middleware::Condition::new(enabled, cors)
}

/// Whether `origin` is usable in `cors.allowed_origins`: `*` or `scheme://host[:port]`.
pub fn is_valid_origin(origin: &str) -> bool {
    if origin == "*" {
        return true;
    }
    match origin.parse::<actix_web::http::Uri>() {
        Ok(uri) => {
            uri.scheme().is_some()
                && uri.authority().is_some()
                && uri.path_and_query().is_none_or(|p| p.as_str() == "/")
                && !origin.ends_with('/')
        }
        Err(_) => false,
    }
}

/// Rewrites non-JSON client errors produced outside the handlers (the CORS middleware's text
/// answers) into the `{"success":false,"error":…}` envelope.
pub fn json_errors<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler_client(envelope)
}

fn envelope<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    let message = res.response().error().map(ToString::to_string);
    let Some(message) = message.filter(|_| !is_json) else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let response = ApiError::BadRequest(message).error_response();
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body::<B>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert!(is_valid_origin("https://chat.example.com"));
        assert!(is_valid_origin("http://localhost:3000"));
        assert!(is_valid_origin("*"));
        assert!(!is_valid_origin("chat.example.com"));
        assert!(!is_valid_origin("https://chat.example.com/"));
        assert!(!is_valid_origin("https://chat.example.com/path"));
        assert!(!is_valid_origin("not an origin"));
    }
}
