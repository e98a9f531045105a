//! The `omnireports` binary against a real database.

use diesel::prelude::*;
use omnireports_test_db::TestDatabase;
use std::process::{Command, Output};

fn omnireports(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omnireports"))
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("OMNIREPORTS_CONFIG_DIR", "/nonexistent")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run omnireports")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn user_and_token_create_print_only_the_id_and_the_token() {
    let db = TestDatabase::new();
    let id = stdout(&omnireports(
        &db,
        &[
            "user",
            "create",
            "--username",
            "mia",
            "--name",
            "Mia",
            "--role",
            "livechat-manager",
        ],
    ));
    let id = id.trim();
    assert_eq!(id.len(), 17, "{id:?}");
    let token = stdout(&omnireports(&db, &["token", "create", "--user", "mia"]));
    let token = token.trim();
    assert_eq!(token.len(), 43, "{token:?}");
    let user = omnireports_auth::authenticate(&mut db.connect(), id, token, chrono::Utc::now(), 90)
        .unwrap()
        .expect("the printed token authenticates");
    assert_eq!(user.roles, ["livechat-manager"]);
}

#[test]
fn token_for_an_unknown_user_fails_with_a_message() {
    let db = TestDatabase::new();
    let output = omnireports(&db, &["token", "create", "--user", "ghost"]);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("ghost"));
}

#[test]
fn migrate_is_idempotent() {
    let db = TestDatabase::new();
    let output = omnireports(&db, &["migrate"]);
    stdout(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("0 migration(s) applied"));
}

#[test]
fn demo_loads_once_and_prints_working_credentials() {
    let db = TestDatabase::new();
    let printed = stdout(&omnireports(&db, &["demo"]));
    let vars: std::collections::HashMap<&str, &str> = printed
        .lines()
        .filter_map(|line| line.split_once('='))
        .collect();
    for role in ["ADMIN", "MANAGER", "MONITOR", "AGENT"] {
        let id = vars[format!("DEMO_{role}_ID").as_str()];
        let token = vars[format!("DEMO_{role}_TOKEN").as_str()];
        let user =
            omnireports_auth::authenticate(&mut db.connect(), id, token, chrono::Utc::now(), 90)
                .unwrap();
        assert!(user.is_some(), "{role}");
    }
    let conversations: i64 = omnireports_db::schema::conversations::table
        .count()
        .get_result(&mut db.connect())
        .unwrap();
    assert!(conversations > 5_000, "{conversations}");
    // A second load is refused, unless --if-empty makes it a quiet no-op.
    assert!(!omnireports(&db, &["demo"]).status.success());
    assert_eq!(stdout(&omnireports(&db, &["demo", "--if-empty"])), "");
}
