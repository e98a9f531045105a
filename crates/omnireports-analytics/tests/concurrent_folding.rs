//! Exact at every moment, under concurrency: while one session writes conversations and
//! another folds the logged changes, every report a third session computes equals the plain
//! `GROUP BY` over the raw rows of the same snapshot.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use omnireports_analytics::{fold_changes, Registry, ReportRequest};
use omnireports_db::Restriction;
use omnireports_model::{DateRange, Sort};
use omnireports_test_db::TestDatabase;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

/// Transactions the writer commits.
const WRITES: u64 = 600;

/// A small deterministic generator (xorshift64*), so a failure replays the same writes.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

/// One writing transaction: inserts, or moves, retags, reassigns, closes or deletes a few of
/// the conversations, spread over three days.
fn write(conn: &mut PgConnection, rng: &mut Rng, step: u64) {
    let ms = rng.below(3 * 86_400_000);
    let department = ["NULL", "'d1'", "'d2'"][rng.below(3) as usize];
    let agent = ["NULL", "'a1'", "'a2'"][rng.below(3) as usize];
    let tags = ["'{}'", "'{x}'", "'{x,y}'"][rng.below(3) as usize];
    let target = format!(
        "id IN ('r{}', 'r{}')",
        rng.below(step + 1),
        rng.below(step + 1)
    );
    let statement = match rng.below(6) {
        0 | 1 => format!(
            "INSERT INTO conversations (id, ts, department_id, department_ancestors, served_by_id, tags, open) \
             SELECT 'r{step}' || '-' || i, timestamptz '2026-03-01Z' + ({ms} + i * 997) * interval '1 ms', \
                    {department}, coalesce((SELECT ancestors FROM departments WHERE id = {department}), '{{}}'), \
                    {agent}, {tags}, i % 2 = 0 \
             FROM generate_series(0, {}) AS i; \
             UPDATE conversations SET id = 'r{step}' WHERE id = 'r{step}-0'",
            rng.below(4)
        ),
        2 => format!("UPDATE conversations SET department_id = {department} WHERE {target}"),
        3 => format!("UPDATE conversations SET tags = {tags}, served_by_id = {agent} WHERE {target}"),
        4 => format!("UPDATE conversations SET open = NOT open, chat_duration = 3 WHERE {target}"),
        _ => format!("DELETE FROM conversations WHERE {target}"),
    };
    conn.transaction(|conn| conn.batch_execute(&statement))
        .unwrap();
}

/// Every report over a random millisecond range, unrestricted and as a monitor of u1, each
/// compared with the plain computation in the same snapshot.
fn check(conn: &mut PgConnection, rng: &mut Rng) {
    let from = start() + Duration::milliseconds(rng.below(2 * 86_400_000) as i64);
    let range = DateRange {
        start: from,
        end: from + Duration::milliseconds(1 + rng.below(2 * 86_400_000) as i64),
    };
    conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .unwrap();
    for restriction in [Restriction::None, Restriction::Units(vec!["u1".into()])] {
        let request = ReportRequest {
            range,
            sort: Sort(Vec::new()),
            restriction,
        };
        for report in Registry::builtin().iter() {
            assert_eq!(
                report.compute(conn, &request).unwrap(),
                report.compute_naive(conn, &request).unwrap(),
                "{} over {range:?}",
                report.name()
            );
        }
    }
    conn.batch_execute("COMMIT").unwrap();
}

#[test]
fn reports_stay_exact_while_writes_and_folds_run_concurrently() {
    let db = TestDatabase::new();
    db.connect()
        .batch_execute(
            "INSERT INTO departments (id, name, ancestors) VALUES ('d1', 'Sales', '{u1}'), ('d2', 'Support', '{u2}')",
        )
        .unwrap();
    let writing = AtomicBool::new(true);
    let (folded, checks) = thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let conn = &mut db.connect();
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
            for step in 0..WRITES {
                write(conn, &mut rng, step);
            }
            writing.store(false, Ordering::Release);
        });
        let folder = scope.spawn(|| {
            let conn = &mut db.connect();
            let mut folded = 0;
            while writing.load(Ordering::Acquire) {
                // Small batches, so folds interleave with the writes.
                folded += fold_changes(conn, Some(7)).unwrap();
            }
            folded
        });
        let conn = &mut db.connect();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut checks = 0;
        while writing.load(Ordering::Acquire) {
            check(conn, &mut rng);
            checks += 1;
        }
        writer.join().unwrap();
        (folder.join().unwrap(), checks)
    });
    assert!(folded > 0, "nothing was folded while writing");
    assert!(checks > 0, "nothing was checked while writing");

    // Whatever the folder left logged, then the final state, folded and not.
    let conn = &mut db.connect();
    let mut rng = Rng(7);
    check(conn, &mut rng);
    fold_changes(conn, None).unwrap();
    check(conn, &mut rng);
}
