//! `omnireports import` killed with SIGKILL at random points: the database is always exactly as
//! before, and the next run completes with exact counts.
//!
//! The points are fractions of a measured import's duration drawn from a seeded generator:
//! [`DEFAULT_SEED`], or `OMNIREPORTS_FAULT_SEED`, printed so that a failing run's fractions can
//! be drawn again (the durations they scale are measured anew each run).

use crate::support::{count, exclusive, omnireports, wait_until, BIN};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use omnireports_analytics::{Registry, ReportRequest};
use omnireports_db::Restriction;
use omnireports_test_db::TestDatabase;
use omnireports_validation::DateRange;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TRIALS: usize = 20;
/// Rooms of the first export; the newer one changes every third and adds [`NEW_ROOMS`].
const ROOMS: u64 = 6_000;
const NEW_ROOMS: u64 = 1_500;
const DEPARTMENTS: u64 = 12;
const AGENTS: u64 = 20;
const TAGS: [&str; 5] = ["billing", "bug", "vip", "refund", "sales"];
const SOURCES: [&str; 4] = ["widget", "email", "sms", "api"];
/// 2025-01-01T00:00:00Z; rooms are spread over the next 300 days, most in an hour of their own.
const EPOCH_MS: i64 = 1_735_689_600_000;
const DAY_MS: i64 = 86_400_000;
/// Names the importer's session in `pg_stat_activity`.
const APP: &str = "omnireports-killed-import";
/// The kill points' seed unless `OMNIREPORTS_FAULT_SEED` gives another.
const DEFAULT_SEED: u64 = 20_250_101;

/// `OMNIREPORTS_FAULT_SEED`, else [`DEFAULT_SEED`].
fn seed() -> u64 {
    match std::env::var("OMNIREPORTS_FAULT_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("OMNIREPORTS_FAULT_SEED={text:?} is not a u64")),
        Err(_) => DEFAULT_SEED,
    }
}

#[test]
fn an_import_killed_at_random_points_leaves_the_database_as_before() {
    let _turn = exclusive();
    let seed = seed();
    // Captured, so shown with a failure: the seed that reproduces its kill points.
    eprintln!("kill points: OMNIREPORTS_FAULT_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let exports = tempfile::tempdir().expect("a temporary directory");
    let (v1, v2) = (exports.path().join("v1"), exports.path().join("v2"));
    write_export(&v1, 1);
    write_export(&v2, 2);

    // An uninterrupted run: how long an import takes, and the state it leaves.
    let reference = TestDatabase::new();
    omnireports(reference.url(), &["import", path(&v1)]);
    let started = Instant::now();
    omnireports(reference.url(), &["import", path(&v2)]);
    let typical = started.elapsed();
    let complete = Snapshot::take(&mut reference.connect());

    let (mut db, mut before) = imported(&v1);
    let mut phases = BTreeMap::<String, usize>::new();
    for trial in 1..=TRIALS {
        let delay = typical.mul_f64(rng.random::<f64>());
        let ended = kill_after(&db, &v2, delay);
        let now = Snapshot::take(&mut db.connect());
        let phase = match ended {
            Ended::Killed(phase) if now == before => phase,
            // It committed: then it must have imported everything.
            ended => {
                assert!(
                    now.same_data(&complete),
                    "trial {trial}: {ended:?} after {delay:?}: neither the previous state nor \
                     the complete import\nbefore: {before:#?}\nnow: {now:#?}"
                );
                (db, before) = imported(&v1);
                match ended {
                    Ended::Killed(_) => "committed, then killed".into(),
                    Ended::Exited => "finished before the kill".into(),
                }
            }
        };
        *phases.entry(phase).or_default() += 1;
    }
    eprintln!("killed imports ({TRIALS}, import takes {typical:?}), by phase: {phases:#?}");

    omnireports(db.url(), &["import", path(&v2)]);
    let conn = &mut db.connect();
    assert!(Snapshot::take(conn).same_data(&complete));
    assert_exact(conn);
}

/// A fresh database with the export in `dir` imported, and its snapshot.
fn imported(dir: &Path) -> (TestDatabase, Snapshot) {
    let db = TestDatabase::new();
    omnireports(db.url(), &["import", path(dir)]);
    let snapshot = Snapshot::take(&mut db.connect());
    (db, snapshot)
}

fn path(dir: &Path) -> &str {
    dir.to_str().expect("a UTF-8 path")
}

/// How a trial's import ended.
#[derive(Debug)]
enum Ended {
    /// By SIGKILL, while its database session was doing this.
    Killed(String),
    /// Successfully, before the kill.
    Exited,
}

/// Starts an import of `dir`, SIGKILLs it after `delay`, and waits until its server session is
/// gone (PostgreSQL notices a dead client only when its statement ends).
fn kill_after(db: &TestDatabase, dir: &Path, delay: Duration) -> Ended {
    let conn = &mut db.connect();
    let separator = if db.url().contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}application_name={APP}", db.url());
    let mut child = Command::new(BIN)
        .args(["import", path(dir)])
        .env("DATABASE_URL", url)
        .env("OMNIREPORTS_CONFIG_DIR", "/nonexistent")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start omnireports import");
    std::thread::sleep(delay);
    let phase = phase(conn, db.name());
    let exited = child.try_wait().expect("poll the import");
    child.kill().expect("SIGKILL the import");
    child.wait().expect("reap the import");
    let sessions = format!(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '{}' AND application_name = '{APP}'",
        db.name()
    );
    wait_until(
        Duration::from_secs(120),
        "the import's session ends",
        || count(conn, &sessions) == 0,
    );
    match exited {
        Some(status) => {
            assert!(status.success(), "the import failed: {status}");
            Ended::Exited
        }
        None => Ended::Killed(phase),
    }
}

/// What the import's session is doing, from `pg_stat_activity`.
fn phase(conn: &mut PgConnection, database: &str) -> String {
    #[derive(QueryableByName)]
    struct Phase {
        #[diesel(sql_type = Text)]
        phase: String,
    }
    let sql = format!(
        "SELECT coalesce((SELECT CASE
             WHEN xact_start IS NULL THEN 'connected, outside the transaction'
             WHEN state <> 'active' THEN 'in the transaction, between statements'
             WHEN query ILIKE 'COPY%' THEN 'COPY into a staging table'
             WHEN query ILIKE '%INSERT INTO conversations%' THEN 'upsert of conversations'
             ELSE 'another statement of the transaction' END
           FROM pg_stat_activity WHERE datname = '{database}' AND application_name = '{APP}'
         ), 'not connected yet') AS phase"
    );
    let phase: Phase = diesel::sql_query(sql).get_result(conn).expect("phase");
    phase.phase
}

/// Columns that differ between two databases holding the same data: write times, and import
/// run numbers (a sequence, which rolled-back imports advance too).
const VOLATILE: [(&str, &str); 4] = [
    ("users", "created_at"),
    ("import_runs", "id"),
    ("import_runs", "finished_at"),
    ("import_run_collections", "run_id"),
];

/// Every table (row count and checksums) and every report's body.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    tables: Vec<TableSum>,
    reports: Vec<String>,
}

#[derive(Debug, PartialEq, Eq, QueryableByName)]
struct TableSum {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    rows: i64,
    /// md5 of every row, sorted.
    #[diesel(sql_type = Text)]
    all_columns: String,
    /// The same without the [`VOLATILE`] columns.
    #[diesel(sql_type = Text)]
    stable_columns: String,
}

#[derive(QueryableByName)]
struct Table {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    columns: String,
}

impl Snapshot {
    fn take(conn: &mut PgConnection) -> Self {
        let tables: Vec<Table> = diesel::sql_query(
            "SELECT c.table_name AS name,
                    string_agg(c.column_name, ',' ORDER BY c.ordinal_position) AS columns
             FROM information_schema.columns c
             JOIN information_schema.tables t USING (table_schema, table_name)
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
               AND c.table_name <> '__diesel_schema_migrations'
             GROUP BY c.table_name ORDER BY c.table_name",
        )
        .load(conn)
        .expect("list the tables");
        let tables = tables.iter().map(|t| TableSum::take(conn, t)).collect();
        let mut reports = Vec::new();
        for request in requests() {
            for report in Registry::builtin().iter() {
                let body = report.compute(conn, &request).expect("compute");
                reports.push(format!("{}: {}", report.name(), json!(body)));
            }
        }
        Self { tables, reports }
    }

    /// Equal but for the [`VOLATILE`] columns.
    fn same_data(&self, other: &Snapshot) -> bool {
        let stable = |s: &Snapshot| -> Vec<(String, i64, String)> {
            let tables = s.tables.iter();
            tables
                .map(|t| (t.name.clone(), t.rows, t.stable_columns.clone()))
                .collect()
        };
        stable(self) == stable(other) && self.reports == other.reports
    }
}

impl TableSum {
    fn take(conn: &mut PgConnection, table: &Table) -> Self {
        let stable = table
            .columns
            .split(',')
            .filter(|column| !VOLATILE.contains(&(table.name.as_str(), *column)))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT '{name}' AS name, count(*) AS rows,
                    md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS all_columns,
                    md5(coalesce(string_agg(row({stable})::text, E'\\n'
                                            ORDER BY row({stable})::text), '')) AS stable_columns
             FROM {name} t",
            name = table.name
        );
        diesel::sql_query(sql).get_result(conn).expect("checksum")
    }
}

/// Every report, unrestricted and for a monitor of one unit, over the whole export and over a
/// range with partial hours at both ends.
fn requests() -> Vec<ReportRequest> {
    let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).expect("in range");
    let whole = (EPOCH_MS, EPOCH_MS + 301 * DAY_MS);
    let partial = (
        EPOCH_MS + 40 * DAY_MS + 19_020_123,
        EPOCH_MS + 75 * DAY_MS + 46_800_000,
    );
    let mut requests = Vec::new();
    for (start, end) in [whole, partial] {
        for restriction in [Restriction::None, Restriction::Units(vec!["unit1".into()])] {
            requests.push(ReportRequest {
                range: DateRange {
                    start: at(start),
                    end: at(end),
                },
                sort: omnireports_validation::Sort(Vec::new()),
                restriction,
            });
        }
    }
    requests
}

/// Every report equals the plain `GROUP BY`, and every room of the newer export is there.
fn assert_exact(conn: &mut PgConnection) {
    for mut request in requests() {
        for report in Registry::builtin().iter() {
            request.sort = report.default_sort();
            let fast = report.compute(conn, &request).expect("compute");
            let naive = report.compute_naive(conn, &request).expect("compute_naive");
            assert_eq!(fast, naive, "{} {request:?}", report.name());
        }
    }
    let rooms = (ROOMS + NEW_ROOMS) as i64;
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM conversations"),
        rooms
    );
    let registry = Registry::builtin();
    let status = registry.get("conversations-by-status").expect("a report");
    let whole_export = &requests()[0];
    let body = status.compute(conn, whole_export).expect("compute");
    assert_eq!(body.total, rooms);
}

/// Writes export `version` (1 or 2) as `mongoexport` JSON Lines.
fn write_export(dir: &Path, version: u64) {
    std::fs::create_dir_all(dir).expect("create the export directory");
    let departments = (0..DEPARTMENTS + version - 1).map(|k| department(k, version));
    write_lines(
        &dir.join("rocketchat_livechat_department.json"),
        departments,
    );
    write_lines(
        &dir.join("users.json"),
        (0..AGENTS).map(|k| agent(k, version)),
    );
    let rooms = if version == 1 {
        ROOMS
    } else {
        ROOMS + NEW_ROOMS
    };
    write_lines(
        &dir.join("rocketchat_room.json"),
        (0..rooms).map(|i| room(i, version)),
    );
}

fn write_lines(file: &Path, documents: impl Iterator<Item = serde_json::Value>) {
    let mut out = String::new();
    for document in documents {
        out.push_str(&document.to_string());
        out.push('\n');
    }
    std::fs::write(file, out).expect("write an export file");
}

/// Version 2 renames one department (and adds one, via the count).
fn department(k: u64, version: u64) -> serde_json::Value {
    let renamed = if version == 2 && k == 5 {
        " (renamed)"
    } else {
        ""
    };
    json!({
        "_id": format!("dep{k}"), "name": format!("Department {}{renamed}", k % 10),
        "type": "d", "ancestors": [format!("unit{}", k % 3)],
    })
}

/// Version 2 renames every other agent and replaces every agent's login token.
fn agent(k: u64, version: u64) -> serde_json::Value {
    let name = match version == 2 && k % 2 == 0 {
        true => format!("Agent {k} (renamed)"),
        false => format!("Agent {k}"),
    };
    json!({
        "_id": format!("u{k}"), "username": format!("agent{k}"), "name": name, "active": true,
        "roles": ["user", "livechat-agent"],
        "services": {"resume": {"loginTokens": [
            {"when": date(EPOCH_MS + 400 * DAY_MS), "hashedToken": format!("hash-{k}-v{version}")}
        ]}},
    })
}

/// Room `i`: the same time in every version; version 2 changes every third room's department,
/// status, agent and tags.
fn room(i: u64, version: u64) -> serde_json::Value {
    let revision = if version == 2 && i % 3 == 0 { 2 } else { 1 };
    let h = mix(i * 4 + revision);
    let ts = EPOCH_MS + (mix(i) % (300 * DAY_MS as u64)) as i64;
    let open = h % 5 == 0;
    let department = h % (DEPARTMENTS + 1);
    let tags: Vec<&str> = (0..(h >> 8) % 3)
        .map(|j| TAGS[((h >> (12 + 4 * j)) % 5) as usize])
        .collect();
    let mut room = json!({
        "_id": format!("r{i}"), "t": "l", "ts": date(ts), "open": open,
        "onHold": open && (h >> 24) % 3 == 0, "tags": tags,
        "source": {"type": SOURCES[((h >> 28) % 4) as usize]},
    });
    if department < DEPARTMENTS {
        room["departmentId"] = json!(format!("dep{department}"));
        room["departmentAncestors"] = json!([format!("unit{}", department % 3)]);
    }
    if (h >> 32) % 10 != 0 {
        let agent = (h >> 36) % AGENTS;
        room["servedBy"] = json!({"_id": format!("u{agent}"), "username": format!("agent{agent}")});
    }
    if !open {
        let duration = 60 + (h >> 40) % 3_600;
        room["closedAt"] = date(ts + 1_000 * duration as i64);
        room["metrics"] = json!({"chatDuration": duration as f64 + 0.25});
    }
    room
}

fn date(ms: i64) -> serde_json::Value {
    let at = DateTime::<Utc>::from_timestamp_millis(ms).expect("in range");
    json!({"$date": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()})
}

/// SplitMix64: a fixed pseudo-random value per input.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
