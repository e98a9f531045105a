//! Laying the engine out in a database: its tables where missing, its schema anew.

use super::sql::{
    self, all_tables, create_log, logged_columns, packed_names, plain_tables, schema, Table,
};
use super::{citus, packed, Dimension, FOLD_LOCK, SCHEMA};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Nullable, Text};

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    value: bool,
}

#[derive(QueryableByName)]
struct Columns {
    #[diesel(sql_type = Nullable<Array<Text>>)]
    names: Option<Vec<String>>,
}

/// Installs the engine for `dimensions` in one transaction, while writers of conversations,
/// departments and users wait (their triggers are dropped and created again): changes logged under the previous engine are folded with it, the engine's
/// schema is dropped, missing aggregate tables are created, the change log is laid out anew when
/// its columns differ, the schema is created from `dimensions`, and every count is rebuilt when
/// a table was created or its levels changed. Run after the versioned migrations, on every
/// migration.
///
/// Where the database has the `citus` extension, the tables are distributed first and the
/// engine is laid out for Citus (`engine/citus.rs`; [`is_citus`](super::is_citus)).
pub fn install(conn: &mut PgConnection, dimensions: &[&Dimension]) -> QueryResult<()> {
    conn.transaction(|conn| {
        let citus = citus::is_citus(conn)?;
        if citus {
            citus::begin(conn)?;
        }
        conn.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock(hashtext('{FOLD_LOCK}'));
             LOCK TABLE conversations, departments, users IN SHARE ROW EXCLUSIVE MODE"
        ))?;
        fold_with_previous_engine(conn)?;
        conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))?;
        // After the drop: Citus distributes no table with the engine's triggers on it.
        if citus {
            citus::distribute_sources(conn)?;
        }
        let (tables, log, layout) = match citus {
            false => (
                all_tables(dimensions),
                create_log(dimensions),
                std::iter::once("sign")
                    .chain(logged_columns(dimensions))
                    .collect(),
            ),
            true => (
                citus::tables(dimensions),
                citus::create_log(dimensions),
                citus::log_columns(dimensions),
            ),
        };
        let mut created = create_missing_tables(conn, &tables, citus)?;
        match citus {
            false => created |= create_missing_packed(conn, &tables)?,
            // Left by a single-node engine; nothing on Citus keeps them.
            true => drop_packed(conn, &tables)?,
        }
        if lay_out_log(conn, &log, &layout)? && citus {
            citus::distribute(conn, "conversation_changes")?;
        }
        match citus {
            false => conn.batch_execute(&schema(dimensions))?,
            true => citus::execute(conn, &citus::schema(dimensions))?,
        }
        if created {
            conn.batch_execute(&format!("SELECT {SCHEMA}.rebuild_aggregates()"))?;
        }
        Ok(())
    })
}

/// Drops the engine: its schema, the change log and the tables of `dimensions`.
pub fn uninstall(conn: &mut PgConnection, dimensions: &[&Dimension]) -> QueryResult<()> {
    let all = all_tables(dimensions);
    let tables: Vec<String> = all
        .iter()
        .map(|t| t.name.to_owned())
        .chain(packed_names(&all))
        .collect();
    conn.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
         DROP TABLE IF EXISTS conversation_changes, {}",
        tables.join(", ")
    ))
}

fn flag(conn: &mut PgConnection, query: &str) -> QueryResult<bool> {
    Ok(diesel::sql_query(query).get_result::<Flag>(conn)?.value)
}

fn fold_with_previous_engine(conn: &mut PgConnection) -> QueryResult<()> {
    let installed = flag(
        conn,
        &format!(
            "SELECT to_regprocedure('{SCHEMA}.fold_changes(integer)') IS NOT NULL \
             AND to_regclass('conversation_changes') IS NOT NULL AS value"
        ),
    )?;
    if installed {
        conn.batch_execute(&format!("SELECT {SCHEMA}.fold_changes(NULL)"))?;
    }
    Ok(())
}

/// Creates the aggregate tables that do not exist yet (distributed, on Citus), and records each
/// table's levels in its comment; whether its counts must be rebuilt: a table was created, or
/// one was laid out for other levels.
fn create_missing_tables(
    conn: &mut PgConnection,
    tables: &[Table],
    citus: bool,
) -> QueryResult<bool> {
    let mut rebuild = false;
    for table in tables {
        let mut exists = flag(
            conn,
            &format!("SELECT to_regclass('{}') IS NOT NULL AS value", table.name),
        )?;
        // A database that got Citus after it was populated has single-node tables: no shard
        // column, on the coordinator alone. They are made anew, distributed, and counted again.
        if exists && citus && !citus::is_distributed_table(conn, table.name)? {
            conn.batch_execute(&format!("DROP TABLE {}", table.name))?;
            exists = false;
        }
        if !exists {
            conn.batch_execute(&table.create())?;
            if citus {
                citus::distribute(conn, table.name)?;
            }
        }
        let layout = table.layout();
        let laid_out = flag(
            conn,
            &format!(
                "SELECT obj_description('{}'::regclass, 'pg_class') \
                 IS NOT DISTINCT FROM '{layout}' AS value",
                table.name
            ),
        )?;
        if !laid_out {
            conn.batch_execute(&format!("COMMENT ON TABLE {} IS '{layout}'", table.name))?;
            rebuild = true;
        }
    }
    Ok(rebuild)
}

/// Creates the packed counts of the plain tables where missing (single node), readable by
/// whoever may read the plain table; whether one was created.
fn create_missing_packed(conn: &mut PgConnection, tables: &[Table]) -> QueryResult<bool> {
    let mut created = false;
    for table in plain_tables(tables) {
        for (name, create) in packed::names(table).iter().zip(packed::create(table)) {
            let exists = flag(
                conn,
                &format!("SELECT to_regclass('{name}') IS NOT NULL AS value"),
            )?;
            if !exists {
                conn.batch_execute(&create)?;
                conn.batch_execute(&copy_grants(table.name, name))?;
                created = true;
            }
        }
    }
    Ok(created)
}

/// Grants on `to` what `from` grants to roles other than its owner.
fn copy_grants(from: &str, to: &str) -> String {
    format!(
        "DO $grants$ DECLARE grant_row record; BEGIN\n{}END $grants$",
        sql::copy_grants(&format!("'{from}'::regclass"), &format!("'{to}'"))
    )
}

fn drop_packed(conn: &mut PgConnection, tables: &[Table]) -> QueryResult<()> {
    for name in packed_names(tables) {
        conn.batch_execute(&format!("DROP TABLE IF EXISTS {name}"))?;
    }
    Ok(())
}

/// The change log with the columns `wanted` (made by `create`). It is empty here (folded
/// above), so a log of other columns is simply replaced; whether it was.
fn lay_out_log(conn: &mut PgConnection, create: &str, wanted: &[&str]) -> QueryResult<bool> {
    let current = diesel::sql_query(
        "SELECT array_agg(attname::text ORDER BY attnum) AS names FROM pg_attribute \
         WHERE attrelid = to_regclass('conversation_changes') AND attnum > 0 AND NOT attisdropped",
    )
    .get_result::<Columns>(conn)?
    .names;
    let wanted: Vec<String> = wanted.iter().map(|c| (*c).to_owned()).collect();
    if current.as_ref() == Some(&wanted) {
        return Ok(false);
    }
    conn.batch_execute("DROP TABLE IF EXISTS conversation_changes")?;
    citus::execute(conn, create)?;
    Ok(true)
}

/// Whether an [`install`] for `dimensions` committed: the engine's schema exists and, on a
/// single node, the packed counts of each plain table too (a database migrated by an earlier
/// release lacks them until its next `install`).
pub fn is_installed(conn: &mut PgConnection, dimensions: &[&Dimension]) -> QueryResult<bool> {
    let packed: Vec<String> = packed_names(&all_tables(dimensions))
        .iter()
        .map(|name| format!("to_regclass('{name}') IS NOT NULL"))
        .chain(std::iter::once("true".to_owned()))
        .collect();
    flag(
        conn,
        &format!(
            "SELECT to_regnamespace('{SCHEMA}') IS NOT NULL AND (EXISTS (SELECT FROM pg_extension \
             WHERE extname = 'citus') OR {}) AS value",
            packed.join(" AND ")
        ),
    )
}
