//! Counting from the pre-aggregated tables (`omnireports_db::engine`), the changes not yet folded
//! into them, and raw edge rows, in one query per report. The SQL text is fixed per report; ranges and units are bound parameters.

use crate::plan::{plan, Piece, Steps};
use crate::{Entry, Report, ReportBody, ReportRequest};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, SmallInt, Text, Timestamptz, Untyped};
use diesel::{PgConnection, QueryResult, QueryableByName, RunQueryDsl};
use omnireports_db::engine::{Dimension, SCHEMA};
use omnireports_model::DateRange;
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

/// Follows the bound `args` CTE: the pieces as `p(level, lo, hi, sign)`; level -1 is raw rows.
const PIECES: &str =
    ", p AS (SELECT * FROM unnest((SELECT levels FROM args), (SELECT los FROM args), \
                      (SELECT his FROM args), (SELECT signs FROM args)) AS p(level, lo, hi, sign))";

/// [`PIECES`] of many ranges: each whole-bucket piece with the index of its range,
/// `p(level, lo, hi, sign, idx)`; each distinct raw piece once, `r(lo, hi, qid)` (adjacent
/// ranges share the raw rows at their common edge: read once), with `f(qid, idx, sign)` saying
/// which ranges count it and how; and the weights of the logged rows as `w(step, idx, weight)`:
/// a row in step `step` of the bounds counts `weight` times for range `idx`.
const RANGES_PIECES: &str =
    ", p AS (SELECT * FROM unnest((SELECT levels FROM args), (SELECT los FROM args), \
                      (SELECT his FROM args), (SELECT signs FROM args), (SELECT idxs FROM args)) \
                      AS p(level, lo, hi, sign, idx)), \
       r AS (SELECT * FROM unnest((SELECT rlos FROM args), (SELECT rhis FROM args)) \
                      WITH ORDINALITY AS r(lo, hi, qid)), \
       f AS (SELECT * FROM unnest((SELECT fqids FROM args), (SELECT fidxs FROM args), \
                      (SELECT fsigns FROM args)) AS f(qid, idx, sign)), \
       w AS (SELECT * FROM unnest((SELECT wsteps FROM args), (SELECT widxs FROM args), \
                      (SELECT wweights FROM args)) AS w(step, idx, weight))";

/// Whether a query counts one range or many (each row then leads with the range's `idx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ranges {
    /// One range: rows as the report's select makes them.
    One,
    /// Many ranges: `counts` and the select's rows lead with `idx`, the range's index.
    Many,
}

impl Ranges {
    /// What a report's select puts where its text says `{idx}`: nothing, or `idx, ` (first in
    /// the select list and the GROUP BY).
    fn idx(self) -> &'static str {
        match self {
            Ranges::One => "",
            Ranges::Many => "idx, ",
        }
    }
}

/// A monitor sees rows whose own or whose department's ancestors include one of the units.
fn visible(alias: &str) -> String {
    format!(
        "({alias}.department_ancestors && (SELECT units FROM args) OR {alias}.department_id IN \
         (SELECT id FROM departments WHERE ancestors && (SELECT units FROM args)))"
    )
}

/// The query text after `args`: a `counts` CTE of `<keys>, n` summed over all pieces (zero
/// counts dropped), then `select`, which reads `counts`. Whole-bucket pieces count the
/// aggregates plus the changes logged but not yet folded into them (migration
/// `conversation_changes`), read in the same snapshot: each logged row once, weighted by the
/// pieces' [`Steps`] (found by binary search, so a long log costs one pass); raw pieces read the
/// conversations.
///
/// With [`Ranges::Many`], every piece and logged row is counted for its range (`idx`) and
/// `select`'s `{idx}` marks where `idx` goes.
pub(crate) fn counts_sql(
    dimension: &Dimension,
    scope: Scope,
    ranges: Ranges,
    select: &str,
) -> String {
    let all: Vec<&str> = dimension.keys.iter().map(|key| key.column).collect();
    counts_sql_by(dimension, scope, ranges, &all, select)
}

/// [`counts_sql`] whose many-ranges `counts` keep only the key columns `select` reads (every
/// one of them with one range): fewer, narrower groups per range.
pub(crate) fn counts_sql_by(
    dimension: &Dimension,
    scope: Scope,
    ranges: Ranges,
    read: &[&str],
    select: &str,
) -> String {
    let keys: Vec<&omnireports_db::engine::Key> = dimension
        .keys
        .iter()
        .filter(|key| ranges == Ranges::One || read.contains(&key.column))
        .collect();
    let idx = ranges.idx();
    let p_idx = match ranges {
        Ranges::One => "",
        Ranges::Many => "p.idx, ",
    };
    let columns: Vec<&str> = keys.iter().map(|key| key.column).collect();
    let of = |alias: &str| -> String {
        let qualified: Vec<String> = columns.iter().map(|c| format!("{alias}.{c}")).collect();
        qualified.join(", ")
    };
    let aggregated = format!("{}, a.n * p.sign AS n", of("a"));
    let raw: Vec<String> = keys
        .iter()
        .map(|key| format!("{} AS {}", key.expression, key.column))
        .collect();
    let unit_table = dimension.unit_table.filter(|_| scope == Scope::Unit);
    let scope_first =
        scope != Scope::All && unit_table.is_none() && dimension.scoped_table.is_some();
    let buckets = match (scope, unit_table) {
        (Scope::All, _) => whole_buckets(dimension.table, &aggregated, "", p_idx),
        (_, Some(unit_table)) => whole_buckets(
            unit_table,
            &aggregated,
            " AND a.unit = (SELECT units[1] FROM args)",
            p_idx,
        ),
        _ if scope_first => scoped_buckets(dimension.restricted_table(), &aggregated, p_idx),
        _ => whole_buckets(
            dimension.restricted_table(),
            &aggregated,
            &format!(" AND {}", visible("a")),
            p_idx,
        ),
    };
    let filter_c = match scope {
        Scope::All => String::new(),
        _ => format!(" AND {}", visible("c")),
    };
    let scopes = match scope_first {
        // Only the aggregate buckets need the list of visible scopes (logged and raw rows are
        // filtered row by row). A fold writes a conversation's month row in agg_department
        // with its scoped rows, so every scope that has buckets is listed.
        true => format!(
            ", scopes AS (SELECT DISTINCT a.department_id, a.department_ancestors \
             FROM agg_department a WHERE a.level = 2 AND {})",
            visible("a")
        ),
        false => String::new(),
    };
    let raw = raw.join(", ");
    let joins = dimension.joins;
    let raw_rows = |select: &str, piece: &str| {
        format!(
            "SELECT {select} FROM conversations c{joins} \
             WHERE {piece} c.ts >= p.lo AND c.ts < p.hi{filter_c} OFFSET 0"
        )
    };
    let (pieces, logged, buckets, rows) = match ranges {
        Ranges::One => (
            PIECES,
            format!(
                "SELECT {raw}, c.sign * (SELECT weights FROM args)[width_bucket(c.ts, (SELECT bounds FROM args))] \
                   AS n FROM conversation_changes c{joins}"
            ),
            buckets,
            format!(
                "SELECT y.* FROM p CROSS JOIN LATERAL ({}) AS y",
                raw_rows(&format!("{raw}, p.sign AS n"), "p.level = -1 AND")
            ),
        ),
        Ranges::Many => (
            RANGES_PIECES,
            format!(
                "SELECT w.idx, {raw}, c.sign * w.weight AS n FROM conversation_changes c{joins} \
                 JOIN w ON w.step = width_bucket(c.ts, (SELECT bounds FROM args))"
            ),
            buckets,
            // A raw piece's rows are counted per key before they are signed for each range.
            format!(
                "SELECT f.idx, {y}, y.n * f.sign AS n FROM (\
                   SELECT p.qid, {z}, count(*)::bigint AS n FROM r AS p CROSS JOIN LATERAL ({rows}) AS z \
                   GROUP BY p.qid, {z}) AS y JOIN f ON f.qid = y.qid",
                y = of("y"),
                z = of("z"),
                rows = raw_rows(&raw, ""),
            ),
        ),
    };
    format!(
        "{pieces}{scopes}, counts AS (SELECT {idx}{columns}, {SCHEMA}.total(n) AS n FROM (\
           {buckets} \
           UNION ALL \
           {logged} \
           WHERE c.ts >= (SELECT bounds[1] FROM args) \
             AND c.ts < (SELECT bounds[cardinality(bounds)] FROM args){filter_c} \
           UNION ALL \
           {rows}\
         ) AS x GROUP BY {idx}{columns} HAVING {SCHEMA}.total(n) <> 0) {select}",
        columns = columns.join(", "),
        select = select.replace("{idx}", idx),
    )
}

/// The whole buckets of every piece, each piece its own index range scan: LATERAL … OFFSET 0
/// keeps PostgreSQL from flattening the pieces into one join that it might answer with a full
/// scan.
fn whole_buckets(table: &str, aggregated: &str, filter: &str, p_idx: &str) -> String {
    format!(
        "SELECT {p_idx}x.* FROM p CROSS JOIN LATERAL (\
           SELECT {aggregated} FROM {table} a \
           WHERE p.level >= 0 AND a.level = p.level AND a.bucket >= p.lo AND a.bucket < p.hi{filter} \
           OFFSET 0) AS x"
    )
}

/// The whole buckets of every piece and visible scope, from a table keyed (level, department,
/// ancestors, bucket, …): one index range scan each. Scopes without a department are read
/// apart, since `=` never matches NULL.
fn scoped_buckets(table: &str, aggregated: &str, p_idx: &str) -> String {
    let read = |scopes: &str, department: &str| {
        format!(
            "SELECT {p_idx}x.* FROM p CROSS JOIN ({scopes}) AS s CROSS JOIN LATERAL (\
               SELECT {aggregated} FROM {table} a \
               WHERE p.level >= 0 AND a.level = p.level AND {department} \
               AND a.department_ancestors = s.department_ancestors \
               AND a.bucket >= p.lo AND a.bucket < p.hi OFFSET 0) AS x"
        )
    };
    format!(
        "{} UNION ALL {}",
        read("SELECT * FROM scopes", "a.department_id = s.department_id"),
        read(
            "SELECT * FROM scopes WHERE department_id IS NULL",
            "a.department_id IS NULL"
        )
    )
}

/// The report's query texts, one per [`Scope`] and [`Ranges`], each built on first use; and
/// the same for Citus.
#[derive(Debug)]
pub(crate) struct Queries {
    build: fn(Scope, Ranges) -> String,
    texts: [OnceLock<String>; 12],
}

fn scope_of(units: &Option<Vec<Option<String>>>) -> Scope {
    match units {
        None => Scope::All,
        Some(units) if units.len() == 1 => Scope::Unit,
        Some(_) => Scope::Units,
    }
}

impl Queries {
    pub(crate) const fn new(build: fn(Scope, Ranges) -> String) -> Self {
        Self {
            build,
            texts: [const { OnceLock::new() }; 12],
        }
    }

    /// On Citus (`distributed`) without the `OFFSET 0` fences: Citus cannot push down a
    /// LATERAL subquery with OFFSET that reads a CTE, and plans the pieces as a join anyway.
    fn text(&self, scope: Scope, ranges: Ranges, distributed: bool) -> &str {
        let slot = scope as usize * 2 + usize::from(ranges == Ranges::Many);
        match distributed {
            false => self.texts[slot].get_or_init(|| (self.build)(scope, ranges)),
            true => self.texts[6 + slot]
                .get_or_init(|| (self.build)(scope, ranges).replace(" OFFSET 0", "")),
        }
    }

    /// The query for this request with its parameters bound.
    pub(crate) fn bind(&self, request: &ReportRequest, distributed: bool) -> AggregateQuery<'_> {
        let range = request.range.storable();
        let pieces = plan(range.start, range.end);
        let steps = Steps::of(&pieces);
        let units = request.restriction.units();
        AggregateQuery {
            rest: self.text(scope_of(&units), Ranges::One, distributed),
            levels: pieces.iter().map(|p| p.level as i16).collect(),
            los: pieces.iter().map(|p| p.lo).collect(),
            his: pieces.iter().map(|p| p.hi).collect(),
            signs: pieces.iter().map(|p: &Piece| p.sign).collect(),
            bounds: steps.bounds,
            weights: steps.weights,
            units,
        }
    }

    /// The query counting each of `ranges` with `request`'s restriction, its parameters bound.
    pub(crate) fn bind_ranges(
        &self,
        request: &ReportRequest,
        ranges: &[DateRange],
        distributed: bool,
    ) -> RangesQuery<'_> {
        let units = request.restriction.units();
        let mut query = RangesQuery {
            rest: self.text(scope_of(&units), Ranges::Many, distributed),
            levels: Vec::new(),
            los: Vec::new(),
            his: Vec::new(),
            signs: Vec::new(),
            idxs: Vec::new(),
            rlos: Vec::new(),
            rhis: Vec::new(),
            fqids: Vec::new(),
            fidxs: Vec::new(),
            fsigns: Vec::new(),
            bounds: Vec::new(),
            steps: Vec::new(),
            step_idxs: Vec::new(),
            step_weights: Vec::new(),
            units,
        };
        let mut whole: Vec<(Piece, i32)> = Vec::new();
        let mut raw_ids: std::collections::HashMap<(DateTime<Utc>, DateTime<Utc>), i64> =
            Default::default();
        let mut raw_uses: std::collections::BTreeMap<(i64, i32), i64> = Default::default();
        for (idx, range) in ranges.iter().enumerate() {
            let idx = i32::try_from(idx).unwrap_or(i32::MAX);
            let range = range.storable();
            for piece in plan(range.start, range.end) {
                if piece.level == crate::Level::Rows {
                    let next = i64::try_from(raw_ids.len() + 1).unwrap_or(i64::MAX);
                    let qid = *raw_ids.entry((piece.lo, piece.hi)).or_insert_with(|| {
                        query.rlos.push(piece.lo);
                        query.rhis.push(piece.hi);
                        next
                    });
                    *raw_uses.entry((qid, idx)).or_default() += piece.sign;
                    continue;
                }
                query.levels.push(piece.level as i16);
                query.los.push(piece.lo);
                query.his.push(piece.hi);
                query.signs.push(piece.sign);
                query.idxs.push(idx);
                whole.push((piece, idx));
            }
        }
        for ((qid, idx), sign) in raw_uses {
            if sign != 0 {
                query.fqids.push(qid);
                query.fidxs.push(idx);
                query.fsigns.push(sign);
            }
        }
        // One step function for all ranges: on each step, the summed sign per range of the
        // whole-bucket pieces covering it (a range's pieces can reach into its neighbours').
        let mut bounds: Vec<DateTime<Utc>> = whole.iter().flat_map(|(p, _)| [p.lo, p.hi]).collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut weights: std::collections::BTreeMap<(i32, i32), i64> = Default::default();
        for (piece, idx) in &whole {
            let first = bounds.partition_point(|b| *b < piece.lo);
            let last = bounds.partition_point(|b| *b < piece.hi);
            for step in first..last {
                // width_bucket numbers [bounds[k], bounds[k + 1]) as k + 1.
                let step = i32::try_from(step + 1).unwrap_or(i32::MAX);
                *weights.entry((step, *idx)).or_default() += piece.sign;
            }
        }
        for ((step, idx), weight) in weights {
            if weight != 0 {
                query.steps.push(step);
                query.step_idxs.push(idx);
                query.step_weights.push(weight);
            }
        }
        query.bounds = bounds;
        query
    }
}

/// The query of [`Queries::bind_ranges`]: [`AggregateQuery`]'s parameters with each piece's
/// range index, and the logged rows' weights per step and range.
#[derive(Debug)]
pub(crate) struct RangesQuery<'a> {
    rest: &'a str,
    /// The whole-bucket pieces, each with its range's index.
    levels: Vec<i16>,
    los: Vec<DateTime<Utc>>,
    his: Vec<DateTime<Utc>>,
    signs: Vec<i64>,
    idxs: Vec<i32>,
    /// The distinct raw pieces, and per (raw piece, range) the piece's 1-based id, the range
    /// and the sign.
    rlos: Vec<DateTime<Utc>>,
    rhis: Vec<DateTime<Utc>>,
    fqids: Vec<i64>,
    fidxs: Vec<i32>,
    fsigns: Vec<i64>,
    bounds: Vec<DateTime<Utc>>,
    steps: Vec<i32>,
    step_idxs: Vec<i32>,
    step_weights: Vec<i64>,
    units: Option<Vec<Option<String>>>,
}

impl QueryFragment<Pg> for RangesQuery<'_> {
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
        out.push_bind_param::<Array<Integer>, _>(&self.idxs)?;
        out.push_sql("::int[] AS idxs, ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.rlos)?;
        out.push_sql("::timestamptz[] AS rlos, ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.rhis)?;
        out.push_sql("::timestamptz[] AS rhis, ");
        out.push_bind_param::<Array<BigInt>, _>(&self.fqids)?;
        out.push_sql("::bigint[] AS fqids, ");
        out.push_bind_param::<Array<Integer>, _>(&self.fidxs)?;
        out.push_sql("::int[] AS fidxs, ");
        out.push_bind_param::<Array<BigInt>, _>(&self.fsigns)?;
        out.push_sql("::bigint[] AS fsigns, ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.bounds)?;
        out.push_sql("::timestamptz[] AS bounds, ");
        out.push_bind_param::<Array<Integer>, _>(&self.steps)?;
        out.push_sql("::int[] AS wsteps, ");
        out.push_bind_param::<Array<Integer>, _>(&self.step_idxs)?;
        out.push_sql("::int[] AS widxs, ");
        out.push_bind_param::<Array<BigInt>, _>(&self.step_weights)?;
        out.push_sql("::bigint[] AS wweights, ");
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

/// A row of a many-ranges query: the range's index, then the report's own row.
#[derive(Debug)]
pub(crate) struct Indexed<R> {
    idx: i32,
    row: R,
}

impl<R: QueryableByName<Pg>> QueryableByName<Pg> for Indexed<R> {
    fn build<'a>(row: &impl diesel::row::NamedRow<'a, Pg>) -> diesel::deserialize::Result<Self> {
        Ok(Self {
            idx: diesel::row::NamedRow::get::<Integer, i32>(row, "idx")?,
            row: R::build(row)?,
        })
    }
}

/// Runs `queries` for each of `ranges` in one statement; the rows of each range apart, in order.
pub(crate) fn load_ranges<R>(
    conn: &mut PgConnection,
    queries: &Queries,
    request: &ReportRequest,
    ranges: &[DateRange],
) -> QueryResult<Vec<Vec<R>>>
where
    R: QueryableByName<Pg> + 'static,
{
    let distributed = omnireports_db::engine::is_distributed(conn)?;
    let rows: Vec<Indexed<R>> = queries
        .bind_ranges(request, ranges, distributed)
        .load(conn)?;
    let mut per_range: Vec<Vec<R>> = (0..ranges.len()).map(|_| Vec::new()).collect();
    for Indexed { idx, row } in rows {
        if let Some(rows) = usize::try_from(idx)
            .ok()
            .and_then(|idx| per_range.get_mut(idx))
        {
            rows.push(row);
        }
    }
    Ok(per_range)
}

/// A report query: an `args` CTE of bound parameters, then fixed SQL text. Unlike
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
    queries.bind(request, distributed).load(conn)
}

/// A row of a report that groups by one id: `id` NULL is the report's "unspecified"; the label
/// falls back to the id when missing or empty.
#[derive(Debug, diesel::QueryableByName)]
struct LabelCount {
    #[diesel(sql_type = Nullable<Text>)]
    id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    label: Option<String>,
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
    Ok(labelled(report, rows, request))
}

/// [`labelled_body`] over each of `ranges`, in one statement.
pub(crate) fn labelled_bodies(
    report: &dyn Report,
    conn: &mut PgConnection,
    queries: &Queries,
    request: &ReportRequest,
    ranges: &[DateRange],
) -> QueryResult<Vec<ReportBody>> {
    let per_range: Vec<Vec<LabelCount>> = load_ranges(conn, queries, request, ranges)?;
    Ok(per_range
        .into_iter()
        .map(|rows| labelled(report, rows, request))
        .collect())
}

/// Rows sharing an id (departments of one name) make one entry.
fn labelled(report: &dyn Report, rows: Vec<LabelCount>, request: &ReportRequest) -> ReportBody {
    let mut unspecified = 0;
    let mut data: Vec<Entry> = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(id) = row.id else {
            unspecified += row.n;
            continue;
        };
        data.push(Entry {
            label: row
                .label
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| id.clone()),
            id,
            value: row.n,
        });
    }
    data.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    data.dedup_by(|next, kept| {
        let same = next.id == kept.id;
        if same {
            kept.value += next.value;
        }
        same
    });
    ReportBody::summed(report, data, Some(unspecified), request)
}
