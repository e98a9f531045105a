//! A panic while answering a request becomes the opaque 500 envelope, its message logged,
//! instead of a connection dropped without an answer. Wrap resources with it, not the app: the
//! request head it keeps for the answer can only be shared once routing is done.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::ResponseError;
use futures_util::FutureExt;
use omnireports_error::ApiError;
use std::any::Any;
use std::panic::AssertUnwindSafe;

/// Middleware (for `actix_web::middleware::from_fn`).
pub async fn catch_panic<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let request = req.request().clone();
    // Nothing the panicking future touched is used afterwards: only the cloned request head.
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(result) => result.map(ServiceResponse::map_into_left_body),
        Err(panic) => {
            let error = ApiError::internal(format!("panic: {}", message(panic.as_ref())));
            let response = ServiceResponse::new(request, error.error_response());
            Ok(response.map_into_right_body())
        }
    }
}

fn message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};

    async fn explode() -> HttpResponse {
        panic!("boom")
    }

    #[actix_web::test]
    async fn a_panicking_handler_answers_the_500_envelope() {
        let app = test::init_service(
            App::new()
                .service(
                    web::resource("/explode")
                        .route(web::get().to(explode))
                        .wrap(from_fn(catch_panic)),
                )
                .route("/fine", web::get().to(HttpResponse::NoContent)),
        )
        .await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/explode").to_request()).await;
        assert_eq!(response.status(), 500);
        let body = test::read_body(response).await;
        assert_eq!(body, r#"{"success":false,"error":"Internal server error"}"#);
        // The worker is still there.
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(response.status(), 204);
    }
}
