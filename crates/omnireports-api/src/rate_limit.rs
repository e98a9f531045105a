//! Rocket.Chat's API rate limiter: a fixed window of `calls` per `window_ms` per
//! (client IP, route), counted in this process only.
//!
//! Written here rather than taken from a crate because the contract is Rocket.Chat's exact
//! behaviour (a window that starts at the first call, whole seconds to wait in the message,
//! epoch-millisecond `X-RateLimit-Reset`), which GCRA-based limiters do not reproduce.

use crate::settings::RateLimitSettings;
use omnireports_error::RateLimit;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Windows are swept of expired entries once the map holds this many keys, and after a sweep
/// again at twice the keys it left, so that many live windows cost no sweep per call.
const SWEEP_AT: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    settings: RateLimitSettings,
    windows: Mutex<Windows>,
}

#[derive(Debug)]
struct Windows {
    by_key: HashMap<(IpAddr, &'static str), Window>,
    sweep_at: usize,
}

impl Windows {
    fn sweep_if_due(&mut self, now_ms: i64) {
        if self.by_key.len() >= self.sweep_at {
            self.by_key.retain(|_, window| window.reset_ms > now_ms);
            self.sweep_at = SWEEP_AT.max(2 * self.by_key.len());
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    reset_ms: i64,
    calls: u32,
}

impl RateLimiter {
    pub fn new(settings: RateLimitSettings) -> Self {
        Self {
            settings,
            windows: Mutex::new(Windows {
                by_key: HashMap::new(),
                sweep_at: SWEEP_AT,
            }),
        }
    }

    /// Counts a call at `now_ms` (epoch milliseconds). `Ok` carries the headers' values,
    /// `Err` means the caller is over the limit. `Ok(None)` when the limiter is off.
    pub fn check(
        &self,
        ip: IpAddr,
        route: &'static str,
        now_ms: i64,
    ) -> Result<Option<RateLimit>, RateLimit> {
        if !self.settings.enabled {
            return Ok(None);
        }
        let limit = self.settings.calls;
        let window_ms = i64::try_from(self.settings.window_ms).unwrap_or(i64::MAX);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows.sweep_if_due(now_ms);
        let window = windows.by_key.entry((ip, route)).or_insert(Window {
            reset_ms: now_ms.saturating_add(window_ms),
            calls: 0,
        });
        if window.reset_ms <= now_ms {
            *window = Window {
                reset_ms: now_ms.saturating_add(window_ms),
                calls: 0,
            };
        }
        if window.calls >= limit {
            return Err(window.state(limit, now_ms));
        }
        window.calls += 1;
        Ok(Some(window.state(limit, now_ms)))
    }
}

impl Window {
    fn state(&self, limit: u32, now_ms: i64) -> RateLimit {
        let left_ms = u64::try_from(self.reset_ms - now_ms).unwrap_or(0);
        RateLimit {
            limit,
            remaining: limit.saturating_sub(self.calls),
            reset_ms: self.reset_ms,
            wait_secs: left_ms.div_ceil(1000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(calls: u32, window_ms: u64) -> RateLimiter {
        RateLimiter::new(RateLimitSettings {
            enabled: true,
            calls,
            window_ms,
        })
    }

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn allows_the_configured_calls_then_refuses() {
        let limiter = limiter(3, 60_000);
        let remaining: Vec<u32> = (0..3)
            .map(|_| limiter.check(IP, "r", 1_000).unwrap().unwrap().remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let refused = limiter.check(IP, "r", 31_500).unwrap_err();
        assert_eq!(refused.reset_ms, 61_000);
        assert_eq!(refused.wait_secs, 30); // 29.5 s rounds up
        assert_eq!(refused.remaining, 0);
    }

    #[test]
    fn window_resets_after_its_length() {
        let limiter = limiter(1, 1_000);
        assert!(limiter.check(IP, "r", 0).is_ok());
        assert!(limiter.check(IP, "r", 999).is_err());
        assert!(limiter.check(IP, "r", 1_000).is_ok());
    }

    #[test]
    fn routes_and_addresses_are_counted_apart() {
        let limiter = limiter(1, 60_000);
        let other = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
        assert!(limiter.check(IP, "a", 0).is_ok());
        assert!(limiter.check(IP, "b", 0).is_ok());
        assert!(limiter.check(other, "a", 0).is_ok());
        assert!(limiter.check(IP, "a", 0).is_err());
    }

    #[test]
    fn disabled_limiter_counts_nothing() {
        let limiter = RateLimiter::new(RateLimitSettings {
            enabled: false,
            calls: 1,
            window_ms: 1,
        });
        for _ in 0..5 {
            assert_eq!(limiter.check(IP, "r", 0), Ok(None));
        }
    }

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::from(n))
    }

    #[test]
    fn expired_windows_are_swept_and_live_ones_kept() {
        let limiter = limiter(1, 1_000);
        for n in 0..SWEEP_AT as u32 {
            assert!(limiter.check(ip(n), "r", 0).is_ok());
        }
        // The next call after the windows expired sweeps them all.
        assert!(limiter.check(IP, "r", 5_000).is_ok());
        assert_eq!(limiter.windows.lock().unwrap().by_key.len(), 1);
    }

    #[test]
    fn many_live_windows_are_not_swept_on_every_call() {
        let limiter = limiter(1, 60_000);
        for n in 0..(SWEEP_AT as u32 + 10) {
            assert!(limiter.check(ip(n), "r", 0).is_ok());
        }
        let windows = limiter.windows.lock().unwrap();
        assert_eq!(windows.by_key.len(), SWEEP_AT + 10);
        // One sweep found them all live: the next one waits for twice as many.
        assert_eq!(windows.sweep_at, 2 * SWEEP_AT);
        drop(windows);
        // Still counted: a second call of a live window is refused.
        assert!(limiter.check(ip(3), "r", 1).is_err());
    }
}
