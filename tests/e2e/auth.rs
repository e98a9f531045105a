//! 401 and 403.

use crate::util::{Credentials, TestApp, REPORT};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use omnireports_db::models::LOGIN_TOKEN;
use omnireports_db::schema::{permissions, users};

const UNAUTHORIZED: &str = r#"{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}"#;
const FORBIDDEN: &str = r#"{"success":false,"error":"User does not have the permissions required for this action [error-unauthorized]"}"#;
const QUERY: &str = "?start=2026-01-01&end=2026-01-02";

fn assert_unauthorized(app: &TestApp, headers: &[(&str, &str)]) {
    let response = app.request("GET", &format!("{REPORT}{QUERY}"), headers);
    assert_eq!(response.status, 401, "{headers:?}");
    assert_eq!(response.text, UNAUTHORIZED, "{headers:?}");
}

#[test]
fn missing_or_empty_credentials_are_unauthorized() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    assert_unauthorized(&app, &[]);
    assert_unauthorized(&app, &[("X-User-Id", &admin.user_id)]);
    assert_unauthorized(&app, &[("X-Auth-Token", &admin.token)]);
    assert_unauthorized(&app, &[("X-User-Id", ""), ("X-Auth-Token", &admin.token)]);
    assert_unauthorized(&app, &[("X-User-Id", &admin.user_id), ("X-Auth-Token", "")]);
}

#[test]
fn wrong_unknown_or_foreign_credentials_are_unauthorized() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let other = app.user(&["admin"]);
    assert_unauthorized(
        &app,
        &[("X-User-Id", &admin.user_id), ("X-Auth-Token", "nope")],
    );
    assert_unauthorized(
        &app,
        &[("X-User-Id", "ghost"), ("X-Auth-Token", &admin.token)],
    );
    assert_unauthorized(
        &app,
        &[
            ("X-User-Id", &admin.user_id),
            ("X-Auth-Token", &other.token),
        ],
    );
}

#[test]
fn header_names_are_case_insensitive() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let response = app.request(
        "GET",
        &format!("{REPORT}{QUERY}"),
        &[
            ("x-user-id", &admin.user_id),
            ("X-AUTH-TOKEN", &admin.token),
        ],
    );
    assert_eq!(response.status, 200, "{}", response.text);
}

#[test]
fn expired_login_token_is_unauthorized_but_fresh_one_works() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    let stale = Credentials {
        user_id: admin.user_id.clone(),
        token: "stale".into(),
    };
    let fresh = Credentials {
        user_id: admin.user_id.clone(),
        token: "fresh".into(),
    };
    app.add_token(&stale, LOGIN_TOKEN, Utc::now() - Duration::days(91));
    app.add_token(&fresh, LOGIN_TOKEN, Utc::now() - Duration::days(89));
    assert_unauthorized(
        &app,
        &[
            ("X-User-Id", &stale.user_id),
            ("X-Auth-Token", &stale.token),
        ],
    );
    assert_eq!(
        app.get(&format!("{REPORT}{QUERY}"), Some(&fresh)).status,
        200
    );
}

#[test]
fn deactivated_user_is_unauthorized() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    diesel::update(users::table.find(&admin.user_id))
        .set(users::active.eq(false))
        .execute(&mut app.conn())
        .unwrap();
    let response = app.get(&format!("{REPORT}{QUERY}"), Some(&admin));
    assert_eq!(response.status, 401);
}

#[test]
fn user_without_the_permission_is_forbidden() {
    let app = TestApp::new();
    let agent = app.user(&["user", "livechat-agent"]);
    let response = app.get(&format!("{REPORT}{QUERY}"), Some(&agent));
    assert_eq!(response.status, 403);
    assert_eq!(response.text, FORBIDDEN);
}

#[test]
fn missing_permission_record_forbids_everyone() {
    let app = TestApp::new();
    let admin = app.user(&["admin"]);
    diesel::delete(permissions::table.find("view-livechat-reports"))
        .execute(&mut app.conn())
        .unwrap();
    let response = app.get(&format!("{REPORT}{QUERY}"), Some(&admin));
    assert_eq!(response.status, 403);
    assert_eq!(response.text, FORBIDDEN);
}

#[test]
fn credentials_are_checked_before_parameters() {
    let app = TestApp::new();
    let response = app.request("GET", &format!("{REPORT}?foo=1"), &[]);
    assert_eq!(response.status, 401);
    let agent = app.user(&["livechat-agent"]);
    assert_eq!(
        app.get(&format!("{REPORT}?foo=1"), Some(&agent)).status,
        403
    );
}
