//! The mapping layer: a Rocket.Chat document → one COPY row of its collection's staging table
//! (column order: see `staging.rs`). Fields are checked strictly, and the first wrong one is
//! reported by its path, e.g. `servedBy._id: expected a string or ObjectId, found a number`.

use crate::copy_text::Row;
use crate::source::{self, Field};
use bson::{Bson, Document};
use omnireports_db::models::{LOGIN_TOKEN, PERSONAL_ACCESS_TOKEN};
use std::borrow::Cow;
use std::fmt;

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: what a timestamp column round-trips.
const MIN_MILLIS: i64 = -62_135_596_800_000;
const MAX_MILLIS: i64 = 253_402_300_799_999;

/// The longest indexed text: an id, a username, a token hash, a tag, a source's type or alias.
/// PostgreSQL refuses an index entry over 2704 bytes (a third of a page); the largest holds
/// three of these and a conversation's ancestors (`agg_source_scoped`: 2616 bytes at the
/// limits, measured), so none can fail, however incompressible.
const MAX_KEY: usize = 512;
/// A conversation's `departmentAncestors`, indexed whole with the three keys above, as
/// PostgreSQL stores them: each id takes 8 bytes more than its text (length and alignment).
const MAX_ANCESTORS: usize = 1024;

/// A field that does not have the shape omnireports needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
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

/// Maps one document, appending its row (with `seq`, its order in the file) to `out`.
pub type Mapper = fn(&Document, u64, &mut Vec<u8>) -> Result<Mapped, FieldError>;

/// The mapper of a collection, as named in [`crate::source::COLLECTIONS`].
pub fn mapper(collection: &str) -> Mapper {
    match collection {
        "rocketchat_roles" => role,
        "rocketchat_permissions" => permission,
        "users" => user,
        "rocketchat_livechat_department" => department,
        "rocketchat_livechat_unit_monitors" => unit_monitor,
        _ => room,
    }
}

const ID: Field = Field::all("_id");
const ROLE: source::Fields = &[
    ID,
    Field::all("name"),
    Field::all("description"),
    Field::all("scope"),
];
const PERMISSION: source::Fields = &[ID, Field::all("roles")];
const USER: source::Fields = &[
    ID,
    Field::all("username"),
    Field::all("name"),
    Field::all("active"),
    Field::all("roles"),
    Field::all("createdAt"),
    Field::only("services", &[Field::all("resume")]),
];
const DEPARTMENT: source::Fields = &[
    ID,
    Field::all("name"),
    Field::all("enabled"),
    Field::all("type"),
    Field::all("ancestors"),
];
const UNIT_MONITOR: source::Fields = &[
    ID,
    Field::all("monitorId"),
    Field::all("unitId"),
    Field::all("username"),
];
const ROOM: source::Fields = &[
    ID,
    Field::all("t"),
    Field::all("ts"),
    Field::all("departmentId"),
    Field::all("departmentAncestors"),
    Field::all("source"),
    Field::all("open"),
    Field::all("onHold"),
    Field::only("servedBy", &[ID, Field::all("username")]),
    Field::all("tags"),
    Field::only("metrics", &[Field::all("chatDuration")]),
    Field::all("closedAt"),
];

/// The fields each mapper reads (the reader skips the others, unparsed).
pub fn fields(collection: &str) -> source::Fields {
    match collection {
        "rocketchat_roles" => ROLE,
        "rocketchat_permissions" => PERMISSION,
        "users" => USER,
        "rocketchat_livechat_department" => DEPARTMENT,
        "rocketchat_livechat_unit_monitors" => UNIT_MONITOR,
        _ => ROOM,
    }
}

/// Leaves `out` as it was when mapping fails half-way through a row.
fn row_or_rollback(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Row) -> Result<Mapped, FieldError>,
) -> Result<Mapped, FieldError> {
    let start = out.len();
    let mut row = Row::new(out);
    match write(&mut row) {
        Ok(Mapped::Row) => {
            row.end();
            Ok(Mapped::Row)
        }
        other => {
            out.truncate(start);
            other
        }
    }
}

fn role(doc: &Document, seq: u64, out: &mut Vec<u8>) -> Result<Mapped, FieldError> {
    let f = Doc::root(doc);
    row_or_rollback(out, |row| {
        row.int(seq);
        row.text(&f.id("_id")?);
        row.opt_text(f.opt_str("name")?);
        row.opt_text(f.opt_str("description")?);
        row.opt_text(f.opt_str("scope")?);
        Ok(Mapped::Row)
    })
}

fn permission(doc: &Document, seq: u64, out: &mut Vec<u8>) -> Result<Mapped, FieldError> {
    let f = Doc::root(doc);
    row_or_rollback(out, |row| {
        row.int(seq);
        row.text(&f.id("_id")?);
        row.text_array(f.ids("roles")?.iter().map(|r| Some(r.as_ref())));
        Ok(Mapped::Row)
    })
}

fn user(doc: &Document, seq: u64, out: &mut Vec<u8>) -> Result<Mapped, FieldError> {
    let f = Doc::root(doc);
    row_or_rollback(out, |row| {
        row.int(seq);
        row.text(&f.id("_id")?);
        row.opt_text(f.opt_key("username")?);
        row.opt_text(f.opt_str("name")?);
        row.bool(f.opt_bool("active")?.unwrap_or(true));
        row.text_array(f.ids("roles")?.iter().map(|r| Some(r.as_ref())));
        row.opt_timestamp(f.opt_date("createdAt")?);
        let tokens = login_tokens(&f)?;
        row.text_array(tokens.iter().map(|t| Some(t.hashed)));
        row.text_array(tokens.iter().map(|t| Some(t.kind)));
        row.text_array(tokens.iter().map(|t| t.name));
        row.timestamp_array(tokens.iter().map(|t| t.issued_at));
        Ok(Mapped::Row)
    })
}

#[derive(Debug)]
struct LoginToken<'d> {
    hashed: &'d str,
    kind: &'static str,
    name: Option<&'d str>,
    issued_at: i64,
}

/// `services.resume.loginTokens[]`. An entry without `hashedToken` cannot authenticate anyone
/// and is left out.
fn login_tokens<'d>(user: &Doc<'d>) -> Result<Vec<LoginToken<'d>>, FieldError> {
    let Some(services) = user.opt_doc("services")? else {
        return Ok(Vec::new());
    };
    let Some(resume) = services.opt_doc("resume")? else {
        return Ok(Vec::new());
    };
    let mut tokens = Vec::new();
    for entry in resume.docs("loginTokens")? {
        let Some(hashed) = entry.opt_key("hashedToken")? else {
            continue;
        };
        let personal = entry.opt_str("type")? == Some(PERSONAL_ACCESS_TOKEN);
        let (when, created) = (entry.opt_date("when")?, entry.opt_date("createdAt")?);
        let issued_at = if personal {
            created.or(when)
        } else {
            when.or(created)
        };
        tokens.push(LoginToken {
            hashed,
            kind: if personal {
                PERSONAL_ACCESS_TOKEN
            } else {
                LOGIN_TOKEN
            },
            name: entry.opt_str("name")?,
            issued_at: issued_at.unwrap_or_else(|| chrono::Utc::now().timestamp_millis()),
        });
    }
    Ok(tokens)
}

fn department(doc: &Document, seq: u64, out: &mut Vec<u8>) -> Result<Mapped, FieldError> {
    let f = Doc::root(doc);
    row_or_rollback(out, |row| {
        row.int(seq);
        row.text(&f.id("_id")?);
        row.text(f.str("name")?);
        row.bool(f.opt_bool("enabled")?.unwrap_or(true));
        row.text(f.opt_str("type")?.unwrap_or("d"));
        row.text_array(f.ids("ancestors")?.iter().map(|a| Some(a.as_ref())));
        Ok(Mapped::Row)
    })
}

fn unit_monitor(doc: &Document, seq: u64, out: &mut Vec<u8>) -> Result<Mapped, FieldError> {
    let f = Doc::root(doc);
    row_or_rollback(out, |row| {
        row.int(seq);
        row.text(&f.id("_id")?);
        row.text(&f.id("monitorId")?);
        row.text(&f.id("unitId")?);
        row.opt_text(f.opt_str("username")?);
        Ok(Mapped::Row)
    })
}

/// Only livechat rooms (`t: "l"`) are conversations; other rooms are ignored, not invalid.
fn room(doc: &Document, seq: u64, out: &mut Vec<u8>) -> Result<Mapped, FieldError> {
    if !matches!(doc.get("t"), Some(Bson::String(t)) if t == "l") {
        return Ok(Mapped::Ignored);
    }
    let f = Doc::root(doc);
    row_or_rollback(out, |row| {
        row.int(seq);
        row.text(&f.id("_id")?);
        row.timestamp(f.date("ts")?);
        row.opt_text(f.opt_id("departmentId")?.as_deref());
        let ancestors = f.ancestors("departmentAncestors")?;
        row.text_array(ancestors.iter().map(|a| Some(a.as_ref())));
        let source = f.opt_doc("source")?;
        row.opt_text(
            source
                .as_ref()
                .map(|s| s.opt_key("type"))
                .transpose()?
                .flatten(),
        );
        row.opt_text(
            source
                .as_ref()
                .map(|s| s.opt_key("alias"))
                .transpose()?
                .flatten(),
        );
        row.bool(f.opt_bool("open")?.unwrap_or(false));
        row.bool(f.opt_bool("onHold")?.unwrap_or(false));
        let served_by = f.opt_doc("servedBy")?;
        let served_by_id = served_by.as_ref().map(|s| s.opt_id("_id")).transpose()?;
        row.opt_text(served_by_id.flatten().as_deref());
        row.opt_text(
            served_by
                .as_ref()
                .map(|s| s.opt_str("username"))
                .transpose()?
                .flatten(),
        );
        row.text_array(f.ids("tags")?.iter().map(|t| Some(t.as_ref())));
        let metrics = f.opt_doc("metrics")?;
        row.opt_float(
            metrics
                .as_ref()
                .map(|m| m.opt_number("chatDuration"))
                .transpose()?
                .flatten(),
        );
        row.opt_timestamp(f.opt_date("closedAt")?);
        Ok(Mapped::Row)
    })
}

/// A document and its path from the root, for error messages (`servedBy.`).
#[derive(Debug)]
struct Doc<'d> {
    doc: &'d Document,
    prefix: Prefix,
}

/// The path of a sub-document; a top-level one's costs no allocation per document.
#[derive(Debug)]
enum Prefix {
    Root,
    Field(&'static str),
    Path(String),
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prefix::Root => Ok(()),
            Prefix::Field(key) => write!(f, "{key}."),
            Prefix::Path(path) => f.write_str(path),
        }
    }
}

impl<'d> Doc<'d> {
    fn root(doc: &'d Document) -> Self {
        Self {
            doc,
            prefix: Prefix::Root,
        }
    }

    fn error(&self, key: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            path: format!("{}{key}", self.prefix),
            message: message.into(),
        }
    }

    fn expected(&self, key: &str, what: &str, found: &Bson) -> FieldError {
        self.error(key, format!("expected {what}, found {}", describe(found)))
    }

    /// The value, with `null` read as absent.
    fn get(&self, key: &str) -> Option<&'d Bson> {
        self.doc.get(key).filter(|v| !matches!(v, Bson::Null))
    }

    fn id(&self, key: &str) -> Result<Cow<'d, str>, FieldError> {
        self.opt_id(key)?.ok_or_else(|| self.error(key, "missing"))
    }

    /// Ids are strings or ObjectIds; an ObjectId becomes its 24-hex form.
    fn opt_id(&self, key: &str) -> Result<Option<Cow<'d, str>>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => id_value(value)
                .map(Some)
                .ok_or_else(|| self.expected(key, "a string or ObjectId", value)),
        }
        .and_then(|id| self.check_key(key, id))
    }

    fn str(&self, key: &str) -> Result<&'d str, FieldError> {
        self.opt_str(key)?.ok_or_else(|| self.error(key, "missing"))
    }

    fn opt_str(&self, key: &str) -> Result<Option<&'d str>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Bson::String(s)) => self.check_text(key, Some(s.as_str())),
            Some(value) => Err(self.expected(key, "a string", value)),
        }
    }

    /// A string that is indexed (see [`MAX_KEY`]).
    fn opt_key(&self, key: &str) -> Result<Option<&'d str>, FieldError> {
        self.opt_str(key).and_then(|text| self.check_key(key, text))
    }

    /// Text that is indexed: no NUL, at most [`MAX_KEY`] bytes.
    fn check_key<T: AsRef<str>>(
        &self,
        key: &str,
        text: Option<T>,
    ) -> Result<Option<T>, FieldError> {
        match self.check_text(key, text)? {
            Some(t) if t.as_ref().len() > MAX_KEY => Err(self.error(
                key,
                format!("longer than {MAX_KEY} bytes (the most an indexed value may take)"),
            )),
            text => Ok(text),
        }
    }

    /// PostgreSQL text cannot hold NUL.
    fn check_text<T: AsRef<str>>(
        &self,
        key: &str,
        text: Option<T>,
    ) -> Result<Option<T>, FieldError> {
        match &text {
            Some(t) if t.as_ref().contains('\0') => {
                Err(self.error(key, "contains a NUL character"))
            }
            _ => Ok(text),
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Bson::Boolean(b)) => Ok(Some(*b)),
            Some(value) => Err(self.expected(key, "a boolean", value)),
        }
    }

    fn date(&self, key: &str) -> Result<i64, FieldError> {
        self.opt_date(key)?
            .ok_or_else(|| self.error(key, "missing"))
    }

    /// Milliseconds since the epoch.
    fn opt_date(&self, key: &str) -> Result<Option<i64>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Bson::DateTime(t)) => {
                let millis = t.timestamp_millis();
                if (MIN_MILLIS..=MAX_MILLIS).contains(&millis) {
                    Ok(Some(millis))
                } else {
                    Err(self.error(key, format!("date out of range (year 1 to 9999): {t}")))
                }
            }
            Some(value) => Err(self.expected(key, "a date", value)),
        }
    }

    fn opt_number(&self, key: &str) -> Result<Option<f64>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Bson::Double(n)) => Ok(Some(*n)),
            Some(Bson::Int32(n)) => Ok(Some(f64::from(*n))),
            #[allow(clippy::cast_precision_loss)] // a duration in seconds is far below 2^53
            Some(Bson::Int64(n)) => Ok(Some(*n as f64)),
            Some(value) => Err(self.expected(key, "a number", value)),
        }
    }

    fn opt_doc(&self, key: &'static str) -> Result<Option<Doc<'d>>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Bson::Document(doc)) => Ok(Some(Doc {
                doc,
                prefix: match self.prefix {
                    Prefix::Root => Prefix::Field(key),
                    _ => Prefix::Path(format!("{}{key}.", self.prefix)),
                },
            })),
            Some(value) => Err(self.expected(key, "a document", value)),
        }
    }

    fn array(&self, key: &str) -> Result<&'d [Bson], FieldError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Bson::Array(items)) => Ok(items),
            Some(value) => Err(self.expected(key, "an array", value)),
        }
    }

    /// An array of ids (role ids, tags, unit ids); absent is empty.
    fn ids(&self, key: &str) -> Result<Vec<Cow<'d, str>>, FieldError> {
        let items = self.array(key)?;
        let mut ids = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = || format!("{key}[{i}]");
            let id = id_value(item)
                .ok_or_else(|| self.expected(&path(), "a string or ObjectId", item))?;
            ids.extend(self.check_key(&path(), Some(id))?);
        }
        Ok(ids)
    }

    /// A conversation's ancestors: ids, within [`MAX_ANCESTORS`] together.
    fn ancestors(&self, key: &str) -> Result<Vec<Cow<'d, str>>, FieldError> {
        let ids = self.ids(key)?;
        if ids.iter().map(|id| id.len() + 8).sum::<usize>() > MAX_ANCESTORS {
            return Err(self.error(
                key,
                format!(
                    "longer than {MAX_ANCESTORS} bytes, counting 8 more for each id \
                     (the most an indexed value may take)"
                ),
            ));
        }
        Ok(ids)
    }

    /// An array of sub-documents; absent is empty.
    fn docs(&self, key: &str) -> Result<Vec<Doc<'d>>, FieldError> {
        let items = self.array(key)?;
        let mut docs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Bson::Document(doc) = item else {
                return Err(self.expected(&format!("{key}[{i}]"), "a document", item));
            };
            docs.push(Doc {
                doc,
                prefix: Prefix::Path(format!("{}{key}[{i}].", self.prefix)),
            });
        }
        Ok(docs)
    }
}

fn id_value(value: &Bson) -> Option<Cow<'_, str>> {
    match value {
        Bson::String(s) => Some(Cow::Borrowed(s)),
        Bson::ObjectId(oid) => Some(Cow::Owned(oid.to_hex())),
        _ => None,
    }
}

/// "a string", "a date"… for error messages.
fn describe(value: &Bson) -> String {
    match value {
        Bson::Double(_) | Bson::Int32(_) | Bson::Int64(_) | Bson::Decimal128(_) => {
            "a number".into()
        }
        Bson::String(_) => "a string".into(),
        Bson::Array(_) => "an array".into(),
        Bson::Document(_) => "a document".into(),
        Bson::Boolean(_) => "a boolean".into(),
        Bson::Null => "null".into(),
        Bson::ObjectId(_) => "an ObjectId".into(),
        Bson::DateTime(_) => "a date".into(),
        other => format!("a BSON {:?}", other.element_type()),
    }
}
