//! Rows as written by the CLI, the demo loader, the importer and tests.

use crate::schema::{conversations, departments, unit_monitors, user_tokens, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Token kinds of `user_tokens.kind`.
pub const LOGIN_TOKEN: &str = "login";
pub const PERSONAL_ACCESS_TOKEN: &str = "personalAccessToken";

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: String,
    pub username: Option<String>,
    pub name: Option<String>,
    pub active: bool,
    pub roles: Vec<Option<String>>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = user_tokens)]
pub struct NewToken {
    pub user_id: String,
    /// base64(SHA-256(token)), never the token itself.
    pub hashed_token: String,
    pub kind: String,
    pub name: Option<String>,
    pub issued_at: DateTime<Utc>,
}

/// A department, or a unit when `type_` is `"u"`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = departments)]
pub struct NewDepartment {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub type_: String,
    pub ancestors: Vec<Option<String>>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = unit_monitors)]
pub struct NewUnitMonitor {
    pub id: String,
    pub monitor_id: String,
    pub unit_id: String,
    pub username: Option<String>,
}

/// A livechat conversation (a Rocket.Chat room with `t: "l"`).
#[derive(Debug, Clone, Default, Insertable)]
#[diesel(table_name = conversations)]
pub struct NewConversation {
    pub id: String,
    pub ts: DateTime<Utc>,
    pub department_id: Option<String>,
    pub department_ancestors: Vec<Option<String>>,
    pub source_type: Option<String>,
    pub source_alias: Option<String>,
    pub open: bool,
    pub on_hold: bool,
    pub served_by_id: Option<String>,
    pub served_by_username: Option<String>,
    pub tags: Vec<Option<String>>,
    pub chat_duration: Option<f64>,
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
