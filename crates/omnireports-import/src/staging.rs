//! Staging tables (temporary, dropped at commit) that COPY fills, and the statements that
//! upsert them into the real tables. Each is declared once, column by column; its columns are
//! the row order of its mapping (`map.rs`).

use crate::collection::Collection;
use crate::error::{Context as _, ImportError};
use diesel::connection::SimpleConnection as _;
use diesel::pg::CopyFormat;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// Feeds a COPY: writes the rows, in COPY text format, to the sink.
pub type Feed<'a> = &'a dyn Fn(&mut dyn std::io::Write) -> Result<(), ImportError>;

/// A staging table: temporary (dropped at commit), filled by COPY with one collection's rows,
/// then upserted into its table.
#[derive(Debug)]
pub struct Staging {
    pub name: &'static str,
    /// `(name, SQL type)`, in row order. `seq` is a document's order in its file: when an
    /// `_id` repeats, the last one wins.
    pub columns: &'static [(&'static str, &'static str)],
    copy: fn(&mut PgConnection, Feed<'_>) -> Result<usize, ImportError>,
    target: Target,
}

impl Staging {
    /// `CREATE TEMP TABLE …`.
    pub fn ddl(&self) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|(name, sql)| format!("{name} {sql}"))
            .collect();
        format!(
            "CREATE TEMP TABLE {} ({}) ON COMMIT DROP",
            self.name,
            columns.join(", ")
        )
    }

    /// `COPY … FROM STDIN` of the rows that `send` writes; the rows COPYed.
    pub fn copy(&self, conn: &mut PgConnection, send: Feed<'_>) -> Result<usize, ImportError> {
        (self.copy)(conn, send)
    }

    /// Applies the staged rows to their table: upserts, or the trash's deletes.
    pub fn apply(&self, conn: &mut PgConnection) -> Result<Applied, ImportError> {
        match &self.target {
            Target::Upsert(upsert) => {
                let upserted = upsert.upsert(self.name, conn)?;
                Ok(Applied {
                    inserted: upserted.inserted as u64,
                    updated: upserted.updated as u64,
                    deleted: 0,
                })
            }
            Target::Delete => delete_trashed(self.name, conn),
        }
    }
}

/// Declares each staging table once: its columns give the DDL, the diesel table that
/// `diesel::copy_from` needs (and that names the columns of the COPY), and the row order.
macro_rules! staging_tables {
    ($(
        $(#[$doc:meta])*
        $name:ident = $table:ident into $target:expr, {
            $( $column:ident : $type:ty = $sql:literal ),+ $(,)?
        }
    )+) => {$(
        diesel::table! {
            $table (seq) { $( $column -> $type, )+ }
        }

        $(#[$doc])*
        pub const $name: Staging = Staging {
            name: stringify!($table),
            columns: &[$( (stringify!($column), $sql) ),+],
            copy: |conn, send| {
                diesel::copy_from($table::table)
                    .from_raw_data($table::table, send)
                    .with_format(CopyFormat::Text)
                    .execute(conn)
            },
            target: $target,
        };
    )+};
}

staging_tables! {
    /// `rocketchat_roles` → `roles`.
    IMPORT_ROLES = import_roles into ROLES, {
        seq: BigInt = "bigint NOT NULL",
        id: Text = "text NOT NULL",
        name: Nullable<Text> = "text",
        description: Nullable<Text> = "text",
        scope: Nullable<Text> = "text",
    }
    /// `rocketchat_permissions` → `permissions`.
    IMPORT_PERMISSIONS = import_permissions into PERMISSIONS, {
        seq: BigInt = "bigint NOT NULL",
        id: Text = "text NOT NULL",
        roles: Array<Text> = "text[] NOT NULL",
    }
    /// `users` → `users`; the login tokens are collected from it by [`sync_tokens`].
    IMPORT_USERS = import_users into USERS, {
        seq: BigInt = "bigint NOT NULL",
        id: Text = "text NOT NULL",
        username: Nullable<Text> = "text",
        name: Nullable<Text> = "text",
        active: Bool = "boolean NOT NULL",
        roles: Array<Text> = "text[] NOT NULL",
        created_at: Nullable<Timestamptz> = "timestamptz",
        token_hashes: Array<Text> = "text[] NOT NULL",
        token_kinds: Array<Text> = "text[] NOT NULL",
        token_names: Array<Nullable<Text>> = "text[] NOT NULL",
        token_issued: Array<Timestamptz> = "timestamptz[] NOT NULL",
        emails: Jsonb = "jsonb NOT NULL",
        status: Nullable<Text> = "text",
        password_bcrypt: Nullable<Text> = "text",
        totp_secret: Nullable<Text> = "text",
        email_two_factor: Bool = "boolean NOT NULL",
    }
    /// `rocketchat_livechat_department` → `departments`.
    IMPORT_DEPARTMENTS = import_departments into DEPARTMENTS, {
        seq: BigInt = "bigint NOT NULL",
        id: Text = "text NOT NULL",
        name: Text = "text NOT NULL",
        enabled: Bool = "boolean NOT NULL",
        kind: Text = "text NOT NULL",
        ancestors: Array<Text> = "text[] NOT NULL",
    }
    /// `rocketchat_livechat_unit_monitors` → `unit_monitors`.
    IMPORT_UNIT_MONITORS = import_unit_monitors into UNIT_MONITORS, {
        seq: BigInt = "bigint NOT NULL",
        id: Text = "text NOT NULL",
        monitor_id: Text = "text NOT NULL",
        unit_id: Text = "text NOT NULL",
        username: Nullable<Text> = "text",
    }
    /// `rocketchat__trash` → deletes from the table `target` names.
    IMPORT_TRASH = import_trash into Target::Delete, {
        seq: BigInt = "bigint NOT NULL",
        id: Text = "text NOT NULL",
        target: Text = "text NOT NULL",
    }
    /// `rocketchat_room` (its livechats) → `conversations`.
    IMPORT_CONVERSATIONS = import_conversations into CONVERSATIONS, {
        seq: BigInt = "bigint NOT NULL",
        id: Text = "text NOT NULL",
        ts: Timestamptz = "timestamptz NOT NULL",
        department_id: Nullable<Text> = "text",
        department_ancestors: Array<Text> = "text[] NOT NULL",
        source_type: Nullable<Text> = "text",
        source_alias: Nullable<Text> = "text",
        open: Bool = "boolean NOT NULL",
        on_hold: Bool = "boolean NOT NULL",
        served_by_id: Nullable<Text> = "text",
        served_by_username: Nullable<Text> = "text",
        tags: Array<Text> = "text[] NOT NULL",
        chat_duration: Nullable<Double> = "float8",
        closed_at: Nullable<Timestamptz> = "timestamptz",
    }
}

/// Creates the staging table of every collection.
pub fn create(conn: &mut PgConnection) -> Result<(), ImportError> {
    let ddl: Vec<String> = Collection::ALL.iter().map(|c| c.staging().ddl()).collect();
    conn.batch_execute(&ddl.join(";\n"))
        .context("creating the staging tables")
}

/// What applying a staging table changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
}

/// Deletes the rows the trash names, table by table. A deleted user's tokens go with it (the
/// foreign key cascades); the engine's triggers take deleted conversations out of the
/// aggregates and departments out of the units', as for any other write.
fn delete_trashed(staging: &str, conn: &mut PgConnection) -> Result<Applied, ImportError> {
    let mut deleted = 0;
    for table in TRASHED_TABLES {
        let sql = format!(
            "DELETE FROM {table} WHERE id IN (SELECT id FROM {staging} WHERE target = '{table}')"
        );
        let rows = diesel::sql_query(sql)
            .execute(conn)
            .context(format!("deleting the trashed rows of {table}"))?;
        deleted += rows as u64;
    }
    Ok(Applied {
        deleted,
        ..Applied::default()
    })
}

/// Rows written by an upsert; the staged rows that are neither were already up to date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName)]
pub struct Upserted {
    #[diesel(sql_type = BigInt)]
    pub inserted: i64,
    #[diesel(sql_type = BigInt)]
    pub updated: i64,
}

/// What a staging table's rows do to the real tables.
#[derive(Debug)]
enum Target {
    /// Each row is upserted into one table.
    Upsert(Upsert),
    /// Each row (`id`, `target`) deletes a row of the table named `target`: the trash.
    Delete,
}

/// The tables a trash entry can delete from ([`crate::map::Trashed`]).
const TRASHED_TABLES: [&str; 4] = ["conversations", "departments", "unit_monitors", "users"];

/// A real table fed from a staging table.
#[derive(Debug)]
struct Upsert {
    table: &'static str,
    key: &'static str,
    /// `(column, expression over the staging row)`; the key comes first.
    columns: &'static [(&'static str, &'static str)],
    /// Columns an update leaves alone (the first import's `created_at`).
    keep: &'static [&'static str],
}

const ROLES: Target = Target::Upsert(Upsert {
    table: "roles",
    key: "id",
    columns: &[
        ("id", "id"),
        ("name", "COALESCE(name, id)"),
        ("description", "COALESCE(description, '')"),
        ("scope", "COALESCE(scope, 'Users')"),
    ],
    keep: &[],
});

const PERMISSIONS: Target = Target::Upsert(Upsert {
    table: "permissions",
    key: "id",
    columns: &[("id", "id"), ("roles", "roles")],
    keep: &[],
});

const USERS: Target = Target::Upsert(Upsert {
    table: "users",
    key: "id",
    columns: &[
        ("id", "id"),
        ("username", "username"),
        ("name", "name"),
        ("active", "active"),
        ("roles", "roles"),
        ("created_at", "COALESCE(created_at, now())"),
        ("emails", "emails"),
        ("status", "COALESCE(status, 'offline')"),
        ("password_bcrypt", "password_bcrypt"),
        ("totp_secret", "totp_secret"),
        ("email_two_factor", "email_two_factor"),
    ],
    keep: &["created_at"],
});

const DEPARTMENTS: Target = Target::Upsert(Upsert {
    table: "departments",
    key: "id",
    columns: &[
        ("id", "id"),
        ("name", "name"),
        ("enabled", "enabled"),
        ("type", "kind"),
        ("ancestors", "ancestors"),
    ],
    keep: &[],
});

const UNIT_MONITORS: Target = Target::Upsert(Upsert {
    table: "unit_monitors",
    key: "id",
    columns: &[
        ("id", "id"),
        ("monitor_id", "monitor_id"),
        ("unit_id", "unit_id"),
        ("username", "username"),
    ],
    keep: &[],
});

const CONVERSATIONS: Target = Target::Upsert(Upsert {
    table: "conversations",
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
});

const LOGIN_TOKENS: Upsert = Upsert {
    table: "user_tokens",
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

impl Upsert {
    /// One statement: the last staged row of each key is inserted, or updates the existing row
    /// when it differs (an identical row is not rewritten). `xmax = 0` tells inserted rows from
    /// updated ones.
    fn upsert_sql(&self, staging: &str) -> String {
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
            key = self.key,
            names = names.join(", "),
            exprs = exprs.join(", "),
            set = set.join(", "),
            old = old.join(", "),
            new = new.join(", "),
        )
    }

    fn upsert(&self, staging: &str, conn: &mut PgConnection) -> Result<Upserted, ImportError> {
        diesel::sql_query(self.upsert_sql(staging))
            .get_result(conn)
            .context(format!("writing {}", self.table))
    }
}

/// What the export's login tokens changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenChanges {
    pub read: u64,
    pub upserted: Upserted,
    pub deleted: u64,
}

/// Makes each imported user's Rocket.Chat tokens exactly those of the export: Rocket.Chat
/// removes a token at logout, so a token missing from a newer export must stop working here
/// too. The tokens omnireports issued are not Rocket.Chat's to remove, and stay. An inactive
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
         WHERE ut.user_id IN (SELECT id FROM import_users) AND ut.issuer = 'rocketchat'
           AND NOT EXISTS (SELECT 1 FROM import_tokens t
                           WHERE t.user_id = ut.user_id AND t.hashed_token = ut.hashed_token)",
    )
    .execute(conn)
    .context("removing the login tokens no longer in the export")?;
    let upserted = LOGIN_TOKENS.upsert("import_tokens", conn)?;
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
/// optional) are created, named after their id, so that every role in use exists. (Those that
/// exist are left out before the insert: Citus counts the rows an INSERT … SELECT sends, not
/// those it writes.)
pub fn create_referenced_roles(conn: &mut PgConnection) -> Result<u64, ImportError> {
    diesel::sql_query(
        "INSERT INTO roles (id, name)
         SELECT DISTINCT r, r FROM (SELECT unnest(roles) FROM import_users
                                    UNION ALL SELECT unnest(roles) FROM import_permissions) x(r)
         WHERE r IS NOT NULL AND r NOT IN (SELECT id FROM roles)
         ON CONFLICT (id) DO NOTHING",
    )
    .execute(conn)
    .map(|n| n as u64)
    .context("creating the roles in use")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ddl_comes_from_the_declaration() {
        assert_eq!(
            IMPORT_PERMISSIONS.ddl(),
            "CREATE TEMP TABLE import_permissions \
             (seq bigint NOT NULL, id text NOT NULL, roles text[] NOT NULL) ON COMMIT DROP"
        );
        for collection in Collection::ALL {
            let staging = collection.staging();
            assert_eq!(
                staging.columns[0],
                ("seq", "bigint NOT NULL"),
                "{}",
                staging.name
            );
        }
    }
}
