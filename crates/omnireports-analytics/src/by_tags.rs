use crate::aggregate::{self, counts_sql, Queries, Shape};
use crate::report::by_total_ascending;
use crate::scope::unspecified_naive;
use crate::{Entry, Report, ReportBody, ReportRequest};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use omnireports_db::engine;
use omnireports_db::schema::conversations;
use omnireports_model::{DateRange, Sort};

/// `conversations-by-tags`: a conversation counts once under each of its tags, so `total` can
/// exceed the number of conversations; `unspecified` counts the untagged ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationsByTags;

/// Diesel's query builder has no `unnest`, so this one count is SQL with bound parameters.
const COUNTS_BY_TAG: &str = "\
    SELECT tag AS label, count(*) AS value \
    FROM conversations CROSS JOIN LATERAL unnest(conversations.tags) AS tag \
    WHERE conversations.ts >= $1 AND conversations.ts < $2 AND tag IS NOT NULL \
      AND ($3::text[] IS NULL \
           OR conversations.department_ancestors && $3 \
           OR conversations.department_id IN (SELECT id FROM departments WHERE ancestors && $3)) \
    GROUP BY tag";

#[derive(QueryableByName)]
struct TagCount {
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = BigInt)]
    value: i64,
}

impl Report for ConversationsByTags {
    fn name(&self) -> &'static str {
        "conversations-by-tags"
    }

    fn column(&self) -> &'static str {
        "Tags"
    }

    fn reads_sort(&self) -> bool {
        true
    }

    fn default_sort(&self) -> Sort {
        by_total_ascending()
    }

    fn description(&self) -> &'static str {
        "Conversations per tag (a conversation counts once per tag); `unspecified` counts untagged conversations."
    }

    fn example(&self) -> ReportBody {
        ReportBody::example(
            &[
                ("vip", 158),
                ("feedback", 167),
                ("billing", 172),
                ("bug", 176),
                ("refund", 202),
            ],
            Some(388),
        )
    }

    fn dimension(&self) -> &'static engine::Dimension {
        &engine::TAG
    }

    fn compute(&self, conn: &mut PgConnection, request: &ReportRequest) -> QueryResult<ReportBody> {
        aggregate::labelled_body(self, conn, &QUERIES, request)
    }

    fn compute_ranges(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
        ranges: &[DateRange],
    ) -> QueryResult<Vec<ReportBody>> {
        aggregate::labelled_bodies(self, conn, &QUERIES, request, ranges)
    }

    fn compute_naive(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
    ) -> QueryResult<ReportBody> {
        let rows: Vec<TagCount> = diesel::sql_query(COUNTS_BY_TAG)
            .bind::<Timestamptz, _>(request.range.start)
            .bind::<Timestamptz, _>(request.range.end)
            .bind::<Nullable<Array<Nullable<Text>>>, _>(request.restriction.units())
            .load(conn)?;
        let data: Vec<Entry> = rows
            .into_iter()
            .map(|row| Entry {
                id: row.label.clone(),
                label: row.label,
                value: row.value,
            })
            .collect();
        let unspecified = unspecified_naive(
            conn,
            request,
            Box::new(conversations::tags.eq(Vec::<Option<String>>::new())),
        )?;
        Ok(ReportBody::summed(self, data, Some(unspecified), request))
    }
}

/// NULL id = untagged.
static QUERIES: Queries = Queries::new(&engine::TAG, tag_counts);

fn tag_counts(shape: Shape) -> String {
    counts_sql(
        &engine::TAG,
        shape,
        "SELECT x.tag AS id, x.tag AS label, {n} FROM counts AS x",
    )
}
