#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use chrono::{DateTime, Utc};

/// The requested period, as parsed (not truncated to the day), even where PostgreSQL cannot
/// store it: see [`DateRange::storable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    /// The parsed `start`.
    pub start: DateTime<Utc>,
    /// The parsed `end`, never before `start` once validated.
    pub end: DateTime<Utc>,
}

impl DateRange {
    /// PostgreSQL's first `timestamptz`: 4714-11-24 BC (the year -4713), 00:00 UTC.
    pub const STORABLE_START: DateTime<Utc> =
        DateTime::from_timestamp(-210_866_803_200, 0).expect("within chrono's range");

    /// The range to ask the database for: the same rows, with both ends moved up to
    /// [`Self::STORABLE_START`] so that they can be bound (nothing is stored before it, so an
    /// earlier range is empty). chrono ends in 262142, before PostgreSQL does (294276), so the
    /// end needs no upper bound.
    pub fn storable(self) -> Self {
        Self {
            start: self.start.max(Self::STORABLE_START),
            end: self.end.max(Self::STORABLE_START),
        }
    }
}

/// The order of one sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortDirection {
    /// `1`: ascending.
    Asc,
    /// `-1`: descending.
    Desc,
}

/// Keys in priority order (JSON object key order), each with its direction.
///
/// Keys are kept as written, unknown ones included: which keys mean something is the report's
/// business.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sort(pub Vec<(String, SortDirection)>);

/// Which conversations a user may see in reports (Rocket.Chat's livechat-monitor restriction).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Restriction {
    /// Everything.
    #[default]
    None,
    /// Only conversations whose `department_ancestors`, or whose department's `ancestors`,
    /// include one of these unit ids. An empty list sees nothing.
    Units(Vec<String>),
}

impl Restriction {
    /// The unit ids, as bound to a `TEXT[]` parameter; `None` when unrestricted.
    pub fn units(&self) -> Option<Vec<Option<String>>> {
        match self {
            Restriction::None => None,
            Restriction::Units(units) => Some(units.iter().cloned().map(Some).collect()),
        }
    }
}

/// What a report computes from: a validated range, the caller's sort and restriction.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// `[start, end)`.
    pub range: DateRange,
    /// The sort to apply (the report's default when the client sent none or it is not read).
    pub sort: Sort,
    /// The livechat-monitor restriction of the caller.
    pub restriction: Restriction,
}

/// The calendar period of one bucket of a time series, in the series' time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    /// A local clock hour.
    Hour,
    /// A local calendar day (23 or 25 hours across a DST change).
    Day,
    /// An ISO 8601 week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Interval {
    /// Every interval, finest first.
    pub const ALL: [Interval; 4] = [
        Interval::Hour,
        Interval::Day,
        Interval::Week,
        Interval::Month,
    ];

    /// Its name in the query string and the answers.
    pub fn name(self) -> &'static str {
        match self {
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }

    /// The interval named `name` (exactly, lower case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|interval| interval.name() == name)
    }
}
