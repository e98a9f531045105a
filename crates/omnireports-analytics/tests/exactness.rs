//! Property test: every report, answered from the pre-aggregated counts, equals the plain
//! `GROUP BY` over the raw rows, for random data, random writes after the inserts (with the
//! logged changes folded into the aggregates at random points), random millisecond ranges
//! around a DST change, and random monitor restrictions.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use omnireports_analytics::example::ConversationsBySourceType;
use omnireports_analytics::{Registry, ReportRequest};
use omnireports_db::models::{text_array, NewConversation, NewDepartment};
use omnireports_db::schema::{conversations, departments};
use omnireports_db::Restriction;
use omnireports_model::{DateRange, Sort, SortDirection};
use omnireports_test_db::TestDatabase;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const UNITS: [&str; 3] = ["u1", "u2", "u3"];
const NAMES: [&str; 3] = ["Sales", "Support", "Sales"];

/// 2026-03-29T01:00Z: Europe/Berlin switches to summer time.
fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()
}

fn units() -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(UNITS.to_vec(), 0..=2)
        .prop_map(|units| units.into_iter().map(str::to_owned).collect())
}

#[derive(Debug, Clone)]
struct Department {
    id: usize,
    ancestors: Vec<String>,
}

fn department() -> impl Strategy<Value = Department> {
    (0..6usize, units()).prop_map(|(id, ancestors)| Department { id, ancestors })
}

/// Offsets in ms mostly within two days around the base, so edges fall inside hours and days,
/// and some within 20 days, so ranges also cut weeks (of the month) and months.
fn conversation() -> impl Strategy<Value = NewConversation> {
    (
        prop_oneof![
            3 => -86_400_000i64..86_400_000,
            1 => -1_728_000_000i64..1_728_000_000,
        ],
        proptest::option::of(0..8usize),
        units(),
        proptest::option::of(prop_oneof![
            Just(("widget", None)),
            Just(("app", Some("WhatsApp"))),
            Just(("email", None)),
        ]),
        (any::<bool>(), any::<bool>()),
        proptest::option::of(prop_oneof![Just("a1"), Just("a2")]),
        proptest::sample::subsequence(vec!["x", "y", "z"], 0..=2),
        proptest::option::of(prop_oneof![Just(0.0), Just(12.5)]),
    )
        .prop_map(
            |(offset, department, ancestors, source, (open, on_hold), agent, tags, duration)| {
                NewConversation {
                    id: String::new(),
                    ts: base() + Duration::milliseconds(offset),
                    department_id: department.map(|d| format!("d{d}")),
                    department_ancestors: text_array(ancestors),
                    source_type: source.map(|(kind, _)| kind.to_owned()),
                    source_alias: source.and_then(|(_, alias)| alias.map(str::to_owned)),
                    open,
                    on_hold,
                    served_by_id: agent.map(str::to_owned),
                    served_by_username: None,
                    tags: text_array(tags),
                    chat_duration: duration,
                    closed_at: None,
                }
            },
        )
}

/// A write after the initial inserts.
#[derive(Debug, Clone)]
enum Change {
    MoveConversation(usize, Option<usize>),
    Retag(usize, Vec<&'static str>),
    Reopen(usize, bool),
    Delete(usize),
    MoveDepartment(usize, Vec<String>),
    DeleteDepartment(usize),
    /// Creates a department that conversations may already name (ids 6 and 7 start unknown).
    AddDepartment(usize, Vec<String>),
    /// Folds the changes logged so far into the aggregates; the rest stay logged.
    Fold,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (0..40usize, proptest::option::of(0..8usize))
            .prop_map(|(i, d)| Change::MoveConversation(i, d)),
        (
            0..40usize,
            proptest::sample::subsequence(vec!["x", "y", "w"], 0..=2)
        )
            .prop_map(|(i, t)| Change::Retag(i, t)),
        (0..40usize, any::<bool>()).prop_map(|(i, open)| Change::Reopen(i, open)),
        (0..40usize).prop_map(Change::Delete),
        (0..6usize, units()).prop_map(|(d, a)| Change::MoveDepartment(d, a)),
        (0..6usize).prop_map(Change::DeleteDepartment),
        (6..8usize, units()).prop_map(|(d, a)| Change::AddDepartment(d, a)),
        Just(Change::Fold),
    ]
}

/// Changes, half of the time after folding the inserts, so that the changes to departments
/// meet folded counts (the per-unit ones move with them).
fn changes() -> impl Strategy<Value = Vec<Change>> {
    (any::<bool>(), proptest::collection::vec(change(), 0..8)).prop_map(|(fold, mut changes)| {
        if fold {
            changes.insert(0, Change::Fold);
        }
        changes
    })
}

#[derive(Debug, Clone)]
struct Query {
    start_offset_ms: i64,
    length_ms: i64,
    restriction: Option<Vec<String>>,
    descending: bool,
}

fn query() -> impl Strategy<Value = Query> {
    (
        prop_oneof![
            -90_000_000i64..90_000_000,
            // Whole hours, to exercise aligned edges.
            (-25i64..25).prop_map(|h| h * 3_600_000),
            -1_800_000_000i64..1_800_000_000,
        ],
        prop_oneof![
            0i64..200_000_000,
            (0i64..50).prop_map(|h| h * 3_600_000),
            0i64..3_500_000_000,
        ],
        proptest::option::of(units()),
        any::<bool>(),
    )
        .prop_map(
            |(start_offset_ms, length_ms, restriction, descending)| Query {
                start_offset_ms,
                length_ms,
                restriction,
                descending,
            },
        )
}

fn apply(conn: &mut PgConnection, change: &Change) {
    use conversations::dsl as c;
    let room = |i: &usize| format!("r{i}");
    let result = match change {
        Change::MoveConversation(i, d) => diesel::update(c::conversations.find(room(i)))
            .set(c::department_id.eq(d.map(|d| format!("d{d}"))))
            .execute(conn),
        Change::Retag(i, tags) => diesel::update(c::conversations.find(room(i)))
            .set(c::tags.eq(text_array(tags.iter().copied())))
            .execute(conn),
        Change::Reopen(i, open) => diesel::update(c::conversations.find(room(i)))
            .set((c::open.eq(open), c::chat_duration.eq(None::<f64>)))
            .execute(conn),
        Change::Delete(i) => diesel::delete(c::conversations.find(room(i))).execute(conn),
        Change::MoveDepartment(d, ancestors) => {
            diesel::update(departments::table.find(format!("d{d}")))
                .set(departments::ancestors.eq(text_array(ancestors.clone())))
                .execute(conn)
        }
        Change::DeleteDepartment(d) => {
            diesel::delete(departments::table.find(format!("d{d}"))).execute(conn)
        }
        Change::AddDepartment(d, ancestors) => diesel::insert_into(departments::table)
            .values(NewDepartment {
                id: format!("d{d}"),
                name: NAMES[d % NAMES.len()].to_owned(),
                enabled: true,
                type_: "d".into(),
                ancestors: text_array(ancestors.clone()),
            })
            .on_conflict_do_nothing()
            .execute(conn),
        Change::Fold => omnireports_analytics::fold_changes(conn, None).map(|_| 0),
    };
    result.unwrap();
}

fn load(
    conn: &mut PgConnection,
    departments_: &[Department],
    rows: &[NewConversation],
    changes: &[Change],
) {
    conn.batch_execute("TRUNCATE conversations, departments")
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    let departments_: Vec<NewDepartment> = departments_
        .iter()
        .filter(|d| seen.insert(d.id))
        .map(|d| NewDepartment {
            id: format!("d{}", d.id),
            name: NAMES[d.id % NAMES.len()].to_owned(),
            enabled: true,
            type_: "d".into(),
            ancestors: text_array(d.ancestors.clone()),
        })
        .collect();
    diesel::insert_into(departments::table)
        .values(&departments_)
        .execute(conn)
        .unwrap();
    let rows: Vec<NewConversation> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| NewConversation {
            id: format!("r{i}"),
            ..row.clone()
        })
        .collect();
    // Some in one statement, the rest one by one: both trigger paths.
    let (bulk, single) = rows.split_at(rows.len() / 2);
    diesel::insert_into(conversations::table)
        .values(bulk)
        .execute(conn)
        .unwrap();
    for row in single {
        diesel::insert_into(conversations::table)
            .values(row)
            .execute(conn)
            .unwrap();
    }
    for change in changes {
        apply(conn, change);
    }
}

#[derive(QueryableByName)]
struct Logged {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    logged: bool,
}

/// Whether some changes are logged and not folded into the aggregates yet.
fn logged(conn: &mut PgConnection) -> bool {
    diesel::sql_query("SELECT EXISTS (SELECT 1 FROM conversation_changes) AS logged")
        .get_result::<Logged>(conn)
        .unwrap()
        .logged
}

fn request(query: &Query, key: &str) -> ReportRequest {
    let start = base() + Duration::milliseconds(query.start_offset_ms);
    let direction = match query.descending {
        true => SortDirection::Desc,
        false => SortDirection::Asc,
    };
    ReportRequest {
        range: DateRange {
            start,
            end: start + Duration::milliseconds(query.length_ms),
        },
        sort: Sort(vec![(key.to_owned(), direction)]),
        restriction: match &query.restriction {
            None => Restriction::None,
            Some(units) => Restriction::Units(units.clone()),
        },
    }
}

#[test]
fn aggregated_reports_equal_raw_counts() {
    let db = TestDatabase::new();
    every_report_equals_raw_counts(&Registry::builtin(), db.connect());
}

/// A report over a dimension no migration names gets its tables from the engine, and its
/// answers are exact like the others'.
#[test]
fn a_report_over_a_new_dimension_is_exact_with_no_sql_written() {
    let db = TestDatabase::new();
    let mut conn = db.connect();
    let registry = Registry::builtin().with(ConversationsBySourceType);
    omnireports_db::engine::install(&mut conn, &registry.dimensions()).unwrap();
    for table in [
        "agg_source_type",
        "agg_source_type_scoped",
        "agg_source_type_unit",
    ] {
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "to_regclass('{table}') IS NOT NULL"
        )))
        .get_result(&mut conn)
        .unwrap();
        assert!(exists, "{table}");
    }
    every_report_equals_raw_counts(&registry, conn);
}

/// The property, for every report of `registry`.
fn every_report_equals_raw_counts(registry: &Registry, conn: PgConnection) {
    let conn = std::cell::RefCell::new(conn);
    let strategy = (
        proptest::collection::vec(department(), 0..6),
        proptest::collection::vec(conversation(), 0..40),
        changes(),
        proptest::collection::vec(query(), 1..6),
    );
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    // Cases answered with changes still logged, and with every change folded.
    let states = std::cell::RefCell::new([0; 2]);
    runner
        .run(&strategy, |(departments_, rows, changes, queries)| {
            let conn = &mut *conn.borrow_mut();
            load(conn, &departments_, &rows, &changes);
            states.borrow_mut()[usize::from(logged(conn))] += 1;
            for query in &queries {
                for report in registry.iter() {
                    for key in ["total", "_id"] {
                        let request = request(query, key);
                        let fast = report.compute(conn, &request).unwrap();
                        let naive = report.compute_naive(conn, &request).unwrap();
                        prop_assert_eq!(fast, naive, "{} {:?}", report.name(), request);
                    }
                }
            }
            // All the queries' ranges at once, as a series asks, with the first one's caller.
            let ranges: Vec<DateRange> =
                queries.iter().map(|q| request(q, "total").range).collect();
            let first = request(&queries[0], "total");
            for report in registry.iter() {
                let bodies = report.compute_ranges(conn, &first, &ranges).unwrap();
                for (range, body) in ranges.iter().zip(bodies) {
                    let request = ReportRequest {
                        range: *range,
                        ..first.clone()
                    };
                    let naive = report.compute_naive(conn, &request).unwrap();
                    prop_assert_eq!(body, naive, "{} of many {:?}", report.name(), request);
                }
            }
            Ok(())
        })
        .unwrap();
    let [folded, logged] = states.into_inner();
    assert!(folded > 0 && logged > 0, "folded {folded}, logged {logged}");
}

#[test]
fn ranges_given_in_a_dst_zone_count_exactly() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let tz = chrono_tz::Europe::Berlin;
    let rows: Vec<NewConversation> = (0..48)
        .map(|i| NewConversation {
            id: format!("r{i}"),
            ts: base() - Duration::hours(12) + Duration::minutes(i * 29),
            department_id: Some("d0".into()),
            ..Default::default()
        })
        .collect();
    load(
        conn,
        &[Department {
            id: 0,
            ancestors: vec![],
        }],
        &rows,
        &[],
    );
    // 02:30 does not exist in Berlin on that day; moment moves it forward by the gap.
    for (start, end) in [
        ("2026-03-29", "2026-03-30"),
        ("2026-03-29T01:59:59.999", "2026-03-29T03:00:00.001"),
        ("2026-03-29T02:30", "2026-03-29T04:15:30.5"),
        ("2026-03-28T23:00", "2026-03-29T12:00"),
    ] {
        let range = omnireports_validation::check_range(start, end, tz).unwrap();
        let request = ReportRequest {
            range,
            sort: Sort(vec![]),
            restriction: Restriction::None,
        };
        for report in Registry::builtin().iter() {
            let fast = report.compute(conn, &request).unwrap();
            let naive = report.compute_naive(conn, &request).unwrap();
            assert_eq!(fast, naive, "{} {start}..{end}", report.name());
        }
    }
}
