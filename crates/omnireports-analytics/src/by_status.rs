use crate::scope::{in_range, visible_to};
use crate::{sort_entries, Entry, Report, ReportBody, ReportRequest};
use diesel::dsl::{case_when, count, count_star};
use diesel::prelude::*;
use diesel::sql_types::Integer;
use omnireports_db::schema::conversations;
use omnireports_validation::{Sort, SortDirection};

/// `conversations-by-status`: one pass counting Open, Closed, Queued and On_Hold. `total` is the
/// number of conversations, not the sum (a conversation can be in several or none).
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationsByStatus;

impl Report for ConversationsByStatus {
    fn name(&self) -> &'static str {
        "conversations-by-status"
    }

    fn reads_sort(&self) -> bool {
        false
    }

    fn default_sort(&self) -> Sort {
        Sort(vec![("total".to_owned(), SortDirection::Desc)])
    }

    fn compute(&self, conn: &mut PgConnection, request: &ReportRequest) -> QueryResult<ReportBody> {
        use conversations::{chat_duration, on_hold, open, served_by_id};
        // COUNT(CASE WHEN … THEN 1 END) counts the rows matching each status.
        let mut query = conversations::table
            .filter(in_range(request.range.start, request.range.end))
            .select((
                count_star(),
                count(case_when(
                    open.and(on_hold.eq(false)).and(served_by_id.is_not_null()),
                    one(),
                )),
                count(case_when(chat_duration.ne(0.0), one())),
                count(case_when(open.and(served_by_id.is_null()), one())),
                count(case_when(on_hold, one())),
            ))
            .into_boxed();
        if let Some(units) = request.restriction.units() {
            query = query.filter(visible_to(units));
        }
        let (total, opened, closed, queued, held): (i64, i64, i64, i64, i64) =
            query.get_result(conn)?;
        if total == 0 {
            return Ok(ReportBody {
                total,
                data: vec![],
                unspecified: None,
            });
        }
        let mut data: Vec<Entry> = [
            ("Open", opened),
            ("Closed", closed),
            ("Queued", queued),
            ("On_Hold", held),
        ]
        .into_iter()
        .map(|(label, value)| Entry {
            label: label.to_owned(),
            id: label.to_owned(),
            value,
        })
        .collect();
        sort_entries(self, &mut data, &request.sort);
        Ok(ReportBody {
            total,
            data,
            unspecified: None,
        })
    }
}

/// The `1` of `CASE WHEN … THEN 1 END`.
fn one() -> diesel::dsl::AsExprOf<i32, Integer> {
    1.into_sql::<Integer>()
}
