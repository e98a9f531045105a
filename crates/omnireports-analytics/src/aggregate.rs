//! Counting from the pre-aggregated tables (migration `aggregates`) plus raw edge rows, in one
//! query per report. The SQL text is fixed per report; ranges and units are bound parameters.

use crate::plan::{plan, Piece};
use crate::ReportRequest;
use diesel::pg::Pg;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_query;
use diesel::sql_types::{Array, BigInt, Nullable, SmallInt, Text, Timestamptz};
use diesel::RunQueryDsl as _;
use std::sync::LazyLock;

/// What a report counts by, as aggregate columns and the equivalent expressions on a raw row.
#[derive(Debug)]
pub(crate) struct Dimension {
    /// Aggregate table without department scope, used when the caller is unrestricted.
    pub table: &'static str,
    /// The same with `department_id` and `department_ancestors`, for restricted callers.
    pub scoped_table: &'static str,
    /// (aggregate column, expression over `c`, a `conversations` row, and `t`, its tags).
    pub keys: &'static [(&'static str, &'static str)],
    /// Extra FROM items for the raw rows.
    pub raw_joins: &'static str,
}

/// Piece list → `p(level, lo, hi, sign)`; level -1 means raw rows.
const PIECES: &str = "WITH p AS (SELECT * FROM unnest($1::smallint[], $2::timestamptz[], \
                      $3::timestamptz[], $4::bigint[]) AS p(level, lo, hi, sign))";

/// A monitor sees rows whose own or whose department's ancestors include one of `$5`.
fn visible(alias: &str) -> String {
    format!(
        "({alias}.department_ancestors && $5 OR {alias}.department_id IN \
         (SELECT id FROM departments WHERE ancestors && $5))"
    )
}

/// `SELECT <keys>, n` summed over all pieces, zero counts dropped.
pub(crate) fn counts_sql(dimension: &Dimension, restricted: bool) -> String {
    let columns: Vec<&str> = dimension.keys.iter().map(|(column, _)| *column).collect();
    let aggregated: Vec<String> = columns.iter().map(|c| format!("a.{c}")).collect();
    let raw: Vec<String> = dimension
        .keys
        .iter()
        .map(|(column, expression)| format!("{expression} AS {column}"))
        .collect();
    let (table, filter_a, filter_c) = match restricted {
        true => (
            dimension.scoped_table,
            format!(" AND {}", visible("a")),
            format!(" AND {}", visible("c")),
        ),
        false => (dimension.table, String::new(), String::new()),
    };
    // Each piece is its own index range scan: LATERAL … OFFSET 0 keeps PostgreSQL from
    // flattening the pieces into one join that it might answer with a full scan.
    format!(
        "{PIECES} SELECT {columns}, sum(n)::bigint AS n FROM (\
           SELECT x.* FROM p CROSS JOIN LATERAL (\
             SELECT {aggregated}, a.n * p.sign AS n FROM {table} a \
             WHERE p.level >= 0 AND a.level = p.level AND a.bucket >= p.lo AND a.bucket < p.hi{filter_a} \
             OFFSET 0) AS x \
           UNION ALL \
           SELECT y.* FROM p CROSS JOIN LATERAL (\
             SELECT {raw}, p.sign AS n FROM conversations c{joins} \
             WHERE p.level = -1 AND c.ts >= p.lo AND c.ts < p.hi{filter_c} \
             OFFSET 0) AS y\
         ) AS x GROUP BY {columns} HAVING sum(n) <> 0",
        columns = columns.join(", "),
        aggregated = aggregated.join(", "),
        raw = raw.join(", "),
        joins = dimension.raw_joins,
    )
}

/// The report's two query texts, built once.
#[derive(Debug)]
pub(crate) struct Queries {
    unrestricted: LazyLock<String>,
    restricted: LazyLock<String>,
}

impl Queries {
    pub(crate) const fn new(unrestricted: fn() -> String, restricted: fn() -> String) -> Self {
        Self {
            unrestricted: LazyLock::new(unrestricted),
            restricted: LazyLock::new(restricted),
        }
    }

    /// The query for this request with its parameters bound.
    pub(crate) fn bind(
        &self,
        request: &ReportRequest,
    ) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
        let pieces = plan(request.range.start, request.range.end);
        let units = request.restriction.units();
        let text = match units {
            Some(_) => self.restricted.as_str(),
            None => self.unrestricted.as_str(),
        };
        let query = sql_query(text)
            .into_boxed()
            .bind::<Array<SmallInt>, _>(pieces.iter().map(|p| p.level as i16).collect::<Vec<_>>())
            .bind::<Array<Timestamptz>, _>(pieces.iter().map(|p| p.lo).collect::<Vec<_>>())
            .bind::<Array<Timestamptz>, _>(pieces.iter().map(|p| p.hi).collect::<Vec<_>>())
            .bind::<Array<BigInt>, _>(pieces.iter().map(|p: &Piece| p.sign).collect::<Vec<_>>());
        match units {
            Some(units) => query.bind::<Array<Nullable<Text>>, _>(units),
            None => query,
        }
    }
}

/// Runs `queries` for `request` and loads rows of type `R`.
pub(crate) fn load<R>(
    conn: &mut diesel::PgConnection,
    queries: &Queries,
    request: &ReportRequest,
) -> diesel::QueryResult<Vec<R>>
where
    R: diesel::QueryableByName<Pg> + 'static,
{
    queries.bind(request).load(conn)
}

/// A row of a report that groups by one text label; `label` NULL is the report's "unspecified".
#[derive(Debug, diesel::QueryableByName)]
pub(crate) struct LabelCount {
    #[diesel(sql_type = Nullable<Text>)]
    pub label: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Splits label rows into entries and the unspecified count (0 for a restricted caller).
pub(crate) fn entries_and_unspecified(
    rows: Vec<LabelCount>,
    request: &ReportRequest,
) -> (Vec<crate::Entry>, i64) {
    let mut unspecified = 0;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        match row.label {
            Some(label) => entries.push(crate::Entry {
                id: label.clone(),
                label,
                value: row.n,
            }),
            None => unspecified += row.n,
        }
    }
    if request.restriction.units().is_some() {
        unspecified = 0;
    }
    (entries, unspecified)
}
