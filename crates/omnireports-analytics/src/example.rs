//! A report over a dimension no shipped report counts: conversations per source type alone.
//! Not in [`Registry::builtin`](crate::Registry::builtin): it is the worked example of
//! `docs/architecture.md` ("How to add a report") and what the tests register to check that a
//! new dimension gets its tables, route, API description and exactness with no SQL written.

use crate::aggregate::{self, counts_sql, Queries};
use crate::report::by_total_descending;
use crate::scope::{in_range, visible_to};
use crate::{Entry, Report, ReportBody, ReportRequest};
use diesel::dsl::count_star;
use diesel::prelude::*;
use omnireports_db::engine::{Dimension, Key};
use omnireports_db::schema::conversations;
use omnireports_model::Sort;

/// Conversations per source type; `unspecified` counts those without a source.
pub const SOURCE_TYPE: Dimension = Dimension {
    table: "agg_source_type",
    scoped_table: Some("agg_source_type_scoped"),
    unit_table: Some("agg_source_type_unit"),
    keys: &[Key {
        column: "source_type",
        sql_type: "text",
        expression: "c.source_type",
    }],
    joins: "",
    reads: &["source_type"],
};

/// `example-conversations-by-source-type`: [`SOURCE_TYPE`] as a report.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationsBySourceType;

static QUERIES: Queries = Queries::new(&SOURCE_TYPE, |shape| {
    counts_sql(
        &SOURCE_TYPE,
        shape,
        "SELECT x.source_type AS id, x.source_type AS label, {n} FROM counts AS x",
    )
});

impl Report for ConversationsBySourceType {
    fn name(&self) -> &'static str {
        "example-conversations-by-source-type"
    }

    /// Not Rocket.Chat's: outside its prefix.
    fn path(&self) -> String {
        format!("/api/omnireports/v1/examples/{}", self.name())
    }

    fn column(&self) -> &'static str {
        "Source type"
    }

    fn reads_sort(&self) -> bool {
        true
    }

    fn default_sort(&self) -> Sort {
        by_total_descending()
    }

    fn description(&self) -> &'static str {
        "Conversations per source type (an example report); `unspecified` counts conversations without a source."
    }

    fn example(&self) -> ReportBody {
        ReportBody::example(&[("widget", 576), ("email", 166)], Some(12))
    }

    fn dimension(&self) -> &'static Dimension {
        &SOURCE_TYPE
    }

    fn compute(&self, conn: &mut PgConnection, request: &ReportRequest) -> QueryResult<ReportBody> {
        aggregate::labelled_body(self, conn, &QUERIES, request)
    }

    fn compute_naive(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
    ) -> QueryResult<ReportBody> {
        let mut query = conversations::table
            .filter(in_range(request.range.start, request.range.end))
            .group_by(conversations::source_type)
            .select((conversations::source_type, count_star()))
            .into_boxed();
        if let Some(units) = request.restriction.units() {
            query = query.filter(visible_to(units));
        }
        let rows: Vec<(Option<String>, i64)> = query.load(conn)?;
        let mut unspecified = 0;
        let mut data = Vec::new();
        for (source_type, value) in rows {
            match source_type {
                Some(label) => data.push(Entry {
                    id: label.clone(),
                    label,
                    value,
                }),
                None => unspecified += value,
            }
        }
        Ok(ReportBody::summed(self, data, Some(unspecified), request))
    }
}
