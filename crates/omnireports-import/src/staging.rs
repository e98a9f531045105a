//! Staging tables (temporary, dropped at commit) that COPY fills, and the statements that
//! upsert them into the real tables. Column order here is the row order of `map.rs`.

use crate::error::{Context as _, ImportError};
use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// `seq` is a document's order in its file: when an `_id` repeats, the last one wins.
const DDL: &str = "
CREATE TEMP TABLE import_roles (
    seq bigint NOT NULL, id text NOT NULL, name text, description text, scope text
) ON COMMIT DROP;
CREATE TEMP TABLE import_permissions (seq bigint NOT NULL, id text NOT NULL, roles text[] NOT NULL)
    ON COMMIT DROP;
CREATE TEMP TABLE import_users (
    seq bigint NOT NULL, id text NOT NULL, username text, name text, active boolean NOT NULL,
    roles text[] NOT NULL, created_at timestamptz, token_hashes text[] NOT NULL,
    token_kinds text[] NOT NULL, token_names text[] NOT NULL, token_issued timestamptz[] NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE import_departments (
    seq bigint NOT NULL, id text NOT NULL, name text NOT NULL, enabled boolean NOT NULL,
    type text NOT NULL, ancestors text[] NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE import_unit_monitors (
    seq bigint NOT NULL, id text NOT NULL, monitor_id text NOT NULL, unit_id text NOT NULL,
    username text
) ON COMMIT DROP;
CREATE TEMP TABLE import_conversations (
    seq bigint NOT NULL, id text NOT NULL, ts timestamptz NOT NULL, department_id text,
    department_ancestors text[] NOT NULL, source_type text, source_alias text,
    open boolean NOT NULL, on_hold boolean NOT NULL, served_by_id text, served_by_username text,
    tags text[] NOT NULL, chat_duration float8, closed_at timestamptz
) ON COMMIT DROP;
";

// The staging tables for `diesel::copy_from` (which needs a table type); only names matter.
diesel::table! {
    import_roles (seq) { seq -> BigInt, id -> Text, name -> Nullable<Text>,
        description -> Nullable<Text>, scope -> Nullable<Text>, }
}
diesel::table! {
    import_permissions (seq) { seq -> BigInt, id -> Text, roles -> Array<Text>, }
}
diesel::table! {
    import_users (seq) { seq -> BigInt, id -> Text, username -> Nullable<Text>,
        name -> Nullable<Text>, active -> Bool, roles -> Array<Text>,
        created_at -> Nullable<Timestamptz>, token_hashes -> Array<Text>,
        token_kinds -> Array<Text>, token_names -> Array<Nullable<Text>>,
        token_issued -> Array<Timestamptz>, }
}
diesel::table! {
    import_departments (seq) { seq -> BigInt, id -> Text, name -> Text, enabled -> Bool,
        #[sql_name = "type"] type_ -> Text, ancestors -> Array<Text>, }
}
diesel::table! {
    import_unit_monitors (seq) { seq -> BigInt, id -> Text, monitor_id -> Text, unit_id -> Text,
        username -> Nullable<Text>, }
}
diesel::table! {
    import_conversations (seq) { seq -> BigInt, id -> Text, ts -> Timestamptz,
        department_id -> Nullable<Text>, department_ancestors -> Array<Text>,
        source_type -> Nullable<Text>, source_alias -> Nullable<Text>, open -> Bool,
        on_hold -> Bool, served_by_id -> Nullable<Text>, served_by_username -> Nullable<Text>,
        tags -> Array<Text>, chat_duration -> Nullable<Double>,
        closed_at -> Nullable<Timestamptz>, }
}

pub fn create(conn: &mut PgConnection) -> Result<(), ImportError> {
    conn.batch_execute(DDL)
        .context("creating the staging tables")
}

/// Rows written by an upsert; the staged rows that are neither were already up to date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName)]
pub struct Upserted {
    #[diesel(sql_type = BigInt)]
    pub inserted: i64,
    #[diesel(sql_type = BigInt)]
    pub updated: i64,
}

/// A real table fed from a staging table.
struct Target {
    table: &'static str,
    staging: &'static str,
    key: &'static str,
    /// `(column, expression over the staging row)`; the key comes first.
    columns: &'static [(&'static str, &'static str)],
    /// Columns an update leaves alone (the first import's `created_at`).
    keep: &'static [&'static str],
}

const ROLES: Target = Target {
    table: "roles",
    staging: "import_roles",
    key: "id",
    columns: &[
        ("id", "id"),
        ("name", "COALESCE(name, id)"),
        ("description", "COALESCE(description, '')"),
        ("scope", "COALESCE(scope, 'Users')"),
    ],
    keep: &[],
};

const PERMISSIONS: Target = Target {
    table: "permissions",
    staging: "import_permissions",
    key: "id",
    columns: &[("id", "id"), ("roles", "roles")],
    keep: &[],
};

const USERS: Target = Target {
    table: "users",
    staging: "import_users",
    key: "id",
    columns: &[
        ("id", "id"),
        ("username", "username"),
        ("name", "name"),
        ("active", "active"),
        ("roles", "roles"),
        ("created_at", "COALESCE(created_at, now())"),
    ],
    keep: &["created_at"],
};

const DEPARTMENTS: Target = Target {
    table: "departments",
    staging: "import_departments",
    key: "id",
    columns: &[
        ("id", "id"),
        ("name", "name"),
        ("enabled", "enabled"),
        ("type", "type"),
        ("ancestors", "ancestors"),
    ],
    keep: &[],
};

const UNIT_MONITORS: Target = Target {
    table: "unit_monitors",
    staging: "import_unit_monitors",
    key: "id",
    columns: &[
        ("id", "id"),
        ("monitor_id", "monitor_id"),
        ("unit_id", "unit_id"),
        ("username", "username"),
    ],
    keep: &[],
};

const CONVERSATIONS: Target = Target {
    table: "conversations",
    staging: "import_conversations",
    key: "id",
    columns: &[
        ("id", "id"),
        ("ts", "ts"),
        ("department_id", "department_id"),
        ("department_ancestors", "department_ancestors"),
        ("source_type", "source_type"),
        ("source_alias", "source_alias"),
        ("open", "open"),
        ("on_hold", "on_hold"),
        ("served_by_id", "served_by_id"),
        ("served_by_username", "served_by_username"),
        ("tags", "tags"),
        ("chat_duration", "chat_duration"),
        ("closed_at", "closed_at"),
    ],
    keep: &[],
};

const LOGIN_TOKENS: Target = Target {
    table: "user_tokens",
    staging: "import_tokens",
    key: "user_id, hashed_token",
    columns: &[
        ("user_id", "user_id"),
        ("hashed_token", "hashed_token"),
        ("kind", "kind"),
        ("name", "name"),
        ("issued_at", "issued_at"),
    ],
    keep: &[],
};

impl Target {
    /// One statement: the last staged row of each key is inserted, or updates the existing row
    /// when it differs (an identical row is not rewritten). `xmax = 0` tells inserted rows from
    /// updated ones.
    fn upsert_sql(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        let exprs: Vec<&str> = self.columns.iter().map(|(_, e)| *e).collect();
        let updated: Vec<&str> = names
            .iter()
            .copied()
            .filter(|c| !self.key.split(", ").any(|k| k == *c) && !self.keep.contains(c))
            .collect();
        let set: Vec<String> = updated
            .iter()
            .map(|c| format!("{c} = EXCLUDED.{c}"))
            .collect();
        let old: Vec<String> = updated.iter().map(|c| format!("t.{c}")).collect();
        let new: Vec<String> = updated.iter().map(|c| format!("EXCLUDED.{c}")).collect();
        format!(
            "WITH upserted AS (
                INSERT INTO {table} AS t ({names})
                SELECT DISTINCT ON ({key}) {exprs} FROM {staging} ORDER BY {key}, seq DESC
                ON CONFLICT ({key}) DO UPDATE SET {set}
                WHERE ({old}) IS DISTINCT FROM ({new})
                RETURNING (xmax = 0) AS inserted)
            SELECT count(*) FILTER (WHERE inserted) AS inserted,
                   count(*) FILTER (WHERE NOT inserted) AS updated
            FROM upserted",
            table = self.table,
            staging = self.staging,
            key = self.key,
            names = names.join(", "),
            exprs = exprs.join(", "),
            set = set.join(", "),
            old = old.join(", "),
            new = new.join(", "),
        )
    }

    fn upsert(&self, conn: &mut PgConnection) -> Result<Upserted, ImportError> {
        diesel::sql_query(self.upsert_sql())
            .get_result(conn)
            .context(format!("writing {}", self.table))
    }
}

/// Upserts the staged rows of `collection` into its table.
pub fn upsert(conn: &mut PgConnection, collection: &str) -> Result<Upserted, ImportError> {
    match collection {
        "rocketchat_roles" => ROLES.upsert(conn),
        "rocketchat_permissions" => PERMISSIONS.upsert(conn),
        "users" => USERS.upsert(conn),
        "rocketchat_livechat_department" => DEPARTMENTS.upsert(conn),
        "rocketchat_livechat_unit_monitors" => UNIT_MONITORS.upsert(conn),
        _ => CONVERSATIONS.upsert(conn),
    }
}

/// What the export's login tokens changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenChanges {
    pub read: u64,
    pub upserted: Upserted,
    pub deleted: u64,
}

/// Makes each imported user's tokens exactly those of the export: Rocket.Chat removes a token
/// at logout, so a token missing from a newer export must stop working here too. An inactive
/// user (in its last document) holds none, whatever the export lists: Rocket.Chat unsets a
/// deactivated user's tokens, and the database revokes them when `active` turns false.
pub fn sync_tokens(conn: &mut PgConnection) -> Result<TokenChanges, ImportError> {
    conn.batch_execute(
        "CREATE TEMP TABLE import_tokens ON COMMIT DROP AS
         SELECT DISTINCT ON (u.id, t.hashed_token) 0::bigint AS seq, u.id AS user_id,
                t.hashed_token, t.kind, t.name, t.issued_at
         FROM (SELECT DISTINCT ON (id) * FROM import_users ORDER BY id, seq DESC) u
         CROSS JOIN LATERAL unnest(u.token_hashes, u.token_kinds, u.token_names, u.token_issued)
             AS t(hashed_token, kind, name, issued_at)
         WHERE u.active
         ORDER BY u.id, t.hashed_token, t.issued_at DESC",
    )
    .context("collecting the login tokens")?;
    let deleted = diesel::sql_query(
        "DELETE FROM user_tokens ut
         WHERE ut.user_id IN (SELECT id FROM import_users)
           AND NOT EXISTS (SELECT 1 FROM import_tokens t
                           WHERE t.user_id = ut.user_id AND t.hashed_token = ut.hashed_token)",
    )
    .execute(conn)
    .context("removing the login tokens no longer in the export")?;
    let upserted = LOGIN_TOKENS.upsert(conn)?;
    let read =
        diesel::sql_query("SELECT count(*) AS inserted, 0::bigint AS updated FROM import_tokens")
            .get_result::<Upserted>(conn)
            .context("counting the login tokens")?
            .inserted;
    Ok(TokenChanges {
        read: read as u64,
        upserted,
        deleted: deleted as u64,
    })
}

/// Roles that users or permissions refer to but the export does not define (its roles file is
/// optional) are created, named after their id, so that every role in use exists.
pub fn create_referenced_roles(conn: &mut PgConnection) -> Result<u64, ImportError> {
    diesel::sql_query(
        "INSERT INTO roles (id, name)
         SELECT DISTINCT r, r FROM (SELECT unnest(roles) FROM import_users
                                    UNION ALL SELECT unnest(roles) FROM import_permissions) x(r)
         WHERE r IS NOT NULL
         ON CONFLICT (id) DO NOTHING",
    )
    .execute(conn)
    .map(|n| n as u64)
    .context("creating the roles in use")
}
