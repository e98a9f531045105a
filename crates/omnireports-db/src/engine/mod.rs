//! The aggregate engine's one declaration: the [`Dimension`]s reports count by and the bucket
//! [`Level`]s. Everything the database needs to keep their counts is generated from it
//! ([`install`]): the aggregate tables, the change log and its triggers, folding, the rebuild,
//! the per-unit counts. The functions and triggers live in the schema [`SCHEMA`], dropped and
//! created anew on every migration, so versioned migrations only create the source tables.

mod bulk;
mod citus;
mod install;
mod packed;
mod sql;

pub use bulk::{defer_logging, rebuild_deferred};
pub use citus::{is_citus, is_distributed};
pub use install::{install, is_installed, uninstall};

/// The SQL that [`install`] runs to create the engine's schema for `dimensions` (the tables'
/// DDL aside): what a test database's template is named after, so that it follows the engine.
pub fn script(dimensions: &[&Dimension]) -> String {
    let all = sql::all_tables(dimensions);
    let tables: Vec<String> = all
        .iter()
        .map(|t| t.create())
        .chain(sql::plain_tables(&all).flat_map(packed::create))
        .collect();
    format!("{};\n{}", tables.join(";\n"), sql::schema(dimensions))
}

/// The schema of the generated functions, replaced on every [`install`].
pub const SCHEMA: &str = "engine";

/// The advisory lock (`hashtext` of this text) that folding, rebuilds, TRUNCATE and department
/// moves take, so that one of them runs at a time.
pub const FOLD_LOCK: &str = "omnireports_fold_changes";

/// One column of a dimension's key.
#[derive(Debug)]
pub struct Key {
    /// The aggregate tables' column.
    pub column: &'static str,
    /// Its SQL type, with `NOT NULL` where the expression is never NULL.
    pub sql_type: &'static str,
    /// Its value, over `c` (a row of `conversations` or of the change log) and the dimension's
    /// joins. The same text counts rows in SQL and reads them in reports.
    pub expression: &'static str,
}

/// What a report counts by, and the tables that count it.
#[derive(Debug)]
pub struct Dimension {
    /// Counts per bucket and key, for callers who see everything.
    pub table: &'static str,
    /// The same per department and department ancestors, keyed scope first, for a monitor of
    /// several units. `None` when `keys` is the scope itself (the department dimension).
    pub scoped_table: Option<&'static str>,
    /// The same per unit that may see the conversation, for a monitor of one unit.
    pub unit_table: Option<&'static str>,
    /// The key, in the tables' column order.
    pub keys: &'static [Key],
    /// Extra FROM items the key expressions read (` LEFT JOIN LATERAL …`).
    pub joins: &'static str,
    /// The `conversations` columns the key expressions read; writes log them.
    pub reads: &'static [&'static str],
}

impl Dimension {
    /// The table a restricted caller reads: the scoped one, or `table` when it carries the
    /// scope itself.
    pub fn restricted_table(&self) -> &'static str {
        self.scoped_table.unwrap_or(self.table)
    }
}

/// Conversations per department; its rows are also the list of scopes every monitor reads.
pub const DEPARTMENT: Dimension = Dimension {
    table: "agg_department",
    scoped_table: None,
    unit_table: None,
    keys: &[
        Key {
            column: "department_id",
            sql_type: "text",
            expression: "c.department_id",
        },
        Key {
            column: "department_ancestors",
            sql_type: "text[] NOT NULL",
            expression: "c.department_ancestors",
        },
    ],
    joins: "",
    reads: &["department_id", "department_ancestors"],
};

/// Conversations per source type and alias.
pub const SOURCE: Dimension = Dimension {
    table: "agg_source",
    scoped_table: Some("agg_source_scoped"),
    unit_table: Some("agg_source_unit"),
    keys: &[
        Key {
            column: "source_type",
            sql_type: "text",
            expression: "c.source_type",
        },
        Key {
            column: "source_alias",
            sql_type: "text",
            expression: "c.source_alias",
        },
    ],
    joins: "",
    reads: &["source_type", "source_alias"],
};

/// Conversations per status flags.
pub const STATUS: Dimension = Dimension {
    table: "agg_status",
    scoped_table: Some("agg_status_scoped"),
    unit_table: Some("agg_status_unit"),
    keys: &[
        Key {
            column: "open",
            sql_type: "boolean NOT NULL",
            expression: "c.open",
        },
        Key {
            column: "on_hold",
            sql_type: "boolean NOT NULL",
            expression: "c.on_hold",
        },
        Key {
            column: "served",
            sql_type: "boolean NOT NULL",
            expression: "c.served_by_id IS NOT NULL",
        },
        Key {
            column: "closed",
            sql_type: "boolean NOT NULL",
            expression: "coalesce(c.chat_duration <> 0, false)",
        },
    ],
    joins: "",
    reads: &["open", "on_hold", "served_by_id", "chat_duration"],
};

/// Conversations per tag, once per tag; NULL for an untagged one.
pub const TAG: Dimension = Dimension {
    table: "agg_tag",
    scoped_table: Some("agg_tag_scoped"),
    unit_table: Some("agg_tag_unit"),
    keys: &[Key {
        column: "tag",
        sql_type: "text",
        expression: "t.tag",
    }],
    joins: " LEFT JOIN LATERAL unnest(c.tags) AS t(tag) ON true",
    reads: &["tags"],
};

/// Conversations per serving agent; NULL for an unserved one.
pub const AGENT: Dimension = Dimension {
    table: "agg_agent",
    scoped_table: Some("agg_agent_scoped"),
    unit_table: Some("agg_agent_unit"),
    keys: &[Key {
        column: "served_by_id",
        sql_type: "text",
        expression: "c.served_by_id",
    }],
    joins: "",
    reads: &["served_by_id"],
};

/// The dimensions of the shipped reports. [`DEPARTMENT`] must be among any installed set: its
/// rows list the scopes that monitors read.
pub const BUILTIN: &[&Dimension] = &[&DEPARTMENT, &SOURCE, &STATUS, &TAG, &AGENT];

/// The bucket levels of the aggregate tables, by their number in the `level` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// UTC hours.
    Hour = 0,
    /// UTC days.
    Day = 1,
    /// UTC months.
    Month = 2,
    /// 00:00–06:00, 06:00–12:00, 12:00–18:00 and 18:00–24:00 UTC.
    SixHours = 3,
    /// Days 1–7, 8–14, 15–21, 22–28 and 29 to the end of a UTC month.
    Week = 4,
    /// Quarter hours, in the tables every caller reads ([`Level::PLAIN`]) only: the days of zones
    /// a quarter or half an hour off UTC start on them, and the edges of a range come to at
    /// most 7.5 minutes of rows.
    Quarter = 5,
}

impl Level {
    /// The levels of the unrestricted tables, finest first: each level's buckets are grouped
    /// from the one before.
    pub const PLAIN: [Level; 6] = [
        Level::Quarter,
        Level::Hour,
        Level::SixHours,
        Level::Day,
        Level::Week,
        Level::Month,
    ];

    /// The levels of the scoped and per-unit tables, finest first. They hold about a row per
    /// conversation already at the hour level: quarter hours would add as many again.
    pub const SCOPED: [Level; 5] = [
        Level::Hour,
        Level::SixHours,
        Level::Day,
        Level::Week,
        Level::Month,
    ];

    /// The start of the bucket holding the instant `ts` (an SQL expression).
    pub fn bucket_sql(self, ts: &str) -> String {
        match self {
            Level::Quarter => format!("date_bin('15 minutes', {ts}, 'epoch')"),
            Level::Hour => format!("date_bin('1 hour', {ts}, 'epoch')"),
            Level::SixHours => format!("date_bin('6 hours', {ts}, 'epoch')"),
            Level::Day => format!("date_bin('1 day', {ts}, 'epoch')"),
            Level::Week => format!("{SCHEMA}.week({ts})"),
            Level::Month => format!("{SCHEMA}.month({ts})"),
        }
    }
}
