//! Property test: in any zone of the tz database, for any interval and range, every bucket of
//! a series, computed in one call by `Report::compute_ranges`, equals the plain `GROUP BY`
//! (`compute_naive`) over that bucket's own range; and each label's buckets add up to the
//! plain report over the whole range. Conversations sit on and next to the zone's period
//! starts, some folded into the aggregates and some still in the change log.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::{Tz, TZ_VARIANTS};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use omnireports_analytics::{Registry, ReportBody, ReportRequest};
use omnireports_db::models::{text_array, NewConversation, NewDepartment};
use omnireports_db::schema::{conversations, departments};
use omnireports_model::{DateRange, Interval, Restriction, Sort, SortDirection};
use omnireports_test_db::TestDatabase;
use omnireports_trends::{buckets, first_instant, period_start, MAX_BUCKETS};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::BTreeMap;

/// 2024-01-01T00:00Z: the data spans the year after it, so every zone's DST changes are in it.
fn base() -> DateTime<Utc> {
    "2024-01-01T00:00:00Z".parse().unwrap()
}

const YEAR_MS: i64 = 366 * 86_400_000;

#[derive(Debug, Clone)]
struct Case {
    tz: Tz,
    interval: Interval,
    /// Range start and length in ms from [`base`].
    start_ms: i64,
    length_ms: i64,
    /// Rows: offset in ms from a period start near the range (index into the range's period
    /// starts), or anywhere in the year.
    rows: Vec<(Placement, Attributes)>,
    /// How many rows are folded into the aggregates; the rest stay logged.
    folded: usize,
    units: Option<Vec<String>>,
    descending: bool,
}

#[derive(Debug, Clone)]
enum Placement {
    NearPeriodStart { index: usize, offset_ms: i64 },
    Anywhere(i64),
}

#[derive(Debug, Clone)]
struct Attributes {
    department: Option<usize>,
    ancestors: Vec<String>,
    source: Option<(&'static str, Option<&'static str>)>,
    open: bool,
    on_hold: bool,
    agent: Option<&'static str>,
    tags: Vec<&'static str>,
    duration: Option<f64>,
}

fn units() -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(vec!["u1", "u2"], 0..=2)
        .prop_map(|units| units.into_iter().map(str::to_owned).collect())
}

fn attributes() -> impl Strategy<Value = Attributes> {
    (
        proptest::option::of(0..4usize),
        units(),
        proptest::option::of(prop_oneof![
            Just(("widget", None)),
            Just(("app", Some("WhatsApp"))),
            Just(("email", None)),
        ]),
        (any::<bool>(), any::<bool>()),
        proptest::option::of(prop_oneof![Just("a1"), Just("a2")]),
        proptest::sample::subsequence(vec!["x", "y"], 0..=2),
        proptest::option::of(prop_oneof![Just(0.0), Just(3.5)]),
    )
        .prop_map(
            |(department, ancestors, source, (open, on_hold), agent, tags, duration)| Attributes {
                department,
                ancestors,
                source,
                open,
                on_hold,
                agent,
                tags,
                duration,
            },
        )
}

fn placement() -> impl Strategy<Value = Placement> {
    prop_oneof![
        3 => (0..40usize, prop_oneof![Just(0i64), Just(-1), -3_600_000i64..3_600_000])
            .prop_map(|(index, offset_ms)| Placement::NearPeriodStart { index, offset_ms }),
        1 => (0..YEAR_MS).prop_map(Placement::Anywhere),
    ]
}

/// The longest range of each interval: enough buckets to cross a few period starts, within
/// the bucket limit and the one-year rule.
fn longest(interval: Interval) -> i64 {
    match interval {
        Interval::Hour => 3 * 86_400_000,
        Interval::Day => 40 * 86_400_000,
        Interval::Week => 120 * 86_400_000,
        Interval::Month => 366 * 86_400_000,
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::sample::select(TZ_VARIANTS.to_vec()),
        proptest::sample::select(Interval::ALL.to_vec()),
        0..YEAR_MS,
        0.0..1.0f64,
        proptest::collection::vec((placement(), attributes()), 0..30),
        0..30usize,
        proptest::option::of(units()),
        any::<bool>(),
    )
        .prop_map(
            |(tz, interval, start_ms, fraction, rows, folded, units, descending)| Case {
                tz,
                interval,
                start_ms,
                // Whole-millisecond lengths, some of them tiny.
                length_ms: (fraction * fraction * longest(interval) as f64) as i64,
                rows,
                folded,
                units,
                descending,
            },
        )
}

/// The zone's period starts from a little before `start` on.
fn period_starts(start: DateTime<Utc>, interval: Interval, tz: Tz) -> Vec<DateTime<Utc>> {
    let range = DateRange {
        start: start - Duration::days(40),
        end: start + Duration::days(400),
    };
    let mut starts = vec![first_instant(
        period_start(range.start.with_timezone(&tz).naive_local(), interval),
        tz,
    )
    .unwrap_or(range.start)];
    let coarse = match interval {
        // Hours of 440 days are too many; their starts near the range are enough.
        Interval::Hour => DateRange {
            start: start - Duration::hours(2),
            end: start + Duration::days(3),
        },
        _ => range,
    };
    starts.extend(
        buckets(coarse, interval, tz, usize::MAX)
            .unwrap()
            .iter()
            .skip(1)
            .map(|bucket| bucket.start),
    );
    starts
}

fn load(conn: &mut PgConnection, case: &Case, range: DateRange) {
    conn.batch_execute("TRUNCATE conversations, departments")
        .unwrap();
    let departments_: Vec<NewDepartment> = (0..3)
        .map(|d| NewDepartment {
            id: format!("d{d}"),
            name: ["Sales", "Support", "Sales"][d].to_owned(),
            enabled: true,
            type_: "d".into(),
            ancestors: text_array([["u1"], ["u2"], ["u1"]][d]),
        })
        .collect();
    diesel::insert_into(departments::table)
        .values(&departments_)
        .execute(conn)
        .unwrap();
    let starts = period_starts(range.start, case.interval, case.tz);
    let rows: Vec<NewConversation> = case
        .rows
        .iter()
        .enumerate()
        .map(|(i, (placement, a))| NewConversation {
            id: format!("r{i}"),
            ts: match placement {
                Placement::NearPeriodStart { index, offset_ms } => {
                    starts[index % starts.len()] + Duration::milliseconds(*offset_ms)
                }
                Placement::Anywhere(ms) => base() + Duration::milliseconds(*ms),
            },
            department_id: a.department.map(|d| format!("d{d}")),
            department_ancestors: text_array(a.ancestors.clone()),
            source_type: a.source.map(|(kind, _)| kind.to_owned()),
            source_alias: a.source.and_then(|(_, alias)| alias.map(str::to_owned)),
            open: a.open,
            on_hold: a.on_hold,
            served_by_id: a.agent.map(str::to_owned),
            served_by_username: None,
            tags: text_array(a.tags.iter().copied()),
            chat_duration: a.duration,
            closed_at: None,
        })
        .collect();
    let (folded, logged) = rows.split_at(case.folded.min(rows.len()));
    diesel::insert_into(conversations::table)
        .values(folded)
        .execute(conn)
        .unwrap();
    omnireports_analytics::fold_changes(conn, None).unwrap();
    diesel::insert_into(conversations::table)
        .values(logged)
        .execute(conn)
        .unwrap();
}

/// Per label (and `unspecified`), the value.
fn values(body: &ReportBody) -> BTreeMap<String, i64> {
    let mut values: BTreeMap<String, i64> = body
        .data
        .iter()
        .map(|entry| (entry.label.clone(), entry.value))
        .collect();
    if let Some(unspecified) = body.unspecified {
        values.insert("\u{0}unspecified".into(), unspecified);
    }
    values.retain(|_, value| *value != 0);
    values
}

#[test]
fn every_bucket_in_every_zone_equals_the_plain_report_over_it() {
    let db = TestDatabase::new();
    let conn = std::cell::RefCell::new(db.connect());
    let registry = Registry::builtin();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    let seen_buckets = std::cell::Cell::new(0usize);
    runner
        .run(&case(), |case| {
            let conn = &mut *conn.borrow_mut();
            let start = base() + Duration::milliseconds(case.start_ms);
            let range = DateRange {
                start,
                end: start + Duration::milliseconds(case.length_ms),
            };
            load(conn, &case, range);
            let ranges = buckets(range, case.interval, case.tz, MAX_BUCKETS).unwrap();
            seen_buckets.set(seen_buckets.get() + ranges.len());
            prop_assert!(ranges.windows(2).all(|pair| pair[0].end == pair[1].start));
            if let (Some(first), Some(last)) = (ranges.first(), ranges.last()) {
                prop_assert_eq!((first.start, last.end), (range.start, range.end));
            }
            for report in registry.iter() {
                let direction = match case.descending {
                    true => SortDirection::Desc,
                    false => SortDirection::Asc,
                };
                let request = ReportRequest {
                    range,
                    sort: Sort(vec![("total".into(), direction)]),
                    restriction: match &case.units {
                        None => Restriction::None,
                        Some(units) => Restriction::Units(units.clone()),
                    },
                };
                let series = report.compute_ranges(conn, &request, &ranges).unwrap();
                prop_assert_eq!(series.len(), ranges.len());
                let mut sums: BTreeMap<String, i64> = BTreeMap::new();
                for (bucket, body) in ranges.iter().zip(&series) {
                    let own = ReportRequest {
                        range: *bucket,
                        ..request.clone()
                    };
                    let naive = report.compute_naive(conn, &own).unwrap();
                    prop_assert_eq!(body, &naive, "{} {} {:?}", report.name(), case.tz, bucket);
                    for (label, value) in values(body) {
                        *sums.entry(label).or_default() += value;
                    }
                }
                sums.retain(|_, value| *value != 0);
                let whole = report.compute_naive(conn, &request).unwrap();
                prop_assert_eq!(sums, values(&whole), "{} {}", report.name(), case.tz);
            }
            Ok(())
        })
        .unwrap();
    assert!(seen_buckets.get() > 64, "{} buckets", seen_buckets.get());
}
