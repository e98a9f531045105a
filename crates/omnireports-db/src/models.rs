//! Rows as written by the CLI, the demo loader, the importer and tests.

use crate::schema::{conversations, departments, unit_monitors, user_tokens, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// `user_tokens.kind` of a login token: it expires `login_expiration_days` after it was issued.
pub const LOGIN_TOKEN: &str = "login";
/// `user_tokens.kind` of a personal access token: it never expires.
pub const PERSONAL_ACCESS_TOKEN: &str = "personalAccessToken";
/// `user_tokens.issuer` of a token from Rocket.Chat (an export): an import replaces these.
pub const ISSUED_BY_ROCKETCHAT: &str = "rocketchat";
/// `user_tokens.issuer` of a token omnireports issued (a login, the CLI): imports keep these.
pub const ISSUED_BY_OMNIREPORTS: &str = "omnireports";

/// A row of `users`: a Rocket.Chat user.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    /// The Rocket.Chat user id (`_id`).
    pub id: String,
    /// The unique username; `None` when the user has none.
    pub username: Option<String>,
    /// The display name (by-agent's label); `None` when unset.
    pub name: Option<String>,
    /// Whether the user may sign in; deactivating a user revokes all their tokens.
    pub active: bool,
    /// Role ids, e.g. `admin` or `livechat-monitor` (build with [`text_array`]).
    pub roles: Vec<Option<String>>,
}

/// A row of `user_tokens`: one credential of a user.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = user_tokens)]
pub struct NewToken {
    /// The id of the user the token authenticates.
    pub user_id: String,
    /// base64(SHA-256(token)), never the token itself.
    pub hashed_token: String,
    /// [`LOGIN_TOKEN`] or [`PERSONAL_ACCESS_TOKEN`].
    pub kind: String,
    /// The token's name (personal access tokens have one); `None` when unnamed.
    pub name: Option<String>,
    /// When the token was issued; a login token's expiry counts from here.
    pub issued_at: DateTime<Utc>,
    /// [`ISSUED_BY_ROCKETCHAT`] or [`ISSUED_BY_OMNIREPORTS`].
    pub issuer: String,
}

/// A department, or a unit when `type_` is `"u"`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = departments)]
pub struct NewDepartment {
    /// The Rocket.Chat department (or unit) id.
    pub id: String,
    /// The display name (by-department's label).
    pub name: String,
    /// Rocket.Chat's `enabled` flag.
    pub enabled: bool,
    /// `"u"` for a unit, anything else (normally `"d"`) for a department.
    pub type_: String,
    /// The ids of the units the department belongs to.
    pub ancestors: Vec<Option<String>>,
}

/// A row of `unit_monitors`: a livechat monitor assigned to a unit.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = unit_monitors)]
pub struct NewUnitMonitor {
    /// The id of the assignment (the Rocket.Chat document's `_id`).
    pub id: String,
    /// The user id of the monitor.
    pub monitor_id: String,
    /// The id of the monitored unit.
    pub unit_id: String,
    /// The monitor's username, as Rocket.Chat copies it; `None` when absent.
    pub username: Option<String>,
}

/// A livechat conversation (a Rocket.Chat room with `t: "l"`).
#[derive(Debug, Clone, Default, Insertable)]
#[diesel(table_name = conversations)]
pub struct NewConversation {
    /// The room id (`_id`).
    pub id: String,
    /// When the conversation was created (`ts`): every report's date range filters on it.
    pub ts: DateTime<Utc>,
    /// The department (`departmentId`); `None` when it has none.
    pub department_id: Option<String>,
    /// The unit ids recorded on the room (`departmentAncestors`).
    pub department_ancestors: Vec<Option<String>>,
    /// `source.type`, e.g. `widget` or `email`; `None` without a source.
    pub source_type: Option<String>,
    /// `source.alias`, by-source's label when set.
    pub source_alias: Option<String>,
    /// Whether the conversation is open (`open`).
    pub open: bool,
    /// Whether the conversation is on hold (`onHold`).
    pub on_hold: bool,
    /// The serving agent's user id (`servedBy._id`); `None` when nobody served it.
    pub served_by_id: Option<String>,
    /// The serving agent's username (`servedBy.username`).
    pub served_by_username: Option<String>,
    /// The conversation's tags (`tags`).
    pub tags: Vec<Option<String>>,
    /// `metrics.chatDuration`, in seconds; non-zero once closed, `None` when absent.
    pub chat_duration: Option<f64>,
    /// When the conversation was closed (`closedAt`); `None` while open (or when unknown).
    pub closed_at: Option<DateTime<Utc>>,
}

/// Text ids as stored in the `TEXT[]` columns.
pub fn text_array<I, S>(items: I) -> Vec<Option<String>>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(|item| Some(item.into())).collect()
}
