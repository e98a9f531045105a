#![doc = include_str!("../README.md")]

mod by_department;
mod report;
mod sort;

pub use by_department::ConversationsByDepartment;
pub use report::{Entry, Registry, Report, ReportBody, ReportRequest};
pub use sort::{sort_entries, SortField};

#[cfg(test)]
mod tests;
