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

/// Node.js's default `--max-http-header-size`. Node counts the request target and every header
/// field's name and value together (not the method, separators or line ends), and refuses a head
/// whose count reaches it.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// A target longer than Node's whole head limit gets omnireports' JSON 414 (Node, which cannot
/// tell, answers 431); one that fits but leaves no room for its headers gets the 431.
pub const MAX_URI_BYTES: usize = MAX_HEAD_BYTES;

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
    let fields: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if target > MAX_URI_BYTES {
        Some(ApiError::UriTooLong)
    } else if target + fields >= MAX_HEAD_BYTES {
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
    fn a_target_that_leaves_no_room_is_431_and_a_longer_one_414() {
        let uri = |len: usize| format!("/?{}", "a".repeat(len - 2));
        assert_eq!(check(TestRequest::with_uri(&uri(MAX_HEAD_BYTES - 1))), None);
        assert_eq!(
            check(TestRequest::with_uri(&uri(MAX_HEAD_BYTES))),
            Some(431)
        );
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
    fn the_target_and_the_header_fields_are_counted_together() {
        // As Node counts: a 15 KB target and a 10 KB header are each under 16 KiB.
        let target = format!("/?{}", "a".repeat(15_000));
        let header = ("x-a", "v".repeat(10_000));
        let req = TestRequest::with_uri(&target).insert_header(header);
        assert_eq!(check(req), Some(431));
        // The last byte that fits: target + name + value one short of the limit.
        let room = MAX_HEAD_BYTES - 1 - target.len() - "x-a".len();
        let req = TestRequest::with_uri(&target).insert_header(("x-a", "v".repeat(room)));
        assert_eq!(check(req), None);
        let req = TestRequest::with_uri(&target).insert_header(("x-a", "v".repeat(room + 1)));
        assert_eq!(check(req), Some(431));
    }

    #[test]
    fn the_uri_is_checked_first() {
        let req = TestRequest::with_uri(&format!("/?{}", "a".repeat(MAX_URI_BYTES)))
            .insert_header(("x-a", "v".repeat(MAX_HEAD_BYTES)));
        assert_eq!(check(req), Some(414));
    }
}
