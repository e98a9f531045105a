//! Credentials that a running Rocket.Chat vouches for: a user who just logged in there holds a
//! token no export has carried yet. When Rocket.Chat's `GET /api/v1/me` accepts the pair, the
//! user is known here from its answer and the token's hash kept, as a Rocket.Chat token (the
//! next whole `users` import makes the user's tokens the export's again).

use crate::hash_token;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use omnireports_db::models::{text_array, NewToken, ISSUED_BY_ROCKETCHAT, LOGIN_TOKEN};
use omnireports_db::schema::{user_tokens, users};
use serde::Deserialize;

/// What `/api/v1/me` answers about its caller, as far as omnireports keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VouchedUser {
    /// The user id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The username, if any.
    #[serde(default)]
    pub username: Option<String>,
    /// The display name, if any.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether the user may sign in (Rocket.Chat answers only active users; absent = active).
    #[serde(default = "active")]
    pub active: bool,
    /// The role ids.
    #[serde(default)]
    pub roles: Vec<String>,
}

fn active() -> bool {
    true
}

/// Makes `user` known as Rocket.Chat described it and keeps `token` as its login token, issued
/// `now`. A stale local user holding the same username gives it up: Rocket.Chat's usernames
/// are unique, and its answer is the newer. An inactive user gets no token.
pub fn remember(
    conn: &mut PgConnection,
    user: &VouchedUser,
    token: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        if let Some(username) = &user.username {
            diesel::update(
                users::table
                    .filter(users::username.eq(username))
                    .filter(users::id.ne(&user.id)),
            )
            .set(users::username.eq(None::<String>))
            .execute(conn)?;
        }
        let roles = text_array(user.roles.iter().map(String::as_str));
        diesel::insert_into(users::table)
            .values((
                users::id.eq(&user.id),
                users::username.eq(&user.username),
                users::name.eq(&user.name),
                users::active.eq(user.active),
                users::roles.eq(&roles),
            ))
            .on_conflict(users::id)
            .do_update()
            .set((
                users::username.eq(&user.username),
                users::name.eq(&user.name),
                users::active.eq(user.active),
                users::roles.eq(&roles),
            ))
            .execute(conn)?;
        if user.active {
            diesel::insert_into(user_tokens::table)
                .values(NewToken {
                    user_id: user.id.clone(),
                    hashed_token: hash_token(token),
                    kind: LOGIN_TOKEN.to_owned(),
                    name: None,
                    issued_at: now,
                    issuer: ISSUED_BY_ROCKETCHAT.to_owned(),
                })
                .on_conflict_do_nothing()
                .execute(conn)?;
        }
        Ok(())
    })
}
