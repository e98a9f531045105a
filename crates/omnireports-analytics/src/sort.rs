use crate::{Entry, Report};
use omnireports_model::{Sort, SortDirection};
use std::cmp::Ordering;

/// The entry fields a sort can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    /// The count.
    Value,
    /// The label, byte-wise.
    Label,
    /// The grouping id behind the label, byte-wise.
    Id,
}

/// Sorts `entries` by `sort` as `report` reads its keys, then by label and id ascending, so equal
/// keys always come out in the same order.
pub fn sort_entries(report: &dyn Report, entries: &mut [Entry], sort: &Sort) {
    let fields: Vec<(SortField, SortDirection)> = sort
        .0
        .iter()
        .filter_map(|(key, direction)| Some((report.sort_field(key)?, *direction)))
        .collect();
    entries.sort_by(|a, b| {
        fields
            .iter()
            .map(|&(field, direction)| directed(compare(field, a, b), direction))
            .chain([
                compare(SortField::Label, a, b),
                compare(SortField::Id, a, b),
            ])
            .find(|ordering| ordering.is_ne())
            .unwrap_or(Ordering::Equal)
    });
}

fn compare(field: SortField, a: &Entry, b: &Entry) -> Ordering {
    match field {
        SortField::Value => a.value.cmp(&b.value),
        SortField::Label => a.label.as_bytes().cmp(b.label.as_bytes()),
        SortField::Id => a.id.as_bytes().cmp(b.id.as_bytes()),
    }
}

fn directed(ordering: Ordering, direction: SortDirection) -> Ordering {
    match direction {
        SortDirection::Asc => ordering,
        SortDirection::Desc => ordering.reverse(),
    }
}
