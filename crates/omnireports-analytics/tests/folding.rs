//! Folding logged changes into the aggregates: in bounded batches, one session at a time, and
//! without changing any answer.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use omnireports_analytics::{fold_changes, Registry, ReportRequest};
use omnireports_db::Restriction;
use omnireports_model::{DateRange, Sort};
use omnireports_test_db::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn logged(conn: &mut PgConnection) -> i64 {
    diesel::sql_query("SELECT count(*) AS n FROM conversation_changes")
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

/// Every report over a day, as JSON, unrestricted and as a monitor of u1.
fn answers(conn: &mut PgConnection) -> String {
    let mut out = String::new();
    for restriction in [Restriction::None, Restriction::Units(vec!["u1".into()])] {
        let request = ReportRequest {
            range: DateRange {
                start: "2026-03-01T00:00:00Z".parse().unwrap(),
                end: "2026-03-02T00:00:00Z".parse().unwrap(),
            },
            sort: Sort(Vec::new()),
            restriction,
        };
        for report in Registry::builtin().iter() {
            let fast = report.compute(conn, &request).unwrap();
            assert_eq!(fast, report.compute_naive(conn, &request).unwrap());
            out.push_str(&serde_json::to_string(&fast).unwrap());
        }
    }
    out
}

#[test]
fn folds_in_batches_one_session_at_a_time_without_changing_answers() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    conn.batch_execute(
        "INSERT INTO departments (id, name, ancestors) VALUES ('d1', 'Sales', '{u1}');
         INSERT INTO conversations (id, ts, department_id, department_ancestors, tags)
         SELECT 'r' || i, '2026-03-01T00:00:00Z'::timestamptz + i * interval '1 hour',
                CASE WHEN i % 2 = 0 THEN 'd1' END, CASE WHEN i % 2 = 0 THEN '{u1}'::text[] ELSE '{}' END,
                '{a}'
         FROM generate_series(0, 4) AS i;
         UPDATE conversations SET tags = '{b}' WHERE id = 'r1';
         UPDATE conversations SET closed_at = now() WHERE id = 'r2';",
    )
    .unwrap();
    // Five inserts, and the retag as -1 and +1; closing (no counted column) logs nothing.
    assert_eq!(logged(conn), 7);
    let before = answers(conn);

    assert_eq!(fold_changes(conn, Some(3)).unwrap(), 3);
    assert_eq!(logged(conn), 4);
    assert_eq!(answers(conn), before);

    // While another session folds (holds the folding lock), a fold returns at once.
    let other = &mut db.connect();
    other
        .batch_execute("BEGIN; SELECT pg_advisory_xact_lock(hashtext('omnireports_fold_changes'))")
        .unwrap();
    assert_eq!(fold_changes(conn, None).unwrap(), 0);
    assert_eq!(logged(conn), 4);
    other.batch_execute("COMMIT").unwrap();

    assert_eq!(fold_changes(conn, None).unwrap(), 4);
    assert_eq!(logged(conn), 0);
    assert_eq!(answers(conn), before);
    assert_eq!(fold_changes(conn, None).unwrap(), 0);
}

#[test]
fn a_fold_leaves_uncommitted_changes_for_later() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    conn.batch_execute("INSERT INTO conversations (id, ts) VALUES ('r1', '2026-03-01T10:00:00Z')")
        .unwrap();
    let writer = &mut db.connect();
    writer
        .batch_execute(
            "BEGIN; INSERT INTO conversations (id, ts) VALUES ('r2', '2026-03-01T11:00:00Z')",
        )
        .unwrap();
    // Only the committed change is folded; the other stays logged, invisible until it commits.
    assert_eq!(fold_changes(conn, None).unwrap(), 1);
    writer.batch_execute("COMMIT").unwrap();
    assert_eq!(logged(conn), 1);
    let before = answers(conn);
    assert_eq!(fold_changes(conn, None).unwrap(), 1);
    assert_eq!(answers(conn), before);
    assert!(before.contains(r#""total":2"#), "{before}");
}

#[test]
fn truncating_conversations_waits_for_a_running_fold_and_empties_the_log() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    conn.batch_execute("INSERT INTO conversations (id, ts) VALUES ('r1', '2026-03-01T10:00:00Z')")
        .unwrap();
    let folder = &mut db.connect();
    folder
        .batch_execute("BEGIN; SELECT pg_advisory_xact_lock(hashtext('omnireports_fold_changes'))")
        .unwrap();
    // Taking the log's lock before the aggregates', as a fold does, would deadlock with it.
    let waited = conn
        .batch_execute("SET lock_timeout = '200ms'; TRUNCATE conversations")
        .unwrap_err();
    assert!(waited.to_string().contains("lock timeout"), "{waited}");
    folder.batch_execute("COMMIT").unwrap();

    conn.batch_execute("TRUNCATE conversations").unwrap();
    assert_eq!(logged(conn), 0);
    assert!(answers(conn).contains(r#""total":0"#));
}

#[test]
fn changes_to_departments_move_folded_counts_between_units() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    conn.batch_execute(
        "INSERT INTO departments (id, name, ancestors) VALUES ('d1', 'Sales', '{u1}'), ('d2', 'Support', '{u2}');
         INSERT INTO conversations (id, ts, department_id, department_ancestors, tags, served_by_id)
         SELECT 'r' || i, '2026-03-01T00:30:00Z'::timestamptz + i * interval '1 hour',
                CASE WHEN i % 3 = 0 THEN 'd1' ELSE 'd2' END,
                CASE WHEN i % 3 = 2 THEN '{u1}'::text[] ELSE '{}' END, '{a}', 'agent' || i % 2
         FROM generate_series(0, 11) AS i;",
    )
    .unwrap();
    fold_changes(conn, None).unwrap();
    // `answers` compares every report with the plain computation, as u1's monitor too.
    let mut seen = vec![answers(conn)];
    for change in [
        "UPDATE departments SET ancestors = '{u2,u1}' WHERE id = 'd2'",
        "UPDATE departments SET id = 'd3' WHERE id = 'd1'",
        "INSERT INTO departments (id, name, ancestors) VALUES ('d1', 'Again', '{u1}')",
        "DELETE FROM departments WHERE id = 'd2'",
        "TRUNCATE departments",
    ] {
        conn.batch_execute(change).unwrap();
        let now = answers(conn);
        assert!(!seen.contains(&now), "{change} changed no answer");
        seen.push(now);
    }
}
