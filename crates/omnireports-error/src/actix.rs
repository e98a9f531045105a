use crate::{ApiError, RateLimit};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};

/// `Cache-Control: no-store` and `Pragma: no-cache`, which every API answer of Rocket.Chat's
/// carries, errors included.
pub fn no_store(response: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    response
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
}

/// Rocket.Chat's `X-RateLimit-*` headers for a caller under the limiter.
pub fn rate_limit_headers<'a>(
    response: &'a mut HttpResponseBuilder,
    limit: &RateLimit,
) -> &'a mut HttpResponseBuilder {
    response
        .insert_header(("X-RateLimit-Limit", limit.limit))
        .insert_header(("X-RateLimit-Remaining", limit.remaining))
        .insert_header(("X-RateLimit-Reset", limit.reset_ms))
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(ApiError::status_code(self))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(ResponseError::status_code(self));
        no_store(&mut response).insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
        if let ApiError::RateLimited(limit) = self {
            rate_limit_headers(&mut response, limit);
        }
        response.body(self.to_json())
    }
}
