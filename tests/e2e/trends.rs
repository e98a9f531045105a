//! The extension routes of every report (`/api/omnireports/v1/…`): time series, comparisons
//! and CSV, behind the reports' chain, exact in every zone.

use crate::util::{TestApp, UNAUTHORIZED_BODY};
use omnireports_analytics::example::ConversationsBySourceType;
use omnireports_analytics::Registry;
use omnireports_api::EXTENSIONS_PATH;
use omnireports_db::models::NewConversation;
use serde_json::{json, Value};

const DAY: &str = "start=2026-01-10T00:00:00.000Z&end=2026-01-11T00:00:00.000Z";

fn registry() -> Registry {
    Registry::builtin().with(ConversationsBySourceType)
}

/// Every extension path of every report of [`registry`].
fn paths() -> Vec<String> {
    registry()
        .iter()
        .flat_map(|report| {
            let name = report.name();
            [
                format!("{EXTENSIONS_PATH}/timeseries/{name}"),
                format!("{EXTENSIONS_PATH}/timeseries/{name}.csv"),
                format!("{EXTENSIONS_PATH}/compare/{name}"),
                format!("{EXTENSIONS_PATH}/export/{name}.csv"),
            ]
        })
        .collect()
}

fn invalid(message: &str) -> Value {
    json!({"success": false, "error": format!("{message} [invalid-params]"), "errorType": "invalid-params"})
}

#[test]
fn every_extension_route_runs_the_reports_chain() {
    let app = TestApp::serving(registry(), |_| {});
    let limited = TestApp::serving(registry(), |s| s.rate_limit.calls = 1);
    let limited_manager = limited.user(&["livechat-manager"]);
    app.unit("unit1");
    app.department("dep", "Dep", &["unit1"]);
    app.insert_conversation_every_report_counts();
    let agent = app.user(&["livechat-agent"]);
    let manager = app.user(&["livechat-manager"]);
    let monitor = app.user(&["livechat-monitor", "bot"]);
    for path in paths() {
        let url = format!("{path}?{DAY}");
        let anonymous = app.get(&url, None);
        assert_eq!(
            (anonymous.status, anonymous.text.as_str()),
            (401, UNAUTHORIZED_BODY),
            "{path}"
        );
        let forbidden = app.get(&url, Some(&agent));
        assert_eq!(forbidden.status, 403, "{path}");
        let first = app.get(&url, Some(&manager));
        assert_eq!(first.status, 200, "{path}: {}", first.text);
        assert_eq!(first.header("cache-control"), Some("no-store"), "{path}");
        // The one conversation is counted for the manager, in every shape.
        let counted = match path.ends_with(".csv") {
            true => first.text.lines().count() > 1,
            false if path.contains("/compare/") => first.json()["current"]["total"] == 1,
            false => first.json()["buckets"][0]["total"] == 1,
        };
        assert!(counted, "{path}: {}", first.text);
        let once = limited.get(&url, Some(&limited_manager));
        assert_eq!(once.header("x-ratelimit-remaining"), Some("0"), "{path}");
        assert_eq!(
            limited.get(&url, Some(&limited_manager)).status,
            429,
            "{path}"
        );
        // A monitor of no unit sees nothing.
        let restricted = app.get(&url, Some(&monitor));
        assert_eq!(restricted.status, 200, "{path}");
        if path.ends_with(".csv") {
            assert_eq!(
                restricted.text.lines().count(),
                1,
                "{path}: {}",
                restricted.text
            );
        } else if path.contains("/compare/") {
            assert_eq!(restricted.json()["current"]["total"], 0, "{path}");
        } else {
            assert_eq!(restricted.json()["buckets"][0]["total"], 0, "{path}");
        }
        assert_eq!(app.request("POST", &path, &[]).status, 405, "{path}");
    }
}

#[test]
fn every_new_parameter_mistake_gets_the_envelope_naming_it() {
    let app = TestApp::serving(registry(), |_| {});
    let admin = app.user(&["admin"]);
    let series = [
        ("interval=year", invalid("The \"interval\" query parameter must be one of hour, day, week, month.")),
        ("interval=day&interval=week", invalid("The \"interval\" query parameter must be one of hour, day, week, month.")),
        ("timezone=Mars/Olympus", invalid("The \"timezone\" query parameter must be an IANA time zone name, such as Europe/Berlin.")),
        ("timezone=", invalid("The \"timezone\" query parameter must be an IANA time zone name, such as Europe/Berlin.")),
        ("foo=1", invalid("The \"foo\" query parameter is not allowed.")),
    ];
    for report in registry().iter() {
        let name = report.name();
        for path in [
            format!("{EXTENSIONS_PATH}/timeseries/{name}"),
            format!("{EXTENSIONS_PATH}/timeseries/{name}.csv"),
        ] {
            for (extra, expected) in &series {
                let response = app.get(&format!("{path}?{DAY}&{extra}"), Some(&admin));
                assert_eq!(
                    (response.status, &response.json()),
                    (400, expected),
                    "{path}?{extra}"
                );
            }
            let hours = app.get(
                &format!(
                    "{path}?start=2026-01-01T00:00:00Z&end=2026-03-01T00:00:00Z&interval=hour"
                ),
                Some(&admin),
            );
            assert_eq!(
                (hours.status, hours.json()),
                (400, invalid("The \"interval\" query parameter makes more than 1000 buckets of this range; choose a longer interval or a shorter range.")),
                "{path}"
            );
        }
        for path in [
            format!("{EXTENSIONS_PATH}/compare/{name}"),
            format!("{EXTENSIONS_PATH}/export/{name}.csv"),
        ] {
            let response = app.get(&format!("{path}?{DAY}&interval=day"), Some(&admin));
            assert_eq!(
                (response.status, response.json()),
                (
                    400,
                    invalid("The \"interval\" query parameter is not allowed.")
                ),
                "{path}"
            );
            // Rocket.Chat's own messages for start and end.
            let response = app.get(&format!("{path}?start=x&end=y"), Some(&admin));
            assert_eq!(
                (response.status, response.json()),
                (
                    400,
                    json!({"success": false, "error": "The \"start\" query parameter must be a valid date."})
                ),
                "{path}"
            );
            let response = app.get(&format!("{path}?end=y"), Some(&admin));
            assert_eq!(
                response.json(),
                invalid("must have required property 'start'"),
                "{path}"
            );
        }
        // Rocket.Chat's route keeps its contract: the new parameters are additional properties.
        let response = app.get(
            &format!("{}?{DAY}&timezone=UTC", report.path()),
            Some(&admin),
        );
        assert_eq!(
            response.json(),
            invalid("must NOT have additional properties"),
            "{name}"
        );
    }
}

/// Conversations every 40 minutes over Berlin's switch to summer time (2025-03-30 02:00 CET).
fn berlin_spring(app: &TestApp) {
    app.department("d1", "Sales", &[]);
    app.department("d2", "Support", &[]);
    let first: chrono::DateTime<chrono::Utc> = "2025-03-28T20:10:00Z".parse().unwrap();
    for i in 0..160 {
        app.insert_conversation(NewConversation {
            id: format!("c{i}"),
            ts: first + chrono::Duration::minutes(40 * i),
            department_id: match i % 3 {
                0 => None,
                1 => Some("d1".into()),
                _ => Some("d2".into()),
            },
            tags: if i % 2 == 0 {
                vec![Some("x".into())]
            } else {
                vec![]
            },
            ..Default::default()
        });
    }
}

#[test]
fn a_series_buckets_are_the_zones_days_and_each_equals_the_report_over_it() {
    let app = TestApp::new();
    berlin_spring(&app);
    let admin = app.user(&["bot", "livechat-manager"]);
    let series = app
        .get(
            &format!("{EXTENSIONS_PATH}/timeseries/conversations-by-department?start=2025-03-29T12:00:00Z&end=2025-04-01&interval=day&timezone=Europe/Berlin"),
            Some(&admin),
        )
        .json();
    assert_eq!(
        (&series["interval"], &series["timezone"], &series["success"]),
        (&json!("day"), &json!("Europe/Berlin"), &json!(true))
    );
    let buckets = series["buckets"].as_array().unwrap();
    let bounds: Vec<(&str, &str)> = buckets
        .iter()
        .map(|b| (b["start"].as_str().unwrap(), b["end"].as_str().unwrap()))
        .collect();
    // `end` without an offset is read in the requested zone; the 30th is 23 hours long.
    assert_eq!(
        bounds,
        [
            (
                "2025-03-29T13:00:00.000+01:00",
                "2025-03-30T00:00:00.000+01:00"
            ),
            (
                "2025-03-30T00:00:00.000+01:00",
                "2025-03-31T00:00:00.000+02:00"
            ),
            (
                "2025-03-31T00:00:00.000+02:00",
                "2025-04-01T00:00:00.000+02:00"
            ),
        ]
    );
    let mut sum = std::collections::BTreeMap::<String, i64>::new();
    for bucket in buckets {
        let (start, end) = (
            bucket["start"].as_str().unwrap(),
            bucket["end"].as_str().unwrap(),
        );
        let query = format!(
            "start={}&end={}",
            start.replace('+', "%2B"),
            end.replace('+', "%2B")
        );
        let mut plain = app.report(&query, &admin).json();
        plain.as_object_mut().unwrap().remove("success");
        let mut own = bucket.clone();
        own.as_object_mut().unwrap().remove("start");
        own.as_object_mut().unwrap().remove("end");
        assert_eq!(own, plain, "{start}");
        for entry in bucket["data"].as_array().unwrap() {
            *sum.entry(entry["label"].as_str().unwrap().to_owned())
                .or_default() += entry["value"].as_i64().unwrap();
        }
    }
    let whole = app
        .report(
            "start=2025-03-29T12:00:00Z&end=2025-03-31T22:00:00Z",
            &admin,
        )
        .json();
    let whole: std::collections::BTreeMap<String, i64> = whole["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["label"].as_str().unwrap().to_owned(),
                e["value"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(!whole.is_empty());
    assert_eq!(sum, whole);
}

#[test]
fn kathmandu_hours_and_weeks_keep_empty_buckets_and_tile_the_range() {
    let app = TestApp::new();
    berlin_spring(&app);
    let admin = app.user(&["admin"]);
    let path = format!("{EXTENSIONS_PATH}/timeseries/conversations-by-tags");
    let hours = app
        .get(&format!("{path}?start=2025-03-25T00:00:00Z&end=2025-03-26T00:00:00Z&interval=hour&timezone=Asia/Kathmandu"), Some(&admin))
        .json();
    let buckets = hours["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 25);
    assert_eq!(buckets[0]["start"], "2025-03-25T05:45:00.000+05:45");
    assert_eq!(buckets[0]["end"], "2025-03-25T06:00:00.000+05:45");
    assert_eq!(buckets[24]["end"], "2025-03-26T05:45:00.000+05:45");
    // Nothing then: every bucket is there, with zeros.
    assert!(buckets
        .iter()
        .all(|b| b["total"] == 0 && b["data"] == json!([]) && b["unspecified"] == 0));
    let weeks = app
        .get(
            &format!(
                "{path}?start=2025-03-01&end=2025-04-01&interval=week&timezone=Asia/Kathmandu"
            ),
            Some(&admin),
        )
        .json();
    let weeks = weeks["buckets"].as_array().unwrap();
    let starts: Vec<&str> = weeks.iter().map(|b| b["start"].as_str().unwrap()).collect();
    assert_eq!(
        starts,
        [
            "2025-03-01T00:00:00.000+05:45",
            "2025-03-03T00:00:00.000+05:45",
            "2025-03-10T00:00:00.000+05:45",
            "2025-03-17T00:00:00.000+05:45",
            "2025-03-24T00:00:00.000+05:45",
            "2025-03-31T00:00:00.000+05:45"
        ]
    );
    let tagged: i64 = weeks.iter().map(|b| b["total"].as_i64().unwrap()).sum();
    let whole = app
        .get("/api/v1/livechat/analytics/dashboards/conversations-by-tags?start=2025-02-28T18:15:00Z&end=2025-03-31T18:15:00Z", Some(&admin))
        .json();
    assert!(tagged > 0);
    assert_eq!(tagged, whole["total"].as_i64().unwrap());
}

#[test]
fn a_comparison_has_the_previous_range_of_equal_length() {
    let app = TestApp::new();
    berlin_spring(&app);
    let admin = app.user(&["admin"]);
    let body = app
        .get(&format!("{EXTENSIONS_PATH}/compare/conversations-by-status?start=2025-03-30T00:00:00Z&end=2025-03-31T00:00:00Z"), Some(&admin))
        .json();
    assert_eq!(body["current"]["start"], "2025-03-30T00:00:00.000+00:00");
    assert_eq!(body["previous"]["start"], "2025-03-29T00:00:00.000+00:00");
    assert_eq!(body["previous"]["end"], "2025-03-30T00:00:00.000+00:00");
    // One conversation every 40 minutes: 36 a day.
    assert_eq!(
        (
            body["current"]["total"].as_i64(),
            body["previous"]["total"].as_i64()
        ),
        (Some(36), Some(36))
    );
    let plain = app
        .get("/api/v1/livechat/analytics/dashboards/conversations-by-status?start=2025-03-29T00:00:00Z&end=2025-03-30T00:00:00Z", Some(&admin))
        .json();
    assert_eq!(body["previous"]["data"], plain["data"]);
    assert_eq!(body["success"], true);
}

#[test]
fn an_export_is_rocket_chats_reports_csv_of_the_json_report() {
    let app = TestApp::new();
    berlin_spring(&app);
    let admin = app.user(&["admin"]);
    let query =
        "start=2025-03-29T00:00:00.000Z&end=2025-03-29T23:59:59.999Z&sort=%7B%22total%22%3A-1%7D";
    let export = app.get(
        &format!("{EXTENSIONS_PATH}/export/conversations-by-department.csv?{query}"),
        Some(&admin),
    );
    assert_eq!(export.status, 200);
    assert_eq!(
        export.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        export.header("content-disposition"),
        Some("attachment; filename=\"conversations_by_department_2025-03-29_2025-03-29.csv\"")
    );
    let report = app.report(query, &admin).json();
    let mut expected = String::from("\"From\";\"To\";\"Departments\";\"Total\"\n");
    for entry in report["data"].as_array().unwrap() {
        expected += &format!(
            "\"2025-03-29\";\"2025-03-29\";\"{}\";\"{}\"\n",
            entry["label"].as_str().unwrap(),
            entry["value"]
        );
    }
    assert_eq!(report["data"].as_array().unwrap().len(), 2);
    assert_eq!(export.text, expected);
    // In another zone, the dates (and a date without offset) are that zone's.
    let tokyo = app.get(
        &format!("{EXTENSIONS_PATH}/export/conversations-by-status.csv?start=2025-03-29&end=2025-03-30&timezone=Asia/Tokyo"),
        Some(&admin),
    );
    assert_eq!(
        tokyo.header("content-disposition"),
        Some("attachment; filename=\"conversations_by_status_2025-03-29_2025-03-29.csv\"")
    );
    assert!(
        tokyo
            .text
            .starts_with("\"From\";\"To\";\"Status\";\"Total\"\n\"2025-03-29\";\"2025-03-29\";"),
        "{}",
        tokyo.text
    );
}

#[test]
fn a_series_csv_has_a_row_per_bucket_and_label() {
    let app = TestApp::new();
    berlin_spring(&app);
    let admin = app.user(&["admin"]);
    let path = format!("{EXTENSIONS_PATH}/timeseries/conversations-by-department");
    let query = "start=2025-03-29&end=2025-03-31&interval=day&timezone=Europe/Berlin";
    let csv = app.get(&format!("{path}.csv?{query}"), Some(&admin));
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"conversations_by_department_per_day_2025-03-29_2025-03-30.csv\"")
    );
    let series = app.get(&format!("{path}?{query}"), Some(&admin)).json();
    let mut expected = String::from("\"From\";\"To\";\"Departments\";\"Total\"\n");
    for bucket in series["buckets"].as_array().unwrap() {
        let day = &bucket["start"].as_str().unwrap()[..10];
        for entry in bucket["data"].as_array().unwrap() {
            expected += &format!(
                "\"{day}\";\"{day}\";\"{}\";\"{}\"\n",
                entry["label"].as_str().unwrap(),
                entry["value"]
            );
        }
    }
    assert_eq!(csv.text.lines().count(), 5, "{}", csv.text);
    assert_eq!(csv.text, expected);
}

#[test]
fn every_extension_route_is_described_with_every_status() {
    let app = TestApp::serving(registry(), |_| {});
    let doc = app.get("/api/v1/openapi.json", None).json();
    for path in paths() {
        let get = &doc["paths"][&path]["get"];
        let statuses: Vec<&str> = get["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            statuses,
            ["200", "400", "401", "403", "414", "429", "431", "500", "503"],
            "{path}"
        );
        let parameters: Vec<&str> = get["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let media = get["responses"]["200"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        match path.contains("/timeseries/") {
            true => assert_eq!(
                parameters,
                ["start", "end", "sort", "timezone", "interval"],
                "{path}"
            ),
            false => assert_eq!(parameters, ["start", "end", "sort", "timezone"], "{path}"),
        }
        assert_eq!(
            media,
            if path.ends_with(".csv") {
                "text/csv"
            } else {
                "application/json"
            },
            "{path}"
        );
    }
}

fn cache_lookups(app: &TestApp, outcome: &str) -> u64 {
    let metrics = app.get("/metrics", None).text;
    let series = format!(r#"omnireports_report_cache_lookups_total{{outcome="{outcome}"}} "#);
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0, |n| n.parse().unwrap())
}

#[test]
fn answers_are_cached_per_zone_and_interval_and_a_write_shows_at_once() {
    let app = TestApp::new();
    berlin_spring(&app);
    let admin = app.user(&["admin"]);
    let series = |zone: &str, interval: &str| {
        app.get(
            &format!("{EXTENSIONS_PATH}/timeseries/conversations-by-status?start=2025-03-29&end=2025-03-31&interval={interval}&timezone={zone}"),
            Some(&admin),
        )
        .json()
    };
    let berlin = series("Europe/Berlin", "day");
    assert_eq!(series("Europe/Berlin", "day"), berlin);
    let tokyo = series("Asia/Tokyo", "day");
    assert_ne!(tokyo["buckets"][0]["start"], berlin["buckets"][0]["start"]);
    assert_eq!(series("Europe/Berlin", "week")["interval"], "week");
    assert_eq!(
        (cache_lookups(&app, "miss"), cache_lookups(&app, "hit")),
        (3, 1)
    );
    app.conversation("late", "2025-03-29T12:00:00Z", None);
    let after = series("Europe/Berlin", "day");
    assert_eq!(
        after["buckets"][0]["total"].as_i64().unwrap(),
        berlin["buckets"][0]["total"].as_i64().unwrap() + 1
    );
}

#[test]
fn the_ends_of_time_in_the_furthest_zones_answer_and_never_fail() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    for (start, end) in [
        ("%2B262142-12-20T00:00:00Z", "%2B262142-12-31T23:59:59.999Z"),
        ("-262143-01-01T00:00:00Z", "-262143-01-20T00:00:00Z"),
    ] {
        for zone in ["Pacific/Kiritimati", "Etc/GMT%2B12", "Pacific/Chatham"] {
            for path in paths()
                .iter()
                .filter(|path| path.contains("conversations-by-tags"))
            {
                let extra = if path.contains("/timeseries/") {
                    "&interval=week"
                } else {
                    ""
                };
                let response = app.get(
                    &format!("{path}?start={start}&end={end}&timezone={zone}{extra}"),
                    Some(&admin),
                );
                assert_eq!(
                    response.status, 200,
                    "{path} {start} {zone}: {}",
                    response.text
                );
            }
        }
    }
}
