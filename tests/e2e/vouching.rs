//! `auth.rocketchat_url`: credentials omnireports does not know are checked with the
//! Rocket.Chat's `GET /api/v1/me`. Rocket.Chat cannot run here, so a stand-in serves exactly
//! what Rocket.Chat documents for that route (the flat user plus `"success":true` on 200, and
//! its 401 body) and nothing else.

use crate::util::{Credentials, TestApp, REPORT, UNAUTHORIZED_BODY};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use diesel::prelude::*;
use omnireports_db::schema::{user_tokens, users};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const QUERY: &str = "?start=2026-01-01T00:00:00.000Z&end=2026-01-02T00:00:00.000Z";

/// The stand-in: the users it knows by (id, token), how long it takes, how often it was asked.
struct StandIn {
    base: String,
    asked: Arc<AtomicUsize>,
    handle: actix_web::dev::ServerHandle,
}

impl StandIn {
    fn start(users: Vec<((&str, &str), Value)>, delay: Duration) -> Self {
        let users: HashMap<(String, String), Value> = users
            .into_iter()
            .map(|((id, token), user)| ((id.to_owned(), token.to_owned()), user))
            .collect();
        let users = Arc::new(users);
        let asked = Arc::new(AtomicUsize::new(0));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (sender, receiver) = std::sync::mpsc::channel();
        let counter = asked.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    let (users, counter) = (users.clone(), counter.clone());
                    App::new().route(
                        "/api/v1/me",
                        web::get().to(move |req: HttpRequest| {
                            let (users, counter) = (users.clone(), counter.clone());
                            async move {
                                counter.fetch_add(1, Ordering::SeqCst);
                                actix_web::rt::time::sleep(delay).await;
                                me(&users, &req)
                            }
                        }),
                    )
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
                sender.send(server.handle()).unwrap();
                server.await
            })
        });
        Self {
            base,
            asked,
            handle: receiver.recv().unwrap(),
        }
    }

    fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.handle.stop(false));
    }
}

/// Rocket.Chat's `/api/v1/me`: the flat user and `"success":true`, or its 401.
fn me(users: &HashMap<(String, String), Value>, req: &HttpRequest) -> HttpResponse {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    match users.get(&(header("x-user-id"), header("x-auth-token"))) {
        Some(user) => {
            let mut body = user.clone();
            body["success"] = json!(true);
            HttpResponse::Ok().json(body)
        }
        None => HttpResponse::Unauthorized()
            .content_type("application/json")
            .body(UNAUTHORIZED_BODY),
    }
}

fn rocketchat_user(id: &str, roles: &[&str]) -> Value {
    json!({"_id": id, "username": format!("{id}-name"), "name": "Rita", "active": true,
           "roles": roles, "status": "online", "emails": [{"address": "r@example.com", "verified": true}],
           "settings": {"preferences": {}}, "avatarUrl": "https://chat.example.com/avatar/rita"})
}

fn app_asking(base: &str, timeout_ms: u64) -> TestApp {
    let base = base.to_owned();
    TestApp::with(move |settings| {
        settings.auth.rocketchat_url = base;
        settings.auth.rocketchat_timeout_ms = timeout_ms;
    })
}

fn report(app: &TestApp, user_id: &str, token: &str) -> crate::util::Response {
    let credentials = Credentials {
        user_id: user_id.into(),
        token: token.into(),
    };
    app.get(&format!("{REPORT}{QUERY}"), Some(&credentials))
}

#[test]
fn a_user_who_just_logged_in_to_rocketchat_reads_reports_at_once() {
    let user = rocketchat_user("rc1", &["user", "livechat-manager"]);
    let rocketchat = StandIn::start(vec![(("rc1", "new-login"), user)], Duration::ZERO);
    let app = app_asking(&rocketchat.base, 2_000);
    for _ in 0..3 {
        let response = report(&app, "rc1", "new-login");
        assert_eq!(response.status, 200, "{}", response.text);
    }
    assert_eq!(rocketchat.asked(), 1, "known after the first answer");
    let conn = &mut app.conn();
    let kept: (String, Vec<Option<String>>, String, String) = users::table
        .inner_join(user_tokens::table)
        .filter(users::id.eq("rc1"))
        .select((
            users::username.assume_not_null(),
            users::roles,
            user_tokens::kind,
            user_tokens::issuer,
        ))
        .first(conn)
        .unwrap();
    assert_eq!(
        kept,
        (
            "rc1-name".into(),
            vec![Some("user".into()), Some("livechat-manager".into())],
            "login".into(),
            "rocketchat".into()
        )
    );
    let hashed: String = user_tokens::table
        .filter(user_tokens::user_id.eq("rc1"))
        .select(user_tokens::hashed_token)
        .first(conn)
        .unwrap();
    assert_eq!(
        hashed,
        omnireports_auth::hash_token("new-login"),
        "only its hash"
    );
    // The same check lets /api/v1/me in.
    let me = app.request(
        "GET",
        "/api/v1/me",
        &[("X-User-Id", "rc1"), ("X-Auth-Token", "new-login")],
    );
    assert_eq!(me.json()["username"], "rc1-name");
}

#[test]
fn refused_pairs_get_the_401_and_are_remembered_briefly() {
    let agent = rocketchat_user("rc2", &["user", "livechat-agent"]);
    let rocketchat = StandIn::start(vec![(("rc2", "agent-login"), agent)], Duration::ZERO);
    let app = app_asking(&rocketchat.base, 2_000);
    for _ in 0..4 {
        let response = report(&app, "rc1", "forged");
        assert_eq!(
            (response.status, response.text.as_str()),
            (401, UNAUTHORIZED_BODY)
        );
    }
    assert_eq!(
        rocketchat.asked(),
        1,
        "a refused pair is not asked again at once"
    );
    // A user Rocket.Chat knows but without the permission: known, then the usual 403.
    assert_eq!(report(&app, "rc2", "agent-login").status, 403);
    let known: i64 = users::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(known, 1, "nobody was made up for the refused pair");
}

#[test]
fn a_slow_or_down_rocketchat_is_a_503_in_time_and_known_tokens_still_work() {
    let user = rocketchat_user("rc1", &["livechat-manager"]);
    let slow = StandIn::start(vec![(("rc1", "new-login"), user)], Duration::from_secs(5));
    let app = app_asking(&slow.base, 300);
    let known = app.user(&["admin"]);
    let started = Instant::now();
    let response = report(&app, "rc1", "new-login");
    assert_eq!(response.status, 503, "{}", response.text);
    assert_eq!(
        response.json(),
        json!({"success": false, "error": "Service unavailable [error-service-unavailable]", "errorType": "error-service-unavailable"})
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no hang: {:?}",
        started.elapsed()
    );
    assert_eq!(
        app.get(&format!("{REPORT}{QUERY}"), Some(&known)).status,
        200
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = app_asking(&down, 300);
    assert_eq!(report(&app, "rc1", "new-login").status, 503);
}
