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
    let level = engine::Level::ALL
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
        Level::Hour,
        Level::SixHours,
        Level::Day,
        Level::Week,
        Level::Month,
    ];
    assert_eq!(levels.len(), engine::Level::ALL.len());
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
        for offset in [-1, 0, 1, 5 * 3_600_000 + 7, 23 * 3_600_000 + 59 * 60_000] {
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
