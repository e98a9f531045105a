//! The migrations and the engine come and go cleanly: reverted, nothing of theirs remains;
//! applied again, every report is exact on new data, folded or not.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use omnireports_analytics::{fold_changes, Registry, ReportRequest};
use omnireports_db::models::{text_array, NewConversation, NewDepartment};
use omnireports_db::schema::{conversations, departments};
use omnireports_db::Restriction;
use omnireports_model::DateRange;
use omnireports_test_db::TestDatabase;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Every table, view, sequence and schema of ours left in the database.
fn leftovers(conn: &mut PgConnection) -> Vec<String> {
    diesel::sql_query(
        "SELECT relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relname NOT LIKE '__diesel_schema_migrations%'
         UNION ALL SELECT nspname::text FROM pg_namespace WHERE nspname = 'engine'",
    )
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|row| row.name)
    .collect()
}

fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap() + Duration::minutes(hours * 37)
}

fn load(conn: &mut PgConnection) {
    diesel::insert_into(departments::table)
        .values(NewDepartment {
            id: "d1".into(),
            name: "Sales".into(),
            enabled: true,
            type_: "d".into(),
            ancestors: text_array(["u1"]),
        })
        .execute(conn)
        .unwrap();
    let rows: Vec<NewConversation> = (0..60)
        .map(|i| NewConversation {
            id: format!("c{i}"),
            ts: at(i),
            department_id: (i % 3 != 0).then(|| "d1".to_owned()),
            source_type: Some(["widget", "email"][i as usize % 2].to_owned()),
            open: i % 4 == 0,
            served_by_id: (i % 5 != 0).then(|| format!("a{}", i % 2)),
            tags: text_array(["x", "y"].into_iter().take(i as usize % 3)),
            chat_duration: (i % 2 == 0).then_some(10.0),
            ..Default::default()
        })
        .collect();
    diesel::insert_into(conversations::table)
        .values(&rows[..40])
        .execute(conn)
        .unwrap();
    fold_changes(conn, None).unwrap();
    diesel::insert_into(conversations::table)
        .values(&rows[40..])
        .execute(conn)
        .unwrap();
}

fn assert_exact(conn: &mut PgConnection) {
    for restriction in [Restriction::None, Restriction::Units(vec!["u1".into()])] {
        for (start, end) in [
            (at(-1), at(61)),
            (at(3) + Duration::milliseconds(7), at(50)),
        ] {
            for report in Registry::builtin().iter() {
                let request = ReportRequest {
                    range: DateRange { start, end },
                    sort: report.default_sort(),
                    restriction: restriction.clone(),
                };
                let fast = report.compute(conn, &request).unwrap();
                let naive = report.compute_naive(conn, &request).unwrap();
                assert_eq!(fast, naive, "{} {request:?}", report.name());
                assert!(naive.total > 0, "{} {request:?}", report.name());
            }
        }
    }
}

#[test]
fn reverted_migrations_leave_nothing_and_applied_again_count_exactly() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    load(conn);
    assert_exact(conn);
    let reverted = omnireports_db::revert_all_migrations(conn).unwrap();
    assert_eq!(leftovers(conn), Vec::<String>::new());
    let applied = omnireports_db::run_pending_migrations(conn).unwrap();
    assert_eq!(applied.len(), reverted.len());
    load(conn);
    assert_exact(conn);
}
