use crate::ApiError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(ApiError::status_code(self))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(ResponseError::status_code(self));
        response
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ))
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
        if let ApiError::RateLimited(limit) = self {
            response
                .insert_header(("X-RateLimit-Limit", limit.limit))
                .insert_header(("X-RateLimit-Remaining", limit.remaining))
                .insert_header(("X-RateLimit-Reset", limit.reset_ms));
        }
        response.body(self.to_json())
    }
}
