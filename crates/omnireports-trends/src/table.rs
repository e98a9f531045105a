//! Rocket.Chat's Reports CSV: every cell double-quoted (`"` doubled), `;` between cells, `\n`
//! after each row, no BOM; header `From;To;<column>;Total`.

use crate::{last_instant, per};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use omnireports_analytics::ReportBody;
use omnireports_model::{DateRange, Interval};

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(b';')
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Vec<u8> {
    // Writing to memory cannot fail.
    writer.into_inner().expect("a CSV in memory is written")
}

/// The local time of `t` in `format`, or its UTC time at chrono's very ends.
fn local(t: DateTime<Utc>, tz: Tz, format: &str) -> String {
    crate::local_time(t, tz)
        .unwrap_or(t.naive_utc())
        .format(format)
        .to_string()
}

fn date(t: DateTime<Utc>, tz: Tz) -> String {
    local(t, tz, "%Y-%m-%d")
}

fn minute(t: DateTime<Utc>, tz: Tz) -> String {
    local(t, tz, "%Y-%m-%d %H:%M")
}

/// The From and To of a range as Rocket.Chat's page writes them: the local dates of its first
/// and last instants.
fn dates(range: DateRange, tz: Tz) -> (String, String) {
    (date(range.start, tz), date(last_instant(range), tz))
}

/// The CSV Rocket.Chat's Reports page downloads for `body` over `range`: one row per entry
/// (`unspecified` is not one), the range's dates in `tz`.
pub fn report_csv(column: &str, range: DateRange, tz: Tz, body: &ReportBody) -> Vec<u8> {
    let mut out = writer();
    let (from, to) = dates(range, tz);
    write_row(&mut out, ["From", "To", column, "Total"]);
    for entry in &body.data {
        write_row(
            &mut out,
            [&from, &to, &entry.label, &entry.value.to_string()],
        );
    }
    finish(out)
}

/// A series as CSV: the report's header, one row per bucket and entry. From and To are the
/// bucket's first and last local day, or for hours its local start and end (`YYYY-MM-DD HH:mm`).
pub fn series_csv(
    column: &str,
    interval: Interval,
    tz: Tz,
    buckets: &[(DateRange, ReportBody)],
) -> Vec<u8> {
    let mut out = writer();
    write_row(&mut out, ["From", "To", column, "Total"]);
    for (range, body) in buckets {
        let (from, to) = match interval {
            Interval::Hour => (minute(range.start, tz), minute(range.end, tz)),
            _ => dates(*range, tz),
        };
        for entry in &body.data {
            write_row(
                &mut out,
                [&from, &to, &entry.label, &entry.value.to_string()],
            );
        }
    }
    finish(out)
}

fn write_row<const N: usize>(out: &mut csv::Writer<Vec<u8>>, row: [&str; N]) {
    out.write_record(row).expect("a CSV in memory is written");
}

/// The file name Rocket.Chat gives the download: the report's title in snake case and the
/// range's dates, `conversations_by_department_2025-01-01_2025-01-31.csv`.
pub fn file_name(report: &str, range: DateRange, tz: Tz) -> String {
    let (from, to) = dates(range, tz);
    format!("{}_{from}_{to}.csv", report.replace('-', "_"))
}

/// A series' file name: `conversations_by_department_per_day_2025-01-01_2025-01-31.csv`.
pub fn series_file_name(report: &str, interval: Interval, range: DateRange, tz: Tz) -> String {
    let (from, to) = dates(range, tz);
    format!(
        "{}_per_{}_{from}_{to}.csv",
        report.replace('-', "_"),
        per(interval)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnireports_analytics::ReportBody;

    fn range(start: &str, end: &str) -> DateRange {
        DateRange {
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
        }
    }

    #[test]
    fn a_report_is_written_as_rocket_chat_downloads_it() {
        let body = ReportBody::example(&[("Sales", 7), ("Say \"hi\"; bye", 2)], Some(3));
        let csv = report_csv(
            "Departments",
            range("2025-01-01T00:00:00Z", "2025-01-31T23:59:59.999Z"),
            Tz::UTC,
            &body,
        );
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "\"From\";\"To\";\"Departments\";\"Total\"\n\
             \"2025-01-01\";\"2025-01-31\";\"Sales\";\"7\"\n\
             \"2025-01-01\";\"2025-01-31\";\"Say \"\"hi\"\"; bye\";\"2\"\n"
        );
    }

    #[test]
    fn dates_are_the_zones_and_an_exclusive_midnight_end_names_the_day_before() {
        let range = range("2025-01-31T23:00:00Z", "2025-02-28T23:00:00Z");
        assert_eq!(
            file_name("conversations-by-tags", range, Tz::Europe__Berlin),
            "conversations_by_tags_2025-02-01_2025-02-28.csv"
        );
        assert_eq!(
            file_name("conversations-by-tags", range, Tz::UTC),
            "conversations_by_tags_2025-01-31_2025-02-28.csv"
        );
    }

    #[test]
    fn a_series_has_a_row_per_bucket_and_entry() {
        let buckets = vec![
            (
                range("2025-01-01T10:00:00Z", "2025-01-01T11:00:00Z"),
                ReportBody::example(&[("a", 1), ("b", 2)], None),
            ),
            (
                range("2025-01-01T11:00:00Z", "2025-01-01T12:00:00Z"),
                ReportBody::example(&[], None),
            ),
        ];
        let csv = series_csv("Tags", Interval::Hour, Tz::Asia__Kathmandu, &buckets);
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "\"From\";\"To\";\"Tags\";\"Total\"\n\
             \"2025-01-01 15:45\";\"2025-01-01 16:45\";\"a\";\"1\"\n\
             \"2025-01-01 15:45\";\"2025-01-01 16:45\";\"b\";\"2\"\n"
        );
    }
}
