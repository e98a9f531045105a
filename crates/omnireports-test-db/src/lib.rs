#![doc = include_str!("../README.md")]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::PgConnection;
use diesel_migration_names::template_name;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Arbitrary key of the advisory lock that serialises template creation and Citus set-up.
const TEMPLATE_LOCK: i64 = 0x6f6d_6e69;
const PREFIX: &str = "omnireports_test_";

/// The workers of a Citus cluster whose coordinator `DATABASE_URL` names: server URLs, comma
/// separated (`scripts/citus-test.sh` sets it). Each test database is then a Citus database.
pub const CITUS_WORKERS: &str = "OMNIREPORTS_TEST_CITUS_WORKERS";

/// Shards per distributed table in a test's Citus database: a few per worker is enough to
/// spread the rows, and creating Citus's default 32 for each of the engine's tables in every
/// test would cost seconds.
const CITUS_SHARD_COUNT: u32 = 4;

/// A private, migrated database, dropped when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
    /// The Citus workers' server URLs, where the database exists too.
    workers: Vec<String>,
    /// Whether the database has Citus (every node's extension and the nodes known).
    citus: bool,
}

impl TestDatabase {
    /// Creates a fresh database cloned from the migrated template.
    ///
    /// # Panics
    /// When `DATABASE_URL` is unset or the server refuses: a test cannot run without it.
    pub fn new() -> Self {
        let admin_url = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL must name a PostgreSQL server (`make test` sets it)");
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL: {e}"));
        let workers = citus_workers();
        let name = unique_name();
        if workers.is_empty() {
            let template = ensure_template(&mut admin, &admin_url);
            create_from_template(&mut admin, &name, &template);
        } else {
            create_on_citus(&mut admin, &admin_url, &workers, &name);
        }
        let url = database_url(&admin_url, &name);
        Self {
            admin_url,
            name,
            url,
            citus: !workers.is_empty(),
            workers,
        }
    }

    /// In the Citus tier, a migrated single-node database on the coordinator (and an empty one
    /// on each worker) whose owner adds Citus later with [`TestDatabase::add_citus`]; None
    /// outside it.
    pub fn without_citus_yet() -> Option<Self> {
        let workers = citus_workers();
        if workers.is_empty() {
            return None;
        }
        let admin_url = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL must name a PostgreSQL server (`make test` sets it)");
        let name = unique_name();
        for server in std::iter::once(&admin_url).chain(&workers) {
            create_on(server, &name);
        }
        let url = database_url(&admin_url, &name);
        let db = Self {
            admin_url,
            name,
            url,
            workers,
            citus: false,
        };
        omnireports_db::run_pending_migrations(&mut db.connect())
            .expect("migrate the test database");
        Some(db)
    }

    /// Creates the `citus` extension on every node of a [`TestDatabase::without_citus_yet`]
    /// and adds the workers; its coordinator's connection, not yet migrated again.
    pub fn add_citus(&mut self) -> PgConnection {
        let mut admin = PgConnection::establish(&self.admin_url)
            .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL: {e}"));
        let conn = locked(&mut admin, "the Citus set-up", |_| {
            add_citus(&self.admin_url, &self.workers, &self.name)
        });
        self.citus = true;
        conn
    }

    /// Whether this database is distributed by Citus ([`CITUS_WORKERS`]).
    pub fn is_citus(&self) -> bool {
        self.citus
    }

    /// The connection URL of this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new connection to this database.
    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to the test database")
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // The coordinator first: it holds connections to the workers' databases.
        for server in std::iter::once(&self.admin_url).chain(&self.workers) {
            if let Ok(mut admin) = PgConnection::establish(server) {
                if let Err(error) = admin.batch_execute(&sql) {
                    eprintln!("could not drop test database {}: {error}", self.name);
                }
            }
        }
    }
}

fn citus_workers() -> Vec<String> {
    std::env::var(CITUS_WORKERS)
        .unwrap_or_default()
        .split(',')
        .filter(|url| !url.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The host and port of a `postgres://user@host:port/…` URL.
fn host_port(url: &str) -> (String, u16) {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, "5432"));
    let port = port.parse().unwrap_or_else(|_| panic!("no port in {url}"));
    (host.to_owned(), port)
}

/// A Citus database (Citus 12.1 keeps its nodes per database): created on every node with the
/// extension, the coordinator told where it and the workers are, then migrated. No template:
/// a copy of a Citus database would name the template's shards.
fn create_on_citus(admin: &mut PgConnection, admin_url: &str, workers: &[String], name: &str) {
    locked(admin, "the Citus set-up", |_| {
        for server in std::iter::once(admin_url).chain(workers.iter().map(String::as_str)) {
            create_on(server, name);
        }
        let mut conn = add_citus(admin_url, workers, name);
        omnireports_db::run_pending_migrations(&mut conn).expect("migrate the Citus test database");
    });
}

/// Runs `f` holding the advisory lock that serialises template creation and Citus set-up
/// across test processes. Citus set-up needs it: adding nodes to two databases at once
/// collides on the role Citus copies to the workers (a lock of the coordinator's admin
/// database, which every test shares).
fn locked<T>(admin: &mut PgConnection, what: &str, f: impl FnOnce(&mut PgConnection) -> T) -> T {
    admin
        .batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .unwrap_or_else(|e| panic!("take the lock of {what}: {e}"));
    let value = f(admin);
    admin
        .batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .unwrap_or_else(|e| panic!("release the lock of {what}: {e}"));
    value
}

/// Creates the empty database `name` on the server at `url`.
fn create_on(url: &str, name: &str) {
    let mut server = PgConnection::establish(url)
        .unwrap_or_else(|e| panic!("cannot connect to the server {url}: {e}"));
    server
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .unwrap_or_else(|e| panic!("create test database {name} on {url}: {e}"));
}

/// Creates the `citus` extension in database `name` on every node and tells the coordinator
/// where it and the workers are; the coordinator's connection.
fn add_citus(admin_url: &str, workers: &[String], name: &str) -> PgConnection {
    let extend = |url: &str| {
        let mut conn = PgConnection::establish(&database_url(url, name))
            .unwrap_or_else(|e| panic!("connect to {name} on {url}: {e}"));
        conn.batch_execute("CREATE EXTENSION citus")
            .unwrap_or_else(|e| panic!("CREATE EXTENSION citus on {url}: {e}"));
        conn
    };
    workers.iter().for_each(|worker| drop(extend(worker)));
    let mut conn = extend(admin_url);
    let (host, port) = host_port(admin_url);
    let mut sql = format!(
        "ALTER DATABASE \"{name}\" SET citus.shard_count = {CITUS_SHARD_COUNT}; \
         SET citus.shard_count = {CITUS_SHARD_COUNT}; \
         SELECT citus_set_coordinator_host('{host}', {port});"
    );
    for worker in workers {
        let (host, port) = host_port(worker);
        sql.push_str(&format!("SELECT citus_add_node('{host}', {port});"));
    }
    conn.batch_execute(&sql)
        .unwrap_or_else(|e| panic!("add the Citus nodes of {name}: {e}"));
    conn
}

fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{PREFIX}{}_{n}_{nanos}", std::process::id())
}

/// Replaces the database name (the URL's path) of `url`.
pub fn database_url(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_end..]
        .find('/')
        .map(|i| authority_end + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

fn exists(admin: &mut PgConnection, name: &str) -> bool {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
    )))
    .get_result(admin)
    .expect("query pg_database")
}

/// Makes (once per migration set) a migrated template database and returns its name.
fn ensure_template(admin: &mut PgConnection, admin_url: &str) -> String {
    let template = template_name();
    if exists(admin, &template) {
        return template;
    }
    locked(admin, "the template", |admin| {
        if !exists(admin, &template) {
            sweep_old_templates(admin);
            let building = format!("{template}_building");
            for sql in [
                format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
                format!("CREATE DATABASE \"{building}\""),
            ] {
                admin
                    .batch_execute(&sql)
                    .expect("create the template database");
            }
            {
                let mut conn = PgConnection::establish(&database_url(admin_url, &building))
                    .expect("connect to the template database");
                omnireports_db::run_pending_migrations(&mut conn).expect("migrate the template");
            }
            for sql in [
                format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\""),
                format!("ALTER DATABASE \"{template}\" WITH IS_TEMPLATE true"),
            ] {
                admin
                    .batch_execute(&sql)
                    .expect("publish the template database");
            }
        }
    });
    template
}

fn sweep_old_templates(admin: &mut PgConnection) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let old: Vec<Name> = diesel::sql_query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'omnireports_template_%'",
    )
    .load(admin)
    .unwrap_or_default();
    for Name { datname } in old {
        let _ = admin.batch_execute(&format!(
            "ALTER DATABASE \"{datname}\" WITH IS_TEMPLATE false"
        ));
        let _ = admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{datname}\" WITH (FORCE)"
        ));
    }
}

fn create_from_template(admin: &mut PgConnection, name: &str, template: &str) {
    let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
    // Two clones of one template at the same instant can collide; retrying resolves it.
    let mut last = None;
    for attempt in 0..20 {
        match admin.batch_execute(&sql) {
            Ok(()) => return,
            Err(error) => last = Some(error),
        }
        std::thread::sleep(std::time::Duration::from_millis(50 * (attempt + 1)));
    }
    panic!("create test database {name}: {last:?}");
}

mod diesel_migration_names {
    use std::hash::{DefaultHasher, Hash, Hasher};

    /// A template name that changes whenever a migration's SQL (see `build.rs`) or the SQL the
    /// engine generates changes.
    pub fn template_name() -> String {
        let mut engine = DefaultHasher::new();
        omnireports_db::engine::script(omnireports_db::engine::BUILTIN).hash(&mut engine);
        format!(
            "omnireports_template_{}_{:016x}",
            env!("OMNIREPORTS_MIGRATIONS_HASH"),
            engine.finish()
        )
    }
}
