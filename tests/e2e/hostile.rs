//! Hostile requests over a raw socket (exact bytes, nothing re-encoded by a client): oversized
//! targets and headers, broken escapes, invalid UTF-8, huge numbers, deeply nested `sort`. Each
//! gets a 4xx with a documented JSON body and the server keeps serving, except the few requests
//! actix-http refuses itself, which get its empty 400/431 and a closed connection.

use crate::util::{Credentials, TestApp, REPORT, UNAUTHORIZED_BODY};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const RANGE: &str = "start=2026-01-01&end=2026-01-02";
const START: &str = "The \"start\" query parameter must be a valid date.";
const END: &str = "The \"end\" query parameter must be a valid date.";
const URI_TOO_LONG: &str = r#"{"success":false,"error":"URI too long"}"#;
const HEADERS_TOO_LARGE: &str = r#"{"success":false,"error":"Request header fields too large"}"#;

/// A response read off the socket until the server closed it.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// Sends `request` as is and reads the answer until the server closes the connection.
fn send(app: &TestApp, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(app.addr()).unwrap();
    // Only a guard against a hung test: a server that answers never comes near it.
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("the server closes");
    let text = String::from_utf8(bytes).expect("a UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    Raw {
        status: status.expect("a status line"),
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

/// `GET target` with the credentials and extra header lines, then `Connection: close`.
fn get(target: &[u8], credentials: Option<&Credentials>, extra: &[u8]) -> Vec<u8> {
    let mut request = [b"GET ", target, b" HTTP/1.1\r\nHost: localhost\r\n"].concat();
    if let Some(c) = credentials {
        let auth = format!("X-User-Id: {}\r\nX-Auth-Token: {}\r\n", c.user_id, c.token);
        request.extend_from_slice(auth.as_bytes());
    }
    request.extend_from_slice(extra);
    request.extend_from_slice(b"Connection: close\r\n\r\n");
    request
}

fn report(app: &TestApp, query: &str, admin: &Credentials) -> Raw {
    send(
        app,
        &get(format!("{REPORT}?{query}").as_bytes(), Some(admin), b""),
    )
}

/// A JSON error of ours: the status and the exact body, with the envelope's headers.
fn assert_json_error(raw: &Raw, status: u16, body: Value) {
    assert_eq!(raw.status, status, "{raw:?}");
    assert!(
        raw.head.contains("content-type: application/json"),
        "{raw:?}"
    );
    assert!(raw.head.contains("cache-control: no-store"), "{raw:?}");
    assert_eq!(raw.json(), body);
}

/// What actix-http answers itself: a 4xx with no body, and the connection closed.
fn assert_refused_by_actix(raw: &Raw, status: u16) {
    assert_eq!(raw.status, status, "{raw:?}");
    assert!(raw.head.contains("content-length: 0"), "{raw:?}");
    assert!(raw.head.contains("connection: close"), "{raw:?}");
    assert_eq!(raw.body, "");
}

fn assert_still_serving(app: &TestApp, admin: &Credentials) {
    let raw = report(app, RANGE, admin);
    assert_eq!(raw.status, 200, "{raw:?}");
    assert_eq!(raw.json()["success"], true);
}

fn plain(message: &str) -> Value {
    json!({"success": false, "error": message})
}

fn invalid_sort(raw: &str) -> Value {
    json!({"success": false,
           "error": format!("Invalid sort parameter provided: \"{raw}\" [error-invalid-sort]"),
           "errorType": "error-invalid-sort", "details": {"helperMethod": "parseJsonQuery"}})
}

#[test]
fn an_oversized_target_is_a_json_414_on_every_path() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let padding = "a".repeat(60_000);
    for target in [
        format!("{REPORT}?{RANGE}&sort={padding}"),
        format!("/nope?{padding}"),
        format!("/{padding}"),
    ] {
        let raw = send(&app, &get(target.as_bytes(), Some(&admin), b""));
        assert_json_error(&raw, 414, serde_json::from_str(URI_TOO_LONG).unwrap());
    }
    // Without credentials too: the size is checked before anything else.
    let raw = send(
        &app,
        &get(format!("{REPORT}?{padding}").as_bytes(), None, b""),
    );
    assert_eq!(raw.body, URI_TOO_LONG);
    assert_still_serving(&app, &admin);
}

#[test]
fn a_target_beyond_65534_bytes_is_refused_by_actix_with_an_empty_400() {
    // actix-http cannot represent such a URI (http::Uri's limit) and answers before any
    // middleware runs; no setting changes it.
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let target = format!("{REPORT}?{RANGE}&sort={}", "a".repeat(100_000));
    let raw = send(&app, &get(target.as_bytes(), Some(&admin), b""));
    assert_refused_by_actix(&raw, 400);
    assert_still_serving(&app, &admin);
}

#[test]
fn an_oversized_header_is_a_json_431() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let token = "t".repeat(64 * 1024);
    let header = format!("X-Auth-Token: {token}\r\nX-User-Id: {}\r\n", admin.user_id);
    let target = format!("{REPORT}?{RANGE}");
    let raw = send(&app, &get(target.as_bytes(), None, header.as_bytes()));
    assert_eq!(raw.body, HEADERS_TOO_LARGE);
    assert_json_error(&raw, 431, serde_json::from_str(HEADERS_TOO_LARGE).unwrap());
    assert_still_serving(&app, &admin);
}

#[test]
fn the_target_and_the_headers_are_counted_together_as_node_does() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    // A 15 KB target and a 10 KB header: each under 16 KiB, together over it.
    let target = format!("{REPORT}?{RANGE}&pad={}", "a".repeat(15_000));
    let header = format!("X-Pad: {}\r\n", "v".repeat(10_000));
    let raw = send(
        &app,
        &get(target.as_bytes(), Some(&admin), header.as_bytes()),
    );
    assert_json_error(&raw, 431, serde_json::from_str(HEADERS_TOO_LARGE).unwrap());
    // The same target alone reaches the handler (which refuses the padding parameter).
    let raw = send(&app, &get(target.as_bytes(), Some(&admin), b""));
    assert_eq!(raw.status, 400, "{raw:?}");
    assert_eq!(
        raw.json()["error"],
        "must NOT have additional properties [invalid-params]"
    );
    assert_still_serving(&app, &admin);
}

#[test]
fn repeated_credential_headers_are_joined_as_node_does() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let target = format!("{REPORT}?{RANGE}");
    let twice = |name: &str, value: &str| format!("{name}: {value}\r\n{name}: {value}\r\n");
    for extra in [
        format!(
            "X-Auth-Token: {}\r\n{}",
            admin.token,
            twice("X-User-Id", &admin.user_id)
        ),
        format!(
            "X-User-Id: {}\r\n{}",
            admin.user_id,
            twice("X-Auth-Token", &admin.token)
        ),
    ] {
        // Node reads "id, id": nobody's id, nobody's token.
        let raw = send(&app, &get(target.as_bytes(), None, extra.as_bytes()));
        assert_eq!(raw.status, 401, "{extra}: {raw:?}");
        assert_eq!(raw.body, UNAUTHORIZED_BODY);
    }
    assert_still_serving(&app, &admin);
}

#[test]
fn many_headers_are_served_until_they_are_too_large() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let target = format!("{REPORT}?{RANGE}");
    let headers = |count: usize, size: usize| -> Vec<u8> {
        let value = "v".repeat(size);
        (0..count)
            .flat_map(|i| format!("X-Pad-{i}: {value}\r\n").into_bytes())
            .collect()
    };
    // 90 small headers (and the 4 of every request): an ordinary request.
    let raw = send(
        &app,
        &get(target.as_bytes(), Some(&admin), &headers(90, 10)),
    );
    assert_eq!(raw.status, 200, "{raw:?}");
    // 90 headers of 200 bytes: 18 KB of fields.
    let raw = send(
        &app,
        &get(target.as_bytes(), Some(&admin), &headers(90, 200)),
    );
    assert_json_error(&raw, 431, serde_json::from_str(HEADERS_TOO_LARGE).unwrap());
    // More than actix-http's 96 headers: refused before the app.
    let raw = send(
        &app,
        &get(target.as_bytes(), Some(&admin), &headers(100, 1)),
    );
    assert_refused_by_actix(&raw, 431);
    assert_still_serving(&app, &admin);
}

#[test]
fn broken_escapes_and_invalid_utf8_in_the_query_stay_raw() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let cases = [
        ("start=%FF%FE&end=2026-01-02".to_owned(), plain(START)),
        ("start=%&end=2026-01-02".to_owned(), plain(START)),
        ("start=%G1&end=2026-01-02".to_owned(), plain(START)),
        ("start=%E2%82&end=2026-01-02".to_owned(), plain(START)),
        ("start=2026-01-01&end=%C0%80".to_owned(), plain(END)),
        (format!("{RANGE}&sort=%FF%FE"), invalid_sort("%FF%FE")),
        (format!("{RANGE}&sort=%"), invalid_sort("%")),
        (format!("{RANGE}&sort=%E2%82"), invalid_sort("%E2%82")),
        (
            format!("{RANGE}&%G1=1"),
            json!({"success": false, "error": "must NOT have additional properties [invalid-params]",
                   "errorType": "invalid-params"}),
        ),
    ];
    for (query, body) in cases {
        let raw = report(&app, &query, &admin);
        assert_json_error(&raw, 400, body);
    }
    assert_still_serving(&app, &admin);
}

#[test]
fn raw_non_utf8_bytes_in_the_request_line_are_refused_by_actix() {
    // Bytes above 0x7F, controls and an unescaped `"` in the query are not URI characters:
    // httparse / http::Uri reject the request line before any middleware, with an empty 400.
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    for target in [
        [REPORT.as_bytes(), b"?start=\xff\xfe&end=2026-01-02"].concat(),
        [REPORT.as_bytes(), b"?start=\xe2\x82&end=2026-01-02"].concat(),
        b"/\xc0\x80".to_vec(),
        [REPORT.as_bytes(), b"?sort=\x00"].concat(),
        [REPORT.as_bytes(), b"?sort={\"total\":1}"].concat(),
    ] {
        let raw = send(&app, &get(&target, Some(&admin), b""));
        assert_refused_by_actix(&raw, 400);
    }
    assert_still_serving(&app, &admin);
}

#[test]
fn non_utf8_credentials_are_unauthorized() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let user = format!("X-User-Id: {}\r\n", admin.user_id);
    let header = [user.as_bytes(), b"X-Auth-Token: \xff\xfe\r\n"].concat();
    let target = format!("{REPORT}?{RANGE}");
    let raw = send(&app, &get(target.as_bytes(), None, &header));
    assert_eq!(raw.status, 401, "{raw:?}");
    assert_eq!(raw.body, UNAUTHORIZED_BODY);
    assert_still_serving(&app, &admin);
}

#[test]
fn huge_numbers_are_invalid_dates_or_sorts() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let digits = "9".repeat(400);
    let cases = [
        ("start=1e400&end=2026-01-02".to_owned(), plain(START)),
        (format!("start={digits}&end=2026-01-02"), plain(START)),
        (format!("start=-{digits}&end=2026-01-02"), plain(START)),
        (
            format!("start=%2FDate({digits})%2F&end=2026-01-02"),
            plain(START),
        ),
        (format!("start=2026-01-01&end={digits}"), plain(END)),
        (
            format!("{RANGE}&sort=%7B%22total%22:1e400%7D"),
            invalid_sort(r#"{"total":1e400}"#),
        ),
        (
            format!("{RANGE}&sort=%7B%22total%22:{digits}%7D"),
            invalid_sort(&format!(r#"{{"total":{digits}}}"#)),
        ),
    ];
    for (query, body) in cases {
        let raw = report(&app, &query, &admin);
        assert_json_error(&raw, 400, body);
    }
    assert_still_serving(&app, &admin);
}

#[test]
fn deeply_nested_sort_json_is_an_invalid_sort() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let brackets = "[".repeat(10_000);
    let raw = report(&app, &format!("{RANGE}&sort={brackets}"), &admin);
    assert_json_error(&raw, 400, invalid_sort(&brackets));
    // 1,500 levels of {"a": — as deep as fits the 16 KiB target once encoded.
    let objects = "{%22a%22:".repeat(1_500);
    let raw = report(&app, &format!("{RANGE}&sort={objects}"), &admin);
    assert_json_error(&raw, 400, invalid_sort(&"{\"a\":".repeat(1_500)));
    assert_still_serving(&app, &admin);
}
