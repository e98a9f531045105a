//! `TestApp`: a server on a free port with its own database, and typed request helpers.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use omnireports_analytics::Registry;
use omnireports_api::{AppState, Settings};
use omnireports_db::models::{
    text_array, NewConversation, NewDepartment, NewToken, NewUnitMonitor, NewUser,
    PERSONAL_ACCESS_TOKEN,
};
use omnireports_db::schema::{conversations, departments, unit_monitors, user_tokens, users};
use omnireports_test_db::TestDatabase;
use serde_json::Value;
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const UNAUTHORIZED_BODY: &str = r#"{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}"#;

pub const REPORT: &str = "/api/v1/livechat/analytics/dashboards/conversations-by-department";

/// A running server and its private database; both go away on drop.
pub struct TestApp {
    db: TestDatabase,
    base: String,
    handle: actix_web::dev::ServerHandle,
    users: AtomicUsize,
}

/// A user's id and clear token.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: String,
    pub token: String,
}

/// A response: status, headers (lower-case names) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub text: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

impl TestApp {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    /// A server whose settings `adjust` may change (rate limit, time zone, database URL…).
    pub fn with(adjust: impl FnOnce(&mut Settings)) -> Self {
        Self::serving(Registry::builtin(), adjust)
    }

    /// A server of `registry`'s reports, on a database laid out for their dimensions.
    pub fn serving(registry: Registry, adjust: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDatabase::new();
        let dimensions = registry.dimensions();
        let builtin = |d: &[&omnireports_db::engine::Dimension]| -> Vec<&str> {
            d.iter().map(|d| d.table).collect()
        };
        if builtin(&dimensions) != builtin(omnireports_db::engine::BUILTIN) {
            omnireports_db::engine::install(&mut db.connect(), &dimensions)
                .expect("install the registry's dimensions");
        }
        let mut settings = Settings::load_from(HashMap::from([
            ("DATABASE_URL".to_owned(), db.url().to_owned()),
            (
                "OMNIREPORTS_CONFIG_DIR".to_owned(),
                "/nonexistent".to_owned(),
            ),
        ]))
        .expect("default settings load");
        settings.database.pool.acquire_timeout_ms = 1_000;
        adjust(&mut settings);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let state = AppState::from_settings(&settings).with_registry(registry);
                let server = omnireports_api::server(state, listener, 1).unwrap();
                sender.send(server.handle()).unwrap();
                server.await
            })
        });
        let handle = receiver.recv().expect("server started");
        Self {
            db,
            base,
            handle,
            users: AtomicUsize::new(0),
        }
    }

    pub fn conn(&self) -> PgConnection {
        self.db.connect()
    }

    /// `host:port` of the server, for raw TCP clients.
    pub fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// The URL of the app's database, for tools that connect themselves (`import`).
    pub fn database_url(&self) -> &str {
        self.db.url()
    }

    /// A new active user with these roles and a personal access token.
    pub fn user(&self, roles: &[&str]) -> Credentials {
        let n = self.users.fetch_add(1, Ordering::Relaxed);
        let credentials = Credentials {
            user_id: format!("user{n}"),
            token: format!("token-{n}"),
        };
        let conn = &mut self.conn();
        diesel::insert_into(users::table)
            .values(NewUser {
                id: credentials.user_id.clone(),
                username: Some(format!("username{n}")),
                name: None,
                active: true,
                roles: text_array(roles.iter().copied()),
            })
            .execute(conn)
            .unwrap();
        self.add_token(&credentials, PERSONAL_ACCESS_TOKEN, Utc::now());
        credentials
    }

    pub fn add_token(&self, credentials: &Credentials, kind: &str, issued_at: DateTime<Utc>) {
        diesel::insert_into(user_tokens::table)
            .values(NewToken {
                user_id: credentials.user_id.clone(),
                hashed_token: omnireports_auth::hash_token(&credentials.token),
                kind: kind.into(),
                name: None,
                issued_at,
                issuer: omnireports_db::models::ISSUED_BY_ROCKETCHAT.into(),
            })
            .on_conflict_do_nothing()
            .execute(&mut self.conn())
            .unwrap();
    }

    pub fn department(&self, id: &str, name: &str, ancestors: &[&str]) {
        self.department_of_type(id, name, "d", ancestors);
    }

    pub fn unit(&self, id: &str) {
        self.department_of_type(id, id, "u", &[]);
    }

    fn department_of_type(&self, id: &str, name: &str, kind: &str, ancestors: &[&str]) {
        diesel::insert_into(departments::table)
            .values(NewDepartment {
                id: id.into(),
                name: name.into(),
                enabled: true,
                type_: kind.into(),
                ancestors: text_array(ancestors.iter().copied()),
            })
            .execute(&mut self.conn())
            .unwrap();
    }

    pub fn monitor(&self, credentials: &Credentials, unit: &str) {
        diesel::insert_into(unit_monitors::table)
            .values(NewUnitMonitor {
                id: format!("{}-{unit}", credentials.user_id),
                monitor_id: credentials.user_id.clone(),
                unit_id: unit.into(),
                username: None,
            })
            .execute(&mut self.conn())
            .unwrap();
    }

    pub fn conversation(&self, id: &str, ts: &str, department: Option<&str>) {
        self.insert_conversation(NewConversation {
            id: id.into(),
            ts: ts.parse().unwrap(),
            department_id: department.map(Into::into),
            ..Default::default()
        });
    }

    /// Conversation `c1` of department `dep` on 2026-01-10, counted by every shipped report:
    /// it has a department, a source, a tag and an agent.
    pub fn insert_conversation_every_report_counts(&self) {
        self.insert_conversation(NewConversation {
            id: "c1".into(),
            ts: "2026-01-10T10:00:00Z".parse().unwrap(),
            department_id: Some("dep".into()),
            source_type: Some("widget".into()),
            served_by_id: Some("agent1".into()),
            tags: vec![Some("billing".into())],
            ..Default::default()
        });
    }

    pub fn insert_conversation(&self, row: NewConversation) {
        diesel::insert_into(conversations::table)
            .values(row)
            .execute(&mut self.conn())
            .unwrap();
    }

    /// GET `path_and_query` (already percent-encoded) with optional credentials.
    pub fn get(&self, path_and_query: &str, credentials: Option<&Credentials>) -> Response {
        let mut headers = Vec::new();
        if let Some(c) = credentials {
            headers.push(("X-User-Id", c.user_id.as_str()));
            headers.push(("X-Auth-Token", c.token.as_str()));
        }
        self.request("GET", path_and_query, &headers)
    }

    /// The department report with this query string.
    pub fn report(&self, query: &str, credentials: &Credentials) -> Response {
        self.get(&format!("{REPORT}?{query}"), Some(credentials))
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        self.send(method, path, headers, None)
    }

    /// POST `body` as JSON.
    pub fn post(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Response {
        let mut headers = headers.to_vec();
        headers.push(("Content-Type", "application/json"));
        self.send("POST", path, &headers, Some(body.as_bytes()))
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Response {
        let mut request = ureq::request(method, &format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let sent = match body {
            Some(body) => request.send_bytes(body),
            None => request.call(),
        };
        let response = match sent {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("request failed: {error}"),
        };
        let headers = response
            .headers_names()
            .into_iter()
            .map(|name| {
                let value = response.header(&name).unwrap_or_default().to_owned();
                (name.to_ascii_lowercase(), value)
            })
            .collect();
        let status = response.status();
        let text = response.into_string().unwrap();
        Response {
            status,
            headers,
            text,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the server before the database is dropped.
        actix_web::rt::System::new().block_on(self.handle.stop(false));
    }
}

/// `start`/`end` covering the last hour and now, as the Rocket.Chat UI sends them.
pub fn last_hour() -> (String, String) {
    let now = Utc::now();
    (iso(now - Duration::hours(1)), iso(now))
}

pub fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
