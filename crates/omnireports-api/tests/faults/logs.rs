//! The request log: one JSON line per request with route, status, latency, request id and user
//! id, and never a credential.

use crate::support::{agent, Limits, Server};
use omnireports_test_db::TestDatabase;
use serde_json::Value;
use std::time::Duration;

const REPORT: &str = "/api/v1/livechat/analytics/dashboards/conversations-by-department";

/// Sends a report request; returns its status and `X-Request-Id`.
fn report(server: &Server, user_id: &str, token: &str) -> (u16, String) {
    let url = server.url(&format!("{REPORT}?start=2026-01-01&end=2026-01-02"));
    let response = match agent()
        .get(&url)
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
        omnireports_auth::admin::create_user(conn, "mia", None, &["livechat-manager".into()])
            .unwrap();
    let token = omnireports_auth::admin::create_token(conn, "mia", None).unwrap();
    let json_log = [
        ("OMNIREPORTS_LOG__FORMAT", "json"),
        ("OMNIREPORTS_LOG__FILTER", "info"),
    ];
    let mut server = Server::start_with(db.url(), &Limits::default(), &json_log);
    let (ok, ok_id) = report(&server, &manager, &token);
    let wrong_token = "not-the-token-of-anyone-0123456789";
    let (denied, denied_id) = report(&server, &manager, wrong_token);
    server.terminate();
    server.wait_exit(Duration::from_secs(30));
    let log = server.log();
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

/// Sends raw bytes and reads the answer until the server closes the connection.
fn send_raw(server: &Server, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(server.addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn a_clients_malformed_request_is_a_warning_not_an_error() {
    let db = TestDatabase::new();
    let json_log = [
        ("OMNIREPORTS_LOG__FORMAT", "json"),
        ("OMNIREPORTS_LOG__FILTER", "info"),
    ];
    let mut server = Server::start_with(db.url(), &Limits::default(), &json_log);
    let answers = [
        send_raw(&server, b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n"),
        send_raw(
            &server,
            b"GET / HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n",
        ),
    ];
    // A client that vanishes after half a request.
    drop(std::net::TcpStream::connect(server.addr()).map(|mut s| {
        std::io::Write::write_all(&mut s, b"GET / HT").unwrap();
    }));
    std::thread::sleep(Duration::from_millis(200));
    server.terminate();
    server.wait_exit(Duration::from_secs(30));
    let log = server.log();
    for answer in &answers {
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    assert!(
        lines.iter().all(|line| line["level"] != "ERROR"),
        "an ERROR line for a client's mistake:\n{log}"
    );
    let warnings = lines
        .iter()
        .filter(|line| line["level"] == "WARN")
        .filter(|line| {
            line["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("malformed request: request parse error"))
        })
        .count();
    assert_eq!(warnings, 2, "{log}");
}
