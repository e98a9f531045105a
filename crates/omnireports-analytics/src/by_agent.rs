use crate::aggregate::{self, counts_sql, Queries, Shape};
use crate::scope::{in_range, unspecified_naive, visible_to};
use crate::{Entry, Report, ReportBody, ReportRequest, SortField};
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use omnireports_db::engine;
use omnireports_db::schema::{conversations, users};
use omnireports_model::{DateRange, Sort, SortDirection};

/// `conversations-by-agent`: conversations per serving agent, labelled by the agent's name, or
/// the agent's id when the user or the name is missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationsByAgent;

impl Report for ConversationsByAgent {
    fn name(&self) -> &'static str {
        "conversations-by-agent"
    }

    fn column(&self) -> &'static str {
        "Agents"
    }

    fn reads_sort(&self) -> bool {
        true
    }

    fn default_sort(&self) -> Sort {
        Sort(vec![("name".to_owned(), SortDirection::Asc)])
    }

    fn description(&self) -> &'static str {
        "Conversations per serving agent, labelled by the agent name, else the agent id; `unspecified` counts conversations served by nobody."
    }

    fn example(&self) -> ReportBody {
        ReportBody::example(
            &[
                ("Ana Agent", 188),
                ("Ben Agent", 215),
                ("Cho Agent", 181),
                ("demo-agent-dev", 201),
                ("demo-agent-gone", 229),
            ],
            Some(22),
        )
    }

    fn sort_field(&self, key: &str) -> Option<SortField> {
        match key {
            "name" | "label" => Some(SortField::Label),
            "total" | "value" => Some(SortField::Value),
            "_id" => Some(SortField::Id),
            _ => None,
        }
    }

    fn dimension(&self) -> &'static engine::Dimension {
        &engine::AGENT
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
        let mut query = conversations::table
            .left_join(users::table.on(users::id.nullable().eq(conversations::served_by_id)))
            .filter(in_range(request.range.start, request.range.end))
            .filter(conversations::served_by_id.is_not_null())
            .group_by(conversations::served_by_id)
            // One user per id, so max() just carries the name through the grouping.
            .select((
                conversations::served_by_id,
                max(users::name.nullable()),
                count_star(),
            ))
            .into_boxed();
        if let Some(units) = request.restriction.units() {
            query = query.filter(visible_to(units));
        }
        let rows: Vec<(Option<String>, Option<String>, i64)> = query.load(conn)?;
        let data: Vec<Entry> = rows
            .into_iter()
            .map(|(id, name, value)| {
                let id = id.unwrap_or_default();
                Entry {
                    label: name.filter(|n| !n.is_empty()).unwrap_or_else(|| id.clone()),
                    id,
                    value,
                }
            })
            .collect();
        let unspecified = unspecified_naive(
            conn,
            request,
            Box::new(conversations::served_by_id.is_null()),
        )?;
        Ok(ReportBody::summed(self, data, Some(unspecified), request))
    }
}

static QUERIES: Queries = Queries::new(&engine::AGENT, with_names);

/// Counts per agent id with the agent's name; NULL id = served by nobody.
fn with_names(shape: Shape) -> String {
    counts_sql(
        &engine::AGENT,
        shape,
        "SELECT x.served_by_id AS id, u.name AS label, {n} FROM counts AS x \
         LEFT JOIN users u ON u.id = x.served_by_id",
    )
}
