//! Issuing users and tokens without Rocket.Chat (the `user create` and `token create`
//! commands). Only token hashes are stored.

use crate::{generate_token, hash_token};
use chrono::Utc;
use diesel::prelude::*;
use omnireports_db::models::{text_array, NewToken, NewUser, LOGIN_TOKEN, PERSONAL_ACCESS_TOKEN};
use omnireports_db::schema::{user_tokens, users};
use rand::{Rng as _, RngCore as _};

/// Why a user or token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The username is taken.
    #[error("a user named {0:?} already exists")]
    UserExists(String),
    /// No user has this id or username.
    #[error("no user has the id or username {0:?}")]
    UnknownUser(String),
    /// The user is deactivated, and so holds no tokens.
    #[error("the user {0:?} is deactivated: a deactivated user holds no tokens")]
    InactiveUser(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Meteor's `Random.id()` alphabet: 17 characters, no look-alikes.
const ID_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";

/// A new Rocket.Chat-style id.
pub fn new_id() -> String {
    let mut rng = rand::rng();
    (0..17)
        .map(|_| char::from(ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())]))
        .collect()
}

/// Creates an active user and returns its id. Without roles the user gets `user`.
pub fn create_user(
    conn: &mut PgConnection,
    username: &str,
    name: Option<&str>,
    roles: &[String],
) -> Result<String, AdminError> {
    let roles = match roles {
        [] => vec!["user".to_owned()],
        roles => roles.to_vec(),
    };
    let id = new_id();
    let inserted = diesel::insert_into(users::table)
        .values(NewUser {
            id: id.clone(),
            username: Some(username.to_owned()),
            name: name.map(str::to_owned),
            active: true,
            roles: text_array(roles),
        })
        .on_conflict_do_nothing()
        .execute(conn)?;
    match inserted {
        0 => Err(AdminError::UserExists(username.to_owned())),
        _ => Ok(id),
    }
}

/// Issues a new token for the user with this id or username and returns it in clear, the only
/// time it exists so. `personal` names a personal access token (never expires); without it the
/// token is a login token (expires after `login_expiration_days`).
pub fn create_token(
    conn: &mut PgConnection,
    user: &str,
    personal: Option<&str>,
) -> Result<String, AdminError> {
    let user_id = find_user(conn, user)?;
    let token = generate_token();
    diesel::insert_into(user_tokens::table)
        .values(NewToken {
            user_id,
            hashed_token: hash_token(&token),
            kind: personal
                .map_or(LOGIN_TOKEN, |_| PERSONAL_ACCESS_TOKEN)
                .to_owned(),
            name: personal.map(str::to_owned),
            issued_at: Utc::now(),
            issuer: omnireports_db::models::ISSUED_BY_OMNIREPORTS.into(),
        })
        .execute(conn)?;
    Ok(token)
}

/// Sets the password of the user with this id or username (Meteor's format, at Rocket.Chat's
/// default bcrypt cost).
pub fn set_password(conn: &mut PgConnection, user: &str, password: &str) -> Result<(), AdminError> {
    let user_id = find_user(conn, user)?;
    crate::login::set_password(conn, &user_id, Some(password), bcrypt::DEFAULT_COST)?;
    Ok(())
}

/// Turns on two-factor by authenticator app for the user with this id, with a new random
/// secret, returned in base32 (what an authenticator app takes).
pub fn enable_totp(conn: &mut PgConnection, user_id: &str) -> QueryResult<String> {
    let mut secret = [0u8; 20];
    rand::rng().fill_bytes(&mut secret);
    let secret = totp_rs::Secret::Raw(secret.to_vec())
        .to_encoded()
        .to_string();
    diesel::update(users::table.find(user_id))
        .set(users::totp_secret.eq(&secret))
        .execute(conn)?;
    Ok(secret)
}

/// The id of the active user with this id, or else this username.
fn find_user(conn: &mut PgConnection, user: &str) -> Result<String, AdminError> {
    let (id, active) = users::table
        .filter(users::id.eq(user).or(users::username.eq(user)))
        .order(users::id.eq(user).desc())
        .select((users::id, users::active))
        .first::<(String, bool)>(conn)
        .optional()?
        .ok_or_else(|| AdminError::UnknownUser(user.to_owned()))?;
    match active {
        true => Ok(id),
        false => Err(AdminError::InactiveUser(user.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnireports_test_db::TestDatabase;

    #[test]
    fn created_user_can_get_tokens_that_authenticate() {
        let db = TestDatabase::new();
        let conn = &mut db.connect();
        let id = create_user(conn, "mia", Some("Mia"), &["livechat-manager".into()]).unwrap();
        assert_eq!(id.len(), 17);
        let by_name = create_token(conn, "mia", None).unwrap();
        let by_id = create_token(conn, &id, Some("ci")).unwrap();
        for token in [by_name, by_id] {
            let user = crate::authenticate(conn, &id, &token, Utc::now(), 90)
                .unwrap()
                .expect("token authenticates");
            assert_eq!(user.roles, ["livechat-manager"]);
        }
        let stored: Vec<String> = user_tokens::table
            .select(user_tokens::hashed_token)
            .load(conn)
            .unwrap();
        assert!(stored.iter().all(|hash| hash.len() == 44));
    }

    #[test]
    fn duplicate_username_and_unknown_user_are_errors() {
        let db = TestDatabase::new();
        let conn = &mut db.connect();
        create_user(conn, "mia", None, &[]).unwrap();
        assert!(matches!(
            create_user(conn, "mia", None, &[]),
            Err(AdminError::UserExists(_))
        ));
        assert!(matches!(
            create_token(conn, "nobody", None),
            Err(AdminError::UnknownUser(_))
        ));
    }

    #[test]
    fn a_deactivated_user_gets_no_token() {
        let db = TestDatabase::new();
        let conn = &mut db.connect();
        let id = create_user(conn, "mia", None, &[]).unwrap();
        diesel::update(users::table.find(&id))
            .set(users::active.eq(false))
            .execute(conn)
            .unwrap();
        assert!(matches!(
            create_token(conn, "mia", Some("ci")),
            Err(AdminError::InactiveUser(_))
        ));
        let held: i64 = user_tokens::table.count().get_result(conn).unwrap();
        assert_eq!(held, 0);
    }
}
