//! The unrestricted tables' counts packed by bucket, for reports over many ranges (a series):
//! one row per (level, bucket) with the ids of the keys counted there and their counts, so a
//! year of daily buckets reads about a thousand rows instead of one per bucket and key.
//!
//! - `<table>_keys` gives every key the table has counted an id. Its `key` column is the key's
//!   text (`ROW(…)::text`), which is exact where a column is NULL and, unlike
//!   `IS NOT DISTINCT FROM`, can be hash-joined. A fold adds the keys it does not list yet; a
//!   refill numbers them anew, with the packed rows in the same transaction.
//! - `<table>_packed` is keyed (level, bucket). Its `counts` are 12 bytes per key counted
//!   there: the id (`int4send`) and the count (`int8send`), big-endian; zero counts are left
//!   out. Bytes, not two arrays: PostgreSQL sends an array element by element, which took
//!   longer than reading the rows (3 of 5.5 ms for a year of department's daily buckets).
//!
//! Both are derived from the plain table in the transaction that writes it: a fold repacks
//! the buckets it touched, a refill packs everything. Single node only: on Citus the plain
//! tables are read as they are.

use super::sql::Table;
use super::{Dimension, Level};

/// The buckets a fold touched, at every level of the plain tables.
const TOUCHED: &str = "omnireports_touched";

impl Dimension {
    /// The plain table's key dictionary: an `id` per key ever counted, the key's `key` text
    /// and its columns.
    pub fn key_table(&self) -> String {
        key_table(self.table)
    }

    /// The plain table's counts packed by bucket: `level, bucket, counts` (module `packed`).
    pub fn packed_table(&self) -> String {
        packed_table(self.table)
    }
}

fn key_table(table: &str) -> String {
    format!("{table}_keys")
}

fn packed_table(table: &str) -> String {
    format!("{table}_packed")
}

/// The key's text over the table alias `a`.
fn key_text(table: &Table) -> String {
    format!("ROW({})::text", columns(table, "a."))
}

fn columns(table: &Table, alias: &str) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("{alias}{}", c.name))
        .collect();
    columns.join(", ")
}

/// The names of the dictionary and the packed table of the plain table `table`.
pub(super) fn names(table: &Table) -> [String; 2] {
    [key_table(table.name), packed_table(table.name)]
}

/// `CREATE TABLE` of the dictionary and the packed table of the plain table `table`.
pub(super) fn create(table: &Table) -> [String; 2] {
    let typed: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("{} {}", c.name, c.sql_type))
        .collect();
    [
        format!(
            "CREATE TABLE {} (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
             key text NOT NULL UNIQUE, {})",
            key_table(table.name),
            typed.join(", ")
        ),
        format!(
            "CREATE TABLE {} (level smallint NOT NULL, bucket timestamptz NOT NULL, \
             counts bytea NOT NULL, PRIMARY KEY (level, bucket))",
            packed_table(table.name)
        ),
    ]
}

/// The statements (each ending in `;\n`) that list in [`TOUCHED`] the buckets of the rows
/// of `folding` at every level of the plain tables.
pub(super) fn touched(folding: &str) -> String {
    let levels: Vec<String> = Level::PLAIN
        .iter()
        .map(|level| {
            format!(
                "({}::smallint, {})",
                *level as i16,
                level.bucket_sql("c.ts")
            )
        })
        .collect();
    format!(
        "    CREATE TEMP TABLE {TOUCHED} ON COMMIT DROP AS SELECT DISTINCT t.level, t.bucket \
         FROM {folding} AS c CROSS JOIN LATERAL (VALUES {}) AS t(level, bucket);\n    \
         ANALYZE {TOUCHED};\n",
        levels.join(", ")
    )
}

/// The statements that drop [`TOUCHED`].
pub(super) fn untouched() -> String {
    format!("    DROP TABLE {TOUCHED};\n")
}

/// The statements that bring the dictionary and packed rows of the plain table `table` up to
/// date: for the buckets in [`TOUCHED`] after a fold, or (`all`) for every bucket after a
/// refill. New keys are taken from the month rows, which a fold writes with every finer row;
/// only keys not listed yet reach the INSERT, so ids stay dense (a conflict would use one up).
pub(super) fn repack(table: &Table, all: bool) -> String {
    let (keys, packed) = (key_table(table.name), packed_table(table.name));
    let month = *Level::PLAIN.last().expect("levels") as i16;
    let text = key_text(table);
    let (a_columns, plain_columns) = (columns(table, "a."), columns(table, ""));
    let analyze = match all {
        true => format!("    ANALYZE {keys};\n    ANALYZE {packed};\n"),
        false => String::new(),
    };
    let (from, clear) = match all {
        true => (
            format!("{} a", table.name),
            format!("    TRUNCATE {keys}, {packed} RESTART IDENTITY;\n"),
        ),
        false => (
            format!(
                "{TOUCHED} t JOIN {} a ON a.level = t.level AND a.bucket = t.bucket",
                table.name
            ),
            format!(
                "    DELETE FROM {packed} p USING {TOUCHED} t \
                 WHERE p.level = t.level AND p.bucket = t.bucket;\n"
            ),
        ),
    };
    format!(
        "{clear}    INSERT INTO {keys} (key, {plain_columns}) \
         SELECT DISTINCT {text}, {a_columns} FROM {from} WHERE a.level = {month} \
         AND NOT EXISTS (SELECT FROM {keys} k WHERE k.key = {text});\n    \
         INSERT INTO {packed} (level, bucket, counts) \
         SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) \
         FROM {from} JOIN {keys} k ON k.key = {text} WHERE a.n <> 0 GROUP BY a.level, a.bucket;\n{analyze}"
    )
}
