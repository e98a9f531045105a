//! Report answers kept by [data version](omnireports_db::data_version). A request reads the
//! version in the same statement as its credentials; an answer computed at that version is
//! exactly what the report would compute now, so it is served as is. Any committed write to
//! conversations, departments or users moves the version and so retires every older answer.
//! Bounded by the bytes of the serialized answers.

use actix_web::web::Bytes;
use omnireports_analytics::ReportRequest;
use omnireports_db::Restriction;
use omnireports_validation::{DateRange, Sort};
use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// What an answer depends on besides the data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    report: &'static str,
    range: DateRange,
    sort: Sort,
    restriction: Restriction,
    /// The zone and interval of an extension route's answer (`None` for a report's).
    calendar: Option<(chrono_tz::Tz, omnireports_validation::Interval)>,
}

impl CacheKey {
    pub fn new(report: &'static str, request: &ReportRequest) -> Self {
        Self {
            report,
            range: request.range,
            sort: request.sort.clone(),
            restriction: request.restriction.clone(),
            calendar: None,
        }
    }

    /// The key of an extension route's answer, which the zone and interval shape too.
    pub fn with_calendar(
        route: &'static str,
        request: &ReportRequest,
        tz: chrono_tz::Tz,
        interval: omnireports_validation::Interval,
    ) -> Self {
        Self {
            calendar: Some((tz, interval)),
            ..Self::new(route, request)
        }
    }
}

#[derive(Debug, Clone)]
struct Answer {
    version: i64,
    body: Bytes,
}

#[derive(Debug, Clone, Copy)]
struct BodySize;

impl Weighter<CacheKey, Answer> for BodySize {
    fn weight(&self, _key: &CacheKey, answer: &Answer) -> u64 {
        answer.body.len() as u64 + 256
    }
}

/// The cache; `None` inside when switched off (`cache.max_bytes = 0`, or reports read from a
/// replica, whose data can lag the version the primary shows).
#[derive(Debug)]
pub struct ReportCache {
    answers: Option<Cache<CacheKey, Answer, BodySize>>,
}

impl ReportCache {
    pub fn new(max_bytes: u64) -> Self {
        let answers = (max_bytes > 0).then(|| {
            let estimated_items = usize::try_from(max_bytes / 2048)
                .unwrap_or(usize::MAX)
                .max(16);
            Cache::with_weighter(estimated_items, max_bytes, BodySize)
        });
        Self { answers }
    }

    pub fn is_enabled(&self) -> bool {
        self.answers.is_some()
    }

    /// The answer for `key` if it was computed at `version`.
    pub fn get(&self, key: &CacheKey, version: i64) -> Option<Bytes> {
        let answer = self.answers.as_ref()?.get(key)?;
        (answer.version == version).then_some(answer.body)
    }

    pub fn insert(&self, key: CacheKey, version: i64, body: Bytes) {
        if let Some(answers) = &self.answers {
            answers.insert(key, Answer { version, body });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn key(report: &'static str, restriction: Restriction) -> CacheKey {
        let request = ReportRequest {
            range: DateRange {
                start: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                end: Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
            },
            sort: Sort(Vec::new()),
            restriction,
        };
        CacheKey::new(report, &request)
    }

    #[test]
    fn an_answer_serves_only_its_own_version() {
        let cache = ReportCache::new(1 << 20);
        let key = key("r", Restriction::None);
        cache.insert(key.clone(), 7, Bytes::from_static(b"seven"));
        assert_eq!(cache.get(&key, 7).as_deref(), Some(&b"seven"[..]));
        assert_eq!(cache.get(&key, 8), None);
        assert_eq!(cache.get(&key, 6), None);
    }

    #[test]
    fn restriction_and_report_are_part_of_the_key() {
        let cache = ReportCache::new(1 << 20);
        cache.insert(key("r", Restriction::None), 1, Bytes::from_static(b"all"));
        assert_eq!(cache.get(&key("r", Restriction::Units(vec![])), 1), None);
        assert_eq!(cache.get(&key("s", Restriction::None), 1), None);
    }

    #[test]
    fn zero_bytes_switches_it_off() {
        let cache = ReportCache::new(0);
        assert!(!cache.is_enabled());
        cache.insert(key("r", Restriction::None), 1, Bytes::from_static(b"x"));
        assert_eq!(cache.get(&key("r", Restriction::None), 1), None);
    }
}
