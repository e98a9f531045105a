//! Request-head limits, checked before routing: a request target or header fields larger than a
//! Rocket.Chat server reads get the JSON 414 or 431 instead of reaching a handler (and, for a
//! `sort`, being echoed back in an error body).
//!
//! actix-http answers on its own, with an empty body and before any of this runs, what it cannot
//! parse: a request target over 65,534 bytes (400), a head over 128 KiB or with more than 96
//! headers (431), a malformed request line or header (400). Its limits are constants, so these
//! ones sit well below them.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use omnireports_error::ApiError;

/// Node.js's default `--max-http-header-size`, the most a Rocket.Chat server reads of a head.
pub const MAX_URI_BYTES: usize = 16 * 1024;
/// The same bound for the header fields, counted as sent (`name: value\r\n`).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Middleware (for `actix_web::middleware::from_fn`): 414 or 431 for an oversized head.
pub async fn check_head<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    match oversized(&req) {
        Some(error) => Ok(req.error_response(error).map_into_right_body()),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

fn oversized(req: &ServiceRequest) -> Option<ApiError> {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if target > MAX_URI_BYTES {
        Some(ApiError::UriTooLong)
    } else if headers > MAX_HEADER_BYTES {
        Some(ApiError::HeadersTooLarge)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn check(req: TestRequest) -> Option<u16> {
        oversized(&req.to_srv_request()).map(|error| error.status_code())
    }

    #[test]
    fn a_uri_at_the_limit_passes_and_one_byte_more_is_414() {
        let uri = |len: usize| format!("/?{}", "a".repeat(len - 2));
        assert_eq!(check(TestRequest::with_uri(&uri(MAX_URI_BYTES))), None);
        assert_eq!(
            check(TestRequest::with_uri(&uri(MAX_URI_BYTES + 1))),
            Some(414)
        );
    }

    #[test]
    fn header_fields_are_counted_together() {
        // Two headers of 9 KiB: each fits, together they do not.
        let value = "v".repeat(9 * 1024);
        let one = TestRequest::default().insert_header(("x-a", value.as_str()));
        assert_eq!(check(one), None);
        let two = TestRequest::default()
            .insert_header(("x-a", value.as_str()))
            .insert_header(("x-b", value.as_str()));
        assert_eq!(check(two), Some(431));
    }

    #[test]
    fn the_uri_is_checked_first() {
        let req = TestRequest::with_uri(&format!("/?{}", "a".repeat(MAX_URI_BYTES)))
            .insert_header(("x-a", "v".repeat(MAX_HEADER_BYTES)));
        assert_eq!(check(req), Some(414));
    }
}
