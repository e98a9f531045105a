//! `POST /api/v1/login`, `/logout` and `/me` (`shared/spec/sign-in.md`): every body form,
//! every failure body byte for byte, the tokens a login issues, and bad input.

use crate::util::{Credentials, Response, TestApp, REPORT, UNAUTHORIZED_BODY};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use omnireports_db::schema::{user_tokens, users};
use serde_json::{json, Value};

const LOGIN: &str = "/api/v1/login";
const LOGOUT: &str = "/api/v1/logout";
const ME: &str = "/api/v1/me";
const PASSWORD: &str = "correct horse battery staple";
const LOGIN_FAILED: &str =
    r#"{"success":false,"error":"Unauthorized","status":"error","message":"Unauthorized"}"#;
const QUERY: &str = "?start=2026-01-01T00:00:00.000Z&end=2026-01-02T00:00:00.000Z";

/// A server whose limiter lets a test log in often.
fn app() -> TestApp {
    TestApp::with(|settings| settings.rate_limit.calls = 1_000)
}

/// A user able to read reports, with a password, two e-mail addresses (the second verified)
/// and the username `username`. A low bcrypt cost keeps tests fast: any cost must verify.
fn user_with_password(app: &TestApp, username: &str) -> String {
    let user = app.user(&["user", "livechat-manager"]);
    let conn = &mut app.conn();
    omnireports_auth::login::set_password(conn, &user.user_id, Some(PASSWORD), 4).unwrap();
    let emails = json!([
        {"address": format!("{username}.old@example.com"), "verified": false},
        {"address": format!("{username}@Example.com"), "verified": true},
    ]);
    diesel::update(users::table.find(&user.user_id))
        .set((users::username.eq(username), users::emails.eq(emails)))
        .execute(conn)
        .unwrap();
    user.user_id
}

/// Turns on two-factor by app for the user; its base32 secret.
fn with_authenticator(app: &TestApp, id: &str) -> &'static str {
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    diesel::update(users::table.find(id))
        .set(users::totp_secret.eq(secret))
        .execute(&mut app.conn())
        .unwrap();
    secret
}

fn login(app: &TestApp, body: Value) -> Response {
    app.post(LOGIN, &body.to_string(), &[])
}

fn signed_in(response: &Response) -> Credentials {
    assert_eq!(response.status, 200, "{}", response.text);
    let body = response.json();
    Credentials {
        user_id: body["data"]["userId"].as_str().unwrap().to_owned(),
        token: body["data"]["authToken"].as_str().unwrap().to_owned(),
    }
}

fn headers(credentials: &Credentials) -> [(&str, &str); 2] {
    [
        ("X-User-Id", credentials.user_id.as_str()),
        ("X-Auth-Token", credentials.token.as_str()),
    ]
}

fn totp_code(secret: &str, at: chrono::DateTime<Utc>) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes);
    totp.generate(at.timestamp() as u64)
}

#[test]
fn every_body_form_signs_in_and_its_token_reads_reports() {
    let app = app();
    let id = user_with_password(&app, "mia");
    let digest = omnireports_auth::login::PasswordDigest::of(PASSWORD);
    let digest = format!("{digest:?}");
    assert_eq!(digest, "PasswordDigest(…)", "the digest stays out of logs");
    let hex: String = {
        use std::fmt::Write as _;
        let hash = <sha2::Sha256 as sha2::Digest>::digest(PASSWORD.as_bytes());
        hash.iter().fold(String::new(), |mut s, b| {
            write!(s, "{b:02x}").unwrap();
            s
        })
    };
    let forms = [
        json!({"user": "mia", "password": PASSWORD}),
        json!({"user": "mia@example.com", "password": PASSWORD}),
        json!({"username": "mia", "password": PASSWORD}),
        json!({"email": "MIA@example.com", "password": PASSWORD}),
        json!({"user": {"username": "mia"}, "password": PASSWORD}),
        json!({"user": {"email": "mia@example.com"}, "password": PASSWORD}),
        json!({"user": {"id": id}, "password": PASSWORD}),
        json!({"user": "mia", "password": {"digest": hex, "algorithm": "sha-256"}}),
        json!({"user": "MIA", "password": PASSWORD}),
    ];
    let mut tokens = Vec::new();
    for form in forms {
        let response = login(&app, form.clone());
        let credentials = signed_in(&response);
        assert_eq!(credentials.user_id, id, "{form}");
        let body = response.json();
        assert_eq!(body["status"], "success");
        assert_eq!(body["success"], true);
        let report = app.get(&format!("{REPORT}{QUERY}"), Some(&credentials));
        assert_eq!(report.status, 200, "{form}: {}", report.text);
        tokens.push(credentials.token);
    }
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 9, "every login issues its own token");
}

#[test]
fn the_login_answer_and_me_show_the_user_and_nothing_secret() {
    let app = app();
    let id = user_with_password(&app, "mia");
    let secret = with_authenticator(&app, &id);
    let body = json!({"user": "mia", "password": PASSWORD, "code": totp_code(secret, Utc::now())});
    let response = login(&app, body);
    let credentials = signed_in(&response);
    let me = response.json()["data"]["me"].clone();
    assert_eq!(me["_id"], id.as_str());
    assert_eq!(me["username"], "mia");
    assert_eq!(me["email"], "mia@Example.com", "the first verified address");
    assert_eq!(me["emails"].as_array().unwrap().len(), 2);
    assert_eq!(me["active"], true);
    assert_eq!(me["status"], "offline");
    assert_eq!(me["roles"], json!(["user", "livechat-manager"]));
    assert_eq!(me["settings"], json!({"preferences": {}}));
    assert_eq!(me["avatarUrl"], format!("http://{}/avatar/mia", app.addr()));
    assert_eq!(
        me["services"],
        json!({"password": {"exists": true}, "totp": {"enabled": true}})
    );
    let flat = app.request("GET", ME, &headers(&credentials));
    assert_eq!(flat.status, 200, "{}", flat.text);
    let mut expected = me.clone();
    expected["success"] = json!(true);
    assert_eq!(flat.json(), expected);
    for response in [&response, &flat] {
        assert!(!response.text.contains(secret));
        assert!(!response.text.contains("$2"), "no bcrypt hash");
    }
}

#[test]
fn a_wrong_password_and_an_unknown_user_get_the_same_401() {
    let app = app();
    user_with_password(&app, "mia");
    let without_password = app.user(&["admin"]);
    let bodies = [
        json!({"user": "mia", "password": "wrong"}),
        json!({"user": "nobody", "password": PASSWORD}),
        json!({"email": "nobody@example.com", "password": PASSWORD}),
        json!({"user": {"id": without_password.user_id}, "password": ""}),
        json!({"user": "mia", "password": {"digest": "A".repeat(64), "algorithm": "sha-256"}}),
        json!({"user": "mia", "password": "x".repeat(256)}),
    ];
    for body in bodies {
        let response = login(&app, body.clone());
        assert_eq!(response.status, 401, "{body}");
        assert_eq!(response.text, LOGIN_FAILED, "{body}");
    }
}

#[test]
fn a_username_matches_case_insensitively_only_when_one_user_does() {
    let app = app();
    user_with_password(&app, "Mia");
    user_with_password(&app, "MIA");
    assert_eq!(
        login(&app, json!({"user": "mia", "password": PASSWORD})).text,
        LOGIN_FAILED
    );
    signed_in(&login(&app, json!({"user": "MIA", "password": PASSWORD})));
}

#[test]
fn an_inactive_user_is_told_so_only_with_the_right_password() {
    let app = app();
    let id = user_with_password(&app, "mia");
    diesel::update(users::table.find(&id))
        .set(users::active.eq(false))
        .execute(&mut app.conn())
        .unwrap();
    let right = login(&app, json!({"user": "mia", "password": PASSWORD}));
    assert_eq!(right.status, 401);
    assert_eq!(
        right.text,
        r#"{"success":false,"error":"error-user-is-not-activated","status":"error","details":{"function":"Accounts.validateLoginAttempt"},"message":"User is not activated"}"#
    );
    let wrong = login(&app, json!({"user": "mia", "password": "wrong"}));
    assert_eq!(wrong.text, LOGIN_FAILED);
}

#[test]
fn two_factor_users_need_a_current_code_in_the_body_or_the_header() {
    let app = app();
    let id = user_with_password(&app, "mia");
    let secret = with_authenticator(&app, &id);
    let required = r#"{"success":false,"error":"totp-required","status":"error","details":{"method":"totp","availableMethods":["totp"]},"message":"TOTP Required"}"#;
    let invalid = r#"{"success":false,"error":"totp-invalid","status":"error","details":{"method":"totp","availableMethods":["totp"]},"message":"TOTP Invalid"}"#;
    let password = |code: Option<&str>| match code {
        Some(code) => json!({"user": "mia", "password": PASSWORD, "code": code}),
        None => json!({"user": "mia", "password": PASSWORD}),
    };
    for (code, expected) in [(None, required), (Some(""), required)] {
        let response = login(&app, password(code));
        assert_eq!((response.status, response.text.as_str()), (401, expected));
    }
    let stale = totp_code(secret, Utc::now() - Duration::minutes(5));
    for code in ["abcdef", "12345", "1234567", stale.as_str()] {
        let response = login(&app, password(Some(code)));
        assert_eq!(
            (response.status, response.text.as_str()),
            (401, invalid),
            "{code}"
        );
    }
    // ±1 step of 30 s, as Rocket.Chat's default.
    let previous = totp_code(secret, Utc::now() - Duration::seconds(30));
    signed_in(&login(&app, password(Some(&previous))));
    let current = totp_code(secret, Utc::now());
    let by_header = app.post(
        LOGIN,
        &password(None).to_string(),
        &[("x-2fa-code", current.as_str())],
    );
    signed_in(&by_header);
    // A wrong password says nothing of the second factor.
    let wrong = login(&app, json!({"user": "mia", "password": "wrong"}));
    assert_eq!(wrong.text, LOGIN_FAILED);
}

#[test]
fn email_two_factor_users_are_asked_for_a_code_that_cannot_come() {
    let app = app();
    let id = user_with_password(&app, "mia");
    let both = user_with_password(&app, "ben");
    let conn = &mut app.conn();
    diesel::update(users::table.filter(users::id.eq_any([&id, &both])))
        .set(users::email_two_factor.eq(true))
        .execute(conn)
        .unwrap();
    diesel::update(users::table.find(&both))
        .set(users::totp_secret.eq("JBSWY3DPEHPK3PXP"))
        .execute(conn)
        .unwrap();
    let response = login(&app, json!({"user": "mia", "password": PASSWORD}));
    assert_eq!(response.status, 401);
    assert_eq!(
        response.text,
        r#"{"success":false,"error":"totp-required","status":"error","details":{"method":"email","availableMethods":["email"]},"message":"TOTP Required"}"#
    );
    let guessed = login(
        &app,
        json!({"user": "mia", "password": PASSWORD, "code": "123456"}),
    );
    assert_eq!(guessed.json()["error"], "totp-invalid");
    let response = login(&app, json!({"user": "ben", "password": PASSWORD}));
    assert_eq!(
        response.json()["details"],
        json!({"method": "totp", "availableMethods": ["totp", "email"]})
    );
}

#[test]
fn issued_tokens_are_random_stored_hashed_and_expire_like_login_tokens() {
    let app = app();
    let id = user_with_password(&app, "mia");
    let credentials = signed_in(&login(&app, json!({"user": "mia", "password": PASSWORD})));
    assert_eq!(credentials.token.len(), 43);
    assert!(credentials
        .token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let conn = &mut app.conn();
    let stored: Vec<(String, String, String)> = user_tokens::table
        .filter(user_tokens::user_id.eq(&id))
        .filter(user_tokens::kind.eq("login"))
        .select((
            user_tokens::hashed_token,
            user_tokens::kind,
            user_tokens::issuer,
        ))
        .load(conn)
        .unwrap();
    let hashed = omnireports_auth::hash_token(&credentials.token);
    assert_eq!(
        stored,
        [(hashed.clone(), "login".into(), "omnireports".into())]
    );
    diesel::update(user_tokens::table.filter(user_tokens::hashed_token.eq(&hashed)))
        .set(user_tokens::issued_at.eq(Utc::now() - Duration::days(91)))
        .execute(conn)
        .unwrap();
    let expired = app.get(&format!("{REPORT}{QUERY}"), Some(&credentials));
    assert_eq!(expired.text, UNAUTHORIZED_BODY);
}

#[test]
fn resume_returns_the_same_token_while_it_is_valid() {
    let app = app();
    user_with_password(&app, "mia");
    let first = signed_in(&login(&app, json!({"user": "mia", "password": PASSWORD})));
    let resumed = signed_in(&login(&app, json!({"resume": first.token})));
    assert_eq!(resumed.user_id, first.user_id);
    assert_eq!(resumed.token, first.token);
    let unknown = login(&app, json!({"resume": "no-such-token"}));
    assert_eq!((unknown.status, unknown.text.as_str()), (401, LOGIN_FAILED));
}

#[test]
fn logout_removes_only_the_token_it_was_called_with() {
    let app = app();
    user_with_password(&app, "mia");
    let first = signed_in(&login(&app, json!({"user": "mia", "password": PASSWORD})));
    let second = signed_in(&login(&app, json!({"user": "mia", "password": PASSWORD})));
    let third = signed_in(&login(&app, json!({"user": "mia", "password": PASSWORD})));
    let logged_out =
        r#"{"status":"success","data":{"message":"You've been logged out!"},"success":true}"#;
    let by_post = app.post(LOGOUT, "", &headers(&first));
    assert_eq!((by_post.status, by_post.text.as_str()), (200, logged_out));
    // Older clients (the SDK) log out by GET.
    let by_get = app.request("GET", LOGOUT, &headers(&second));
    assert_eq!((by_get.status, by_get.text.as_str()), (200, logged_out));
    for gone in [&first, &second] {
        let report = app.get(&format!("{REPORT}{QUERY}"), Some(gone));
        assert_eq!(report.text, UNAUTHORIZED_BODY);
        let again = app.request("GET", LOGOUT, &headers(gone));
        assert_eq!(
            (again.status, again.text.as_str()),
            (401, UNAUTHORIZED_BODY)
        );
    }
    let report = app.get(&format!("{REPORT}{QUERY}"), Some(&third));
    assert_eq!(report.status, 200);
    let me = app.request("GET", ME, &[]);
    assert_eq!((me.status, me.text.as_str()), (401, UNAUTHORIZED_BODY));
}

#[test]
fn login_counts_against_the_limiter_whoever_calls() {
    let app = TestApp::new();
    let id = user_with_password(&app, "ada");
    diesel::update(users::table.find(&id))
        .set(users::roles.eq(vec![Some("admin".to_owned())]))
        .execute(&mut app.conn())
        .unwrap();
    let agent = app.user(&["livechat-agent"]);
    for _ in 0..10 {
        assert_eq!(app.request("GET", ME, &headers(&agent)).status, 200);
    }
    assert_eq!(app.request("GET", ME, &headers(&agent)).status, 429);
    for remaining in (0..10).rev() {
        let response = login(&app, json!({"user": "ada", "password": PASSWORD}));
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("x-ratelimit-remaining"),
            Some(remaining.to_string().as_str())
        );
    }
    let limited = login(&app, json!({"user": "ada", "password": PASSWORD}));
    assert_eq!(limited.status, 429);
    assert!(limited.json()["error"]
        .as_str()
        .unwrap()
        .ends_with("[error-too-many-requests]"));
    // Once the user is known, the admin's exemption applies: /me is not limited.
    let admin = app.user(&["admin"]);
    for _ in 0..12 {
        assert_eq!(app.request("GET", ME, &headers(&admin)).status, 200);
    }
}

#[test]
fn a_malformed_login_is_a_400_naming_the_problem() {
    let app = app();
    user_with_password(&app, "mia");
    let long = "x".repeat(257);
    let cases: [(&str, &str); 11] = [
        ("", "The body must be a JSON object"),
        ("{", "The body must be a JSON object"),
        ("[1]", "The body must be a JSON object"),
        (r#"{"user":"mia"}"#, "password: is required"),
        (
            r#"{"user":"mia","password":42}"#,
            "password: must be a string or {digest, algorithm}",
        ),
        (
            r#"{"user":42,"password":"x"}"#,
            "user: must be a string or an object",
        ),
        (
            r#"{"password":"x"}"#,
            "user: is required (or username, or email)",
        ),
        (
            r#"{"user":"mia","password":"x","code":123456}"#,
            "code: must be a string",
        ),
        (r#"{"resume":7}"#, "resume: must be a string"),
        (
            r#"{"user":"mia","password":{"digest":"ab","algorithm":"md5"}}"#,
            r#"password.algorithm: must be "sha-256""#,
        ),
        (
            &format!(r#"{{"user":"mia","password":"{long}"}}"#),
            "password: must be at most 256 characters",
        ),
    ];
    for (body, message) in cases {
        let response = app.post(LOGIN, body, &[]);
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(
            response.json(),
            json!({
                "success": false,
                "error": format!("{message} [error-invalid-params]"),
                "errorType": "error-invalid-params",
            }),
            "{body}"
        );
    }
}

#[test]
fn a_large_login_body_is_refused_before_it_is_read_whole() {
    let app = app();
    let refused = json!({
        "success": false,
        "error": "The request body must be at most 8192 bytes [error-invalid-params]",
        "errorType": "error-invalid-params",
    });
    let declared = app.post(LOGIN, &"a".repeat(10 << 20), &[]);
    assert_eq!((declared.status, declared.json()), (400, refused.clone()));
    // Chunked, without a length: refused once the limit is passed, over a raw connection that
    // never sends the rest.
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(app.addr()).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let chunk = "a".repeat(4096);
    let mut request = format!(
        "POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    for _ in 0..3 {
        request.push_str(&format!("1000\r\n{chunk}\r\n"));
    }
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("errorType") {
        let n = stream
            .read(&mut buffer)
            .expect("an answer before the body ends");
        assert!(n > 0, "closed without an answer");
        answer.extend_from_slice(&buffer[..n]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.ends_with(&refused.to_string()), "{answer}");
}

#[test]
fn other_methods_get_the_405_with_what_is_allowed() {
    let app = app();
    for (method, path, allow) in [
        ("GET", LOGIN, "POST"),
        ("DELETE", LOGOUT, "GET, POST"),
        ("POST", ME, "GET"),
    ] {
        let response = app.request(method, path, &[]);
        assert_eq!(response.status, 405, "{method} {path}");
        assert_eq!(response.header("allow"), Some(allow));
        assert_eq!(
            response.text,
            r#"{"success":false,"error":"Method not allowed"}"#
        );
    }
}
