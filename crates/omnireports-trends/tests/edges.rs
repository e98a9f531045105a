//! At the ends of what chrono can name, in the zones furthest from UTC, every step of an
//! extension request either answers or refuses: none panics.

use chrono_tz::Tz;
use omnireports_model::Interval;
use omnireports_trends::{
    buckets, file_name, instant, previous, report_csv, series_csv, MAX_BUCKETS,
};
use omnireports_validation::validate_extension;

#[test]
fn no_step_panics_at_the_ends_of_time_in_any_zone() {
    let zones = [
        Tz::Pacific__Kiritimati,
        Tz::Etc__GMTMinus14,
        Tz::Etc__GMTPlus12,
        Tz::Pacific__Chatham,
        Tz::Asia__Kathmandu,
        Tz::America__Los_Angeles,
        Tz::UTC,
    ];
    let ranges = [
        ("%2B262142-12-20T00:00:00Z", "%2B262142-12-31T23:59:59.999Z"),
        ("%2B262142-12-31", "%2B262142-12-31T23:59:59.999"),
        ("%2B262142-11-01", "%2B262142-12-31"),
        ("-262143-01-01T00:00:00Z", "-262143-01-03T00:00:00Z"),
        ("-262143-01-01", "-262143-02-01"),
        ("-262144-12-31T12:00:00Z", "-262143-01-01T12:00:00Z"),
    ];
    let mut answered = 0;
    for tz in zones {
        for (start, end) in ranges {
            for interval in Interval::ALL {
                let query = format!(
                    "start={start}&end={end}&interval={}&timezone={}",
                    interval.name(),
                    tz.name()
                );
                let Ok(validated) = validate_extension(&query, Tz::UTC, true, true) else {
                    continue;
                };
                answered += 1;
                let range = validated.range;
                let _ = instant(range.start, tz);
                let _ = instant(previous(range).start, tz);
                let _ = file_name("r", range, tz);
                let body = omnireports_analytics::ReportBody::example(&[("a", 1)], None);
                let _ = report_csv("Tags", range, tz, &body);
                if let Ok(cut) = buckets(range, interval, tz, MAX_BUCKETS) {
                    let periods: Vec<_> = cut.iter().map(|r| (*r, body.clone())).collect();
                    let _ = series_csv("Tags", interval, tz, &periods);
                    for bucket in &cut {
                        let _ = instant(bucket.end, tz);
                    }
                }
            }
        }
    }
    assert!(answered > 100, "{answered} requests passed validation");
}
