//! The extension routes' part of the description: per report, its time series (JSON and CSV),
//! comparison and export, with every 400 they answer as an example.

use super::{
    bad_request_examples, query_parameter, sort_description, with_errors, with_rate_limit_headers,
    JSON,
};
use crate::trend_routes::Kind;
use chrono::{DateTime, Utc};
use omnireports_analytics::{Registry, Report, ReportBody};
use omnireports_error::ApiError;
use omnireports_model::{DateRange, Interval};
use omnireports_trends::{Comparison, Period, Series, TooManyBuckets, MAX_BUCKETS};
use serde_json::{json, Value};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{PathItem, PathsBuilder, RefOr, Schema};

const CSV: &str = "text/csv";

/// Adds the four routes of each report to `paths`.
pub(super) fn paths(mut paths: PathsBuilder, registry: &Registry) -> PathsBuilder {
    for report in registry.iter() {
        for kind in Kind::ALL {
            let path = kind.path(report.name());
            paths = paths.path(
                path,
                PathItem::new(HttpMethod::Get, operation(report.as_ref(), kind)),
            );
        }
    }
    paths
}

fn schema(value: Value) -> RefOr<Schema> {
    serde_json::from_value(value).expect("a valid JSON Schema")
}

fn operation(report: &dyn Report, kind: Kind) -> OperationBuilder {
    let name = report.name();
    let (id, summary) = match kind {
        Kind::Series => ("timeseries", "per bucket of a zone's calendar"),
        Kind::SeriesCsv => ("timeseries-csv", "per bucket of a zone's calendar, as CSV"),
        Kind::Compare => ("compare", "and the previous period of equal length"),
        Kind::Export => ("export", "as Rocket.Chat's Reports CSV"),
    };
    let mut operation = OperationBuilder::new()
        .operation_id(Some(format!("{id}-{name}")))
        .tag("trends")
        .summary(Some(format!("{} {summary}", name.replace('-', " "))))
        .description(Some(report.description()))
        .parameter(query_parameter("start", true, "Start of the range (inclusive), as for the report; a date without an offset is read in `timezone`.", "2025-03-01T00:00:00.000+01:00"))
        .parameter(query_parameter("end", true, "End of the range (exclusive); at most one year after `start`.", "2025-04-01T00:00:00.000+02:00"))
        .parameter(query_parameter("sort", false, &sort_description(report), r#"{"total":-1}"#))
        .parameter(query_parameter("timezone", false, "IANA time zone of the buckets, the offsets written, the CSV's dates and dates without an offset; default the server's `timezone` setting.", "Europe/Berlin"));
    if kind.takes_interval() {
        operation = operation.parameter(query_parameter(
            "interval",
            false,
            &format!("`hour`, `day` (the default), `week` (ISO, from Monday) or `month` of `timezone`; at most {MAX_BUCKETS} buckets."),
            "day",
        ));
    }
    operation = operation
        .security(
            SecurityRequirement::new("userId", Vec::<String>::new())
                .add("authToken", Vec::<String>::new()),
        )
        .response("200", success(report, kind));
    with_errors(operation, bad_request(report, kind))
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("an example instant")
        .to_utc()
}

/// The report's example over the first day, nothing over the second.
fn example_periods(report: &dyn Report) -> Vec<(DateRange, ReportBody)> {
    let full = report.example();
    let empty = ReportBody {
        total: 0,
        data: vec![],
        unspecified: full.unspecified.map(|_| 0),
    };
    vec![
        (
            DateRange {
                start: at("2025-03-29T23:00:00Z"),
                end: at("2025-03-30T22:00:00Z"),
            },
            full,
        ),
        (
            DateRange {
                start: at("2025-03-30T22:00:00Z"),
                end: at("2025-03-31T22:00:00Z"),
            },
            empty,
        ),
    ]
}

fn success(report: &dyn Report, kind: Kind) -> Response {
    let tz = chrono_tz::Europe::Berlin;
    let periods = example_periods(report);
    let period = json!({"allOf": [{"$ref": "#/components/schemas/ReportBody"}, {
        "type": "object", "required": ["start", "end"], "properties": {
            "start": {"type": "string", "description": "ISO 8601 with the zone's offset"},
            "end": {"type": "string", "description": "Exclusive; ISO 8601 with the zone's offset"}}}]});
    let success = json!({"type": "boolean", "enum": [true]});
    let content = match kind {
        Kind::Series => {
            let series = Series {
                interval: Interval::Day.name(),
                timezone: tz.name(),
                buckets: periods
                    .into_iter()
                    .map(|(range, body)| Period::new(range, tz, body))
                    .collect(),
            };
            let mut example = serde_json::to_value(series).expect("a series serializes");
            example["success"] = Value::Bool(true);
            let body = json!({"type": "object", "required": ["interval", "timezone", "buckets", "success"],
                "properties": {"interval": {"type": "string", "enum": ["hour", "day", "week", "month"]},
                    "timezone": {"type": "string"}, "buckets": {"type": "array", "items": period},
                    "success": success}});
            (JSON, schema(body), example)
        }
        Kind::Compare => {
            let mut periods = periods.into_iter();
            let (current, previous) = (periods.next(), periods.next());
            let [(current, body), (previous, previous_body)] =
                [current, previous].map(|p| p.expect("two example periods"));
            let comparison = Comparison {
                current: Period::new(current, tz, body),
                previous: Period::new(previous, tz, previous_body),
            };
            let mut example = serde_json::to_value(comparison).expect("a comparison serializes");
            example["success"] = Value::Bool(true);
            let body = json!({"type": "object", "required": ["current", "previous", "success"],
                "properties": {"current": period, "previous": period, "success": success}});
            (JSON, schema(body), example)
        }
        Kind::SeriesCsv => {
            let csv = omnireports_trends::series_csv(report.column(), Interval::Day, tz, &periods);
            (
                CSV,
                schema(json!({"type": "string"})),
                Value::String(String::from_utf8_lossy(&csv).into_owned()),
            )
        }
        Kind::Export => {
            let (range, body) = &periods[0];
            let csv = omnireports_trends::report_csv(report.column(), *range, tz, body);
            (
                CSV,
                schema(json!({"type": "string"})),
                Value::String(String::from_utf8_lossy(&csv).into_owned()),
            )
        }
    };
    let (media_type, body, example) = content;
    let description = match media_type {
        CSV => "The CSV file (`Content-Disposition: attachment` with Rocket.Chat's file name)",
        _ => "The report per period",
    };
    with_rate_limit_headers(
        ResponseBuilder::new()
            .description(description)
            .content(
                media_type,
                ContentBuilder::new()
                    .schema(Some(body))
                    .example(Some(example))
                    .build(),
            )
            .build(),
    )
}

fn bad_request(report: &dyn Report, kind: Kind) -> Response {
    let mut examples: Vec<(&str, ApiError)> = vec![
        (
            "not-allowed",
            ApiError::InvalidParams("The \"foo\" query parameter is not allowed.".to_owned()),
        ),
        (
            "timezone",
            ApiError::InvalidParams(omnireports_validation::ParameterError::Timezone.to_string()),
        ),
    ];
    if kind.takes_interval() {
        examples.push((
            "interval",
            ApiError::InvalidParams(omnireports_validation::ParameterError::Interval.to_string()),
        ));
        examples.push((
            "too-many-buckets",
            ApiError::InvalidParams(TooManyBuckets { max: MAX_BUCKETS }.to_string()),
        ));
    }
    let reports = bad_request_examples(report.reads_sort());
    let names = ["invalid-params", "date", "error-invalid-sort"];
    examples.extend(names.into_iter().zip(reports));
    let mut content =
        ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")));
    for (name, error) in examples {
        let example = ExampleBuilder::new().value(Some(json!(error.body())));
        content = content.examples_from_iter([(name, example)]);
    }
    ResponseBuilder::new()
        .description("Invalid parameters")
        .content(JSON, content.build())
        .build()
}
