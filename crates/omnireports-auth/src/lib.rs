#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use omnireports_db::models::LOGIN_TOKEN;
use omnireports_db::schema::{departments, permissions, unit_monitors, user_tokens, users};
use omnireports_db::Restriction;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

pub mod admin;
pub mod login;
mod profile;
pub mod remote;

pub use profile::{profile, Profile};

/// Permission needed to read any report.
pub const VIEW_REPORTS: &str = "view-livechat-reports";
/// Permission that exempts a user from the API rate limiter.
pub const BYPASS_RATE_LIMIT: &str = "api-bypass-rate-limit";

/// The stored form of a token: base64(SHA-256(token)), as Meteor's `_hashLoginToken`.
pub fn hash_token(token: &str) -> String {
    STANDARD.encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: 32 bytes from the OS generator, URL-safe base64.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The Rocket.Chat user id (`X-User-Id`).
    pub id: String,
    /// The username; `None` when the user has none.
    pub username: Option<String>,
    /// The user's role ids, e.g. `admin` or `livechat-monitor`.
    pub roles: Vec<String>,
}

impl User {
    /// Whether the user has the role with id `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// The user owning `token`, if the user exists, is active and the token is valid at `now`.
pub fn authenticate(
    conn: &mut PgConnection,
    user_id: &str,
    token: &str,
    now: DateTime<Utc>,
    login_expiration_days: u32,
) -> QueryResult<Option<User>> {
    let authorized = authorize(conn, user_id, token, now, login_expiration_days)?;
    Ok(authorized.map(|authorized| authorized.user))
}

/// What one round trip tells about a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    /// The authenticated user.
    pub user: User,
    /// Holds [`VIEW_REPORTS`].
    pub can_view_reports: bool,
    /// Holds [`BYPASS_RATE_LIMIT`].
    pub bypasses_rate_limit: bool,
}

/// [`authenticate`] and the two permissions a report request needs, in one query.
pub fn authorize(
    conn: &mut PgConnection,
    user_id: &str,
    token: &str,
    now: DateTime<Utc>,
    login_expiration_days: u32,
) -> QueryResult<Option<Authorized>> {
    let hashed = hash_token(token);
    let holds = |permission: &'static str| {
        exists(
            permissions::table
                .filter(permissions::id.eq(permission))
                .filter(permissions::roles.overlaps_with(users::roles)),
        )
    };
    let row = users::table
        .inner_join(user_tokens::table)
        .filter(users::id.eq(user_id))
        .filter(users::active)
        .filter(user_tokens::hashed_token.eq(&hashed))
        .filter(valid_token(login_cutoff(now, login_expiration_days)))
        .select((
            users::id,
            users::username,
            users::roles,
            holds(VIEW_REPORTS),
            holds(BYPASS_RATE_LIMIT),
        ))
        .first::<(String, Option<String>, Vec<Option<String>>, bool, bool)>(conn)
        .optional()?;
    Ok(row.map(|(id, username, roles, view, bypass)| Authorized {
        user: User {
            id,
            username,
            roles: roles.into_iter().flatten().collect(),
        },
        can_view_reports: view,
        bypasses_rate_limit: bypass,
    }))
}

/// When a login token issued before expires at `now`.
fn login_cutoff(now: DateTime<Utc>, login_expiration_days: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(login_expiration_days))
}

/// A token that still authenticates: a personal access token, or a login token issued after
/// `cutoff`.
#[diesel::dsl::auto_type]
fn valid_token(cutoff: DateTime<Utc>) -> _ {
    let login: &'static str = LOGIN_TOKEN;
    user_tokens::kind
        .ne(login)
        .or(user_tokens::issued_at.gt(cutoff))
}

/// Which of `wanted` the user's roles hold.
pub fn held_permissions(
    conn: &mut PgConnection,
    user: &User,
    wanted: &[&str],
) -> QueryResult<Vec<String>> {
    let roles: Vec<Option<String>> = user.roles.iter().cloned().map(Some).collect();
    permissions::table
        .filter(permissions::id.eq_any(wanted))
        .filter(permissions::roles.overlaps_with(roles))
        .select(permissions::id)
        .load(conn)
}

/// The livechat-monitor restriction of `user` (spec §9).
pub fn restriction_for(conn: &mut PgConnection, user: &User) -> QueryResult<Restriction> {
    let unrestricted = user.has_role("admin")
        || user.has_role("livechat-manager")
        || !user.has_role("livechat-monitor");
    if unrestricted || !any_unit_exists(conn)? {
        return Ok(Restriction::None);
    }
    let units = unit_monitors::table
        .filter(unit_monitors::monitor_id.eq(&user.id))
        .select(unit_monitors::unit_id)
        .distinct()
        .load(conn)?;
    Ok(Restriction::Units(units))
}

fn any_unit_exists(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::select(exists(
        departments::table.filter(departments::type_.eq("u")),
    ))
    .get_result(conn)
}

#[cfg(test)]
mod tests;
