//! Counting from the pre-aggregated tables (`omnireports_db::engine`), the changes not yet folded
//! into them, and raw edge rows, in one query per report (two in one snapshot for an
//! unrestricted series, whose whole buckets are read packed: [`Shape::packs`]). The SQL text is
//! fixed per report; ranges and units are bound parameters.

use crate::plan::{plan, Piece, Steps};
use crate::sort::Ranks;
use crate::{Entry, Report, ReportBody, ReportRequest};
use crate::{Level, Levels};
use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, SmallInt, Text, Timestamptz, Untyped};
use diesel::{Connection, PgConnection, QueryResult, QueryableByName, RunQueryDsl};
use omnireports_db::engine::{Dimension, SCHEMA};
use omnireports_model::DateRange;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Who asks, as far as the query text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// An unrestricted caller.
    All,
    /// A monitor of several units (or none).
    Units,
    /// A monitor of exactly one unit.
    Unit,
}

/// What a report's query text is built for: who asks, how many ranges, and the engine's
/// layout (`distributed`: Citus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) scope: Scope,
    pub(crate) ranges: Ranges,
    pub(crate) distributed: bool,
}

/// The bound arguments of a one-range query ([`AggregateQuery`]), in their order.
const ONE_ARGS: [(&str, &str); 7] = [
    ("levels", "smallint[]"),
    ("los", "timestamptz[]"),
    ("his", "timestamptz[]"),
    ("signs", "bigint[]"),
    ("bounds", "timestamptz[]"),
    ("weights", "bigint[]"),
    ("units", "text[]"),
];

/// The bound arguments of a many-ranges query ([`RangesQuery`]), in their order.
const MANY_ARGS: [(&str, &str); 8] = [
    ("levels", "smallint[]"),
    ("buckets", "timestamptz[]"),
    ("rlos", "timestamptz[]"),
    ("rhis", "timestamptz[]"),
    ("raw_base", "int"),
    ("log_base", "int"),
    ("bounds", "timestamptz[]"),
    ("units", "text[]"),
];

/// What a query's legs read, unnested from the bound arguments: one range's pieces, or many
/// ranges' distinct whole buckets and raw pieces, each read once however many ranges count it
/// (which ranges a source counts for, and with what sign, stays in Rust ([`Fanout`]): summing
/// there is cheaper than grouping by range and key in SQL).
#[derive(Debug, Clone, Copy)]
enum Source {
    /// `p(level, lo, hi, sign)`; level -1 is raw rows.
    Pieces,
    /// `b(level, bucket, src)`.
    Buckets,
    /// `r(lo, hi, qid)`, read as `p`.
    RawPieces,
}

impl Source {
    /// Its CTE on one node, the alias a leg reads it as, and its columns.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Source::Pieces => ("p", "p", "level, lo, hi, sign"),
            Source::Buckets => ("b", "b", "level, bucket, src"),
            Source::RawPieces => ("r", "p", "lo, hi, qid"),
        }
    }
}

impl Shape {
    /// Whether the whole buckets come from the unrestricted table's counts packed by bucket
    /// (`omnireports_db::engine`, `packed`), read by a [`PackedQuery`] of their own: a series
    /// reads a row per bucket instead of one per bucket and key. This text then lists the
    /// dictionary's keys in their place, each as a source `-id` counting 0.
    fn packs(self) -> bool {
        self.scope == Scope::All && self.ranges == Ranges::Many && !self.distributed
    }

    /// How the query text reads the bound argument `name`. On one node from the `args` CTE
    /// that starts every query. On Citus by its parameter, since Citus runs a CTE that several
    /// parts read as a distributed query of its own (a round trip to every node before the
    /// report's own) and then cannot push the counts' legs down to the shards together.
    fn arg(self, name: &str) -> String {
        if !self.distributed {
            return format!("(SELECT {name} FROM args)");
        }
        let args: &[(&str, &str)] = match self.ranges {
            Ranges::One => &ONE_ARGS,
            Ranges::Many => &MANY_ARGS,
        };
        let i = args
            .iter()
            .position(|(arg, _)| *arg == name)
            .unwrap_or_else(|| panic!("no bound argument {name}"));
        format!("(${}::{})", i + 1, args[i].1)
    }

    /// The element at `index` of the bound array `name`, where `index` may name the array
    /// as `{}`.
    fn element(self, name: &str, index: &str) -> String {
        match self.distributed {
            false => format!("(SELECT {name}[{}] FROM args)", index.replace("{}", name)),
            true => {
                let array = self.arg(name);
                format!("{array}[{}]", index.replace("{}", &array))
            }
        }
    }

    /// The rows of `source`, unnested from the arguments.
    fn unnest(self, source: Source) -> String {
        match source {
            Source::Pieces => format!(
                "unnest({}, {}, {}, {})",
                self.arg("levels"),
                self.arg("los"),
                self.arg("his"),
                self.arg("signs")
            ),
            Source::Buckets => format!(
                "unnest({}, {}) WITH ORDINALITY",
                self.arg("levels"),
                self.arg("buckets")
            ),
            Source::RawPieces => format!(
                "unnest({}, {}) WITH ORDINALITY",
                self.arg("rlos"),
                self.arg("rhis")
            ),
        }
    }

    /// The CTEs of the sources, which follow `args` on one node (Citus reads them inline).
    fn source_ctes(self) -> String {
        let sources: &[Source] = match (self.distributed, self.ranges) {
            (true, _) => &[],
            (false, Ranges::One) => &[Source::Pieces],
            (false, Ranges::Many) => &[Source::Buckets, Source::RawPieces],
        };
        sources
            .iter()
            .map(|&source| {
                let (cte, _, columns) = source.names();
                format!(
                    ", {cte} AS (SELECT * FROM {} AS {cte}({columns}))",
                    self.unnest(source)
                )
            })
            .collect()
    }

    /// What a leg reads `source` from: its CTE, or on Citus the unnested arguments.
    fn rows_of(self, source: Source) -> String {
        let (cte, alias, columns) = source.names();
        match self.distributed {
            false if cte == alias => cte.to_owned(),
            false => format!("{cte} AS {alias}"),
            true => format!("{} AS {alias}({columns})", self.unnest(source)),
        }
    }

    /// What leads every leg's rows on Citus: the distribution `column` of the leg's table (a
    /// conversation's id, the `shard` of the change log and of the aggregates, which name the
    /// same shards), so that Citus runs all the legs on each shard at once. It did so only with
    /// that column first: second, after the many ranges' `src`, it ran each leg apart. Nothing on
    /// one node.
    fn dist(self, column: &str) -> String {
        match self.distributed {
            true => format!("{column} AS dist, "),
            false => String::new(),
        }
    }
}

/// Whether a query counts one range or many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ranges {
    /// One range: rows as the report's select makes them.
    One,
    /// Many ranges: `counts` has one row per key, with the sources that count it (whole
    /// buckets, raw pieces and steps of the logged rows: [`Fanout`]) and their counts as arrays
    /// `srcs` and `ns`; they are summed per range in Rust.
    Many,
}

impl Ranges {
    /// What a report's select puts where its text says `{n}`, over `counts AS x`.
    fn counts(self) -> &'static str {
        match self {
            Ranges::One => "x.n",
            Ranges::Many => "x.srcs, x.ns",
        }
    }
}

/// A monitor sees rows whose own or whose department's ancestors include one of `units`.
fn visible(alias: &str, units: &str) -> String {
    format!(
        "({alias}.department_ancestors && {units} OR {alias}.department_id IN \
         (SELECT id FROM departments WHERE ancestors && {units}))"
    )
}

/// The query text after `args`: a `counts` CTE of `<keys>, n`, then `select`, which reads
/// `counts`. Whole-bucket pieces count the aggregates plus the changes logged but not yet folded
/// into them (migration `conversation_changes`), read in the same snapshot: each logged row
/// once, weighted by the pieces' [`Steps`] (found by binary search, so a long log costs one
/// pass); raw pieces read the conversations.
///
/// With [`Ranges::One`], `counts` is summed over all pieces (zero counts dropped). With
/// [`Ranges::Many`], it lists per key each source that counts it (a whole bucket, a raw piece or
/// a step of the logged rows) and its count there. `select` writes `{n}` for the counts' columns.
pub(crate) fn counts_sql(dimension: &Dimension, shape: Shape, select: &str) -> String {
    let all: Vec<&str> = dimension.keys.iter().map(|key| key.column).collect();
    counts_sql_by(dimension, shape, &all, select)
}

/// [`counts_sql`] whose `counts` keep only the key columns `select` reads: fewer, narrower
/// groups (by-department's one-range query hashed the ancestors too, at 0.4 ms of its 1 ms).
pub(crate) fn counts_sql_by(
    dimension: &Dimension,
    shape: Shape,
    read: &[&str],
    select: &str,
) -> String {
    let keys: Vec<&omnireports_db::engine::Key> = dimension
        .keys
        .iter()
        .filter(|key| read.contains(&key.column))
        .collect();
    let columns: Vec<&str> = keys.iter().map(|key| key.column).collect();
    let names = columns.join(", ");
    let raw: Vec<String> = keys
        .iter()
        .map(|key| format!("{} AS {}", key.expression, key.column))
        .collect();
    let raw = raw.join(", ");
    let filter_c = match shape.scope {
        Scope::All => String::new(),
        _ => format!(" AND {}", visible("c", &shape.arg("units"))),
    };
    let (scopes, buckets) = bucket_rows(dimension, shape, &columns);
    let joins = dimension.joins;
    let fence = fence(shape.distributed);
    let raw_rows = |select: &str, piece: &str| {
        format!(
            "SELECT {}{select} FROM conversations c{joins} \
             WHERE {piece} c.ts >= p.lo AND c.ts < p.hi{filter_c}{fence}",
            shape.dist("c.id")
        )
    };
    let log_dist = shape.dist("c.shard");
    let bounds = shape.arg("bounds");
    let in_steps = format!(
        "FROM conversation_changes c{joins} WHERE c.ts >= {} AND c.ts < {}{filter_c}",
        shape.element("bounds", "1"),
        shape.element("bounds", "cardinality({})"),
    );
    let step = format!("width_bucket(c.ts, {bounds})");
    let ctes = format!("{}{scopes}", shape.source_ctes());
    let select = select.replace("{n}", shape.ranges.counts());
    let total = format!("{SCHEMA}.total(n)");
    match (shape.ranges, shape.distributed) {
        (Ranges::One, _) => format!(
            "{ctes}, counts AS (SELECT {names}, {total} AS n FROM (\
               {buckets} \
               UNION ALL SELECT {log_dist}{raw}, c.sign * {weights}[{step}] AS n {in_steps} \
               UNION ALL SELECT y.* FROM {pieces} CROSS JOIN LATERAL ({rows}) AS y\
             ) AS x GROUP BY {names} HAVING {total} <> 0) {select}",
            weights = shape.arg("weights"),
            pieces = shape.rows_of(Source::Pieces),
            rows = raw_rows(&format!("{raw}, p.sign AS n"), "p.level = -1 AND"),
        ),
        // Raw and logged rows are first counted per source and key.
        (Ranges::Many, false) => format!(
            "{ctes}, counts AS (SELECT {names}, array_agg(src) AS srcs, array_agg(n) AS ns FROM (\
               {buckets} \
               UNION ALL \
               SELECT ({raw_base} + p.qid)::int AS src, {z}, count(*)::bigint AS n \
               FROM {raw_pieces} CROSS JOIN LATERAL ({rows}) AS z GROUP BY p.qid, {z} \
               UNION ALL \
               SELECT {log_base} + {step} AS src, {raw}, {SCHEMA}.total(c.sign::bigint) AS n {in_steps} \
               GROUP BY {positions}\
             ) AS x GROUP BY {names}) {select}",
            raw_base = shape.arg("raw_base"),
            log_base = shape.arg("log_base"),
            raw_pieces = shape.rows_of(Source::RawPieces),
            z = columns.iter().map(|c| format!("z.{c}")).collect::<Vec<_>>().join(", "),
            rows = raw_rows(&raw, ""),
            positions = (1..=columns.len() + 1)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        // On Citus every leg's rows are counted per source and key at once, on each shard: a
        // leg grouped by anything but its distribution column is not pushed down with the others.
        (Ranges::Many, true) => format!(
            "{ctes}, counts AS (SELECT {names}, array_agg(src) AS srcs, array_agg(n) AS ns FROM (\
               SELECT src, {names}, {total} AS n FROM (\
                 {buckets} \
                 UNION ALL \
                 SELECT z.* FROM {raw_pieces} CROSS JOIN LATERAL ({rows}) AS z \
                 UNION ALL \
                 SELECT {log_dist}{log_base} + {step} AS src, {raw}, c.sign::bigint AS n {in_steps}\
               ) AS x GROUP BY src, {names}\
             ) AS y GROUP BY {names}) {select}",
            log_base = shape.arg("log_base"),
            raw_pieces = shape.rows_of(Source::RawPieces),
            rows = raw_rows(
                &format!(
                    "({} + p.qid)::int AS src, {raw}, 1::bigint AS n",
                    shape.arg("raw_base")
                ),
                ""
            ),
        ),
    }
}

/// How whole buckets are read: from the pieces `p` of one range or the buckets `b` of many.
struct Buckets {
    /// What the buckets are read from.
    from: String,
    /// The source column (`b.src::int AS src, `) or nothing.
    src: &'static str,
    /// A row's signed count.
    n: &'static str,
    /// Which rows of an aggregate table `a` the source's row covers.
    matches: &'static str,
}

/// The rows of whole buckets for `shape`'s scope, and the `scopes` CTE they read when the
/// table is keyed by scope first. Each piece or bucket is its own index scan: LATERAL …
/// OFFSET 0 keeps PostgreSQL from flattening them into one join that it might answer with a
/// full scan.
fn bucket_rows(dimension: &Dimension, shape: Shape, columns: &[&str]) -> (String, String) {
    if shape.packs() {
        let keys: Vec<String> = columns.iter().map(|c| format!("k.{c}")).collect();
        let keys = keys.join(", ");
        let table = dimension.key_table();
        return (
            String::new(),
            format!("SELECT -k.id AS src, {keys}, 0::bigint AS n FROM {table} k"),
        );
    }
    let Buckets {
        from,
        src,
        n,
        matches,
    } = match shape.ranges {
        Ranges::One => Buckets {
            from: shape.rows_of(Source::Pieces),
            src: "",
            n: "a.n * p.sign",
            matches: "p.level >= 0 AND a.level = p.level AND a.bucket >= p.lo AND a.bucket < p.hi",
        },
        Ranges::Many => Buckets {
            from: shape.rows_of(Source::Buckets),
            src: "b.src::int AS src, ",
            n: "a.n",
            matches: "a.level = b.level AND a.bucket = b.bucket",
        },
    };
    let scope = shape.scope;
    let units = shape.arg("units");
    let keys: Vec<String> = columns.iter().map(|c| format!("a.{c}")).collect();
    let keys = keys.join(", ");
    let unit_table = dimension.unit_table.filter(|_| scope == Scope::Unit);
    let scope_first =
        scope != Scope::All && unit_table.is_none() && dimension.scoped_table.is_some();
    let fence = fence(shape.distributed);
    let dist = shape.dist("a.shard");
    // On Citus the source follows the distribution column, inside the LATERAL subquery.
    let (outer, inner) = match shape.distributed {
        false => (src, ""),
        true => ("", src),
    };
    let read = |table: &str, scopes: &str, filter: &str| {
        format!(
            "SELECT {outer}x.* FROM {from}{scopes} CROSS JOIN LATERAL (\
               SELECT {dist}{inner}{keys}, {n} AS n FROM {table} a \
               WHERE {matches}{filter}{fence}) AS x"
        )
    };
    let rows = match (scope, unit_table) {
        (Scope::All, _) => read(dimension.table, "", ""),
        (_, Some(unit_table)) => read(
            unit_table,
            "",
            &format!(" AND a.unit = {}", shape.element("units", "1")),
        ),
        // A table keyed (level, department, ancestors, bucket, …): one index range scan per
        // piece and visible scope. Scopes without a department are read apart, since `=` never
        // matches NULL.
        _ if scope_first => {
            let table = dimension.restricted_table();
            let same = " AND a.department_ancestors = s.department_ancestors";
            format!(
                "{} UNION ALL {}",
                read(
                    table,
                    " CROSS JOIN (SELECT * FROM scopes) AS s",
                    &format!(" AND a.department_id = s.department_id{same}"),
                ),
                read(
                    table,
                    " CROSS JOIN (SELECT * FROM scopes WHERE department_id IS NULL) AS s",
                    &format!(" AND a.department_id IS NULL{same}"),
                ),
            )
        }
        _ => read(
            dimension.restricted_table(),
            "",
            &format!(" AND {}", visible("a", &units)),
        ),
    };
    let scopes = match scope_first {
        // Only the aggregate buckets need the list of visible scopes (logged and raw rows are
        // filtered row by row). A fold writes a conversation's month row in agg_department
        // with its scoped rows, so every scope that has buckets is listed.
        true => format!(
            ", scopes AS (SELECT DISTINCT a.department_id, a.department_ancestors \
             FROM agg_department a WHERE a.level = 2 AND {})",
            visible("a", &units)
        ),
        false => String::new(),
    };
    (scopes, rows)
}

/// What ends each LATERAL piece scan: on one node the `OFFSET 0` fence that keeps it an index
/// scan of its own; on Citus nothing, since Citus cannot push down a LATERAL subquery with
/// OFFSET that reads the unnested arguments (and plans the pieces as a join anyway).
fn fence(distributed: bool) -> &'static str {
    match distributed {
        true => "",
        false => " OFFSET 0",
    }
}

/// The report's query texts, one per [`Shape`], each built on first use.
#[derive(Debug)]
pub(crate) struct Queries {
    dimension: &'static Dimension,
    build: fn(Shape) -> String,
    texts: [OnceLock<String>; 12],
}

fn scope_of(units: &Option<Vec<Option<String>>>) -> Scope {
    match units {
        None => Scope::All,
        Some(units) if units.len() == 1 => Scope::Unit,
        Some(_) => Scope::Units,
    }
}

/// The levels of the tables a scope's query reads.
fn levels_of(scope: Scope) -> Levels {
    match scope {
        Scope::All => Levels::Plain,
        Scope::Units | Scope::Unit => Levels::Scoped,
    }
}

impl Queries {
    /// The texts `build` makes for each shape, counting by `dimension`.
    pub(crate) const fn new(dimension: &'static Dimension, build: fn(Shape) -> String) -> Self {
        Self {
            dimension,
            build,
            texts: [const { OnceLock::new() }; 12],
        }
    }

    fn text(&self, scope: Scope, ranges: Ranges, distributed: bool) -> &str {
        let slot =
            usize::from(distributed) * 6 + scope as usize * 2 + usize::from(ranges == Ranges::Many);
        let shape = Shape {
            scope,
            ranges,
            distributed,
        };
        self.texts[slot].get_or_init(|| (self.build)(shape))
    }

    /// The query for this request with its parameters bound.
    pub(crate) fn bind(&self, request: &ReportRequest, distributed: bool) -> AggregateQuery<'_> {
        let range = request.range.storable();
        let units = request.restriction.units();
        let scope = scope_of(&units);
        let pieces = plan(range.start, range.end, levels_of(scope));
        let steps = Steps::of(&pieces);
        AggregateQuery {
            rest: self.text(scope, Ranges::One, distributed),
            levels: pieces.iter().map(|p| p.level as i16).collect(),
            los: pieces.iter().map(|p| p.lo).collect(),
            his: pieces.iter().map(|p| p.hi).collect(),
            signs: pieces.iter().map(|p: &Piece| p.sign).collect(),
            bounds: steps.bounds,
            weights: steps.weights,
            units,
        }
    }

    /// The query counting each of `ranges` with `request`'s restriction, its parameters bound,
    /// the query of its packed buckets where it has one ([`Shape::packs`]), and which ranges
    /// each of its sources counts for.
    pub(crate) fn bind_ranges(
        &self,
        request: &ReportRequest,
        ranges: &[DateRange],
        distributed: bool,
    ) -> (RangesQuery<'_>, Option<PackedQuery>, Fanout) {
        let units = request.restriction.units();
        let scope = scope_of(&units);
        let mut sources = Sources::default();
        for (idx, range) in ranges.iter().enumerate() {
            let range = range.storable();
            for piece in plan(range.start, range.end, levels_of(scope)) {
                sources.add(piece, idx);
            }
        }
        let (mut query, fanout) = sources.finish();
        let shape = Shape {
            scope,
            ranges: Ranges::Many,
            distributed,
        };
        // The other query's text then reads no buckets.
        let packed = shape.packs().then(|| PackedQuery {
            table: self.dimension.packed_table(),
            levels: std::mem::take(&mut query.levels),
            buckets: std::mem::take(&mut query.buckets),
        });
        (
            RangesQuery {
                rest: self.text(scope, Ranges::Many, distributed),
                units,
                ..query
            },
            packed,
            fanout,
        )
    }
}

/// Which ranges each source of a many-ranges query counts for, and how often: row `src` of
/// the query adds `weight` times its count to each `(range, weight)` of `targets[src - 1]`.
#[derive(Debug, Default)]
pub(crate) struct Fanout {
    targets: Vec<Vec<(usize, i64)>>,
}

/// The sources of many ranges as they are planned: each distinct bucket and raw piece once.
#[derive(Debug, Default)]
struct Sources {
    buckets: Vec<(Level, DateTime<Utc>)>,
    bucket_ids: HashMap<(Level, DateTime<Utc>), usize>,
    raw: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    raw_ids: HashMap<(DateTime<Utc>, DateTime<Utc>), usize>,
    /// Per (kind, index of the bucket or raw piece, range): the summed sign.
    uses: BTreeMap<(bool, usize, usize), i64>,
    /// The whole-bucket pieces, for the steps of the logged rows.
    whole: Vec<(Piece, usize)>,
}

impl Sources {
    fn add(&mut self, piece: Piece, idx: usize) {
        if piece.level == Level::Rows {
            let next = self.raw.len();
            let id = *self.raw_ids.entry((piece.lo, piece.hi)).or_insert(next);
            if id == next {
                self.raw.push((piece.lo, piece.hi));
            }
            *self.uses.entry((true, id, idx)).or_default() += piece.sign;
            return;
        }
        let mut bucket = piece.lo;
        while bucket < piece.hi {
            let next = self.buckets.len();
            let id = *self.bucket_ids.entry((piece.level, bucket)).or_insert(next);
            if id == next {
                self.buckets.push((piece.level, bucket));
            }
            *self.uses.entry((false, id, idx)).or_default() += piece.sign;
            bucket = crate::plan::next(piece.level, bucket);
        }
        self.whole.push((piece, idx));
    }

    /// The query's parameters (but its text and units) and the fanout of its sources:
    /// buckets are sources `1..=B`, raw pieces `B + 1..=B + R`, the steps of the logged rows
    /// after them.
    fn finish(self) -> (RangesQuery<'static>, Fanout) {
        let (n_buckets, n_raw) = (self.buckets.len(), self.raw.len());
        let mut targets = vec![Vec::new(); n_buckets + n_raw];
        for ((raw, id, idx), sign) in self.uses {
            if sign != 0 {
                targets[if raw { n_buckets + id } else { id }].push((idx, sign));
            }
        }
        // One step function for all ranges: on each step, the summed sign per range of the
        // whole-bucket pieces covering it (a range's pieces can reach into its neighbours').
        let mut bounds: Vec<DateTime<Utc>> =
            self.whole.iter().flat_map(|(p, _)| [p.lo, p.hi]).collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut steps: BTreeMap<(usize, usize), i64> = BTreeMap::new();
        for (piece, idx) in &self.whole {
            let first = bounds.partition_point(|b| *b < piece.lo);
            let last = bounds.partition_point(|b| *b < piece.hi);
            for step in first..last {
                *steps.entry((step, *idx)).or_default() += piece.sign;
            }
        }
        // width_bucket numbers [bounds[k], bounds[k + 1]) as k + 1.
        targets.resize(targets.len() + bounds.len().saturating_sub(1), Vec::new());
        for ((step, idx), weight) in steps {
            if weight != 0 {
                targets[n_buckets + n_raw + step].push((idx, weight));
            }
        }
        let source_id = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let query = RangesQuery {
            rest: "",
            levels: self
                .buckets
                .iter()
                .map(|(level, _)| *level as i16)
                .collect(),
            buckets: self.buckets.iter().map(|(_, bucket)| *bucket).collect(),
            rlos: self.raw.iter().map(|(lo, _)| *lo).collect(),
            rhis: self.raw.iter().map(|(_, hi)| *hi).collect(),
            raw_base: source_id(n_buckets),
            log_base: source_id(n_buckets + n_raw),
            bounds,
            units: None,
        };
        (query, Fanout { targets })
    }
}

/// The query of [`Queries::bind_ranges`]: the distinct whole buckets and raw pieces of all
/// ranges, the bounds of the logged rows' steps, and where each kind of source is numbered from.
/// Declared in the `args` CTE in [`MANY_ARGS`]' order; Citus texts read them by number and
/// leave `args` unreferenced, which PostgreSQL and Citus then skip.
#[derive(Debug)]
pub(crate) struct RangesQuery<'a> {
    rest: &'a str,
    levels: Vec<i16>,
    buckets: Vec<DateTime<Utc>>,
    rlos: Vec<DateTime<Utc>>,
    rhis: Vec<DateTime<Utc>>,
    raw_base: i32,
    log_base: i32,
    bounds: Vec<DateTime<Utc>>,
    units: Option<Vec<Option<String>>>,
}

impl QueryFragment<Pg> for RangesQuery<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH args AS (SELECT ");
        out.push_bind_param::<Array<SmallInt>, _>(&self.levels)?;
        out.push_sql("::smallint[] AS levels, ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.buckets)?;
        out.push_sql("::timestamptz[] AS buckets, ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.rlos)?;
        out.push_sql("::timestamptz[] AS rlos, ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.rhis)?;
        out.push_sql("::timestamptz[] AS rhis, ");
        out.push_bind_param::<Integer, _>(&self.raw_base)?;
        out.push_sql("::int AS raw_base, ");
        out.push_bind_param::<Integer, _>(&self.log_base)?;
        out.push_sql("::int AS log_base, ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.bounds)?;
        out.push_sql("::timestamptz[] AS bounds, ");
        out.push_bind_param::<Nullable<Array<Nullable<Text>>>, _>(&self.units)?;
        out.push_sql("::text[] AS units)");
        out.push_sql(self.rest);
        Ok(())
    }
}

impl QueryId for RangesQuery<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for RangesQuery<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for RangesQuery<'_> {}

/// The packed rows ([`Shape::packs`]) of a many-ranges query's whole buckets, numbered as
/// its sources `1..=B`: one row per bucket that counts anything.
#[derive(Debug)]
pub(crate) struct PackedQuery {
    table: String,
    levels: Vec<i16>,
    buckets: Vec<DateTime<Utc>>,
}

impl QueryFragment<Pg> for PackedQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT b.src::int AS src, p.counts FROM unnest(");
        out.push_bind_param::<Array<SmallInt>, _>(&self.levels)?;
        out.push_sql("::smallint[], ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.buckets)?;
        // Each bucket its own index scan (see `bucket_rows`).
        out.push_sql(
            "::timestamptz[]) WITH ORDINALITY AS b(level, bucket, src) CROSS JOIN LATERAL \
             (SELECT p.counts FROM ",
        );
        out.push_sql(&self.table);
        out.push_sql(" p WHERE p.level = b.level AND p.bucket = b.bucket OFFSET 0) AS p");
        Ok(())
    }
}

impl QueryId for PackedQuery {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for PackedQuery {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for PackedQuery {}

/// A row of a [`PackedQuery`]: a bucket's source number, and the ids of the keys it counts
/// (the dictionary's) with their counts, 12 bytes each.
#[derive(Debug, QueryableByName)]
struct Packed {
    #[diesel(sql_type = Integer)]
    src: i32,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    counts: Vec<u8>,
}

impl Packed {
    /// Each (id, count) of the bucket.
    fn counts(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.counts.chunks_exact(12).map(|entry| {
            let (id, n) = entry.split_at(4);
            (
                i32::from_be_bytes(id.try_into().expect("4 bytes")),
                i64::from_be_bytes(n.try_into().expect("8 bytes")),
            )
        })
    }
}

/// A row of a many-ranges query: the report's key, then the sources that count it and their
/// counts there.
#[derive(Debug)]
struct Sourced<K> {
    key: K,
    srcs: Vec<i32>,
    ns: Vec<i64>,
}

impl<K: QueryableByName<Pg>> QueryableByName<Pg> for Sourced<K> {
    fn build<'a>(row: &impl diesel::row::NamedRow<'a, Pg>) -> diesel::deserialize::Result<Self> {
        use diesel::row::NamedRow;
        Ok(Self {
            key: K::build(row)?,
            srcs: NamedRow::get::<Array<Integer>, Vec<i32>>(row, "srcs")?,
            ns: NamedRow::get::<Array<BigInt>, Vec<i64>>(row, "ns")?,
        })
    }
}

/// The counts of many ranges: the keys, and per range `(key index, count)` pairs, a key at most
/// once and never with a zero count.
#[derive(Debug)]
pub(crate) struct RangeCounts<K> {
    keys: Vec<K>,
    per_range: Vec<Vec<(usize, i64)>>,
}

impl<K> RangeCounts<K> {
    /// `body` of each range's `(key, count)` pairs, in the ranges' order.
    pub(crate) fn bodies(&self, body: impl Fn(&[(&K, i64)]) -> ReportBody) -> Vec<ReportBody> {
        self.per_range
            .iter()
            .map(|range| {
                let rows: Vec<(&K, i64)> = range.iter().map(|&(k, n)| (&self.keys[k], n)).collect();
                body(&rows)
            })
            .collect()
    }

    /// Merges keys that `same` maps to one value into the first of them.
    pub(crate) fn merged_by<T: Eq + std::hash::Hash>(mut self, same: impl Fn(&K) -> T) -> Self {
        let mut first: HashMap<T, usize> = HashMap::with_capacity(self.keys.len());
        let canonical: Vec<usize> = (0..self.keys.len())
            .map(|k| *first.entry(same(&self.keys[k])).or_insert(k))
            .collect();
        if canonical.iter().enumerate().any(|(k, c)| k != *c) {
            for counts in &mut self.per_range {
                for (k, _) in counts.iter_mut() {
                    *k = canonical[*k];
                }
                sum_per_key(counts);
            }
        }
        self
    }
}

/// Sorts by key and sums each key's counts; keys that sum to zero are dropped.
fn sum_per_key(counts: &mut Vec<(usize, i64)>) {
    counts.sort_unstable_by_key(|(k, _)| *k);
    counts.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
    counts.retain(|(_, n)| *n != 0);
}

/// Runs `queries` for each of `ranges` in one statement (two in one snapshot where the
/// buckets are packed), and sums each key's counts per range.
pub(crate) fn load_ranges<K>(
    conn: &mut PgConnection,
    queries: &Queries,
    request: &ReportRequest,
    ranges: &[DateRange],
) -> QueryResult<RangeCounts<K>>
where
    K: QueryableByName<Pg> + 'static,
{
    let distributed = omnireports_db::engine::is_distributed(conn)?;
    let (query, packed, fanout) = queries.bind_ranges(request, ranges, distributed);
    // A generic plan takes the unnested sources for 10 rows, and would sort tens of thousands
    // of text keys to group them (twice as slow at 10 M conversations) rather than hash them.
    let two_statements = packed.is_some();
    let run = |conn: &mut PgConnection| {
        conn.batch_execute("SET LOCAL enable_sort = off")?;
        if distributed {
            serial_on_workers(conn)?;
        }
        let buckets: Vec<Packed> = match packed {
            Some(packed) => packed.load(conn)?,
            None => Vec::new(),
        };
        Ok::<_, diesel::result::Error>((query.load::<Sourced<K>>(conn)?, buckets))
    };
    let (rows, buckets) = match two_statements {
        true => conn.build_transaction().repeatable_read().run(run)?,
        false => conn.transaction(run)?,
    };
    let targets = |src: i32| {
        usize::try_from(src)
            .ok()
            .and_then(|src| fanout.targets.get(src.checked_sub(1)?))
    };
    let mut per_range: Vec<Vec<(usize, i64)>> = vec![Vec::new(); ranges.len()];
    let mut keys = Vec::with_capacity(rows.len());
    // The key of each dictionary id that the report keeps.
    let mut key_of: Vec<Option<usize>> = Vec::new();
    for (k, Sourced { key, srcs, ns }) in rows.into_iter().enumerate() {
        keys.push(key);
        for (src, n) in srcs.into_iter().zip(ns) {
            if let Some(id) = src.checked_neg().and_then(|id| usize::try_from(id).ok()) {
                if key_of.len() <= id {
                    key_of.resize(id + 1, None);
                }
                key_of[id] = Some(k);
            }
            for &(idx, weight) in targets(src).into_iter().flatten() {
                per_range[idx].push((k, n * weight));
            }
        }
    }
    for bucket in &buckets {
        let Some(targets) = targets(bucket.src) else {
            continue;
        };
        for (id, n) in bucket.counts() {
            // An id the report's select dropped (a deleted department's) counts nowhere.
            let Some(k) = usize::try_from(id).ok().and_then(|id| *key_of.get(id)?) else {
                continue;
            };
            for &(idx, weight) in targets {
                per_range[idx].push((k, n * weight));
            }
        }
    }
    per_range.iter_mut().for_each(sum_per_key);
    Ok(RangeCounts { keys, per_range })
}

/// A report query: an `args` CTE of bound parameters (in [`ONE_ARGS`]' order; Citus texts
/// read them by number and leave `args` unreferenced), then fixed SQL text. Unlike
/// `sql_query`, it is safe to cache, so each connection prepares (parses and plans) each
/// report's statement once instead of on every request.
#[derive(Debug)]
pub(crate) struct AggregateQuery<'a> {
    rest: &'a str,
    levels: Vec<i16>,
    los: Vec<DateTime<Utc>>,
    his: Vec<DateTime<Utc>>,
    signs: Vec<i64>,
    bounds: Vec<DateTime<Utc>>,
    weights: Vec<i64>,
    units: Option<Vec<Option<String>>>,
}

impl QueryFragment<Pg> for AggregateQuery<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH args AS (SELECT ");
        out.push_bind_param::<Array<SmallInt>, _>(&self.levels)?;
        out.push_sql("::smallint[] AS levels, ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.los)?;
        out.push_sql("::timestamptz[] AS los, ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.his)?;
        out.push_sql("::timestamptz[] AS his, ");
        out.push_bind_param::<Array<BigInt>, _>(&self.signs)?;
        out.push_sql("::bigint[] AS signs, ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.bounds)?;
        out.push_sql("::timestamptz[] AS bounds, ");
        out.push_bind_param::<Array<BigInt>, _>(&self.weights)?;
        out.push_sql("::bigint[] AS weights, ");
        out.push_bind_param::<Nullable<Array<Nullable<Text>>>, _>(&self.units)?;
        out.push_sql("::text[] AS units)");
        out.push_sql(self.rest);
        Ok(())
    }
}

impl QueryId for AggregateQuery<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for AggregateQuery<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for AggregateQuery<'_> {}

/// Runs `queries` for `request` and loads rows of type `R`.
pub(crate) fn load<R>(
    conn: &mut PgConnection,
    queries: &Queries,
    request: &ReportRequest,
) -> QueryResult<Vec<R>>
where
    R: QueryableByName<Pg> + 'static,
{
    let distributed = omnireports_db::engine::is_distributed(conn)?;
    let query = queries.bind(request, distributed);
    match distributed {
        false => query.load(conn),
        true => conn.transaction(|conn| {
            serial_on_workers(conn)?;
            query.load(conn)
        }),
    }
}

/// Keeps the Citus workers' plans of this transaction's report serial. Without the `OFFSET 0`
/// fences, a shard of a few hundred thousand conversations gets its raw edge rows as a
/// parallel sequential scan instead of index scans (at 1 M rooms in 4 shards: 3.7 s per
/// shard, 72 ms without). `citus.propagate_set_commands` passes the `SET LOCAL` on.
fn serial_on_workers(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute("SET LOCAL citus.propagate_set_commands = 'local'")?;
    conn.batch_execute("SET LOCAL max_parallel_workers_per_gather = 0")
}

/// The key of a report that groups by one id: `id` NULL is the report's "unspecified"; the
/// label falls back to the id when missing or empty.
#[derive(Debug, diesel::QueryableByName)]
struct Label {
    #[diesel(sql_type = Nullable<Text>)]
    id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    label: Option<String>,
}

impl Label {
    fn entry(&self, value: i64) -> Option<Entry> {
        let id = self.id.clone()?;
        let label = match &self.label {
            Some(label) if !label.is_empty() => label.clone(),
            _ => id.clone(),
        };
        Some(Entry { label, id, value })
    }
}

/// A counted row of a report that groups by one id.
#[derive(Debug, diesel::QueryableByName)]
struct LabelCount {
    #[diesel(embed)]
    key: Label,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The body of a report whose query yields `id, label, n` rows.
pub(crate) fn labelled_body(
    report: &dyn Report,
    conn: &mut PgConnection,
    queries: &Queries,
    request: &ReportRequest,
) -> QueryResult<ReportBody> {
    let rows: Vec<LabelCount> = load(conn, queries, request)?;
    let counts: Vec<(&Label, i64)> = rows.iter().map(|row| (&row.key, row.n)).collect();
    let (data, unspecified) = entries(&counts);
    // Rows sharing an id (departments of one name) make one entry.
    Ok(ReportBody::summed(
        report,
        merge(data),
        Some(unspecified),
        request,
    ))
}

/// [`labelled_body`] over each of `ranges`, in one statement. The keys' labels are cloned
/// and compared once per entry, not per comparison: a series has tens of thousands of
/// entries ([`Ranks`]).
pub(crate) fn labelled_bodies(
    report: &dyn Report,
    conn: &mut PgConnection,
    queries: &Queries,
    request: &ReportRequest,
    ranges: &[DateRange],
) -> QueryResult<Vec<ReportBody>> {
    let counts =
        load_ranges::<Label>(conn, queries, request, ranges)?.merged_by(|key| key.id.clone());
    // An entry per key but the unspecified one, and each key's position among them.
    let mut listed: Vec<Entry> = Vec::with_capacity(counts.keys.len());
    let position: Vec<Option<usize>> = counts
        .keys
        .iter()
        .map(|key| {
            listed.push(key.entry(0)?);
            Some(listed.len() - 1)
        })
        .collect();
    let ranks = Ranks::of(&listed);
    Ok(counts
        .per_range
        .iter()
        .map(|range| {
            let mut unspecified = 0;
            let mut rows: Vec<(usize, i64)> = Vec::with_capacity(range.len());
            for &(k, n) in range {
                match position[k] {
                    Some(at) => rows.push((at, n)),
                    None => unspecified += n,
                }
            }
            ranks.sort(report, &mut rows, &request.sort);
            let data: Vec<Entry> = rows
                .iter()
                .map(|&(at, value)| Entry {
                    value,
                    ..listed[at].clone()
                })
                .collect();
            ReportBody {
                total: data.iter().map(|entry| entry.value).sum(),
                data,
                unspecified: Some(unspecified),
            }
        })
        .collect())
}

/// The entries of counted ids, and the count of NULL (`unspecified`).
fn entries(rows: &[(&Label, i64)]) -> (Vec<Entry>, i64) {
    let mut unspecified = 0;
    let mut data: Vec<Entry> = Vec::with_capacity(rows.len());
    for &(key, n) in rows {
        match key.entry(n) {
            Some(entry) => data.push(entry),
            None => unspecified += n,
        }
    }
    (data, unspecified)
}

/// One entry per id, its values summed; entries that sum to zero are dropped.
pub(crate) fn merge(mut data: Vec<Entry>) -> Vec<Entry> {
    data.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    data.dedup_by(|next, kept| {
        let same = next.id == kept.id;
        if same {
            kept.value += next.value;
        }
        same
    });
    data.retain(|entry| entry.value != 0);
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SQL text of a query's `args` CTE.
    fn args_text(query: &impl QueryFragment<Pg>) -> String {
        diesel::debug_query::<Pg, _>(query).to_string()
    }

    /// Every shape of every dimension builds, and on Citus reads no `args` and leads every
    /// leg with its distribution column.
    #[test]
    fn every_shape_builds_and_citus_texts_lead_every_leg_with_the_distribution_column() {
        let mut shapes = Vec::new();
        for scope in [Scope::All, Scope::Units, Scope::Unit] {
            for ranges in [Ranges::One, Ranges::Many] {
                for distributed in [false, true] {
                    shapes.push(Shape {
                        scope,
                        ranges,
                        distributed,
                    });
                }
            }
        }
        for (dimension, shape) in omnireports_db::engine::BUILTIN
            .iter()
            .flat_map(|dimension| shapes.iter().map(move |shape| (dimension, *shape)))
        {
            let text = counts_sql(dimension, shape, "SELECT * FROM counts");
            assert_eq!(text.contains("FROM args"), !shape.distributed, "{text}");
            assert_eq!(text.contains(" AS dist"), shape.distributed, "{text}");
            if !shape.distributed {
                continue;
            }
            for leg in text.split("UNION ALL SELECT ").skip(1) {
                let wraps = ["x.* ", "y.* ", "z.* "].iter().any(|w| leg.starts_with(w));
                assert!(wraps || leg.starts_with("c.shard AS dist, "), "{leg}");
            }
            for scan in text.split("CROSS JOIN LATERAL (SELECT ").skip(1) {
                let led = ["a.shard AS dist, ", "c.id AS dist, "];
                assert!(led.iter().any(|d| scan.starts_with(d)), "{scan}");
            }
        }
    }

    /// On Citus the text reads the arguments by number: they must be where they are bound.
    #[test]
    fn citus_texts_read_each_argument_where_it_is_bound() {
        let one = AggregateQuery {
            rest: "",
            levels: vec![],
            los: vec![],
            his: vec![],
            signs: vec![],
            bounds: vec![],
            weights: vec![],
            units: None,
        };
        let many = RangesQuery {
            rest: "",
            levels: vec![],
            buckets: vec![],
            rlos: vec![],
            rhis: vec![],
            raw_base: 0,
            log_base: 0,
            bounds: vec![],
            units: None,
        };
        for (text, args) in [
            (args_text(&one), &ONE_ARGS[..]),
            (args_text(&many), &MANY_ARGS[..]),
        ] {
            for (i, (name, sql_type)) in args.iter().enumerate() {
                let bound = format!("${}::{sql_type} AS {name}", i + 1);
                assert!(text.contains(&bound), "{bound} in {text}");
            }
            assert!(!text.contains(&format!("${}", args.len() + 1)), "{text}");
        }
    }
}
