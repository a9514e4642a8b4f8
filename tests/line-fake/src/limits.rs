//! Per-endpoint token buckets (LINE's published limits, adjustable or lifted
//! through the control API) and injected faults.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngExt;
use serde::Deserialize;

/// LINE's limits per second (per hour ones are expressed per second).
pub fn default_rates() -> HashMap<&'static str, f64> {
    HashMap::from([
        ("multicast", 200.0),
        ("push", 2000.0),
        ("reply", 2000.0),
        ("narrowcast", 60.0 / 3600.0),
        ("broadcast", 60.0 / 3600.0),
        ("richmenu.create", 100.0 / 3600.0),
        ("richmenu.delete", 100.0 / 3600.0),
        ("richmenu.alias.delete", 100.0 / 3600.0),
        ("richmenu.list", 10.0),
        ("richmenu.batch", 3.0 / 3600.0),
        ("other", 2000.0),
    ])
}

struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

/// Token buckets; capacity is one second's worth, or an hour's for per-hour limits.
pub struct Buckets {
    inner: Mutex<HashMap<String, Bucket>>,
    rates: Mutex<HashMap<String, Option<f64>>>,
}

impl Buckets {
    pub fn new(enabled: bool) -> Self {
        let rates = default_rates()
            .into_iter()
            .map(|(k, v)| (k.to_string(), enabled.then_some(v)))
            .collect();
        Self {
            inner: Mutex::new(HashMap::new()),
            rates: Mutex::new(rates),
        }
    }

    /// Sets a rate per second, or lifts the limit with `None`.
    pub fn set_rate(&self, endpoint: &str, rate: Option<f64>) {
        self.rates
            .lock()
            .unwrap()
            .insert(endpoint.to_string(), rate);
        self.inner.lock().unwrap().remove(endpoint);
    }

    pub fn rates(&self) -> HashMap<String, Option<f64>> {
        self.rates.lock().unwrap().clone()
    }

    /// Takes one token; false when the bucket is empty (LINE answers 429).
    pub fn take(&self, endpoint: &str) -> bool {
        let rate = {
            let rates = self.rates.lock().unwrap();
            rates
                .get(endpoint)
                .or_else(|| rates.get("other"))
                .copied()
                .flatten()
        };
        let Some(rate) = rate else { return true };
        let mut inner = self.inner.lock().unwrap();
        let now = Instant::now();
        // Per-second limits hold a second's worth; per-hour ones (rich-menu
        // creation, 100/hour) an hour's, as LINE counts them per hour.
        let capacity = if rate >= 1.0 { rate } else { rate * 3600.0 };
        let b = inner.entry(endpoint.to_string()).or_insert(Bucket {
            rate,
            capacity,
            tokens: capacity,
            last: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * b.rate).min(b.capacity);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Faults injected into the send endpoints (reply, push, multicast).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Faults {
    /// Added latency, uniformly between min and max.
    pub latency_min_ms: u64,
    pub latency_max_ms: u64,
    /// Share of requests answered 500 before anything is accepted.
    pub error_rate: f64,
    /// Share of requests that are accepted, then never answered in time
    /// (the connection hangs for `timeout_ms`): the case retry keys exist for.
    pub timeout_rate: f64,
    pub timeout_ms: u64,
    /// The next N send requests get 429.
    pub burst_429: u64,
}

pub enum Fault {
    None,
    Error500,
    TooMany,
}

impl Faults {
    /// Decides the fault that strikes before acceptance.
    pub fn before_accept(&mut self) -> Fault {
        if self.burst_429 > 0 {
            self.burst_429 -= 1;
            return Fault::TooMany;
        }
        if self.error_rate > 0.0 && rand::rng().random_bool(self.error_rate.min(1.0)) {
            return Fault::Error500;
        }
        Fault::None
    }

    /// How long to hang after accepting, if this request is to time out.
    pub fn hang_after_accept(&self) -> Option<Duration> {
        (self.timeout_rate > 0.0 && rand::rng().random_bool(self.timeout_rate.min(1.0))).then(
            || {
                Duration::from_millis(if self.timeout_ms == 0 {
                    30_000
                } else {
                    self.timeout_ms
                })
            },
        )
    }

    pub fn latency(&self) -> Duration {
        if self.latency_max_ms == 0 {
            return Duration::ZERO;
        }
        let lo = self.latency_min_ms.min(self.latency_max_ms);
        Duration::from_millis(rand::rng().random_range(lo..=self.latency_max_ms))
    }
}
