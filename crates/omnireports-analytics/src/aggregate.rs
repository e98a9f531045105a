//! Counting from the pre-aggregated tables (`omnireports_db::engine`), the changes not yet folded
//! into them, and raw edge rows, in one query per report. The SQL text is fixed per report; ranges and units are bound parameters.

use crate::plan::{plan, Piece, Steps};
use crate::{Entry, Report, ReportBody, ReportRequest};
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, SmallInt, Text, Timestamptz, Untyped};
use diesel::{PgConnection, QueryResult, QueryableByName, RunQueryDsl};
use omnireports_db::engine::Dimension;
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
pub(crate) fn counts_sql(dimension: &Dimension, scope: Scope, select: &str) -> String {
    let columns: Vec<&str> = dimension.keys.iter().map(|key| key.column).collect();
    let aggregated: Vec<String> = columns.iter().map(|c| format!("a.{c}")).collect();
    let aggregated = format!("{}, a.n * p.sign AS n", aggregated.join(", "));
    let raw: Vec<String> = dimension
        .keys
        .iter()
        .map(|key| format!("{} AS {}", key.expression, key.column))
        .collect();
    let unit_table = dimension.unit_table.filter(|_| scope == Scope::Unit);
    let scope_first =
        scope != Scope::All && unit_table.is_none() && dimension.scoped_table.is_some();
    let buckets = match (scope, unit_table) {
        (Scope::All, _) => whole_buckets(dimension.table, &aggregated, ""),
        (_, Some(unit_table)) => whole_buckets(
            unit_table,
            &aggregated,
            " AND a.unit = (SELECT units[1] FROM args)",
        ),
        _ if scope_first => scoped_buckets(dimension.restricted_table(), &aggregated),
        _ => whole_buckets(
            dimension.restricted_table(),
            &aggregated,
            &format!(" AND {}", visible("a")),
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
    format!(
        "{PIECES}{scopes}, counts AS (SELECT {columns}, sum(n)::bigint AS n FROM (\
           {buckets} \
           UNION ALL \
           SELECT {raw}, c.sign * (SELECT weights FROM args)[width_bucket(c.ts, (SELECT bounds FROM args))] \
             AS n FROM conversation_changes c{joins} \
           WHERE c.ts >= (SELECT bounds[1] FROM args) \
             AND c.ts < (SELECT bounds[cardinality(bounds)] FROM args){filter_c} \
           UNION ALL \
           SELECT y.* FROM p CROSS JOIN LATERAL (\
             SELECT {raw}, p.sign AS n FROM conversations c{joins} \
             WHERE p.level = -1 AND c.ts >= p.lo AND c.ts < p.hi{filter_c} \
             OFFSET 0) AS y\
         ) AS x GROUP BY {columns} HAVING sum(n) <> 0) {select}",
        columns = columns.join(", "),
    )
}

/// The whole buckets of every piece, each piece its own index range scan: LATERAL … OFFSET 0
/// keeps PostgreSQL from flattening the pieces into one join that it might answer with a full
/// scan.
fn whole_buckets(table: &str, aggregated: &str, filter: &str) -> String {
    format!(
        "SELECT x.* FROM p CROSS JOIN LATERAL (\
           SELECT {aggregated} FROM {table} a \
           WHERE p.level >= 0 AND a.level = p.level AND a.bucket >= p.lo AND a.bucket < p.hi{filter} \
           OFFSET 0) AS x"
    )
}

/// The whole buckets of every piece and visible scope, from a table keyed (level, department,
/// ancestors, bucket, …): one index range scan each. Scopes without a department are read
/// apart, since `=` never matches NULL.
fn scoped_buckets(table: &str, aggregated: &str) -> String {
    let read = |scopes: &str, department: &str| {
        format!(
            "SELECT x.* FROM p CROSS JOIN ({scopes}) AS s CROSS JOIN LATERAL (\
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

/// The report's query texts, one per [`Scope`], each built on first use.
#[derive(Debug)]
pub(crate) struct Queries {
    build: fn(Scope) -> String,
    texts: [OnceLock<String>; 3],
}

impl Queries {
    pub(crate) const fn new(build: fn(Scope) -> String) -> Self {
        Self {
            build,
            texts: [const { OnceLock::new() }; 3],
        }
    }

    fn text(&self, scope: Scope) -> &str {
        self.texts[scope as usize].get_or_init(|| (self.build)(scope))
    }

    /// The query for this request with its parameters bound.
    pub(crate) fn bind(&self, request: &ReportRequest) -> AggregateQuery<'_> {
        let range = request.range.storable();
        let pieces = plan(range.start, range.end);
        let steps = Steps::of(&pieces);
        let units = request.restriction.units();
        AggregateQuery {
            rest: self.text(match &units {
                None => Scope::All,
                Some(units) if units.len() == 1 => Scope::Unit,
                Some(_) => Scope::Units,
            }),
            levels: pieces.iter().map(|p| p.level as i16).collect(),
            los: pieces.iter().map(|p| p.lo).collect(),
            his: pieces.iter().map(|p| p.hi).collect(),
            signs: pieces.iter().map(|p: &Piece| p.sign).collect(),
            bounds: steps.bounds,
            weights: steps.weights,
            units,
        }
    }
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
    queries.bind(request).load(conn)
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
    let mut unspecified = 0;
    let mut data = Vec::with_capacity(rows.len());
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
    Ok(ReportBody::summed(report, data, Some(unspecified), request))
}
