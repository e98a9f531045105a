//! The user object of `/api/v1/me` and of a login's `data.me`, as Rocket.Chat's `getUserInfo`
//! shapes it: the user's public fields, the first verified address as `email`, and of
//! `services` only whether a password and an authenticator app exist.

use diesel::prelude::*;
use omnireports_db::schema::users;
use serde::Serialize;
use serde_json::Value;

/// What `/api/v1/me` answers about the caller.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The user id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The username, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The display name, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `[{address, verified}]`.
    pub emails: Value,
    /// The presence status Rocket.Chat last exported (`online`, `away`, `offline`…).
    pub status: String,
    /// Whether the user may sign in.
    pub active: bool,
    /// The role ids.
    pub roles: Vec<String>,
    /// Always `{"preferences": {}}`: omnireports keeps no preferences.
    pub settings: Settings,
    /// The first verified address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `<site>/avatar/<username>`.
    pub avatar_url: String,
    /// Only `password.exists` and `totp.enabled`.
    pub services: Services,
}

/// A profile's `settings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Settings {
    /// Empty.
    pub preferences: serde_json::Map<String, Value>,
}

/// A profile's `services`: nothing secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Services {
    /// `{"exists": bool}`.
    pub password: Exists,
    /// `{"enabled": true}`, only for users with an authenticator app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp: Option<Enabled>,
}

/// `{"exists": bool}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exists {
    /// Whether the user has a password.
    pub exists: bool,
}

/// `{"enabled": bool}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enabled {
    /// Whether the method is on.
    pub enabled: bool,
}

type Row = (
    String,
    Option<String>,
    Option<String>,
    Value,
    String,
    bool,
    Vec<Option<String>>,
    bool,
    bool,
);

/// The profile of the user with this id; avatar addresses start with `site` (no trailing `/`).
pub fn profile(conn: &mut PgConnection, user_id: &str, site: &str) -> QueryResult<Option<Profile>> {
    let row: Option<Row> = users::table
        .find(user_id)
        .select((
            users::id,
            users::username,
            users::name,
            users::emails,
            users::status,
            users::active,
            users::roles,
            users::password_bcrypt.is_not_null(),
            users::totp_secret.is_not_null(),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|row| from_row(row, site)))
}

fn from_row(row: Row, site: &str) -> Profile {
    let (id, username, name, emails, status, active, roles, password, totp) = row;
    let email = emails.as_array().and_then(|emails| {
        emails
            .iter()
            .find(|email| email["verified"] == Value::Bool(true))
            .and_then(|email| email["address"].as_str())
            .map(str::to_owned)
    });
    Profile {
        avatar_url: format!("{site}/avatar/{}", username.as_deref().unwrap_or_default()),
        id,
        username,
        name,
        emails,
        status,
        active,
        roles: roles.into_iter().flatten().collect(),
        settings: Settings::default(),
        email,
        services: Services {
            password: Exists { exists: password },
            totp: totp.then_some(Enabled { enabled: true }),
        },
    }
}
