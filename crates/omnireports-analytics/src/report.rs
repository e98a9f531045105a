use crate::sort::SortField;
use diesel::{PgConnection, QueryResult};
use omnireports_db::engine::{self, Dimension};
use omnireports_model::{DateRange, ReportRequest, Sort, SortDirection};
use serde::Serialize;
use std::sync::Arc;

/// One bar of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// `label` and `value` stay undocumented: utoipa would turn their doc comments into OpenAPI
// descriptions, and the served document is pinned by tests/e2e/snapshots/openapi.json.
#[allow(missing_docs)]
pub struct Entry {
    pub label: String,
    pub value: i64,
    /// The grouping key behind the label (`_id` in Rocket.Chat); used for sorting only.
    #[serde(skip)]
    pub id: String,
}

/// A report's response body, without `success` (the API adds it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportBody {
    /// The sum of the values (by-status: the number of conversations).
    pub total: i64,
    /// One entry per bar, in the requested order.
    pub data: Vec<Entry>,
    /// Conversations without the grouping value; never part of `total`. Absent for reports
    /// that do not count them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unspecified: Option<i64>,
}

impl ReportBody {
    /// A body with these bars in this order, for documentation.
    pub fn example(bars: &[(&str, i64)], unspecified: Option<i64>) -> Self {
        let data: Vec<Entry> = bars
            .iter()
            .map(|&(label, value)| Entry {
                label: label.to_owned(),
                value,
                id: label.to_owned(),
            })
            .collect();
        Self {
            total: data.iter().map(|entry| entry.value).sum(),
            data,
            unspecified,
        }
    }

    /// Sorts `data` as `report` reads `request.sort` and totals the values.
    pub fn summed(
        report: &dyn Report,
        mut data: Vec<Entry>,
        unspecified: Option<i64>,
        request: &ReportRequest,
    ) -> Self {
        crate::sort_entries(report, &mut data, &request.sort);
        Self {
            total: data.iter().map(|entry| entry.value).sum(),
            data,
            unspecified,
        }
    }
}

/// An Omnichannel report. Implementing it and adding it to a [`Registry`] is all a report needs
/// to get a route with authentication, permission, rate limit, validation and restriction.
pub trait Report: Send + Sync + std::fmt::Debug + 'static {
    /// Its name: the last segment of its path, and its key in the rate limiter and the cache.
    fn name(&self) -> &'static str;

    /// The route's path: Rocket.Chat's prefix and the name. A report Rocket.Chat does not have
    /// belongs elsewhere and says where.
    fn path(&self) -> String {
        format!("{REPORTS_PATH}/{}", self.name())
    }

    /// Whether the `sort` parameter is parsed (and so can be rejected). Reports that do not read
    /// it still accept it in the query string.
    fn reads_sort(&self) -> bool;

    /// The order used when no `sort` is given or it is not read.
    fn default_sort(&self) -> Sort;

    /// What the report counts, for the API description (OpenAPI).
    fn description(&self) -> &'static str;

    /// A typical body, for the API description; `unspecified` is `Some` when the report
    /// counts conversations without a value.
    fn example(&self) -> ReportBody;

    /// Maps a client's sort key to a field; unknown keys are ignored.
    fn sort_field(&self, key: &str) -> Option<SortField> {
        match key {
            "total" | "value" => Some(SortField::Value),
            "_id" | "label" => Some(SortField::Label),
            _ => None,
        }
    }

    /// What the report counts by: the engine lays out its tables ([`Registry::dimensions`]).
    fn dimension(&self) -> &'static Dimension;

    /// Computes the body on a database connection (called on the blocking pool), from the
    /// pre-aggregated counts plus the raw rows of partial hours.
    fn compute(&self, conn: &mut PgConnection, request: &ReportRequest) -> QueryResult<ReportBody>;

    /// The same body by a plain `GROUP BY` over the raw rows: the reference the fast path is
    /// tested against, and the baseline of the benchmark.
    fn compute_naive(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
    ) -> QueryResult<ReportBody>;

    /// The body over each of `ranges` (a time series' buckets, a comparison's two periods), with
    /// `request`'s sort and restriction; `request.range` is not read. Each equals
    /// [`Report::compute`] over that range. This default runs `compute` once per range on the
    /// same connection; the shipped reports answer all ranges in one statement.
    fn compute_ranges(
        &self,
        conn: &mut PgConnection,
        request: &ReportRequest,
        ranges: &[DateRange],
    ) -> QueryResult<Vec<ReportBody>> {
        ranges
            .iter()
            .map(|range| {
                let request = ReportRequest {
                    range: *range,
                    ..request.clone()
                };
                self.compute(conn, &request)
            })
            .collect()
    }

    /// The header of the label column in the report's CSV (`Departments`, `Tags`… as on
    /// Rocket.Chat's Reports page).
    fn column(&self) -> &'static str {
        "Label"
    }
}

/// The prefix of Rocket.Chat's Omnichannel Reports routes.
pub const REPORTS_PATH: &str = "/api/v1/livechat/analytics/dashboards";

/// The set of reports the API serves, in registration order.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    reports: Vec<Arc<dyn Report>>,
}

impl Registry {
    /// Every report omnireports ships.
    pub fn builtin() -> Self {
        Self::default()
            .with(crate::ConversationsByDepartment)
            .with(crate::ConversationsBySource)
            .with(crate::ConversationsByStatus)
            .with(crate::ConversationsByTags)
            .with(crate::ConversationsByAgent)
    }

    /// Adds a report.
    pub fn with(mut self, report: impl Report) -> Self {
        self.reports.push(Arc::new(report));
        self
    }

    /// The reports, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Report>> {
        self.reports.iter()
    }

    /// The report whose [`Report::name`] is `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Report>> {
        self.reports.iter().find(|report| report.name() == name)
    }

    /// The dimensions to install for these reports ([`omnireports_db::engine::install`]), each
    /// once: the department's first, since monitors read their scopes from it.
    pub fn dimensions(&self) -> Vec<&'static Dimension> {
        let mut dimensions: Vec<&'static Dimension> = vec![&engine::DEPARTMENT];
        for report in &self.reports {
            let dimension = report.dimension();
            if !dimensions
                .iter()
                .any(|known| known.table == dimension.table)
            {
                dimensions.push(dimension);
            }
        }
        dimensions
    }
}

/// `{"total": 1}`, the default of most reports.
pub(crate) fn by_total_ascending() -> Sort {
    Sort(vec![("total".to_owned(), SortDirection::Asc)])
}

/// Value descending: the fixed order of the reports that do not read `sort`.
pub(crate) fn by_total_descending() -> Sort {
    Sort(vec![("total".to_owned(), SortDirection::Desc)])
}
