//! Times a 365-day daily series of every report (`Report::compute_ranges`, one statement) in
//! a few zones, in this one process, against answering the same buckets one `compute` each.
//!
//! Usage: `series DATABASE_URL RUNS [ZONE...]` (zones default to Europe/Berlin, Asia/Kathmandu
//! and UTC). The series ends at the zone's last midnight. Prints one line per report and zone:
//! `report zone buckets p50_ms p99_ms one_by_one_ms exact`, where `exact` says that the series
//! equalled `compute` over each bucket.

use chrono::{Duration, Utc};
use chrono_tz::Tz;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use omnireports_analytics::{Registry, ReportRequest};
use omnireports_db::Restriction;
use omnireports_model::{DateRange, Interval};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, runs, zones @ ..] = args.as_slice() else {
        return Err("usage: series DATABASE_URL RUNS [ZONE...]".into());
    };
    let runs: usize = runs.parse()?;
    let zones: Vec<Tz> = match zones {
        [] => vec![Tz::Europe__Berlin, Tz::Asia__Kathmandu, Tz::UTC],
        zones => zones
            .iter()
            .map(|zone| zone.parse::<Tz>())
            .collect::<Result<_, _>>()?,
    };
    let conn = &mut PgConnection::establish(url)?;
    conn.batch_execute(omnireports_db::SESSION_SETUP)?;
    for tz in zones {
        let today = Utc::now().with_timezone(&tz).date_naive();
        let midnight = |date: chrono::NaiveDate| {
            omnireports_trends::first_instant(date.and_hms_opt(0, 0, 0).expect("midnight"), tz)
                .expect("a midnight chrono can name")
        };
        let range = DateRange {
            start: midnight(today - Duration::days(365)),
            end: midnight(today),
        };
        let buckets = omnireports_trends::buckets(range, Interval::Day, tz, 1000)?;
        for report in Registry::builtin().iter() {
            let request = ReportRequest {
                range,
                sort: report.default_sort(),
                restriction: Restriction::None,
            };
            let mut times = Vec::with_capacity(runs);
            let mut series = Vec::new();
            for _ in 0..runs.max(1) {
                let started = Instant::now();
                series = report.compute_ranges(conn, &request, &buckets)?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
            let started = Instant::now();
            let mut exact = series.len() == buckets.len();
            for (bucket, body) in buckets.iter().zip(&series) {
                let own = ReportRequest {
                    range: *bucket,
                    ..request.clone()
                };
                exact &= report.compute(conn, &own)? == *body;
            }
            let one_by_one = started.elapsed().as_secs_f64() * 1000.0;
            println!(
                "{} {} {} {:.2} {:.2} {:.1} {}",
                report.name(),
                tz.name(),
                buckets.len(),
                at(0.5),
                at(0.99),
                one_by_one,
                if exact { "exact" } else { "DIFFERS" }
            );
        }
    }
    Ok(())
}
