//! The OpenAPI 3.1 description served at `/api/v1/openapi.json`, built from the report registry
//! (one path per report, with its description and example) and from the body types themselves
//! (`ReportBody`, `Entry`, `ErrorBody` derive their schemas), and the sign-in routes.

use omnireports_analytics::{Entry, Registry, Report, ReportBody};
use omnireports_error::{ApiError, Details, ErrorBody, RateLimit};
use omnireports_validation::SortDirection;
use serde_json::{json, Value};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, Ref, Required,
};
use utoipa::{PartialSchema, ToSchema};

/// Where the description is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

mod sign_in;
mod trends;

const JSON: &str = "application/json";

/// The description of every route the server has for `registry`.
pub fn document(registry: &Registry) -> OpenApi {
    let ready = probe("Readiness: the database answers and is migrated", "ready").response(
        "503",
        error_response(
            "Database down or not migrated",
            &[ApiError::ServiceUnavailable],
        ),
    );
    let mut paths = PathsBuilder::new()
        .path(
            "/health",
            PathItem::new(
                HttpMethod::Get,
                probe("Liveness: the process answers (no database)", "ok"),
            ),
        )
        .path("/ready", PathItem::new(HttpMethod::Get, ready));
    for report in registry.iter() {
        let path = report.path();
        paths = paths.path(path, report_path(report.as_ref()));
    }
    paths = trends::paths(paths, registry);
    paths = sign_in::paths(paths);
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("omnireports")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Rocket.Chat's Omnichannel Reports API, served from PostgreSQL.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components()))
        .build()
}

fn probe(summary: &str, status: &str) -> OperationBuilder {
    let body = ObjectBuilder::new()
        .property("status", ObjectBuilder::new().schema_type(Type::String))
        .required("status");
    let content = ContentBuilder::new()
        .schema(Some(body))
        .example(Some(json!({ "status": status })))
        .build();
    OperationBuilder::new()
        .summary(Some(summary))
        .tag("operations")
        .response(
            "200",
            ResponseBuilder::new()
                .description("OK")
                .content(JSON, content),
        )
}

fn report_path(report: &dyn Report) -> PathItem {
    let mut operation = OperationBuilder::new()
        .operation_id(Some(report.name()))
        .tag("reports")
        .summary(Some(report.name().replace('-', " ")))
        .description(Some(report.description()))
        .parameter(query_parameter("start", true, "Start of the range (inclusive): ISO 8601 or another format Rocket.Chat's moment() accepts.", "2026-10-26T00:00:00.000Z"))
        .parameter(query_parameter("end", true, "End of the range (exclusive); at most one year after `start`.", "2026-11-25T23:59:59.999Z"))
        .parameter(query_parameter("sort", false, &sort_description(report), r#"{"total":-1}"#))
        .security(
            SecurityRequirement::new("userId", Vec::<String>::new())
                .add("authToken", Vec::<String>::new()),
        )
        .response("200", success_response(report));
    let bad_request = error_response(
        "Invalid parameters",
        &bad_request_examples(report.reads_sort()),
    );
    operation = with_errors(operation, bad_request);
    PathItem::new(HttpMethod::Get, operation)
}

/// `operation` with the 400 `bad_request` and the other failures every report route shares.
pub(crate) fn with_errors(
    mut operation: OperationBuilder,
    bad_request: Response,
) -> OperationBuilder {
    operation = operation.response("400", bad_request);
    let errors: [(&str, &str, ApiError); 7] = [
        (
            "401",
            "Missing, unknown or expired credentials",
            ApiError::Unauthorized,
        ),
        (
            "403",
            "The user lacks view-livechat-reports",
            ApiError::Forbidden,
        ),
        (
            "414",
            "The request target is over 16 KiB",
            ApiError::UriTooLong,
        ),
        ("429", "Over the rate limit", rate_limited()),
        (
            "431",
            "The header fields are over 16 KiB",
            ApiError::HeadersTooLarge,
        ),
        (
            "500",
            "Server fault (the cause is logged only)",
            ApiError::Internal,
        ),
        (
            "503",
            "The database is unreachable or too slow",
            ApiError::ServiceUnavailable,
        ),
    ];
    for (status, description, error) in errors {
        let mut response = error_response(description, &[error]);
        if status == "429" {
            response = with_rate_limit_headers(response);
        }
        operation = operation.response(status, response);
    }
    operation
}

fn query_parameter(
    name: &str,
    required: bool,
    description: &str,
    example: &str,
) -> utoipa::openapi::path::Parameter {
    let required = if required {
        Required::True
    } else {
        Required::False
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(required)
        .description(Some(description))
        .schema(Some(String::schema()))
        .example(Some(Value::from(example)))
        .build()
}

pub(crate) fn sort_description(report: &dyn Report) -> String {
    if !report.reads_sort() {
        return "Accepted and never read, as in Rocket.Chat: bars are in descending value order."
            .to_owned();
    }
    let default = report
        .default_sort()
        .0
        .iter()
        .map(|(key, direction)| {
            let sign = match direction {
                SortDirection::Asc => 1,
                SortDirection::Desc => -1,
            };
            format!("\"{key}\":{sign}")
        })
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "JSON object of keys to 1 or -1; key order is priority, ties by label. Default `{{{default}}}`."
    )
}

fn success_response(report: &dyn Report) -> Response {
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name("ReportBody"))
        .item(
            ObjectBuilder::new()
                .property(
                    "success",
                    ObjectBuilder::new()
                        .schema_type(Type::Boolean)
                        .enum_values(Some([true])),
                )
                .required("success"),
        );
    let mut example = serde_json::to_value(report.example()).expect("a body serializes");
    example["success"] = Value::Bool(true);
    with_rate_limit_headers(
        ResponseBuilder::new()
            .description("The report")
            .content(
                JSON,
                ContentBuilder::new()
                    .schema(Some(Schema::AllOf(schema.build())))
                    .example(Some(example))
                    .build(),
            )
            .build(),
    )
}

/// An error response with the envelope schema and each error's exact body as an example.
pub(crate) fn error_response(description: &str, errors: &[ApiError]) -> Response {
    let mut content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody")));
    content = match errors {
        [only] => content.example(Some(json!(only.body()))),
        several => several.iter().fold(content, |content, error| {
            let example = ExampleBuilder::new().value(Some(json!(error.body())));
            content.examples_from_iter([(error_name(error), example)])
        }),
    };
    ResponseBuilder::new()
        .description(description)
        .content(JSON, content.build())
        .build()
}

/// A stable example name for an error body.
fn error_name(error: &ApiError) -> String {
    let body = error.body();
    match (body.error_type, error) {
        (Some(error_type), _) => error_type.to_owned(),
        (None, ApiError::BadRequest(_)) => "date".to_owned(),
        (None, _) => body.error,
    }
}

pub(crate) fn bad_request_examples(reads_sort: bool) -> Vec<ApiError> {
    let mut examples = vec![
        ApiError::InvalidParams("must have required property 'start'".to_owned()),
        ApiError::BadRequest("The \"start\" query parameter must be a valid date.".to_owned()),
    ];
    if reads_sort {
        examples.push(ApiError::InvalidSort("{\"total\":2}".to_owned()));
    }
    examples
}

pub(crate) fn rate_limited() -> ApiError {
    ApiError::RateLimited(RateLimit {
        limit: 10,
        remaining: 0,
        reset_ms: 1_764_072_000_000,
        wait_secs: 42,
    })
}

pub(crate) fn with_rate_limit_headers(mut response: Response) -> Response {
    let headers = [
        (
            "X-RateLimit-Limit",
            "Calls allowed per window (absent for exempt users)",
        ),
        ("X-RateLimit-Remaining", "Calls left in the window"),
        (
            "X-RateLimit-Reset",
            "When the window ends, in epoch milliseconds",
        ),
    ];
    for (name, description) in headers {
        response.headers.insert(
            name.to_owned(),
            HeaderBuilder::new()
                .schema(i64::schema())
                .description(Some(description))
                .build(),
        );
    }
    response
}

fn components() -> utoipa::openapi::Components {
    let header = |name: &str, description: &str| {
        let mut key = ApiKeyValue::new(name);
        key.description = Some(description.to_owned());
        SecurityScheme::ApiKey(ApiKey::Header(key))
    };
    ComponentsBuilder::new()
        .schema(ReportBody::name(), ReportBody::schema())
        .schema(Entry::name(), Entry::schema())
        .schema(ErrorBody::name(), ErrorBody::schema())
        .schema(Details::name(), Details::schema())
        .security_scheme("userId", header("X-User-Id", "The user's id"))
        .security_scheme(
            "authToken",
            header(
                "X-Auth-Token",
                "A login or personal access token of that user",
            ),
        )
        .build()
}
