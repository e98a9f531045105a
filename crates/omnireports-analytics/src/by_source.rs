use crate::aggregate::{self, counts_sql, Queries};
use crate::report::by_total_descending;
use crate::scope::{in_range, visible_to};
use crate::{Entry, Report, ReportBody, ReportRequest};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use omnireports_db::engine;
use omnireports_db::schema::conversations;
use omnireports_model::{DateRange, Sort};

/// `conversations-by-source`: conversations per (source type, alias), labelled by the alias when
/// there is one, else the type. `sort` is accepted but never read, as in Rocket.Chat.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationsBySource;

impl Report for ConversationsBySource {
    fn name(&self) -> &'static str {
        "conversations-by-source"
    }

    fn column(&self) -> &'static str {
        "Channel"
    }

    fn reads_sort(&self) -> bool {
        false
    }

    fn default_sort(&self) -> Sort {
        by_total_descending()
    }

    fn description(&self) -> &'static str {
        "Conversations per source, labelled by the source alias, else its type; value descending."
    }

    fn example(&self) -> ReportBody {
        ReportBody::example(
            &[
                ("widget", 576),
                ("email", 166),
                ("WhatsApp", 122),
                ("sms", 87),
                ("api", 50),
                ("other", 35),
            ],
            None,
        )
    }

    fn dimension(&self) -> &'static engine::Dimension {
        &engine::SOURCE
    }

    fn compute(&self, conn: &mut PgConnection, request: &ReportRequest) -> QueryResult<ReportBody> {
        let rows: Vec<SourceCount> = aggregate::load(conn, &QUERIES, request)?;
        Ok(self.body(rows.iter().map(|row| (&row.key, row.n)), request))
    }

    fn compute_ranges(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
        ranges: &[DateRange],
    ) -> QueryResult<Vec<ReportBody>> {
        let counts = aggregate::load_ranges::<SourceKey>(conn, &QUERIES, request, ranges)?;
        Ok(counts.bodies(|rows| self.body(rows.iter().copied(), request)))
    }

    fn compute_naive(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
    ) -> QueryResult<ReportBody> {
        let mut query = conversations::table
            .filter(in_range(request.range.start, request.range.end))
            .filter(conversations::source_type.is_not_null())
            .group_by((conversations::source_type, conversations::source_alias))
            .select((
                conversations::source_type,
                conversations::source_alias,
                count_star(),
            ))
            .into_boxed();
        if let Some(units) = request.restriction.units() {
            query = query.filter(visible_to(units));
        }
        let rows: Vec<(Option<String>, Option<String>, i64)> = query.load(conn)?;
        let data: Vec<Entry> = rows
            .into_iter()
            .map(|(source_type, alias, value)| {
                let source_type = source_type.unwrap_or_default();
                Entry {
                    label: alias.clone().unwrap_or_else(|| source_type.clone()),
                    id: format!("{source_type}\u{0}{}", alias.unwrap_or_default()),
                    value,
                }
            })
            .collect();
        Ok(ReportBody::summed(self, data, None, request))
    }
}

static QUERIES: Queries = Queries::new(&engine::SOURCE, |shape| {
    counts_sql(&engine::SOURCE, shape, "SELECT * FROM counts")
});

impl ConversationsBySource {
    /// Keys are unique per range, and an entry's id is its key: no merging.
    fn body<'a>(
        &self,
        rows: impl Iterator<Item = (&'a SourceKey, i64)>,
        request: &ReportRequest,
    ) -> ReportBody {
        let data = rows
            .filter_map(|(key, n)| {
                source_entry(key.source_type.clone()?, key.source_alias.clone(), n)
            })
            .collect();
        ReportBody::summed(self, data, None, request)
    }
}

#[derive(QueryableByName)]
struct SourceKey {
    #[diesel(sql_type = Nullable<Text>)]
    source_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    source_alias: Option<String>,
}

#[derive(QueryableByName)]
struct SourceCount {
    #[diesel(embed)]
    key: SourceKey,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Labelled by the alias when there is one, else by the type.
fn source_entry(source_type: String, alias: Option<String>, value: i64) -> Option<Entry> {
    Some(Entry {
        id: format!("{source_type}\u{0}{}", alias.as_deref().unwrap_or_default()),
        label: alias.unwrap_or(source_type),
        value,
    })
}
