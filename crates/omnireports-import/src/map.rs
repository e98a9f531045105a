//! The mapping layer: a Rocket.Chat document, decoded into its collection's struct (only the
//! fields omnireports reads, typed: see `decode.rs`) → one COPY row of its staging table
//! (column order: see `staging.rs`). Fields are checked strictly, in row order, and the first
//! wrong one is reported by its path, e.g. `servedBy._id: expected a string or ObjectId, found
//! a number`.

use crate::copy_text::Row;
use crate::decode::{Field, Id, Key, Kind, List, Sub};
use crate::staging::{self, Staging};
use chrono::{DateTime, Utc};
use omnireports_db::models::{LOGIN_TOKEN, PERSONAL_ACCESS_TOKEN};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::fmt;

/// A conversation's `departmentAncestors`, indexed whole with three keys of at most
/// [`crate::decode::MAX_KEY`] bytes, as PostgreSQL stores them: each id takes 8 bytes more
/// than its text (length and alignment).
const MAX_ANCESTORS: usize = 1024;

/// A field that does not have the shape omnireports needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same error, in the sub-document at `prefix` (`servedBy.`).
    fn within(mut self, prefix: &str) -> Self {
        self.path.insert_str(0, prefix);
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// What became of a valid document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapped {
    Row,
    /// Not for omnireports (a room that is not a livechat).
    Ignored,
}

/// A collection's document as decoded, and how it makes a row.
pub trait Mapping: DeserializeOwned + 'static {
    /// The staging table of the rows, one field per column.
    const STAGING: &'static Staging;

    /// Writes the row, `seq` (the document's order in its file) first.
    fn write(&self, seq: u64, row: &mut Row<'_>) -> Result<Mapped, FieldError>;

    /// When Rocket.Chat last wrote the document (`_updatedAt`; `_deletedAt` in the trash), for
    /// the next increment's watermark. Read leniently: it is no column, so a document without
    /// a usable stamp is still imported.
    fn stamp(&self) -> Option<DateTime<Utc>>;
}

/// A stamp field's date, if it is one.
fn stamp(field: &Field<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match field {
        Field::Is(t) => Some(*t),
        _ => None,
    }
}

/// Maps one document, appending its row to `out`; leaves `out` as it was when it makes none.
pub fn map<D: Mapping>(doc: &D, seq: u64, out: &mut Vec<u8>) -> Result<Mapped, FieldError> {
    let start = out.len();
    let mut row = Row::new(out);
    match doc.write(seq, &mut row) {
        Ok(Mapped::Row) => {
            debug_assert_eq!(
                row.fields(),
                D::STAGING.columns.len(),
                "{}",
                D::STAGING.name
            );
            row.end();
            Ok(Mapped::Row)
        }
        other => {
            out.truncate(start);
            other
        }
    }
}

impl<T: Kind> Field<T> {
    /// The value (`None` when absent or null); the error names `key`.
    fn get(&self, key: &str) -> Result<Option<&T>, FieldError> {
        match self {
            Field::Absent => Ok(None),
            Field::Is(value) => Ok(Some(value)),
            Field::Wrong(problem) => Err(FieldError::new(key, problem.message(T::EXPECTED))),
        }
    }

    fn require(&self, key: &str) -> Result<&T, FieldError> {
        self.get(key)?
            .ok_or_else(|| FieldError::new(key, "missing"))
    }
}

impl<T: Kind> Field<List<T>> {
    /// The elements (none when absent); the error names `key` or the wrong element.
    fn items(&self, key: &str) -> Result<&[T], FieldError> {
        let Some(list) = self.get(key)? else {
            return Ok(&[]);
        };
        match list.failed {
            Some((i, problem)) => Err(FieldError::new(
                format!("{key}[{i}]"),
                problem.message(T::EXPECTED),
            )),
            None => Ok(&list.items),
        }
    }
}

impl<T: DeserializeOwned> Field<Sub<T>> {
    fn doc(&self, key: &str) -> Result<Option<&T>, FieldError> {
        Ok(self.get(key)?.map(|sub| &sub.0))
    }
}

fn text(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str)
}

fn key(value: Option<&Key>) -> Option<&str> {
    value.map(|k| k.0.as_str())
}

fn ids(ids: &[Id]) -> impl Iterator<Item = Option<&str>> {
    ids.iter().map(|id| Some(id.0.as_str()))
}

/// `rocketchat_roles`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Role {
    #[serde(rename = "_id")]
    id: Field<Id>,
    #[serde(rename = "_updatedAt")]
    updated_at: Field<DateTime<Utc>>,
    name: Field<String>,
    description: Field<String>,
    scope: Field<String>,
}

impl Mapping for Role {
    const STAGING: &'static Staging = &staging::IMPORT_ROLES;

    fn stamp(&self) -> Option<DateTime<Utc>> {
        stamp(&self.updated_at)
    }

    fn write(&self, seq: u64, row: &mut Row<'_>) -> Result<Mapped, FieldError> {
        row.int(seq);
        row.text(&self.id.require("_id")?.0);
        row.opt_text(text(self.name.get("name")?));
        row.opt_text(text(self.description.get("description")?));
        row.opt_text(text(self.scope.get("scope")?));
        Ok(Mapped::Row)
    }
}

/// `rocketchat_permissions`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Permission {
    #[serde(rename = "_id")]
    id: Field<Id>,
    #[serde(rename = "_updatedAt")]
    updated_at: Field<DateTime<Utc>>,
    roles: Field<List<Id>>,
}

impl Mapping for Permission {
    const STAGING: &'static Staging = &staging::IMPORT_PERMISSIONS;

    fn stamp(&self) -> Option<DateTime<Utc>> {
        stamp(&self.updated_at)
    }

    fn write(&self, seq: u64, row: &mut Row<'_>) -> Result<Mapped, FieldError> {
        row.int(seq);
        row.text(&self.id.require("_id")?.0);
        row.text_array(ids(self.roles.items("roles")?));
        Ok(Mapped::Row)
    }
}

/// `users`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct User {
    #[serde(rename = "_id")]
    id: Field<Id>,
    #[serde(rename = "_updatedAt")]
    updated_at: Field<DateTime<Utc>>,
    username: Field<Key>,
    name: Field<String>,
    active: Field<bool>,
    roles: Field<List<Id>>,
    created_at: Field<DateTime<Utc>>,
    services: Field<Sub<Services>>,
    emails: Field<List<Sub<Email>>>,
    status: Field<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Services {
    resume: Field<Sub<Resume>>,
    password: Field<Sub<PasswordService>>,
    totp: Field<Sub<TotpService>>,
    email2fa: Field<Sub<Email2faService>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Resume {
    login_tokens: Field<List<Sub<LoginTokenEntry>>>,
}

/// `services.password`: Meteor's bcrypt of the password's lowercase hex SHA-256.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PasswordService {
    bcrypt: Field<String>,
}

/// `services.totp`: two-factor by an authenticator app (RFC 6238, base32 secret).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TotpService {
    enabled: Field<bool>,
    secret: Field<String>,
}

/// `services.email2fa`: two-factor by a code sent by e-mail.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Email2faService {
    enabled: Field<bool>,
}

/// An entry of `emails`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Email {
    address: Field<Key>,
    verified: Field<bool>,
}

/// An entry of `services.resume.loginTokens`: a login (`when`) or a personal access token.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct LoginTokenEntry {
    hashed_token: Field<Key>,
    #[serde(rename = "type")]
    kind: Field<String>,
    when: Field<DateTime<Utc>>,
    created_at: Field<DateTime<Utc>>,
    name: Field<String>,
}

impl Mapping for User {
    const STAGING: &'static Staging = &staging::IMPORT_USERS;

    fn stamp(&self) -> Option<DateTime<Utc>> {
        stamp(&self.updated_at)
    }

    fn write(&self, seq: u64, row: &mut Row<'_>) -> Result<Mapped, FieldError> {
        row.int(seq);
        row.text(&self.id.require("_id")?.0);
        row.opt_text(key(self.username.get("username")?));
        row.opt_text(text(self.name.get("name")?));
        row.bool(self.active.get("active")?.copied().unwrap_or(true));
        row.text_array(ids(self.roles.items("roles")?));
        row.opt_timestamp(self.created_at.get("createdAt")?.copied());
        let services = self.services.doc("services")?;
        let tokens = match services {
            Some(services) => services.login_tokens().map_err(|e| e.within("services."))?,
            None => Vec::new(),
        };
        row.text_array(tokens.iter().map(|t| Some(t.hashed)));
        row.text_array(tokens.iter().map(|t| Some(t.kind)));
        row.text_array(tokens.iter().map(|t| t.name));
        row.timestamp_array(tokens.iter().map(|t| t.issued_at));
        row.text(&self.emails_json()?);
        row.opt_text(text(self.status.get("status")?));
        let sign_in = match services {
            Some(services) => services.sign_in().map_err(|e| e.within("services."))?,
            None => SignIn::default(),
        };
        row.opt_text(sign_in.bcrypt);
        row.opt_text(sign_in.totp_secret);
        row.bool(sign_in.email_two_factor);
        Ok(Mapped::Row)
    }
}

/// What a password login needs of `services`.
#[derive(Debug, Default)]
struct SignIn<'d> {
    bcrypt: Option<&'d str>,
    /// Only while two-factor by app is enabled.
    totp_secret: Option<&'d str>,
    email_two_factor: bool,
}

impl Services {
    fn sign_in(&self) -> Result<SignIn<'_>, FieldError> {
        let password = self.password.doc("password")?;
        let bcrypt = password.map(|p| p.bcrypt.get("bcrypt")).transpose();
        let bcrypt = text(bcrypt.map_err(|e| e.within("password."))?.flatten());
        let totp_secret = match self.totp.doc("totp")? {
            Some(totp) => totp.secret().map_err(|e| e.within("totp."))?,
            None => None,
        };
        let email2fa = self.email2fa.doc("email2fa")?;
        let enabled = email2fa.map(|e| e.enabled.get("enabled")).transpose();
        let enabled = enabled.map_err(|e| e.within("email2fa."))?.flatten();
        Ok(SignIn {
            bcrypt,
            totp_secret,
            email_two_factor: enabled.copied().unwrap_or(false),
        })
    }

    /// `resume.loginTokens[]`. An entry without `hashedToken` cannot authenticate anyone and
    /// is left out.
    fn login_tokens(&self) -> Result<Vec<LoginToken<'_>>, FieldError> {
        let Some(resume) = self.resume.doc("resume")? else {
            return Ok(Vec::new());
        };
        let entries = resume.login_tokens.items("loginTokens");
        let entries = entries.map_err(|e| e.within("resume."))?;
        let mut tokens = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let token = entry.0.token();
            tokens.extend(token.map_err(|e| e.within(&format!("resume.loginTokens[{i}].")))?);
        }
        Ok(tokens)
    }
}

impl TotpService {
    /// The secret while enabled: a disabled one no longer guards the account.
    fn secret(&self) -> Result<Option<&str>, FieldError> {
        let enabled = self.enabled.get("enabled")?.copied().unwrap_or(false);
        let secret = text(self.secret.get("secret")?);
        Ok(secret.filter(|_| enabled))
    }
}

impl User {
    /// `emails` as `[{"address", "verified"}]` JSON; entries without an address are left out.
    fn emails_json(&self) -> Result<String, FieldError> {
        let mut emails = Vec::new();
        for (i, entry) in self.emails.items("emails")?.iter().enumerate() {
            let within = |e: FieldError| e.within(&format!("emails[{i}]."));
            let address = entry.0.address.get("address").map_err(within)?;
            let verified = entry.0.verified.get("verified").map_err(within)?;
            if let Some(address) = key(address) {
                emails.push(serde_json::json!({
                    "address": address,
                    "verified": verified.copied().unwrap_or(false),
                }));
            }
        }
        Ok(serde_json::Value::Array(emails).to_string())
    }
}

#[derive(Debug)]
struct LoginToken<'d> {
    hashed: &'d str,
    kind: &'static str,
    name: Option<&'d str>,
    issued_at: DateTime<Utc>,
}

impl LoginTokenEntry {
    fn token(&self) -> Result<Option<LoginToken<'_>>, FieldError> {
        let Some(hashed) = self.hashed_token.get("hashedToken")? else {
            return Ok(None);
        };
        let personal = text(self.kind.get("type")?) == Some(PERSONAL_ACCESS_TOKEN);
        let (when, created) = (self.when.get("when")?, self.created_at.get("createdAt")?);
        let issued_at = match personal {
            true => created.or(when),
            false => when.or(created),
        };
        Ok(Some(LoginToken {
            hashed: &hashed.0,
            kind: if personal {
                PERSONAL_ACCESS_TOKEN
            } else {
                LOGIN_TOKEN
            },
            name: text(self.name.get("name")?),
            issued_at: issued_at.copied().unwrap_or_else(Utc::now),
        }))
    }
}

/// `rocketchat_livechat_department`: departments and units (`type: "u"`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Department {
    #[serde(rename = "_id")]
    id: Field<Id>,
    #[serde(rename = "_updatedAt")]
    updated_at: Field<DateTime<Utc>>,
    name: Field<String>,
    enabled: Field<bool>,
    #[serde(rename = "type")]
    kind: Field<String>,
    ancestors: Field<List<Id>>,
}

impl Mapping for Department {
    const STAGING: &'static Staging = &staging::IMPORT_DEPARTMENTS;

    fn stamp(&self) -> Option<DateTime<Utc>> {
        stamp(&self.updated_at)
    }

    fn write(&self, seq: u64, row: &mut Row<'_>) -> Result<Mapped, FieldError> {
        row.int(seq);
        row.text(&self.id.require("_id")?.0);
        row.text(self.name.require("name")?);
        row.bool(self.enabled.get("enabled")?.copied().unwrap_or(true));
        row.text(text(self.kind.get("type")?).unwrap_or("d"));
        row.text_array(ids(self.ancestors.items("ancestors")?));
        Ok(Mapped::Row)
    }
}

/// `rocketchat_livechat_unit_monitors`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UnitMonitor {
    #[serde(rename = "_id")]
    id: Field<Id>,
    #[serde(rename = "_updatedAt")]
    updated_at: Field<DateTime<Utc>>,
    monitor_id: Field<Id>,
    unit_id: Field<Id>,
    username: Field<String>,
}

impl Mapping for UnitMonitor {
    const STAGING: &'static Staging = &staging::IMPORT_UNIT_MONITORS;

    fn stamp(&self) -> Option<DateTime<Utc>> {
        stamp(&self.updated_at)
    }

    fn write(&self, seq: u64, row: &mut Row<'_>) -> Result<Mapped, FieldError> {
        row.int(seq);
        row.text(&self.id.require("_id")?.0);
        row.text(&self.monitor_id.require("monitorId")?.0);
        row.text(&self.unit_id.require("unitId")?.0);
        row.opt_text(text(self.username.get("username")?));
        Ok(Mapped::Row)
    }
}

/// `rocketchat_room`: only livechat rooms (`t: "l"`) are conversations; other rooms are
/// ignored, not invalid.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Room {
    #[serde(rename = "_id")]
    id: Field<Id>,
    #[serde(rename = "_updatedAt")]
    updated_at: Field<DateTime<Utc>>,
    t: Field<String>,
    ts: Field<DateTime<Utc>>,
    department_id: Field<Id>,
    department_ancestors: Field<List<Id>>,
    source: Field<Sub<Source>>,
    open: Field<bool>,
    on_hold: Field<bool>,
    served_by: Field<Sub<ServedBy>>,
    tags: Field<List<Id>>,
    metrics: Field<Sub<Metrics>>,
    closed_at: Field<DateTime<Utc>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Source {
    #[serde(rename = "type")]
    kind: Field<Key>,
    alias: Field<Key>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ServedBy {
    #[serde(rename = "_id")]
    id: Field<Id>,
    username: Field<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Metrics {
    chat_duration: Field<f64>,
}

impl Mapping for Room {
    const STAGING: &'static Staging = &staging::IMPORT_CONVERSATIONS;

    fn stamp(&self) -> Option<DateTime<Utc>> {
        stamp(&self.updated_at)
    }

    fn write(&self, seq: u64, row: &mut Row<'_>) -> Result<Mapped, FieldError> {
        if !matches!(&self.t, Field::Is(t) if t == "l") {
            return Ok(Mapped::Ignored);
        }
        row.int(seq);
        row.text(&self.id.require("_id")?.0);
        row.timestamp(*self.ts.require("ts")?);
        row.opt_text(
            self.department_id
                .get("departmentId")?
                .map(|id| id.0.as_str()),
        );
        row.text_array(ids(self.ancestors()?));
        let source = self.source.doc("source")?;
        let within = |e: FieldError| e.within("source.");
        let source_type = source.map(|s| s.kind.get("type")).transpose();
        row.opt_text(key(source_type.map_err(within)?.flatten()));
        let alias = source.map(|s| s.alias.get("alias")).transpose();
        row.opt_text(key(alias.map_err(within)?.flatten()));
        row.bool(self.open.get("open")?.copied().unwrap_or(false));
        row.bool(self.on_hold.get("onHold")?.copied().unwrap_or(false));
        self.write_served_by(row)?;
        row.text_array(ids(self.tags.items("tags")?));
        let metrics = self.metrics.doc("metrics")?;
        let duration = metrics
            .map(|m| m.chat_duration.get("chatDuration"))
            .transpose();
        let duration = duration.map_err(|e| e.within("metrics."))?.flatten();
        row.opt_float(duration.copied());
        row.opt_timestamp(self.closed_at.get("closedAt")?.copied());
        Ok(Mapped::Row)
    }
}

impl Room {
    /// The ancestors' ids, within [`MAX_ANCESTORS`] together.
    fn ancestors(&self) -> Result<&[Id], FieldError> {
        const KEY: &str = "departmentAncestors";
        let ids = self.department_ancestors.items(KEY)?;
        if ids.iter().map(|id| id.0.len() + 8).sum::<usize>() > MAX_ANCESTORS {
            return Err(FieldError::new(
                KEY,
                format!(
                    "longer than {MAX_ANCESTORS} bytes, counting 8 more for each id \
                     (the most an indexed value may take)"
                ),
            ));
        }
        Ok(ids)
    }

    fn write_served_by(&self, row: &mut Row<'_>) -> Result<(), FieldError> {
        let within = |e: FieldError| e.within("servedBy.");
        let served_by = self.served_by.doc("servedBy")?;
        let id = served_by.map(|s| s.id.get("_id")).transpose();
        row.opt_text(id.map_err(within)?.flatten().map(|id| id.0.as_str()));
        let username = served_by.map(|s| s.username.get("username")).transpose();
        row.opt_text(text(username.map_err(within)?.flatten()));
        Ok(())
    }
}

/// `rocketchat__trash`: a deleted document, `__collection__` naming its collection without the
/// `rocketchat_` prefix. Entries of collections omnireports does not keep are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Trashed {
    #[serde(rename = "_id")]
    id: Field<Id>,
    #[serde(rename = "__collection__")]
    collection: Field<String>,
    #[serde(rename = "_deletedAt")]
    deleted_at: Field<DateTime<Utc>>,
}

/// The table that keeps the documents of a trashed collection.
fn trashed_table(collection: &str) -> Option<&'static str> {
    match collection {
        "room" => Some("conversations"),
        "livechat_department" => Some("departments"),
        "livechat_unit_monitors" => Some("unit_monitors"),
        "users" => Some("users"),
        _ => None,
    }
}

impl Mapping for Trashed {
    const STAGING: &'static Staging = &staging::IMPORT_TRASH;

    fn stamp(&self) -> Option<DateTime<Utc>> {
        stamp(&self.deleted_at)
    }

    fn write(&self, seq: u64, row: &mut Row<'_>) -> Result<Mapped, FieldError> {
        let collection = text(self.collection.get("__collection__")?);
        let Some(table) = collection.and_then(trashed_table) else {
            return Ok(Mapped::Ignored);
        };
        row.int(seq);
        row.text(&self.id.require("_id")?.0);
        row.text(table);
        Ok(Mapped::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::{with_document, Collection};

    /// A document of `collection` with every field the mapping reads.
    fn full(collection: Collection) -> &'static str {
        match collection {
            Collection::Roles => r#"{"_id": "r", "name": "n", "description": "d", "scope": "s"}"#,
            Collection::Permissions => r#"{"_id": "p", "roles": ["r"]}"#,
            Collection::Users => {
                r#"{"_id": "u", "username": "u", "name": "n", "active": true, "roles": ["r"],
                    "createdAt": {"$date": 0}, "status": "online",
                    "emails": [{"address": "u@example.com", "verified": true}],
                    "services": {"resume": {"loginTokens": [
                    {"hashedToken": "h", "when": {"$date": 0}, "name": "n"}]},
                    "password": {"bcrypt": "$2b$10$h"}, "totp": {"enabled": true, "secret": "S"},
                    "email2fa": {"enabled": true}}}"#
            }
            Collection::Departments => {
                r#"{"_id": "d", "name": "n", "enabled": true, "type": "u", "ancestors": ["a"]}"#
            }
            Collection::UnitMonitors => {
                r#"{"_id": "m", "monitorId": "u", "unitId": "d", "username": "u"}"#
            }
            Collection::Rooms => {
                r#"{"_id": "r", "t": "l", "ts": {"$date": 0}, "departmentId": "d",
                    "departmentAncestors": ["a"], "source": {"type": "api", "alias": "a"},
                    "open": true, "onHold": false, "servedBy": {"_id": "u", "username": "u"},
                    "tags": ["t"], "metrics": {"chatDuration": 1}, "closedAt": {"$date": 0}}"#
            }
            Collection::Trash => {
                r#"{"_id": "r", "__collection__": "room", "_deletedAt": {"$date": 0}}"#
            }
        }
    }

    #[test]
    fn every_row_has_a_field_per_staging_column() {
        for collection in Collection::ALL {
            let mut out = Vec::new();
            let columns = with_document!(collection, D => {
                let doc: D = serde_json::from_str(full(collection)).unwrap();
                assert_eq!(map(&doc, 1, &mut out), Ok(Mapped::Row), "{collection}");
                D::STAGING.columns.len()
            });
            let row = String::from_utf8(out).unwrap();
            assert_eq!(row.split('\t').count(), columns, "{collection}: {row}");
            assert!(
                !row.contains("\\N"),
                "{collection}: a field is missing: {row}"
            );
        }
    }

    #[test]
    fn a_wrong_sign_in_field_is_named_by_its_path() {
        let cases = [
            (
                r#"{"_id": "u", "services": {"password": {"bcrypt": 5}}}"#,
                "services.password.bcrypt: expected a string, found a number",
            ),
            (
                r#"{"_id": "u", "services": {"totp": {"enabled": "yes"}}}"#,
                "services.totp.enabled: expected a boolean, found a string",
            ),
            (
                r#"{"_id": "u", "services": {"email2fa": []}}"#,
                "services.email2fa: expected a document, found an array",
            ),
            (
                r#"{"_id": "u", "emails": [{"address": "a@b"}, {"address": 1}]}"#,
                "emails[1].address: expected a string, found a number",
            ),
            (
                r#"{"_id": "u", "services": {"resume": {"loginTokens": [{"hashedToken": 1}]}}}"#,
                "services.resume.loginTokens[0].hashedToken: expected a string, found a number",
            ),
        ];
        for (document, expected) in cases {
            let doc: User = serde_json::from_str(document).unwrap();
            let error = map(&doc, 1, &mut Vec::new()).unwrap_err();
            assert_eq!(error.to_string(), expected, "{document}");
        }
    }

    #[test]
    fn a_disabled_authenticator_is_not_kept() {
        let document = r#"{"_id": "u", "services": {"totp": {"enabled": false, "secret": "S"}}}"#;
        let doc: User = serde_json::from_str(document).unwrap();
        let mut out = Vec::new();
        map(&doc, 1, &mut out).unwrap();
        let row = String::from_utf8(out).unwrap();
        let fields: Vec<&str> = row.trim_end().split('\t').collect();
        let column = |name: &str| {
            let i = User::STAGING
                .columns
                .iter()
                .position(|(c, _)| *c == name)
                .unwrap();
            fields[i]
        };
        assert_eq!(column("totp_secret"), "\\N");
        assert_eq!(column("emails"), "[]");
        assert_eq!(column("email_two_factor"), "f");
    }
}
