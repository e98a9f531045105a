//! Times every report answered from the aggregates (`compute`) over many ranges spread over the
//! past year, in this one process: the answer time without HTTP or concurrent load.
//!
//! Usage: `ranges DATABASE_URL COUNT [UNIT...]`. The ranges are the same on every run (a
//! low-discrepancy sequence): up to one year long, with millisecond edges, ending by now. With
//! units, the reports are restricted as for a livechat-monitor of those units. Prints one line
//! per report: `report p50_ms p99_ms max_ms`.

use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use omnireports_analytics::{Registry, ReportRequest};
use omnireports_db::Restriction;
use omnireports_model::DateRange;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, count, units @ ..] = args.as_slice() else {
        return Err("usage: ranges DATABASE_URL COUNT [UNIT...]".into());
    };
    let restriction = match units {
        [] => Restriction::None,
        units => Restriction::Units(units.to_vec()),
    };
    let ranges = ranges(
        count.parse()?,
        Utc::now().duration_trunc(Duration::hours(1))?,
    );
    let conn = &mut PgConnection::establish(url)?;
    // The server's session settings, so the reports run as they would behind the API.
    conn.batch_execute(omnireports_db::SESSION_SETUP)?;
    for report in Registry::builtin().iter() {
        let mut times = Vec::with_capacity(ranges.len());
        for range in &ranges {
            let request = ReportRequest {
                range: *range,
                sort: report.default_sort(),
                restriction: restriction.clone(),
            };
            let started = Instant::now();
            report.compute(conn, &request)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "{} {:.3} {:.3} {:.3}",
            report.name(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
    Ok(())
}

/// `count` ranges within the year before `now`: the k-th has length frac(k·√2) of a year and
/// starts frac(k·φ) of the way through the room left for it (an additive recurrence, evenly
/// spread and repeatable without a random number generator).
fn ranges(count: u32, now: DateTime<Utc>) -> Vec<DateRange> {
    let year_ms = 365 * 86_400_000_i64;
    let fraction = |k: u32, step: f64| (f64::from(k) * step).fract();
    (1..=count)
        .map(|k| {
            let length = (fraction(k, std::f64::consts::SQRT_2) * year_ms as f64) as i64;
            let offset = (fraction(k, 0.618_033_988_749_895) * (year_ms - length) as f64) as i64;
            let start = now - Duration::milliseconds(year_ms - offset);
            DateRange {
                start,
                end: start + Duration::milliseconds(length),
            }
        })
        .collect()
}
