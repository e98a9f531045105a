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
    for role in ["ADMIN", "MANAGER", "MONITOR", "AGENT", "LEAD"] {
        let username = vars[format!("DEMO_{role}_USERNAME").as_str()];
        assert!(
            password_matches(&db, username, vars["DEMO_PASSWORD"]),
            "{role}"
        );
        let id = vars[format!("DEMO_{role}_ID").as_str()];
        let token = vars[format!("DEMO_{role}_TOKEN").as_str()];
        let user =
            omnireports_auth::authenticate(&mut db.connect(), id, token, chrono::Utc::now(), 90)
                .unwrap();
        assert!(user.is_some(), "{role}");
    }
    assert_eq!(
        vars["DEMO_LEAD_TOTP_SECRET"].len(),
        32,
        "20 bytes in base32"
    );
    let conversations: i64 = omnireports_db::schema::conversations::table
        .count()
        .get_result(&mut db.connect())
        .unwrap();
    assert!(conversations > 5_000, "{conversations}");
    // A second load is refused, unless --if-empty makes it a quiet no-op.
    assert!(!omnireports(&db, &["demo"]).status.success());
    assert_eq!(stdout(&omnireports(&db, &["demo", "--if-empty"])), "");
}

/// `omnireports …` with `input` on standard input (a pipe, not a terminal).
fn omnireports_with_input(db: &TestDatabase, args: &[&str], input: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_omnireports"))
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("OMNIREPORTS_CONFIG_DIR", "/nonexistent")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run omnireports");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn password_matches(db: &TestDatabase, username: &str, password: &str) -> bool {
    use omnireports_auth::login::{find_account, verify_password, LoginName, PasswordDigest};
    let name = LoginName::Username(username.to_owned());
    let account = find_account(&mut db.connect(), &name).unwrap();
    assert!(account.is_some(), "{username} exists");
    verify_password(account.as_ref(), &PasswordDigest::of(password))
}

#[test]
fn passwords_are_read_from_standard_input_never_from_the_command_line() {
    let db = TestDatabase::new();
    let create = ["user", "create", "--username", "mia", "--password"];
    let id = stdout(&omnireports_with_input(&db, &create, "first secret\n"));
    assert_eq!(id.trim().len(), 17);
    assert!(password_matches(&db, "mia", "first secret"));
    let set = ["user", "set-password", "--user", "mia"];
    stdout(&omnireports_with_input(
        &db,
        &set,
        "second secret\r\nignored\n",
    ));
    assert!(password_matches(&db, "mia", "second secret"));
    assert!(!password_matches(&db, "mia", "first secret"));

    // Refused before anything is written: no user without the password it was meant to have.
    let empty = ["user", "create", "--username", "ben", "--password"];
    let output = omnireports_with_input(&db, &empty, "\n");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("the password is empty"));
    let long = omnireports_with_input(&db, &empty, &"x".repeat(257));
    assert!(String::from_utf8_lossy(&long.stderr).contains("longer than 256 characters"));
    let users: i64 = omnireports_db::schema::users::table
        .count()
        .get_result(&mut db.connect())
        .unwrap();
    assert_eq!(users, 1);
}

#[test]
fn next_export_on_an_empty_database_exports_every_collection_whole() {
    let db = TestDatabase::new();
    let script = stdout(&omnireports(
        &db,
        &["next-export", "--uri", "mongodb://rc:27017/rocketchat"],
    ));
    let pipes: Vec<&str> = script
        .lines()
        .filter(|l| l.starts_with("mongoexport"))
        .collect();
    assert_eq!(
        pipes.len(),
        omnireports_import::COLLECTIONS.len(),
        "{script}"
    );
    for (pipe, collection) in pipes.iter().zip(omnireports_import::COLLECTIONS) {
        let name = collection.name();
        assert!(pipe.contains(&format!("--collection {name} ")), "{pipe}");
        assert!(
            pipe.ends_with(&format!("import --collection {name} -")),
            "{pipe}"
        );
        assert!(!pipe.contains("$gte"), "nothing imported yet: {pipe}");
    }
    assert!(
        pipes.last().unwrap().contains("rocketchat__trash"),
        "deletions last"
    );
}

#[test]
fn standard_input_imports_one_collection_and_moves_its_watermark() {
    let db = TestDatabase::new();
    let rooms = concat!(
        r#"{"_id":"r1","t":"l","ts":{"$date":"2026-11-01T10:00:00Z"},"_updatedAt":{"$date":"2026-12-01T10:00:00.250Z"}}"#,
        "\n",
        r#"{"_id":"r2","t":"l","ts":{"$date":"2026-11-01T11:00:00Z"},"_updatedAt":{"$date":"2026-12-01T09:00:00Z"}}"#,
        "\n",
    );
    let import = ["import", "--collection", "rocketchat_room", "-"];
    stdout(&omnireports_with_input(&db, &import, rooms));
    let script = stdout(&omnireports(&db, &["next-export", "--uri", "m"]));
    let rooms_line = script
        .lines()
        .find(|l| l.contains("--collection rocketchat_room "))
        .unwrap();
    // The newest stamp less the minute of overlap.
    assert!(
        rooms_line.contains(r#"'{"_updatedAt":{"$gte":{"$date":"2026-12-01T09:59:00.250Z"}}}'"#),
        "{rooms_line}"
    );
    let others = script.lines().filter(|l| l.contains("$gte")).count();
    assert_eq!(others, 1, "only rooms have a watermark: {script}");

    // A bad document is positioned in <stdin>, and nothing of the input is imported.
    let bad = format!(
        "{}\n{{\"_id\":\"r3\",\"t\":\"l\"}}\n",
        rooms.lines().next().unwrap()
    );
    let output = omnireports_with_input(&db, &import, &bad);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("<stdin>:2: ts: missing"), "{message}");
    let missing = omnireports_with_input(&db, &["import", "-"], "");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("needs --collection"));
    let unknown = omnireports_with_input(&db, &["import", "--collection", "nope", "-"], "");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown collection \"nope\""));
}
