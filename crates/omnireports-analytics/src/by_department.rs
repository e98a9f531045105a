use crate::aggregate::{self, counts_sql_by, Queries, Shape};
use crate::report::by_total_ascending;
use crate::scope::{in_range, unspecified_naive};
use crate::{Entry, Report, ReportBody, ReportRequest};
use diesel::dsl::count_star;
use diesel::prelude::*;
use omnireports_db::engine;
use omnireports_db::schema::{conversations, departments};
use omnireports_model::{DateRange, Sort};

/// `conversations-by-department`: conversations per department *name*, plus those without one.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationsByDepartment;

impl Report for ConversationsByDepartment {
    fn name(&self) -> &'static str {
        "conversations-by-department"
    }

    fn column(&self) -> &'static str {
        "Departments"
    }

    fn reads_sort(&self) -> bool {
        true
    }

    fn default_sort(&self) -> Sort {
        by_total_ascending()
    }

    fn description(&self) -> &'static str {
        "Conversations per department name (same-name departments merge; conversations of a deleted department are dropped); `unspecified` counts conversations without a department."
    }

    fn example(&self) -> ReportBody {
        ReportBody::example(
            &[
                ("Onboarding", 139),
                ("Support", 148),
                ("VIP", 159),
                ("Billing", 167),
                ("Sales", 283),
            ],
            Some(109),
        )
    }

    fn dimension(&self) -> &'static engine::Dimension {
        &engine::DEPARTMENT
    }

    fn compute(&self, conn: &mut PgConnection, request: &ReportRequest) -> QueryResult<ReportBody> {
        let body = aggregate::labelled_body(self, conn, &QUERIES, request)?;
        Ok(without_unspecified_when_restricted(body, request))
    }

    fn compute_ranges(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
        ranges: &[DateRange],
    ) -> QueryResult<Vec<ReportBody>> {
        let bodies = aggregate::labelled_bodies(self, conn, &QUERIES, request, ranges)?;
        Ok(bodies
            .into_iter()
            .map(|body| without_unspecified_when_restricted(body, request))
            .collect())
    }

    fn compute_naive(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
    ) -> QueryResult<ReportBody> {
        let data = counts_by_name(conn, request)?;
        let unspecified = unspecified_naive(
            conn,
            request,
            Box::new(conversations::department_id.is_null()),
        )?;
        let body = ReportBody::summed(self, data, Some(unspecified), request);
        Ok(without_unspecified_when_restricted(body, request))
    }
}

/// Rocket.Chat restricts a monitor by department, which a conversation without one never
/// matches, so their `unspecified` is 0 here (the sibling reports count what they may see).
fn without_unspecified_when_restricted(
    mut body: ReportBody,
    request: &ReportRequest,
) -> ReportBody {
    if request.restriction.units().is_some() {
        body.unspecified = Some(0);
    }
    body
}

/// Counts per department name. The inner join drops conversations of deleted departments;
/// grouping by name merges departments that share one.
fn counts_by_name(conn: &mut PgConnection, request: &ReportRequest) -> QueryResult<Vec<Entry>> {
    let mut query = conversations::table
        .inner_join(
            departments::table.on(departments::id.nullable().eq(conversations::department_id)),
        )
        .filter(in_range(request.range.start, request.range.end))
        .group_by(departments::name)
        .select((departments::name, count_star()))
        .into_boxed();
    if let Some(units) = request.restriction.units() {
        // The joined department's ancestors, or the conversation's own.
        query = query.filter(
            conversations::department_ancestors
                .overlaps_with(units.clone())
                .or(departments::ancestors.overlaps_with(units)),
        );
    }
    let rows: Vec<(String, i64)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(name, value)| Entry {
            id: name.clone(),
            label: name,
            value,
        })
        .collect())
}

static QUERIES: Queries = Queries::new(&engine::DEPARTMENT, by_name);

/// Counts per department id with its name (the rows of one name are merged into one entry
/// by [`aggregate::labelled_body`]); NULL id = no department. Departments that no longer exist
/// are dropped by the join.
fn by_name(shape: Shape) -> String {
    counts_sql_by(
        &engine::DEPARTMENT,
        shape,
        &["department_id"],
        "SELECT d.name AS id, d.name AS label, {n} FROM counts AS x \
         LEFT JOIN departments d ON d.id = x.department_id \
         WHERE x.department_id IS NULL OR d.id IS NOT NULL",
    )
}
