//! Request limits kept in this process (token buckets keyed by resident or
//! client address, from `governor`). In memory on purpose: the residents'
//! API, the card above all, must keep answering while Redis is away, and a
//! limit check must cost nanoseconds at 8,000 views a second. Each API
//! replica keeps its own buckets, so the effective limit is per replica.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Checks between sweeps of idle keys (a sweep walks every key once).
const SWEEP_EVERY: u64 = 100_000;

pub struct KeyedLimit {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    checks: AtomicU64,
}

impl KeyedLimit {
    /// `per_second` sustained with bursts of `burst`; 0 turns the limit off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let limiter = std::num::NonZeroU32::new(per_second).map(|rate| {
            let burst = std::num::NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Self {
            limiter,
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one request from `key`'s bucket; `Err` says how long until the next fits.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            // Full buckets are forgotten, so a rush of distinct residents does not stay in memory.
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The residents' API: per verified resident, and per client address (a
/// mobile carrier's address may carry many residents, so it is generous).
pub struct LiffLimits {
    pub per_resident: KeyedLimit,
    pub per_ip: KeyedLimit,
}

impl LiffLimits {
    pub fn from_config(c: &crate::config::Config) -> Self {
        Self {
            per_resident: KeyedLimit::new(c.liff_rate_per_resident, c.liff_rate_per_resident * 3),
            per_ip: KeyedLimit::new(c.liff_rate_per_ip, c.liff_rate_per_ip * 2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_burst_then_waits_while_others_are_unaffected() {
        let l = KeyedLimit::new(2, 4);
        for _ in 0..4 {
            assert!(l.check("U1").is_ok());
        }
        let wait = l.check("U1").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert!(l.check("U2").is_ok());
        let off = KeyedLimit::new(0, 0);
        assert!((0..10_000).all(|_| off.check("U1").is_ok()));
    }
}
