//! The request log of the real binary: one JSON line per request with route, status, latency,
//! request id and user id, and never a credential.

use omnireports_test_db::TestDatabase;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REPORT: &str = "/api/v1/livechat/analytics/dashboards/conversations-by-department";

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &TestDatabase) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_omnireports"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", db.url())
            .env("OMNIREPORTS_CONFIG_DIR", "/nonexistent")
            .env("OMNIREPORTS_LOG__FORMAT", "json")
            .env("OMNIREPORTS_SERVER__WORKERS", "1")
            .env_remove("RUST_LOG")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start omnireports");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while ureq::get(&format!("{base}/health")).call().is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, base }
    }

    /// Sends a report request; returns its status and `X-Request-Id`.
    fn report(&self, user_id: &str, token: &str) -> (u16, String) {
        let url = format!("{}{REPORT}?start=2026-01-01&end=2026-01-02", self.base);
        let response = match ureq::get(&url)
            .set("X-User-Id", user_id)
            .set("X-Auth-Token", token)
            .call()
        {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("{error}"),
        };
        let id = response
            .header("x-request-id")
            .expect("X-Request-Id")
            .to_owned();
        (response.status(), id)
    }

    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        self.child.kill().unwrap();
        let mut log = String::new();
        let stderr = self.child.stderr.take().unwrap();
        for line in BufReader::new(stderr).lines() {
            log.push_str(&line.unwrap());
            log.push('\n');
        }
        self.child.wait().unwrap();
        log
    }
}

/// The request line whose span carries `request_id`.
fn request_line(log: &str, request_id: &str) -> Value {
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["span"]["request_id"] == request_id)
        .unwrap_or_else(|| panic!("no line for {request_id} in\n{log}"))
}

#[test]
fn one_json_line_per_request_with_ids_and_never_a_token() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let manager =
        omnireports_api::admin::create_user(conn, "mia", None, &["livechat-manager".into()])
            .unwrap();
    let token = omnireports_api::admin::create_token(conn, "mia", None).unwrap();
    let server = Server::start(&db);
    let (ok, ok_id) = server.report(&manager, &token);
    let wrong_token = "not-the-token-of-anyone-0123456789";
    let (denied, denied_id) = server.report(&manager, wrong_token);
    let log = server.stop();
    assert_eq!((ok, denied), (200, 401));

    let line = request_line(&log, &ok_id);
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["span"]["http.route"], REPORT);
    assert_eq!(line["span"]["http.status_code"], 200);
    assert_eq!(line["span"]["user_id"], manager.as_str());
    assert!(line["fields"]["time.busy"].is_string(), "latency: {line}");
    // A failed authentication names no user.
    let line = request_line(&log, &denied_id);
    assert_eq!(line["span"]["http.status_code"], 401);
    assert!(line["span"].get("user_id").is_none(), "{line}");

    assert!(!log.contains(&token), "a token was logged:\n{log}");
    assert!(!log.contains(wrong_token), "a token was logged:\n{log}");
    assert!(!log.contains(&omnireports_auth::hash_token(&token)));
}
