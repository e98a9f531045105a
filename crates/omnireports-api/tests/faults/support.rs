//! A private PostgreSQL cluster, the real binary as a server, and a client that times every
//! request.

use chrono::{Duration as Days, Utc};
use diesel::prelude::*;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_omnireports");
const PG_SH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/pg.sh");

/// The documented 503 body (README, "Errors").
pub const UNAVAILABLE_BODY: &str = r#"{"success":false,"error":"Service unavailable [error-service-unavailable]","errorType":"error-service-unavailable"}"#;

/// What a loaded machine may add to a request's worst case before we call it a hang.
const MARGIN: Duration = Duration::from_secs(5);
/// The client gives up after this long; far above every bound, so a hang fails the bound.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// These tests run one at a time: the load of the others would distort the import durations
/// the killed-import test measures and eat into the time bounds of the others.
static TURN: Mutex<()> = Mutex::new(());

/// Waits until no other test of this binary runs.
pub fn exclusive() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A throwaway PostgreSQL cluster (`scripts/pg.sh`), destroyed on drop. It listens only on a
/// Unix socket in its own directory, so while it is stopped no other process can take its
/// address, and it comes back where the server expects it.
pub struct Cluster {
    dir: tempfile::TempDir,
    url: String,
    _turn: MutexGuard<'static, ()>,
}

impl Cluster {
    /// Waits for the other tests' clusters, then starts a new one.
    pub fn start() -> Self {
        let turn = exclusive();
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = pg_sh("start", dir.path());
        Self {
            dir,
            url,
            _turn: turn,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A fast shutdown: open connections are terminated, new ones refused.
    pub fn stop(&self) {
        pg_sh("stop", self.dir.path());
    }

    /// Starts the stopped cluster again, at its former address.
    pub fn restart(&self) {
        let url = pg_sh("start", self.dir.path());
        assert_eq!(url, self.url, "the cluster came back at another address");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        destroy(self.dir.path());
    }
}

/// `scripts/pg.sh destroy DIR`, whatever state the cluster is in (a drop must not panic).
fn destroy(dir: &Path) {
    let _ = Command::new(PG_SH).arg("destroy").arg(dir).output();
}

/// A streaming replica of a [`Cluster`] (`scripts/pg.sh replica`: `pg_basebackup -R`), on its
/// own socket; destroyed on drop.
pub struct Standby {
    dir: tempfile::TempDir,
    url: String,
}

impl Standby {
    /// Copies `primary` and starts following it.
    pub fn of(primary: &Cluster) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = pg_sh_args(&[
            "replica".as_ref(),
            dir.path().as_os_str(),
            primary.url().as_ref(),
        ]);
        Self { dir, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn stop(&self) {
        pg_sh("stop", self.dir.path());
    }

    pub fn restart(&self) {
        let url = pg_sh("start", self.dir.path());
        assert_eq!(url, self.url, "the replica came back at another address");
    }
}

impl Drop for Standby {
    fn drop(&mut self) {
        destroy(self.dir.path());
    }
}

/// Runs `scripts/pg.sh COMMAND DIR` for a socket-only cluster; returns its last stdout line
/// (the URL for `start`: `postgres://omnireports@/postgres?host=DIR&port=N`).
fn pg_sh(command: &str, dir: &Path) -> String {
    pg_sh_args(&[command.as_ref(), dir.as_os_str()])
}

/// Runs `scripts/pg.sh ARGS…` in socket-only mode; returns its last stdout line.
fn pg_sh_args(args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new(PG_SH)
        .args(args)
        .env("PG_SOCKET_ONLY", "1")
        .output()
        .expect("run scripts/pg.sh");
    assert!(
        output.status.success(),
        "pg.sh {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    stdout.lines().last().unwrap_or_default().to_owned()
}

/// Runs the binary against `database_url`; returns its stdout, panicking on failure.
pub fn omnireports(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("OMNIREPORTS_CONFIG_DIR", "/nonexistent")
        .env("OMNIREPORTS_LOG__FILTER", "warn")
        .env_remove("RUST_LOG")
        .output()
        .expect("run omnireports");
    assert!(
        output.status.success(),
        "omnireports {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// A user's id and clear token.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: String,
    pub token: String,
}

/// Migrates, loads the demo data and returns the demo admin (exempt from the rate limit).
pub fn load_demo(database_url: &str) -> Credentials {
    omnireports(database_url, &["migrate"]);
    let printed = omnireports(database_url, &["demo"]);
    let value = |key: &str| {
        printed
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .unwrap_or_else(|| panic!("demo printed no {key}: {printed}"))
            .to_owned()
    };
    Credentials {
        id: value("DEMO_ADMIN_ID="),
        token: value("DEMO_ADMIN_TOKEN="),
    }
}

/// The server's database limits and report cache; everything else is the default.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub acquire_ms: u64,
    pub statement_ms: u64,
    pub max_size: u32,
    /// 0 = as many as `max_size`.
    pub blocking_threads: u32,
    /// Off: every report request reaches the database.
    pub report_cache: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            acquire_ms: 1_000,
            statement_ms: 2_000,
            max_size: 4,
            blocking_threads: 0,
            report_cache: true,
        }
    }
}

impl Limits {
    /// The longest a report request may take before it is a hang: each of its two database
    /// calls (credentials, then the report) waits at most the acquisition timeout for a
    /// blocking thread, as long again for a connection, and the statement timeout for its query.
    pub fn bound(&self) -> Duration {
        let acquire = Duration::from_millis(self.acquire_ms);
        let statement = Duration::from_millis(self.statement_ms);
        2 * (2 * acquire + statement) + MARGIN
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            (
                "OMNIREPORTS_DATABASE__ACQUIRE_TIMEOUT_MS",
                self.acquire_ms.to_string(),
            ),
            (
                "OMNIREPORTS_DATABASE__STATEMENT_TIMEOUT_MS",
                self.statement_ms.to_string(),
            ),
            ("OMNIREPORTS_DATABASE__MAX_SIZE", self.max_size.to_string()),
            (
                "OMNIREPORTS_DATABASE__BLOCKING_THREADS",
                self.blocking_threads.to_string(),
            ),
        ];
        if !self.report_cache {
            env.push(("OMNIREPORTS_CACHE__MAX_BYTES", "0".into()));
        }
        env
    }
}

/// `omnireports serve` on a free port; killed on drop if still running. Its log is printed
/// when the test fails.
pub struct Server {
    child: Child,
    addr: SocketAddr,
    log: tempfile::NamedTempFile,
}

impl Server {
    /// Starts the server and waits until `/health` answers (the database may be down).
    pub fn start(database_url: &str, limits: &Limits) -> Self {
        Self::start_with(database_url, limits, &[])
    }

    /// The same with more settings (`OMNIREPORTS_*` variables), which win over the defaults.
    pub fn start_with(database_url: &str, limits: &Limits, settings: &[(&str, &str)]) -> Self {
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port");
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let child = Command::new(BIN)
            .args(["serve", "--bind", &addr.to_string()])
            .env("DATABASE_URL", database_url)
            .env("OMNIREPORTS_CONFIG_DIR", "/nonexistent")
            .env("OMNIREPORTS_SERVER__WORKERS", "2")
            .env("OMNIREPORTS_LOG__FILTER", "warn")
            .env_remove("RUST_LOG")
            .envs(limits.env())
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("reopen the log file"))
            .spawn()
            .expect("start omnireports serve");
        let mut server = Self { child, addr, log };
        let agent = agent();
        wait_until(
            Duration::from_secs(30),
            "the server answers /health",
            || {
                assert!(server.is_running(), "the server exited at start");
                get(&agent, &server.url("/health"), None).status == 200
            },
        );
        server
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("poll the server").is_none()
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).expect("read the server log")
    }

    /// Sends SIGTERM, as a service manager does to stop the server.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the server to exit (at most `within`) and returns its status.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let mut status = None;
        wait_until(within, "the server exits", || {
            status = self.child.try_wait().expect("poll the server");
            status.is_some()
        });
        status.expect("exited")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
            eprintln!("--- server log ---\n{log}--- end of server log ---");
        }
    }
}

/// Whether a new TCP connection to `addr` is refused.
pub fn refused(addr: SocketAddr) -> bool {
    match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
        Ok(_) => false,
        Err(error) => error.kind() == std::io::ErrorKind::ConnectionRefused,
    }
}

/// The department report over the last 30 days. The range does not start on a full hour, so
/// the report reads raw `conversations` rows and, unless answered from the report cache, waits
/// behind a [`TableLock`].
pub fn report_url(server: &Server) -> String {
    let today = Utc::now().date_naive();
    let start = (today - Days::days(30)).format("%Y-%m-%dT00:30:00.000Z");
    let end = today.format("%Y-%m-%dT23:59:59.999Z");
    server.url(&format!(
        "/api/v1/livechat/analytics/dashboards/conversations-by-department?start={start}&end={end}"
    ))
}

/// One request: when it started and ended, its status (0: no HTTP response) and body.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub started: Instant,
    pub finished: Instant,
    pub status: u16,
    pub body: String,
}

impl Outcome {
    pub fn elapsed(&self) -> Duration {
        self.finished - self.started
    }

    /// The documented 503.
    pub fn is_unavailable(&self) -> bool {
        self.status == 503 && self.body == UNAVAILABLE_BODY
    }

    /// Panics unless this is a 200 with `ok_body` or the documented 503, within `bound`.
    pub fn assert_documented(&self, ok_body: &str, bound: Duration) {
        let ok = self.status == 200 && self.body == ok_body;
        assert!(ok || self.is_unavailable(), "undocumented answer: {self:?}");
        assert!(
            self.elapsed() <= bound,
            "took {:?}, more than {bound:?}: {self:?}",
            self.elapsed()
        );
    }
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(CLIENT_TIMEOUT).build()
}

/// GET `url`, with `user`'s credentials if any.
pub fn get(agent: &ureq::Agent, url: &str, user: Option<&Credentials>) -> Outcome {
    let mut request = agent.get(url);
    if let Some(user) = user {
        request = request
            .set("X-User-Id", &user.id)
            .set("X-Auth-Token", &user.token);
    }
    let started = Instant::now();
    let (status, body) = match request.call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => (
            response.status(),
            response.into_string().unwrap_or_default(),
        ),
        Err(error) => (0, error.to_string()),
    };
    Outcome {
        started,
        finished: Instant::now(),
        status,
        body,
    }
}

/// Polls `done` every 50 ms; panics after `within`.
pub fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "gave up after {within:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `clients` threads requesting `url` in a loop while `drive` runs, and returns what
/// `drive` returned and every outcome. `drive` sees the outcomes so far.
pub fn under_load<T>(
    clients: usize,
    url: &str,
    user: &Credentials,
    drive: impl FnOnce(&Mutex<Vec<Outcome>>) -> T,
) -> (T, Vec<Outcome>) {
    let done = AtomicBool::new(false);
    let outcomes = Mutex::new(Vec::new());
    let result = std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| {
                let agent = agent();
                while !done.load(Ordering::Relaxed) {
                    let outcome = get(&agent, url, Some(user));
                    outcomes.lock().unwrap().push(outcome);
                }
            });
        }
        // Stops the clients also when `drive` panics, or the scope would never end.
        let _stop = StopOnDrop(&done);
        drive(&outcomes)
    });
    (result, outcomes.into_inner().unwrap())
}

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// An `ACCESS EXCLUSIVE` lock on `conversations`, held until released or dropped: report
/// queries that read raw rows wait behind it, like behind a slow writer.
pub struct TableLock(PgConnection);

impl TableLock {
    pub fn take(database_url: &str) -> Self {
        let mut conn = PgConnection::establish(database_url).expect("connect");
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "BEGIN; LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE",
        )
        .expect("lock conversations");
        Self(conn)
    }

    pub fn release(mut self) {
        diesel::connection::SimpleConnection::batch_execute(&mut self.0, "ROLLBACK")
            .expect("release the lock");
    }
}

/// `SELECT count(*) AS n …` on `conn`.
pub fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .expect("count query")
        .n
}
