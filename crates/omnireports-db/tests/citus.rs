//! `omnireports migrate` on a Citus database (`scripts/citus-test.sh` runs this against a real
//! coordinator and two workers): the layout, and that writes land where it says. The reports'
//! exactness on Citus is the property tests' (run by the same tier).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use omnireports_test_db::{TestDatabase, CITUS_WORKERS};

#[derive(QueryableByName, Debug, PartialEq)]
struct Row {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

/// Says why a test of this tier does nothing outside it.
fn say_skipped() {
    eprintln!("SKIPPED: no Citus cluster ({CITUS_WORKERS} unset; scripts/citus-test.sh sets it)");
}

/// A Citus database, or None (and SKIPPED said) outside the Citus tier.
fn citus_database() -> Option<TestDatabase> {
    if std::env::var_os(CITUS_WORKERS).is_none() {
        say_skipped();
        return None;
    }
    let db = TestDatabase::new();
    assert!(db.is_citus());
    Some(db)
}

#[test]
fn migrate_distributes_the_conversations_and_their_counts_and_copies_the_small_tables() {
    let Some(db) = citus_database() else { return };
    let conn = &mut db.connect();
    let tables: Vec<Row> = diesel::sql_query(
        "SELECT logicalrelid::text AS name, \
                CASE partmethod WHEN 'n' THEN 'reference' \
                     ELSE 'distributed on ' || column_to_column_name(logicalrelid, partkey) END AS kind \
         FROM pg_dist_partition ORDER BY 1",
    )
    .load(conn)
    .unwrap();
    let kind = |name: &str| {
        tables
            .iter()
            .find(|row| row.name == name)
            .map(|row| row.kind.as_str())
            .unwrap_or_else(|| panic!("{name} is not a Citus table: {tables:?}"))
    };
    assert_eq!(kind("conversations"), "distributed on id");
    assert_eq!(kind("conversation_changes"), "distributed on shard");
    for table in [
        "users",
        "user_tokens",
        "roles",
        "permissions",
        "departments",
        "unit_monitors",
        "import_runs",
        "import_run_collections",
        "data_version",
        "engine.shard_keys",
    ] {
        assert_eq!(kind(table), "reference", "{table}");
    }
    let aggregates: Vec<&Row> = tables
        .iter()
        .filter(|r| r.name.starts_with("agg_"))
        .collect();
    assert_eq!(aggregates.len(), 13, "{tables:?}");
    for table in &aggregates {
        assert_eq!(table.kind, "distributed on shard", "{}", table.name);
    }
    // One co-location group: a conversation, its changes and its counts share a node.
    assert_eq!(
        count(
            conn,
            "SELECT count(DISTINCT colocationid) AS n FROM pg_dist_partition \
             WHERE partmethod = 'h'"
        ),
        1
    );
    // Every shard has its key, and a second migrate changes nothing.
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM engine.shard_keys"),
        count(
            conn,
            "SELECT count(*) AS n FROM pg_dist_shard WHERE logicalrelid = 'conversations'::regclass"
        )
    );
    omnireports_db::run_pending_migrations(conn).unwrap();
}

#[test]
fn changes_and_counts_stay_on_the_shard_of_their_conversation() {
    let Some(db) = citus_database() else { return };
    let conn = &mut db.connect();
    conn.batch_execute(
        "INSERT INTO departments (id, name, ancestors) VALUES ('d1', 'Sales', '{u1}');
         INSERT INTO conversations (id, ts, department_id, tags)
             SELECT 'room' || n, '2026-03-01'::timestamptz + n * interval '1 hour',
                    CASE WHEN n % 3 = 0 THEN 'd1' END, CASE WHEN n % 2 = 0 THEN '{x}'::text[] ELSE '{}' END
             FROM generate_series(1, 200) AS n;
         UPDATE conversations SET served_by_id = 'a1' WHERE id IN ('room1', 'room2');
         DELETE FROM conversations WHERE id = 'room3';",
    )
    .unwrap();
    // 200 inserts, 2 updates (each -1 and +1), 1 delete.
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM conversation_changes"),
        205
    );
    // Each logged row is in the shard of its conversation's key.
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM conversation_changes c \
             WHERE c.shard NOT IN (SELECT key FROM engine.shard_keys)"
        ),
        0
    );
    let folded = count(conn, "SELECT engine.fold_changes(NULL) AS n");
    assert_eq!(folded, 205);
    assert_eq!(
        count(conn, "SELECT count(*) AS n FROM conversation_changes"),
        0
    );
    // Hour rows of agg_department add up to the conversations, per shard.
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM ( \
               SELECT engine.shard_key(id) AS shard, count(*) AS n FROM conversations GROUP BY 1 \
               EXCEPT \
               SELECT shard, sum(n) FROM agg_department WHERE level = 0 GROUP BY 1 HAVING sum(n) <> 0) AS d"
        ),
        0
    );
    // A department's new unit takes its folded counts along (the coordinator's trigger, once).
    conn.batch_execute("UPDATE departments SET ancestors = '{u2}' WHERE id = 'd1'")
        .unwrap();
    assert_eq!(
        count(
            conn,
            "SELECT coalesce(sum(n), 0)::bigint AS n FROM agg_agent_unit WHERE level = 2 AND unit = 'u2'"
        ),
        count(
            conn,
            "SELECT count(*) AS n FROM conversations WHERE department_id = 'd1'"
        )
    );
    // TRUNCATE empties the counts and the log; a rebuild refills them in place.
    conn.batch_execute(
        "BEGIN; TRUNCATE conversations; SELECT engine.rebuild_aggregates(); COMMIT;",
    )
    .unwrap();
    assert_eq!(count(conn, "SELECT count(*) AS n FROM agg_department"), 0);
}

/// `(department, count)` pairs, by department.
type PerDepartment = Vec<(Option<String>, i64)>;

/// The conversations per department, and the hour rows of `agg_department`'s counts.
fn department_counts(conn: &mut PgConnection) -> (PerDepartment, PerDepartment) {
    #[derive(QueryableByName)]
    struct Counted {
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        department_id: Option<String>,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut load = |sql: &str| -> PerDepartment {
        let rows: Vec<Counted> = diesel::sql_query(sql).load(conn).unwrap();
        rows.into_iter().map(|r| (r.department_id, r.n)).collect()
    };
    (
        load("SELECT department_id, count(*) AS n FROM conversations GROUP BY 1 ORDER BY 1"),
        load(
            "SELECT department_id, sum(n)::bigint AS n FROM agg_department WHERE level = 0 \
             GROUP BY 1 HAVING sum(n) <> 0 ORDER BY 1",
        ),
    )
}

#[test]
fn migrate_lays_out_for_citus_a_database_populated_before_it_had_citus() {
    let Some(mut db) = TestDatabase::without_citus_yet() else {
        say_skipped();
        return;
    };
    assert!(!db.is_citus());
    db.connect()
        .batch_execute(
            "INSERT INTO departments (id, name, ancestors) VALUES ('d1', 'Sales', '{u1}');
             INSERT INTO conversations (id, ts, department_id)
                 SELECT 'room' || n, '2026-03-01'::timestamptz + n * interval '1 hour',
                        CASE WHEN n % 3 = 0 THEN 'd1' END
                 FROM generate_series(1, 200) AS n;
             SELECT engine.fold_changes(NULL);",
        )
        .unwrap();
    let conn = &mut db.add_citus();
    assert!(db.is_citus());
    omnireports_db::run_pending_migrations(conn).unwrap();
    assert_eq!(
        count(
            conn,
            "SELECT count(*) AS n FROM pg_tables t WHERE t.tablename LIKE 'agg\\_%' \
             AND NOT EXISTS (SELECT FROM pg_dist_partition p \
               WHERE p.logicalrelid = t.tablename::regclass AND p.partmethod = 'h')"
        ),
        0,
        "every aggregate table is distributed"
    );
    assert_eq!(
        count(conn, "SELECT pg_relation_size('conversations') AS n"),
        0,
        "the coordinator keeps no copy of the distributed rows"
    );
    let (conversations, counted) = department_counts(conn);
    assert_eq!(conversations.iter().map(|(_, n)| n).sum::<i64>(), 200);
    assert_eq!(
        counted, conversations,
        "the counts were rebuilt on the shards"
    );
    // Writes are logged and folded on the new layout.
    conn.batch_execute(
        "UPDATE conversations SET department_id = 'd1' WHERE id IN ('room1', 'room2');
         DELETE FROM conversations WHERE id = 'room4';",
    )
    .unwrap();
    assert_eq!(count(conn, "SELECT engine.fold_changes(NULL) AS n"), 5);
    let (conversations, counted) = department_counts(conn);
    assert_eq!(conversations.iter().map(|(_, n)| n).sum::<i64>(), 199);
    assert_eq!(counted, conversations);
}
