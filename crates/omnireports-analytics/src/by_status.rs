use crate::aggregate::{self, counts_sql, Queries};
use crate::report::by_total_descending;
use crate::scope::{in_range, visible_to};
use crate::{Entry, Report, ReportBody, ReportRequest};
use diesel::dsl::{case_when, count, count_star};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer};
use omnireports_db::engine;
use omnireports_db::schema::conversations;
use omnireports_model::{DateRange, Sort};

/// `conversations-by-status`: one pass counting Open, Closed, Queued and On_Hold. `total` is the
/// number of conversations, not the sum (a conversation can be in several or none).
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationsByStatus;

impl Report for ConversationsByStatus {
    fn name(&self) -> &'static str {
        "conversations-by-status"
    }

    fn column(&self) -> &'static str {
        "Status"
    }

    fn reads_sort(&self) -> bool {
        false
    }

    fn default_sort(&self) -> Sort {
        by_total_descending()
    }

    fn description(&self) -> &'static str {
        "Conversations per status: `Closed` (non-zero chat duration), `Open` (served, not on hold), `Queued` (open, no agent), `On_Hold`; `total` is the number of conversations; value descending."
    }

    fn example(&self) -> ReportBody {
        ReportBody::example(
            &[
                ("Closed", 985),
                ("Queued", 22),
                ("Open", 20),
                ("On_Hold", 9),
            ],
            None,
        )
    }

    fn dimension(&self) -> &'static engine::Dimension {
        &engine::STATUS
    }

    fn compute(&self, conn: &mut PgConnection, request: &ReportRequest) -> QueryResult<ReportBody> {
        let rows: Vec<StatusCount> = aggregate::load(conn, &QUERIES, request)?;
        let rows: Vec<(&StatusKey, i64)> = rows.iter().map(|row| (&row.key, row.n)).collect();
        Ok(self.body(&rows, request))
    }

    fn compute_ranges(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
        ranges: &[DateRange],
    ) -> QueryResult<Vec<ReportBody>> {
        let counts = aggregate::load_ranges::<StatusKey>(conn, &QUERIES, request, ranges)?;
        Ok(counts.bodies(|rows| self.body(rows, request)))
    }

    fn compute_naive(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
    ) -> QueryResult<ReportBody> {
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
        let (total, open_, closed, queued, held) = query.get_result(conn)?;
        let counts = StatusCounts {
            total,
            open: open_,
            closed,
            queued,
            on_hold: held,
        };
        Ok(counts.body(self, request))
    }
}

/// The four statuses; a conversation can be in several or none.
impl ConversationsByStatus {
    /// The body of one range's `StatusCount` rows.
    fn body(&self, rows: &[(&StatusKey, i64)], request: &ReportRequest) -> ReportBody {
        let count = |matches: fn(&StatusKey) -> bool| -> i64 {
            rows.iter()
                .filter(|(key, _)| matches(key))
                .map(|(_, n)| n)
                .sum()
        };
        let counts = StatusCounts {
            total: count(|_| true),
            open: count(|r| r.open && !r.on_hold && r.served),
            closed: count(|r| r.closed),
            queued: count(|r| r.open && !r.served),
            on_hold: count(|r| r.on_hold),
        };
        counts.body(self, request)
    }
}

struct StatusCounts {
    total: i64,
    open: i64,
    closed: i64,
    queued: i64,
    on_hold: i64,
}

impl StatusCounts {
    /// All four labels (zeros included) when anything matched, else no entries at all.
    fn body(&self, report: &dyn Report, request: &ReportRequest) -> ReportBody {
        let data = match self.total {
            0 => vec![],
            _ => [
                ("Open", self.open),
                ("Closed", self.closed),
                ("Queued", self.queued),
                ("On_Hold", self.on_hold),
            ]
            .into_iter()
            .map(|(label, value)| Entry {
                label: label.to_owned(),
                id: label.to_owned(),
                value,
            })
            .collect(),
        };
        let mut body = ReportBody::summed(report, data, None, request);
        body.total = self.total;
        body
    }
}

/// The `1` of `CASE WHEN … THEN 1 END`.
fn one() -> diesel::dsl::AsExprOf<i32, Integer> {
    1.into_sql::<Integer>()
}

static QUERIES: Queries = Queries::new(&engine::STATUS, |shape| {
    counts_sql(&engine::STATUS, shape, "SELECT * FROM counts")
});

#[derive(QueryableByName)]
struct StatusKey {
    #[diesel(sql_type = Bool)]
    open: bool,
    #[diesel(sql_type = Bool)]
    on_hold: bool,
    #[diesel(sql_type = Bool)]
    served: bool,
    #[diesel(sql_type = Bool)]
    closed: bool,
}

#[derive(QueryableByName)]
struct StatusCount {
    #[diesel(embed)]
    key: StatusKey,
    #[diesel(sql_type = BigInt)]
    n: i64,
}
