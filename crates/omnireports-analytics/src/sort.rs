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

/// The fields `report` compares for `sort`, in order.
fn fields(report: &dyn Report, sort: &Sort) -> Vec<(SortField, SortDirection)> {
    sort.0
        .iter()
        .filter_map(|(key, direction)| Some((report.sort_field(key)?, *direction)))
        .collect()
}

/// Sorts `entries` by `sort` as `report` reads its keys, then by label and id ascending, so equal
/// keys always come out in the same order.
pub fn sort_entries(report: &dyn Report, entries: &mut [Entry], sort: &Sort) {
    let fields = fields(report, sort);
    entries.sort_by(|a, b| ordered(&fields, |field| compare(field, a, b)));
}

/// The order of two items by `fields`, then by label and id ascending, with `compare` comparing
/// them by one field.
fn ordered(
    fields: &[(SortField, SortDirection)],
    compare: impl Fn(SortField) -> Ordering,
) -> Ordering {
    fields
        .iter()
        .map(|&(field, direction)| directed(compare(field), direction))
        .chain([compare(SortField::Label), compare(SortField::Id)])
        .find(|ordering| ordering.is_ne())
        .unwrap_or(Ordering::Equal)
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

/// The order of many bodies' entries drawn from one list of keys (a series), as
/// [`sort_entries`] sorts them, with each key's label and id compared once: by their rank
/// among all keys' (equal strings, equal ranks), so that sorting a body compares integers.
#[derive(Debug)]
pub(crate) struct Ranks {
    labels: Vec<u32>,
    ids: Vec<u32>,
}

impl Ranks {
    /// The ranks of `keys`, one entry per key (its value unused).
    pub(crate) fn of(keys: &[Entry]) -> Self {
        Self {
            labels: dense_ranks(keys, |entry| entry.label.as_bytes()),
            ids: dense_ranks(keys, |entry| entry.id.as_bytes()),
        }
    }

    /// Sorts `(key index, value)` rows as [`sort_entries`] sorts their entries.
    pub(crate) fn sort(&self, report: &dyn Report, rows: &mut [(usize, i64)], sort: &Sort) {
        let fields = fields(report, sort);
        let compare = |field: SortField, a: &(usize, i64), b: &(usize, i64)| match field {
            SortField::Value => a.1.cmp(&b.1),
            SortField::Label => self.labels[a.0].cmp(&self.labels[b.0]),
            SortField::Id => self.ids[a.0].cmp(&self.ids[b.0]),
        };
        rows.sort_by(|a, b| ordered(&fields, |field| compare(field, a, b)));
    }
}

/// Each key's rank by `field`, equal fields ranked equally.
fn dense_ranks(keys: &[Entry], field: impl Fn(&Entry) -> &[u8]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by(|&a, &b| field(&keys[a]).cmp(field(&keys[b])));
    let mut ranks = vec![0; keys.len()];
    let mut rank = 0;
    for (i, pair) in order.windows(2).enumerate() {
        if field(&keys[pair[0]]) != field(&keys[pair[1]]) {
            rank += 1;
        }
        ranks[order[i + 1]] = rank;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConversationsByAgent;
    use proptest::prelude::*;

    fn entry(label: u8, id: u8, value: i64) -> Entry {
        Entry {
            label: format!("l{}", label % 4),
            id: format!("i{}", id % 5),
            value,
        }
    }

    proptest! {
        /// Ranks sort like the strings, whatever the fields, directions and ties.
        #[test]
        fn ranked_rows_sort_like_their_entries(
            keys in proptest::collection::vec((any::<u8>(), any::<u8>()), 1..12),
            values in proptest::collection::vec((0usize..12, -3i64..4), 0..30),
            sort in proptest::collection::vec(
                (prop_oneof![Just("total"), Just("_id"), Just("label")], any::<bool>()), 0..3),
        ) {
            let keys: Vec<Entry> = keys.iter().map(|&(l, i)| entry(l, i, 0)).collect();
            let sort = Sort(sort.into_iter().map(|(key, desc)| (key.to_owned(), match desc {
                true => SortDirection::Desc,
                false => SortDirection::Asc,
            })).collect());
            let mut rows: Vec<(usize, i64)> =
                values.iter().map(|&(k, n)| (k % keys.len(), n)).collect();
            let mut entries: Vec<Entry> = rows
                .iter()
                .map(|&(k, n)| Entry { value: n, ..keys[k].clone() })
                .collect();
            let report = ConversationsByAgent;
            sort_entries(&report, &mut entries, &sort);
            Ranks::of(&keys).sort(&report, &mut rows, &sort);
            let ranked: Vec<Entry> = rows
                .iter()
                .map(|&(k, n)| Entry { value: n, ..keys[k].clone() })
                .collect();
            prop_assert_eq!(ranked, entries);
        }
    }
}
