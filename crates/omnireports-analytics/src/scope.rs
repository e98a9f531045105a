//! The filters every report shares: the `[start, end)` range and the monitor restriction.

use crate::ReportRequest;
use chrono::{DateTime, Utc};
use diesel::dsl::auto_type;
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use omnireports_db::schema::{conversations, departments};

/// A condition on one conversation row.
pub(crate) type ConversationFilter =
    Box<dyn BoxableExpression<conversations::table, Pg, SqlType = Bool>>;

/// The naive `unspecified`: conversations in range matching `filter` that the caller may see.
pub(crate) fn unspecified_naive(
    conn: &mut PgConnection,
    request: &ReportRequest,
    filter: ConversationFilter,
) -> QueryResult<i64> {
    let mut query = conversations::table
        .filter(in_range(request.range.start, request.range.end))
        .filter(filter)
        .into_boxed();
    if let Some(units) = request.restriction.units() {
        query = query.filter(visible_to(units));
    }
    query.count().get_result(conn)
}

/// Conversations created in `[start, end)`.
#[auto_type]
pub(crate) fn in_range(start: DateTime<Utc>, end: DateTime<Utc>) -> _ {
    conversations::ts.ge(start).and(conversations::ts.lt(end))
}

/// Conversations a monitor of `units` may see: the conversation's own `department_ancestors`,
/// or its department's `ancestors`, include one of the units.
#[auto_type]
pub(crate) fn visible_to(units: Vec<Option<String>>) -> _ {
    let department_units: Vec<Option<String>> = units.clone();
    let departments_in_units = departments::table
        .filter(departments::ancestors.overlaps_with(department_units))
        .select(departments::id.nullable());
    conversations::department_ancestors
        .overlaps_with(units)
        .or(conversations::department_id.eq_any(departments_in_units))
}
