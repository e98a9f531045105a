#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod aggregate;
mod by_agent;
mod by_department;
mod by_source;
mod by_status;
mod by_tags;
mod changes;
pub mod example;
mod plan;
mod report;
mod scope;
mod sort;

pub use by_agent::ConversationsByAgent;
pub use by_department::ConversationsByDepartment;
pub use by_source::ConversationsBySource;
pub use by_status::ConversationsByStatus;
pub use by_tags::ConversationsByTags;
pub use changes::{fold_backlog, fold_changes, logged_changes, FOLD_BATCH, FOLD_BATCHES_PER_CALL};
pub use omnireports_model::ReportRequest;
pub use plan::{plan, Level, Levels, Piece, Steps};
pub use report::{Entry, Registry, Report, ReportBody, REPORTS_PATH};
pub use sort::{sort_entries, SortField};

#[cfg(test)]
mod tests;
