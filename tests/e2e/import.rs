//! `omnireports import` of a Rocket.Chat export, then the report over HTTP, with the imported
//! users' own tokens. Expected counts are computed by hand from the documents below.

use crate::util::{Credentials, TestApp};
use chrono::{Duration, Utc};
use omnireports_import::{import_url, Options};
use serde_json::json;
use std::path::Path;

pub(crate) const DAY: &str = "start=2026-01-10T00:00:00.000Z&end=2026-01-11T00:00:00.000Z";

/// A mongoexport directory: relaxed Extended JSON, one document per line; two rooms use the
/// canonical and the legacy date forms, as an export merged from several tools might.
pub(crate) fn export(dir: &Path, r3_department: &str) {
    let yesterday = (Utc::now() - Duration::days(1)).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let manager_token = omnireports_auth::hash_token("manager-token");
    let monitor_token = omnireports_auth::hash_token("monitor-token");
    let files = [
        (
            "users.json",
            format!(
                r#"{{"_id":"u1","username":"manager","name":"Mia Manager","active":true,"roles":["user","livechat-manager"],"services":{{"resume":{{"loginTokens":[{{"when":{{"$date":"{yesterday}"}},"hashedToken":"{manager_token}"}}]}}}}}}
{{"_id":{{"$oid":"65a1b2c3d4e5f60718293a4b"}},"username":"mona","roles":["livechat-monitor"],"services":{{"resume":{{"loginTokens":[{{"type":"personalAccessToken","name":"ci","createdAt":{{"$date":"2025-01-01T00:00:00.000Z"}},"hashedToken":"{monitor_token}"}}]}}}}}}
{{"_id":"u3","username":"agent3","roles":["user","livechat-agent"]}}
"#
            ),
        ),
        (
            "rocketchat_permissions.json",
            r#"{"_id":"view-livechat-reports","roles":["admin","livechat-manager","livechat-monitor"]}"#.to_owned(),
        ),
        (
            "rocketchat_livechat_department.json",
            r#"{"_id":"dep1","name":"Sales","enabled":true,"type":"d","ancestors":["unit1"]}
{"_id":"dep2","name":"Support","enabled":true}
{"_id":"unit1","name":"Europe","type":"u"}
"#
            .to_owned(),
        ),
        (
            "rocketchat_livechat_unit_monitors.json",
            r#"{"_id":"m1","monitorId":{"$oid":"65a1b2c3d4e5f60718293a4b"},"unitId":"unit1","username":"mona"}"#.to_owned(),
        ),
        (
            "rocketchat_room.json",
            format!(
                r#"{{"_id":"r1","t":"l","ts":{{"$date":"2026-01-10T10:00:00.000Z"}},"departmentId":"dep1","departmentAncestors":["unit1"],"source":{{"type":"widget"}},"open":true,"servedBy":{{"_id":"u3","username":"agent3"}},"tags":["billing"]}}
{{"_id":"r2","t":"l","ts":{{"$date":{{"$numberLong":"1768042800000"}}}},"departmentId":"dep1","departmentAncestors":["unit1"],"source":{{"type":"email"}},"metrics":{{"chatDuration":{{"$numberDouble":"90.5"}}}},"closedAt":{{"$date":"2026-01-10T11:01:30.500Z"}}}}
{{"_id":"r3","t":"l","ts":{{"$date":1768046400000}},"departmentId":"{r3_department}","source":{{"type":"widget"}},"open":true}}
{{"_id":"r4","t":"l","ts":{{"$date":"2026-01-10T13:00:00.000Z"}},"source":{{"type":"api"}}}}
{{"_id":"GENERAL","t":"c","ts":{{"$date":"2026-01-10T13:00:00.000Z"}},"name":"general"}}
{{"_id":"r6","t":"l","ts":{{"$date":"2026-01-11T09:00:00.000Z"}},"departmentId":"dep2","source":{{"type":"widget"}}}}
"#
            ),
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

pub(crate) fn imported_user(id: &str, token: &str) -> Credentials {
    Credentials {
        user_id: id.into(),
        token: token.into(),
    }
}

#[test]
fn imported_export_is_reported_to_its_own_users() {
    let app = TestApp::new();
    let dir = tempfile::tempdir().unwrap();
    // r1, r2 in Sales (unit1), r3 in Support, r4 without department; r6 is the next day.
    export(dir.path(), "dep2");
    // Asked before the import, the report prepares its statements on the pool's connections;
    // the first import then swaps in rebuilt aggregate tables, which those statements follow.
    let admin = app.user(&["admin"]);
    for _ in 0..3 {
        assert_eq!(app.report(DAY, &admin).json()["total"], 0);
    }
    let summary = import_url(app.database_url(), dir.path(), Options::default()).unwrap();
    assert_eq!(summary.collection("rocketchat_room").unwrap().inserted, 5);
    assert_eq!(app.report(DAY, &admin).json()["total"], 3);

    let manager = imported_user("u1", "manager-token");
    let response = app.report(DAY, &manager);
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json(),
        json!({"total":3,"data":[{"label":"Support","value":1},{"label":"Sales","value":2}],"unspecified":1,"success":true})
    );
    // The monitor of unit1 sees Sales only.
    let monitor = imported_user("65a1b2c3d4e5f60718293a4b", "monitor-token");
    assert_eq!(
        app.report(DAY, &monitor).json(),
        json!({"total":2,"data":[{"label":"Sales","value":2}],"unspecified":0,"success":true})
    );
    // An agent has no permission to read reports.
    let agent = imported_user("u3", "none");
    assert_eq!(app.report(DAY, &agent).status, 401);

    // A newer export: r3 moved to Sales. Re-imported in place, counted in its new place.
    export(dir.path(), "dep1");
    let summary = import_url(app.database_url(), dir.path(), Options::default()).unwrap();
    let rooms = summary.collection("rocketchat_room").unwrap();
    assert_eq!((rooms.inserted, rooms.updated), (0, 1));
    assert_eq!(
        app.report(DAY, &manager).json(),
        json!({"total":3,"data":[{"label":"Sales","value":3}],"unspecified":1,"success":true})
    );

    // Both committed imports are counted by /metrics, summed per collection and outcome.
    let metrics = app.get("/metrics", None).text;
    let rooms_read = 2 * summary.collection("rocketchat_room").unwrap().read;
    for line in [
        "omnireports_imports_total 2".to_owned(),
        r#"omnireports_import_documents_total{collection="rocketchat_room",outcome="inserted"} 5"#
            .to_owned(),
        r#"omnireports_import_documents_total{collection="rocketchat_room",outcome="updated"} 1"#
            .to_owned(),
        format!(
            r#"omnireports_import_documents_total{{collection="rocketchat_room",outcome="read"}} {rooms_read}"#
        ),
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in\n{metrics}"
        );
    }
}

#[test]
fn a_failed_import_is_not_counted() {
    let app = TestApp::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rocketchat_room.json"), "{not json\n").unwrap();
    assert!(import_url(app.database_url(), dir.path(), Options::default()).is_err());
    let metrics = app.get("/metrics", None).text;
    assert!(
        metrics.lines().any(|l| l == "omnireports_imports_total 0"),
        "{metrics}"
    );
}

/// A `users` file as Rocket.Chat exports a password user: Meteor's bcrypt of the SHA-256, a
/// login token, two-factor by app, addresses.
fn password_export(dir: &Path, bcrypt: &str, token_hash: &str) {
    let user = json!({
        "_id": "u1", "username": "mia", "name": "Mia", "active": true,
        "roles": ["user", "livechat-manager"], "status": "away",
        "emails": [{"address": "Mia@Example.com", "verified": true}],
        "services": {
            "password": {"bcrypt": bcrypt},
            "totp": {"enabled": true, "secret": "JBSWY3DPEHPK3PXP", "hashedBackup": ["x"]},
            "email2fa": {"enabled": false},
            "resume": {"loginTokens": [{"when": {"$date": "2026-12-01T00:00:00.000Z"}, "hashedToken": token_hash}]},
        },
    });
    let disabled = json!({
        "_id": "u2", "username": "ben", "active": true, "roles": ["livechat-manager"],
        "services": {
            "password": {"bcrypt": bcrypt},
            "totp": {"enabled": false, "secret": "JBSWY3DPEHPK3PXP"},
        },
    });
    std::fs::write(dir.join("users.json"), format!("{user}\n{disabled}\n")).unwrap();
}

#[test]
fn an_exports_passwords_and_two_factor_sign_in_and_imports_keep_our_tokens() {
    let app = TestApp::new();
    let dir = tempfile::tempdir().unwrap();
    // Meteor's format: bcrypt of the password's lowercase hex SHA-256 (cost 4 keeps the test
    // fast; any cost verifies).
    let hex = {
        let hash = <sha2::Sha256 as sha2::Digest>::digest(b"s3cret");
        hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let bcrypt = bcrypt::hash(&hex, 4).unwrap();
    password_export(
        dir.path(),
        &bcrypt,
        &omnireports_auth::hash_token("rc-token"),
    );
    import_url(app.database_url(), dir.path(), Options::default()).unwrap();

    let login = |body: serde_json::Value| app.post("/api/v1/login", &body.to_string(), &[]);
    let asked = login(json!({"user": "mia@example.com", "password": "s3cret"}));
    assert_eq!(asked.json()["error"], "totp-required", "{}", asked.text);
    // A disabled authenticator no longer guards the account.
    let ben = login(json!({"user": "ben", "password": "s3cret"}));
    assert_eq!(ben.status, 200, "{}", ben.text);
    let ours = Credentials {
        user_id: "u2".into(),
        token: ben.json()["data"]["authToken"].as_str().unwrap().into(),
    };
    let me = app.get("/api/v1/me", Some(&ours)).json();
    assert_eq!(me["services"], json!({"password": {"exists": true}}));

    // A newer export, which knows nothing of the token omnireports issued, and in which
    // Rocket.Chat's own token was logged out.
    password_export(
        dir.path(),
        &bcrypt,
        &omnireports_auth::hash_token("rc-token-2"),
    );
    import_url(app.database_url(), dir.path(), Options::default()).unwrap();
    assert_eq!(app.report(DAY, &ours).status, 200, "kept across imports");
    let logged_out = imported_user("u1", "rc-token");
    assert_eq!(app.report(DAY, &logged_out).status, 401);
    assert_eq!(
        app.report(DAY, &imported_user("u1", "rc-token-2")).status,
        200
    );
}
