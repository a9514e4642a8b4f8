//! A rate limiter shared by every process (GCRA in one Lua script on Redis,
//! with Redis's clock so process clocks do not matter). Each endpoint has its
//! own key; a caller waits until its request may go.

use std::time::Duration;

use redis::Script;

use crate::store::RedisStore;

/// Reserves the next slot: returns how many milliseconds (fractional, as a
/// string) the caller must wait before its request may go. One round trip,
/// no polling, so many waiters are paced exactly instead of racing.
const GCRA_RESERVE: &str = r"
local interval = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
return tostring(tat - now)
";

#[derive(Clone)]
pub struct RateLimiter {
    redis: RedisStore,
    script: std::sync::Arc<Script>,
    rates: std::sync::Arc<std::collections::HashMap<&'static str, f64>>,
}

impl RateLimiter {
    /// `rates`: requests per second per endpoint name; unknown endpoints use "other".
    pub fn new(redis: RedisStore, rates: std::collections::HashMap<&'static str, f64>) -> Self {
        Self {
            redis,
            script: std::sync::Arc::new(Script::new(GCRA_RESERVE)),
            rates: std::sync::Arc::new(rates),
        }
    }

    fn rate(&self, endpoint: &str) -> f64 {
        self.rates
            .get(endpoint)
            .or_else(|| self.rates.get("other"))
            .copied()
            .unwrap_or(1000.0)
    }

    /// Waits for this caller's slot. Slots are one emission interval apart
    /// with no burst, so all processes together never exceed the rate.
    pub async fn acquire(&self, endpoint: &str) -> anyhow::Result<()> {
        let interval_ms = 1000.0 / self.rate(endpoint);
        let key = self.redis.key(&format!("ratelimit:line:{endpoint}"));
        let mut c = self.redis.conn();
        let wait: String = self
            .script
            .key(&key)
            .arg(interval_ms)
            .invoke_async(&mut c)
            .await?;
        let wait_ms: f64 = wait.parse().unwrap_or(0.0);
        if wait_ms > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(wait_ms / 1000.0)).await;
        }
        Ok(())
    }
}
