use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use omnireports_db::{build_pool, engine, Database, DbError, PoolSettings};
use omnireports_test_db::TestDatabase;

#[test]
fn migrations_seed_default_roles_and_permissions() {
    #[derive(QueryableByName)]
    struct Roles {
        #[diesel(sql_type = Text)]
        roles: String,
    }
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let view: Roles = diesel::sql_query(
        "SELECT array_to_string(roles, ',') AS roles FROM permissions WHERE id = 'view-livechat-reports'",
    )
    .get_result(conn)
    .unwrap();
    assert_eq!(view.roles, "admin,livechat-manager,livechat-monitor");
    let bypass: Roles = diesel::sql_query(
        "SELECT array_to_string(roles, ',') AS roles FROM permissions WHERE id = 'api-bypass-rate-limit'",
    )
    .get_result(conn)
    .unwrap();
    assert_eq!(bypass.roles, "admin");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn statement_timeout_is_reported_as_unavailable() {
    let db = TestDatabase::new();
    let settings = PoolSettings {
        statement_timeout_ms: 50,
        ..PoolSettings::default()
    };
    let database = Database::new(build_pool(db.url(), &settings));
    let result = runtime().block_on(database.run(|conn| conn.batch_execute("SELECT pg_sleep(2)")));
    assert!(matches!(result, Err(DbError::Unavailable(_))), "{result:?}");
}

/// A locale of the machine's other than English, for `lc_messages` (scripts/test.sh makes one).
const GERMAN: &str = "de_DE.UTF-8";

#[test]
fn statement_timeout_is_unavailable_whatever_language_postgres_speaks() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let set = format!("ALTER DATABASE {} SET lc_messages = '{GERMAN}'", db.name());
    if let Err(error) = conn.batch_execute(&set) {
        // Only where the server cannot load the locale (not under `make test` as root).
        eprintln!("SKIPPED: the server has no {GERMAN} locale ({error})");
        return;
    }
    let settings = PoolSettings {
        statement_timeout_ms: 50,
        ..PoolSettings::default()
    };
    let database = Database::new(build_pool(db.url(), &settings));
    let result = runtime().block_on(database.run(|conn| conn.batch_execute("SELECT pg_sleep(2)")));
    let Err(DbError::Unavailable(cause)) = result else {
        panic!("{result:?}");
    };
    assert!(
        !cause.contains("statement timeout"),
        "not in German: {cause}"
    );
}

#[test]
fn an_error_that_merely_reads_like_a_timeout_is_internal() {
    let db = TestDatabase::new();
    let database = Database::new(build_pool(db.url(), &PoolSettings::default()));
    let result = runtime().block_on(database.run(|conn| {
        conn.batch_execute(
            "DO $$ BEGIN RAISE EXCEPTION 'canceling statement due to statement timeout'; END $$",
        )
    }));
    assert!(matches!(result, Err(DbError::Internal(_))), "{result:?}");
}

#[test]
fn unreachable_server_is_reported_as_unavailable_quickly() {
    let settings = PoolSettings {
        acquire_timeout_ms: 200,
        ..PoolSettings::default()
    };
    // Port 1 on loopback: nothing listens there.
    let database = Database::new(build_pool("postgres://nobody@127.0.0.1:1/none", &settings));
    let started = std::time::Instant::now();
    let result = runtime().block_on(database.run(|conn| conn.batch_execute("SELECT 1")));
    assert!(matches!(result, Err(DbError::Unavailable(_))), "{result:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn sql_errors_are_internal() {
    let db = TestDatabase::new();
    let database = Database::new(build_pool(db.url(), &PoolSettings::default()));
    let result =
        runtime().block_on(database.run(|conn| conn.batch_execute("SELECT * FROM nowhere")));
    assert!(matches!(result, Err(DbError::Internal(_))), "{result:?}");
}

#[test]
fn a_database_of_another_version_is_refused_before_anything_is_applied() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    conn.batch_execute(
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('20261125000003')",
    )
    .unwrap();
    let error = omnireports_db::run_pending_migrations(conn).unwrap_err();
    assert!(
        error.to_string().contains("does not know (20261125000003)"),
        "{error}"
    );
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The bigint `n` of `sql`'s one row.
fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

#[test]
fn a_deferred_bulk_write_is_not_logged_and_the_rebuild_counts_it() {
    const LOGGED: &str = "SELECT count(*) AS n FROM conversation_changes";
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        engine::defer_logging(conn)?;
        conn.batch_execute(
            "INSERT INTO conversations (id, ts)
                 SELECT 'room' || n, '2026-03-01'::timestamptz + n * interval '1 hour'
                 FROM generate_series(1, 50) AS n",
        )?;
        assert_eq!(count(conn, LOGGED), 0, "a deferred write was logged");
        engine::rebuild_deferred(conn)
    })
    .unwrap();
    let counted = "SELECT coalesce(sum(n), 0)::bigint AS n FROM agg_department WHERE level = 0";
    assert_eq!(count(conn, counted), 50);
    // The next write is logged again.
    conn.batch_execute("INSERT INTO conversations (id, ts) VALUES ('room51', '2026-03-04')")
        .unwrap();
    assert_eq!(count(conn, LOGGED), 1);
}

/// A database laid out before the counts were packed by bucket gets them on its next install:
/// created, filled from the plain tables, and readable by whoever may read those.
#[test]
fn an_install_packs_the_counts_of_a_database_laid_out_without_them() {
    let db = TestDatabase::new();
    if db.is_citus() {
        // Citus reads the plain tables; it has no packed ones.
        return;
    }
    let conn = &mut db.connect();
    let reader = format!("{}_reader", db.name());
    conn.batch_execute(&format!(
        "CREATE ROLE {reader};
         GRANT SELECT ON agg_agent TO {reader};
         INSERT INTO conversations (id, ts, served_by_id)
             SELECT 'room' || n, '2026-03-01'::timestamptz + n * interval '7 minutes', 'agent' || n % 3
             FROM generate_series(1, 400) AS n;
         SELECT engine.fold_changes(NULL);
         DROP TABLE agg_agent_keys, agg_agent_packed"
    ))
    .unwrap();
    // `/ready` says so until the next migrate.
    assert!(omnireports_db::has_pending_migrations(conn).unwrap());
    engine::install(conn, engine::BUILTIN).unwrap();
    assert!(!omnireports_db::has_pending_migrations(conn).unwrap());
    // Each entry's count is the 8 bytes after its 4-byte id.
    let packed = "SELECT coalesce(sum(('x' || encode(substring(p.counts FROM i * 12 + 5 FOR 8), \
                  'hex'))::bit(64)::bigint), 0)::bigint AS n \
                  FROM agg_agent_packed p, generate_series(0, length(p.counts) / 12 - 1) AS i";
    let plain = "SELECT sum(n)::bigint AS n FROM agg_agent";
    assert_eq!(count(conn, packed), count(conn, plain));
    assert_eq!(
        count(conn, plain),
        400 * 6,
        "every conversation at each of 6 levels"
    );
    let keys = "SELECT count(*) AS n FROM agg_agent_keys";
    assert_eq!(count(conn, keys), 3);
    for table in ["agg_agent_keys", "agg_agent_packed"] {
        let readable = format!(
            "SELECT has_table_privilege('{reader}', '{table}', 'SELECT')::int::bigint AS n"
        );
        assert_eq!(count(conn, &readable), 1, "{table}");
    }
}
