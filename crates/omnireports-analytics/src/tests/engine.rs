//! Rust and the SQL the engine generates agree: the dimensions the reports read are the ones
//! migrations install, and a level's buckets start where the planner thinks they do.

use crate::plan::{floor, Level};
use crate::Registry;
use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use omnireports_db::engine;
use omnireports_test_db::TestDatabase;

#[test]
fn the_reports_read_the_dimensions_migrations_install() {
    let tables = |dimensions: &[&engine::Dimension]| -> Vec<&str> {
        dimensions.iter().map(|d| d.table).collect()
    };
    assert_eq!(
        tables(&Registry::builtin().dimensions()),
        tables(engine::BUILTIN)
    );
}

#[derive(QueryableByName)]
struct Bucket {
    #[diesel(sql_type = Timestamptz)]
    start: DateTime<Utc>,
}

/// The engine's level of the same number as the planner's.
fn engine_level(level: Level) -> engine::Level {
    let level = engine::Level::PLAIN
        .into_iter()
        .find(|engine| *engine as i16 == level as i16)
        .unwrap_or_else(|| panic!("no engine level numbered like {level:?}"));
    level
}

#[test]
fn every_level_buckets_where_the_planner_cuts() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let levels = [
        Level::Quarter,
        Level::Hour,
        Level::SixHours,
        Level::Day,
        Level::Week,
        Level::Month,
    ];
    assert_eq!(levels.len(), engine::Level::PLAIN.len());
    // Month ends, leap days, the 29th, midnights, a millisecond before and after them.
    let mut instants: Vec<DateTime<Utc>> = Vec::new();
    for (y, m, d) in [
        (2024, 2, 29),
        (2025, 2, 28),
        (2026, 1, 31),
        (2026, 3, 29),
        (1969, 12, 31),
        (-44, 3, 15),
    ] {
        let day = Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
        for offset in [
            -1,
            0,
            1,
            5 * 3_600_000 + 7,
            20 * 3_600_000 + 44 * 60_000,
            23 * 3_600_000 + 59 * 60_000,
        ] {
            instants.push(day + Duration::milliseconds(offset));
        }
    }
    for level in levels {
        let sql = format!("SELECT {} AS start", engine_level(level).bucket_sql("$1"));
        for t in &instants {
            let bucket: Bucket = diesel::sql_query(&sql)
                .bind::<Timestamptz, _>(*t)
                .get_result(conn)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert_eq!(bucket.start, floor(level, *t), "{level:?} of {t}");
        }
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn quarter_rows(conn: &mut PgConnection) -> i64 {
    diesel::sql_query("SELECT count(*) AS n FROM agg_department WHERE level = 5")
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

/// A database whose tables were laid out for other levels (an older engine's, without quarter
/// hours) is counted anew by the next install, and its answers are exact again.
#[test]
fn an_install_counts_anew_a_database_laid_out_for_other_levels() {
    use super::{conversation, department, request};
    use crate::Report;
    use diesel::connection::SimpleConnection;
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    department(conn, "d1", "Sales", &[]);
    for (id, ts) in [
        ("a", "2026-01-09T18:14:59.999Z"),
        ("b", "2026-01-09T18:15:00Z"),
    ] {
        conversation(conn, id, ts, Some("d1"));
    }
    crate::fold_changes(conn, None).unwrap();
    assert!(quarter_rows(conn) > 0);
    conn.batch_execute(
        "DELETE FROM agg_department WHERE level = 5; \
         COMMENT ON TABLE agg_department IS 'omnireports levels 0,3,1,4,2'",
    )
    .unwrap();
    engine::install(conn, engine::BUILTIN).unwrap();
    assert_eq!(quarter_rows(conn), 2);
    // A day of Asia/Kathmandu, which starts at 18:15 UTC.
    let report = crate::ConversationsByDepartment;
    let day = request(
        "2026-01-09T18:15:00Z",
        "2026-01-10T18:15:00Z",
        report.default_sort(),
        omnireports_db::Restriction::None,
    );
    assert_eq!(
        report.compute(conn, &day).unwrap(),
        report.compute_naive(conn, &day).unwrap()
    );
    assert_eq!(report.compute(conn, &day).unwrap().total, 1);
}
