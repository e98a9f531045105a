use super::*;
use omnireports_db::models::{
    text_array, NewDepartment, NewToken, NewUnitMonitor, NewUser, PERSONAL_ACCESS_TOKEN,
};
use omnireports_test_db::TestDatabase;

fn now() -> DateTime<Utc> {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn add_user(conn: &mut PgConnection, id: &str, roles: &[&str], active: bool) {
    diesel::insert_into(users::table)
        .values(NewUser {
            id: id.into(),
            username: Some(format!("name-{id}")),
            name: None,
            active,
            roles: text_array(roles.iter().copied()),
        })
        .execute(conn)
        .unwrap();
}

fn add_token(conn: &mut PgConnection, user: &str, token: &str, kind: &str, issued_days_ago: i64) {
    diesel::insert_into(user_tokens::table)
        .values(NewToken {
            user_id: user.into(),
            hashed_token: hash_token(token),
            kind: kind.into(),
            name: None,
            issued_at: now() - Duration::days(issued_days_ago),
            issuer: omnireports_db::models::ISSUED_BY_ROCKETCHAT.into(),
        })
        .execute(conn)
        .unwrap();
}

fn login(conn: &mut PgConnection, user: &str, token: &str) -> Option<User> {
    authenticate(conn, user, token, now(), 90).unwrap()
}

#[test]
fn hash_matches_meteor_vector() {
    assert_eq!(
        hash_token("abc"),
        "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    );
}

#[test]
fn generated_tokens_are_long_and_distinct() {
    let (a, b) = (generate_token(), generate_token());
    assert_eq!(a.len(), 43);
    assert_ne!(a, b);
}

#[test]
fn valid_login_token_authenticates() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    add_user(conn, "u1", &["admin"], true);
    add_token(conn, "u1", "secret", LOGIN_TOKEN, 1);
    let user = login(conn, "u1", "secret").expect("authenticated");
    assert_eq!(user.id, "u1");
    assert_eq!(user.roles, vec!["admin".to_string()]);
}

#[test]
fn wrong_token_unknown_user_and_other_users_token_are_rejected() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    add_user(conn, "u1", &["admin"], true);
    add_user(conn, "u2", &["admin"], true);
    add_token(conn, "u1", "secret", LOGIN_TOKEN, 1);
    add_token(conn, "u2", "other", LOGIN_TOKEN, 1);
    assert_eq!(login(conn, "u1", "wrong"), None);
    assert_eq!(login(conn, "nobody", "secret"), None);
    assert_eq!(login(conn, "u1", "other"), None);
    assert_eq!(login(conn, "u1", ""), None);
}

#[test]
fn login_tokens_expire_but_personal_tokens_do_not() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    add_user(conn, "u1", &["admin"], true);
    add_token(conn, "u1", "fresh", LOGIN_TOKEN, 89);
    add_token(conn, "u1", "stale", LOGIN_TOKEN, 91);
    add_token(conn, "u1", "pat", PERSONAL_ACCESS_TOKEN, 5000);
    assert!(login(conn, "u1", "fresh").is_some());
    assert_eq!(login(conn, "u1", "stale"), None);
    assert!(login(conn, "u1", "pat").is_some());
    // A shorter configured expiry rejects the 89-day-old token.
    assert_eq!(authenticate(conn, "u1", "fresh", now(), 30).unwrap(), None);
}

#[test]
fn inactive_user_is_rejected() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    add_user(conn, "u1", &["admin"], false);
    add_token(conn, "u1", "secret", PERSONAL_ACCESS_TOKEN, 1);
    assert_eq!(login(conn, "u1", "secret"), None);
}

fn user(roles: &[&str]) -> User {
    User {
        id: "u1".into(),
        username: None,
        roles: roles.iter().map(|r| r.to_string()).collect(),
    }
}

#[test]
fn default_permissions_follow_rocket_chat_roles() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let wanted = [VIEW_REPORTS, BYPASS_RATE_LIMIT];
    let admin = held_permissions(conn, &user(&["admin"]), &wanted).unwrap();
    assert_eq!(admin.len(), 2);
    let monitor = held_permissions(conn, &user(&["user", "livechat-monitor"]), &wanted).unwrap();
    assert_eq!(monitor, vec![VIEW_REPORTS.to_string()]);
    let agent = held_permissions(conn, &user(&["livechat-agent"]), &wanted).unwrap();
    assert!(agent.is_empty());
}

#[test]
fn permission_given_to_no_role_or_missing_is_held_by_nobody() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    diesel::update(permissions::table.find(VIEW_REPORTS))
        .set(permissions::roles.eq(Vec::<Option<String>>::new()))
        .execute(conn)
        .unwrap();
    assert!(held_permissions(conn, &user(&["admin"]), &[VIEW_REPORTS])
        .unwrap()
        .is_empty());
    diesel::delete(permissions::table.find(BYPASS_RATE_LIMIT))
        .execute(conn)
        .unwrap();
    assert!(
        held_permissions(conn, &user(&["admin"]), &[BYPASS_RATE_LIMIT])
            .unwrap()
            .is_empty()
    );
}

fn add_unit(conn: &mut PgConnection, id: &str) {
    diesel::insert_into(departments::table)
        .values(NewDepartment {
            id: id.into(),
            name: id.into(),
            enabled: true,
            type_: "u".into(),
            ancestors: vec![],
        })
        .execute(conn)
        .unwrap();
}

fn monitor(conn: &mut PgConnection, user: &str, unit: &str) {
    diesel::insert_into(unit_monitors::table)
        .values(NewUnitMonitor {
            id: format!("{user}-{unit}"),
            monitor_id: user.into(),
            unit_id: unit.into(),
            username: None,
        })
        .execute(conn)
        .unwrap();
}

#[test]
fn monitors_are_unrestricted_while_no_unit_exists() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    let restriction = restriction_for(conn, &user(&["livechat-monitor"])).unwrap();
    assert_eq!(restriction, Restriction::None);
}

#[test]
fn monitors_see_only_their_units() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    add_unit(conn, "unit1");
    add_unit(conn, "unit2");
    monitor(conn, "u1", "unit1");
    monitor(conn, "someone-else", "unit2");
    let restriction = restriction_for(conn, &user(&["livechat-monitor"])).unwrap();
    assert_eq!(restriction, Restriction::Units(vec!["unit1".into()]));
}

#[test]
fn monitor_without_units_sees_nothing() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    add_unit(conn, "unit1");
    let restriction = restriction_for(conn, &user(&["livechat-monitor"])).unwrap();
    assert_eq!(restriction, Restriction::Units(vec![]));
}

#[test]
fn admins_managers_and_non_monitors_are_unrestricted() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    add_unit(conn, "unit1");
    for roles in [
        &["livechat-monitor", "admin"][..],
        &["livechat-monitor", "livechat-manager"],
        &["livechat-agent"],
    ] {
        assert_eq!(
            restriction_for(conn, &user(roles)).unwrap(),
            Restriction::None
        );
    }
}

#[test]
fn authorize_reports_both_permissions_in_one_query() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    for (id, roles, view, bypass) in [
        ("admin", &["admin"][..], true, true),
        ("monitor", &["user", "livechat-monitor"], true, false),
        ("agent", &["livechat-agent"], false, false),
    ] {
        add_user(conn, id, roles, true);
        add_token(conn, id, "secret", LOGIN_TOKEN, 1);
        let authorized = authorize(conn, id, "secret", now(), 90).unwrap().unwrap();
        assert_eq!(
            (authorized.can_view_reports, authorized.bypasses_rate_limit),
            (view, bypass),
            "{id}"
        );
    }
    assert_eq!(authorize(conn, "admin", "wrong", now(), 90).unwrap(), None);
    diesel::delete(permissions::table.find(VIEW_REPORTS))
        .execute(conn)
        .unwrap();
    let admin = authorize(conn, "admin", "secret", now(), 90)
        .unwrap()
        .unwrap();
    assert!(!admin.can_view_reports);
}

#[test]
fn deactivating_a_user_revokes_their_tokens_for_good() {
    let db = TestDatabase::new();
    let conn = &mut db.connect();
    add_user(conn, "u1", &["admin"], true);
    add_token(conn, "u1", "login", LOGIN_TOKEN, 1);
    add_token(conn, "u1", "personal", PERSONAL_ACCESS_TOKEN, 1);
    add_user(conn, "u2", &["admin"], true);
    add_token(conn, "u2", "other", LOGIN_TOKEN, 1);
    let set_active = |conn: &mut PgConnection, active: bool| {
        diesel::update(users::table.find("u1"))
            .set(users::active.eq(active))
            .execute(conn)
            .unwrap();
    };
    set_active(conn, false);
    set_active(conn, true);
    assert!(login(conn, "u1", "login").is_none());
    assert!(login(conn, "u1", "personal").is_none());
    // Another user's tokens and an update that keeps a user active change nothing.
    diesel::update(users::table.find("u2"))
        .set((users::active.eq(true), users::name.eq("renamed")))
        .execute(conn)
        .unwrap();
    assert!(login(conn, "u2", "other").is_some());
}
