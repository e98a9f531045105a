//! The engine on Citus: what [`install`](super::install) lays out instead where the database
//! has the `citus` extension. The single-node engine stays as it is; this module only adds
//! the distribution and replaces what Citus cannot run (see `docs/architecture.md`, "Citus").
//!
//! - `conversations` is distributed on `id` (never NULL, and already the key every writer
//!   upserts by: Citus refuses a generated distribution column, so a derived `shard` column
//!   would have to be written by every writer). The change log and every aggregate table carry
//!   a `shard text NOT NULL` co-located with it: for a log row, and for an aggregate row, one
//!   fixed id (`engine.shard_keys`) of the shard of the conversations it counts, so a
//!   conversation, its logged changes and its counts live on the same node.
//! - The change log is written by row triggers on the shards (`citus.enable_unsafe_triggers`:
//!   each insert goes to the co-located shard, on the same node, in the writer's transaction);
//!   Citus refuses statement triggers with transition tables on distributed tables.
//! - The small tables are reference tables; their row triggers fire on every node's copy, so
//!   those that write counts or tokens act on the coordinator's only.
//! - Folding, rebuilds and department moves are the single-node statements with `shard` in
//!   every group, run from the coordinator in the caller's transaction; a rebuild refills the
//!   tables in place (no swap of distributed tables).
//! - No trigger moves `data_version` (it would write a reference table from every shard): the
//!   report cache is off on Citus.

use super::sql::{self, Column, Kind, Table};
use super::{Dimension, FOLD_LOCK, SCHEMA};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use std::sync::OnceLock;

/// The column of the change log and of every aggregate table that Citus distributes them by.
const SHARD: &str = "shard";

/// The small tables, copied to every node; referenced tables before those referencing them.
const REFERENCE_TABLES: &[&str] = &[
    "users",
    "user_tokens",
    "roles",
    "permissions",
    "departments",
    "unit_monitors",
    "import_runs",
    "import_run_collections",
    "data_version",
];

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    value: bool,
}

fn flag(conn: &mut PgConnection, query: &str) -> QueryResult<bool> {
    Ok(diesel::sql_query(query).get_result::<Flag>(conn)?.value)
}

/// Whether the database has the `citus` extension: then [`install`](super::install) lays the
/// engine out for Citus.
pub fn is_citus(conn: &mut PgConnection) -> QueryResult<bool> {
    flag(
        conn,
        "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') AS value",
    )
}

/// [`is_citus`] of the first database this process asks about, remembered: a process serves
/// one kind of database (its primary and a replica of it), and reports read this before every
/// query, so that single-node reports cost no extra round trip.
pub fn is_distributed(conn: &mut PgConnection) -> QueryResult<bool> {
    static DISTRIBUTED: OnceLock<bool> = OnceLock::new();
    if let Some(value) = DISTRIBUTED.get() {
        return Ok(*value);
    }
    let value = is_citus(conn)?;
    Ok(*DISTRIBUTED.get_or_init(|| value))
}

pub(super) fn is_distributed_table(conn: &mut PgConnection, table: &str) -> QueryResult<bool> {
    flag(
        conn,
        &format!(
            "SELECT EXISTS (SELECT FROM pg_dist_partition \
             WHERE logicalrelid = to_regclass('{table}')) AS value"
        ),
    )
}

/// Sets up an install's transaction: one connection per worker (Citus refuses DDL after a
/// parallel statement in the same transaction: the fold with the previous engine), and
/// triggers allowed on distributed tables.
pub(super) fn begin(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(
        "SET LOCAL citus.multi_shard_modify_mode = 'sequential'; \
         SET LOCAL citus.enable_unsafe_triggers = on",
    )
}

/// Switches the log trigger off on every shard until [`enable_logging`] or the end of the
/// transaction: the shards never see the coordinator's `SET LOCAL`, so the single-node
/// `omnireports.defer_aggregates` cannot reach their triggers. ALTER TABLE holds
/// `conversations` in ACCESS EXCLUSIVE mode until the commit. The transaction goes on over one
/// connection per worker: Citus refuses the DDL of [`enable_logging`] after a write that used
/// several.
pub(super) fn disable_logging(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")?;
    set_logging(conn, "DISABLE")
}

/// Switches the log trigger on again after [`disable_logging`].
pub(super) fn enable_logging(conn: &mut PgConnection) -> QueryResult<()> {
    set_logging(conn, "ENABLE")
}

fn set_logging(conn: &mut PgConnection, action: &str) -> QueryResult<()> {
    // One statement each: Citus sends a worker the DDL's text, which may hold one command.
    conn.batch_execute("SET LOCAL citus.enable_unsafe_triggers = on")?;
    conn.batch_execute(&format!(
        "ALTER TABLE conversations {action} TRIGGER conversations_aggregate"
    ))
}

/// Distributes the source tables that are not yet: the small ones as reference tables,
/// `conversations` on `id`.
pub(super) fn distribute_sources(conn: &mut PgConnection) -> QueryResult<()> {
    for table in REFERENCE_TABLES {
        if !is_distributed_table(conn, table)? {
            conn.batch_execute(&format!("SELECT create_reference_table('{table}')"))?;
        }
    }
    if !is_distributed_table(conn, "conversations")? {
        // Citus copies the rows of a populated table to the shards and leaves the originals on
        // the coordinator, unread: they would keep a second copy of every conversation.
        conn.batch_execute(
            "SELECT create_distributed_table('conversations', 'id'); \
             SELECT truncate_local_data_after_distributing_table('conversations')",
        )?;
    }
    Ok(())
}

/// Runs `sql` one statement at a time: Citus sends some DDL (CREATE SCHEMA) to the workers as
/// the text of the whole query, which a worker refuses when it holds several commands.
pub(super) fn execute(conn: &mut PgConnection, sql: &str) -> QueryResult<()> {
    let mut statement = String::new();
    for part in sql.split_inclusive(";\n") {
        statement.push_str(part);
        // A `;` followed by a line break ends a statement unless it is inside a body.
        let quotes = statement.matches("$fn$").count() + statement.matches("$do$").count();
        if quotes % 2 == 0 {
            conn.batch_execute(statement.trim_end().trim_end_matches(';'))?;
            statement.clear();
        }
    }
    match statement.trim().is_empty() {
        true => Ok(()),
        false => conn.batch_execute(&statement),
    }
}

/// The aggregate tables of `dimensions`, each with [`SHARD`] last among its key columns (so
/// that it is in every key and group of the single-node statements).
pub(super) fn tables(dimensions: &[&Dimension]) -> Vec<Table> {
    let mut tables = sql::all_tables(dimensions);
    for table in &mut tables {
        table.columns.push(Column {
            name: SHARD,
            sql_type: "text NOT NULL",
            expression: "c.shard",
        });
    }
    tables
}

/// Distributes a table just created, co-located with `conversations`.
pub(super) fn distribute(conn: &mut PgConnection, table: &str) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "SELECT create_distributed_table('{table}', '{SHARD}', colocate_with => 'conversations')"
    ))
}

/// The change log, empty: [`SHARD`] first, then the single-node log's columns.
pub(super) fn create_log(dimensions: &[&Dimension]) -> String {
    format!(
        "CREATE TABLE conversation_changes AS SELECT ''::text AS {SHARD}, 1::smallint AS sign, {} \
         FROM conversations WITH NO DATA;\n\
         ALTER TABLE conversation_changes ALTER COLUMN {SHARD} SET NOT NULL",
        sql::logged_columns(dimensions).join(", ")
    )
}

/// The change log's columns as [`create_log`] makes them.
pub(super) fn log_columns(dimensions: &[&Dimension]) -> Vec<&'static str> {
    [SHARD, "sign"]
        .into_iter()
        .chain(sql::logged_columns(dimensions))
        .collect()
}

/// The engine's schema for Citus: the single-node functions where they run as they are, the
/// Citus ones where they cannot.
pub(super) fn schema(dimensions: &[&Dimension]) -> String {
    let tables = tables(dimensions);
    let schema = [
        format!("CREATE SCHEMA {SCHEMA}"),
        shard_keys(),
        quoted_bodies(&sql::BUCKETS_AND_UNITS.replace("{SCHEMA}", SCHEMA)),
        on_coordinator(
            &sql::REVOKE_TOKENS.replace("{SCHEMA}", SCHEMA),
            "FOR EACH ROW WHEN (OLD.active AND NOT NEW.active)",
        ),
        log_trigger(dimensions),
        sql::truncate_trigger(&tables, &[]),
        fold(&tables),
        refill(&tables),
        sql::refill_units(&tables),
        sql::rebuild(),
        on_coordinator(
            &sql::department_moves(&tables),
            "ON departments FOR EACH ROW",
        ),
    ]
    .join(";\n");
    [
        "department_moved",
        "departments_truncated",
        "conversations_truncated",
    ]
    .iter()
    .fold(schema, |schema, function| sequential(&schema, function))
}

/// `text` with the trigger function `function` writing the distributed tables over one
/// connection per worker: after a statement that used several, Citus refuses to write a
/// reference table in the same transaction (a writer's next `users` or `departments` row).
fn sequential(text: &str, function: &str) -> String {
    let head = format!("CREATE FUNCTION {SCHEMA}.{function}() RETURNS trigger LANGUAGE plpgsql");
    assert!(text.contains(&head), "no `{head}` in the engine's schema");
    text.replacen(
        &head,
        &format!("{head} SET citus.multi_shard_modify_mode = 'sequential'"),
        1,
    )
}

/// `text`'s SQL functions with their `RETURN expression` bodies as quoted `SELECT expression`
/// ones: Citus 12.1 copies a function to the workers with its body as a string, which for a
/// SQL-standard body is the bare `RETURN …` (a syntax error when the function runs there).
fn quoted_bodies(text: &str) -> String {
    let statements: Vec<String> = text
        .split(";\n")
        .map(|statement| match statement.split_once("\n    RETURN ") {
            Some((head, body)) => format!("{head}\n    AS $sql$ SELECT {body} $sql$"),
            None => statement.to_owned(),
        })
        .collect();
    statements.join(";\n")
}

/// A row trigger on a reference table fires on each node's copy: the trigger of `text`
/// (`CREATE TRIGGER … {clause} EXECUTE …`) made to fire on the coordinator's copy only, which
/// then writes the distributed tables once.
fn on_coordinator(text: &str, clause: &str) -> String {
    let guarded = match clause.contains(" WHEN (") {
        true => clause.replacen(" WHEN (", " WHEN (citus_is_coordinator() AND ", 1),
        false => format!("{clause} WHEN (citus_is_coordinator())"),
    };
    assert!(text.contains(clause), "no `{clause}` in the trigger text");
    text.replacen(clause, &guarded, 1)
}

/// `engine.shard_keys`: for every shard of `conversations`, the smallest number (as text) that
/// Citus places in it, which is the [`SHARD`] of the counts of that shard's conversations; and
/// `engine.shard_key(id)`, which finds it for a conversation by Citus's hash of the id, with the
/// shards' bounds written into its body: it runs inside queries on shards, where a query of a
/// table (even a reference table) is refused. Laid out anew on every migrate, so that it
/// follows the shards (after `citus_split_shard_by_split_points`, run `omnireports migrate`).
fn shard_keys() -> String {
    format!(
        "CREATE TABLE {SCHEMA}.shard_keys (shardid bigint PRIMARY KEY, key text NOT NULL);
SELECT create_reference_table('{SCHEMA}.shard_keys');
INSERT INTO {SCHEMA}.shard_keys
    SELECT DISTINCT ON (shardid) shardid, n::text FROM (
        SELECT n, get_shard_id_for_distribution_column('public.conversations', n::text) AS shardid
        FROM generate_series(0, 999999) AS n) AS candidates
    ORDER BY shardid, n;
DO $do$
DECLARE
    bounds int[];
    keys text[];
BEGIN
    SELECT array_agg(s.shardminvalue::int ORDER BY s.shardminvalue::int),
           array_agg(k.key ORDER BY s.shardminvalue::int)
      INTO bounds, keys
      FROM pg_dist_shard AS s LEFT JOIN {SCHEMA}.shard_keys AS k USING (shardid)
     WHERE s.logicalrelid = 'public.conversations'::regclass;
    IF array_position(keys, NULL) IS NOT NULL THEN
        RAISE 'a shard of conversations has no key in {SCHEMA}.shard_keys';
    END IF;
    EXECUTE format('CREATE FUNCTION {SCHEMA}.shard_key(id text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $sql$ SELECT (%L::text[])[width_bucket(worker_hash(id), %L::int[])] $sql$', keys, bounds);
END
$do$"
    )
}

/// One row trigger on the shards of `conversations` appending each row's change, signed, to
/// the change log; an update logs only a row whose logged columns changed (as the statement
/// triggers' EXCEPT ALL does). A bulk write switches it off ([`disable_logging`]).
fn log_trigger(dimensions: &[&Dimension]) -> String {
    let columns = sql::logged_columns(dimensions);
    let of = |row: &str| -> String {
        let values: Vec<String> = columns.iter().map(|c| format!("{row}.{c}")).collect();
        values.join(", ")
    };
    let names = columns.join(", ");
    format!(
        "CREATE FUNCTION {SCHEMA}.log_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'UPDATE' AND ROW({old}) IS NOT DISTINCT FROM ROW({new}) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO conversation_changes ({SHARD}, sign, {names})
        VALUES ({SCHEMA}.shard_key(OLD.id), -1, {old});
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO conversation_changes ({SHARD}, sign, {names})
        VALUES ({SCHEMA}.shard_key(NEW.id), 1, {new});
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER conversations_aggregate AFTER INSERT OR UPDATE OR DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.log_row()",
        old = of("OLD"),
        new = of("NEW"),
    )
}

/// Moves every logged change into the tables and returns how many; 0 at once while another
/// fold (or a rebuild) runs. `max_rows` is ignored: the log's rows have no order across shards
/// to take a batch by (a `ctid` names a row within one shard only).
fn fold(tables: &[Table]) -> String {
    let folding = "omnireports_folding";
    let delta = format!("SELECT * FROM {folding}");
    let statements: Vec<String> = tables
        .iter()
        .map(|t| format!("    {};\n", t.add(&delta, t.name, true)))
        .collect();
    format!(
        "CREATE FUNCTION {SCHEMA}.fold_changes(max_rows integer DEFAULT 100000) RETURNS bigint
    LANGUAGE plpgsql SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    folded bigint;
BEGIN
    -- `SELECT 1`: Citus sends a worker `SELECT FROM` a shard as a call returning record.
    IF NOT EXISTS (SELECT 1 FROM conversation_changes)
       OR NOT pg_try_advisory_xact_lock(hashtext('{FOLD_LOCK}')) THEN
        RETURN 0;
    END IF;
    CREATE TEMP TABLE {folding} (LIKE conversation_changes) ON COMMIT DROP;
    WITH moved AS (DELETE FROM conversation_changes RETURNING *)
    INSERT INTO {folding} SELECT * FROM moved;
    GET DIAGNOSTICS folded = ROW_COUNT;
{}    DROP TABLE {folding};
    RETURN folded;
END
$fn$",
        statements.concat()
    )
}

/// Fills the plain and scoped tables anew from every conversation, in place: swapping in
/// fresh distributed tables would distribute and co-locate each again.
fn refill(tables: &[Table]) -> String {
    let refilled: Vec<&Table> = tables.iter().filter(|t| t.kind != Kind::Unit).collect();
    let names: Vec<&str> = refilled.iter().map(|t| t.name).collect();
    let delta = format!(
        "SELECT *, {SCHEMA}.shard_key(id) AS {SHARD}, 1::bigint AS sign FROM conversations"
    );
    let statements: Vec<String> = refilled
        .iter()
        .map(|t| format!("    {};\n", t.add(&delta, t.name, false)))
        .collect();
    format!(
        "CREATE FUNCTION {SCHEMA}.refill_aggregates() RETURNS void LANGUAGE plpgsql
    SET work_mem = '256MB' SET jit = off AS $fn$
BEGIN
    TRUNCATE {};
{}END
$fn$",
        names.join(", "),
        statements.concat()
    )
}
