//! Times every report answered from the aggregates (`compute`) and by the plain `GROUP BY` over
//! the raw rows (`compute_naive`), in this one process, for the ranges given on the command line.
//!
//! Usage: `baseline DATABASE_URL RUNS START/END...` (RFC 3339 instants). Prints one line per
//! report and range: `report range naive_ms fast_ms` (medians over RUNS).

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use omnireports_analytics::{Registry, ReportRequest};
use omnireports_db::Restriction;
use omnireports_model::DateRange;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, runs, ranges @ ..] = args.as_slice() else {
        return Err("usage: baseline DATABASE_URL RUNS START/END...".into());
    };
    let runs: usize = runs.parse()?;
    let conn = &mut PgConnection::establish(url)?;
    // The server's session settings, so both paths run as they would behind the API.
    conn.batch_execute(omnireports_db::SESSION_SETUP)?;
    for range in ranges {
        let (start, end) = range.split_once('/').ok_or("range must be START/END")?;
        let range = DateRange {
            start: start.parse::<DateTime<Utc>>()?,
            end: end.parse::<DateTime<Utc>>()?,
        };
        for report in Registry::builtin().iter() {
            let request = ReportRequest {
                range,
                sort: report.default_sort(),
                restriction: Restriction::None,
            };
            let naive = median_ms(runs, || report.compute_naive(conn, &request).map(drop))?;
            let fast = median_ms(runs, || report.compute(conn, &request).map(drop))?;
            let same = report.compute(conn, &request)? == report.compute_naive(conn, &request)?;
            println!(
                "{} {}/{} {naive:.3} {fast:.3} {}",
                report.name(),
                range.start.to_rfc3339(),
                range.end.to_rfc3339(),
                if same { "exact" } else { "MISMATCH" }
            );
        }
    }
    Ok(())
}

fn median_ms(
    runs: usize,
    mut run: impl FnMut() -> diesel::QueryResult<()>,
) -> diesel::QueryResult<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        run()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
