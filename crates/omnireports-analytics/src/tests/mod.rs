//! Shared fixtures of the report tests: hand-written rows, hand-computed expectations.

use crate::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use omnireports_db::models::{text_array, NewConversation, NewDepartment};
use omnireports_db::schema::{conversations, departments};
use omnireports_db::Restriction;
use omnireports_model::{DateRange, Sort, SortDirection};

mod by_department;
mod engine;
mod siblings;

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn department(conn: &mut PgConnection, id: &str, name: &str, ancestors: &[&str]) {
    diesel::insert_into(departments::table)
        .values(NewDepartment {
            id: id.into(),
            name: name.into(),
            enabled: true,
            type_: "d".into(),
            ancestors: text_array(ancestors.iter().copied()),
        })
        .execute(conn)
        .unwrap();
}

pub fn conversation(conn: &mut PgConnection, id: &str, ts: &str, department: Option<&str>) {
    conversation_with_ancestors(conn, id, ts, department, &[]);
}

pub fn conversation_with_ancestors(
    conn: &mut PgConnection,
    id: &str,
    ts: &str,
    department: Option<&str>,
    ancestors: &[&str],
) {
    diesel::insert_into(conversations::table)
        .values(NewConversation {
            id: id.into(),
            ts: at(ts),
            department_id: department.map(Into::into),
            department_ancestors: text_array(ancestors.iter().copied()),
            ..Default::default()
        })
        .execute(conn)
        .unwrap();
}

pub fn request(start: &str, end: &str, sort: Sort, restriction: Restriction) -> ReportRequest {
    ReportRequest {
        range: DateRange {
            start: at(start),
            end: at(end),
        },
        sort,
        restriction,
    }
}

pub fn sort(keys: &[(&str, SortDirection)]) -> Sort {
    Sort(keys.iter().map(|(k, d)| (k.to_string(), *d)).collect())
}

pub fn insert(conn: &mut PgConnection, row: NewConversation) {
    diesel::insert_into(conversations::table)
        .values(row)
        .execute(conn)
        .unwrap();
}

/// A conversation on the test day, with the fields `build` sets.
pub fn on_day(id: &str, build: impl FnOnce(&mut NewConversation)) -> NewConversation {
    let mut row = NewConversation {
        id: id.into(),
        ts: at("2026-01-10T12:00:00Z"),
        ..Default::default()
    };
    build(&mut row);
    row
}

pub fn compute(
    report: &dyn Report,
    conn: &mut PgConnection,
    req: &ReportRequest,
) -> serde_json::Value {
    serde_json::to_value(report.compute(conn, req).unwrap()).unwrap()
}

pub const DAY_START: &str = "2026-01-10T00:00:00Z";
pub const DAY_END: &str = "2026-01-11T00:00:00Z";

/// The test day, with the report's default sort and no restriction.
pub fn whole_day(report: &dyn Report) -> ReportRequest {
    request(DAY_START, DAY_END, report.default_sort(), Restriction::None)
}
