//! Everything the fake remembers: users and what they received, retry keys,
//! rich menus, reply tokens, counters, faults and rate limits.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::identity::Keys;
use crate::limits::{Buckets, Faults};

pub struct Config {
    pub channel_access_token: String,
    pub channel_secret: String,
    pub login_channel_id: String,
    /// The bot's own user id (`destination` in webhooks).
    pub bot_user_id: String,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// reply | push | multicast
    pub via: &'static str,
    pub request_id: String,
    pub retry_key: Option<String>,
    pub messages: std::sync::Arc<Value>,
    pub custom_aggregation_units: Option<Value>,
    pub at_ms: u128,
}

pub struct User {
    pub id: String,
    pub display_name: String,
    pub language: String,
    pub following: bool,
    pub inbox: Vec<Delivery>,
    pub rich_menu: Option<String>,
}

pub struct Accepted {
    pub at: Instant,
    pub request_id: String,
    pub body: Value,
}

pub struct RichMenu {
    pub body: Value,
    pub width: u32,
    pub height: u32,
    pub image: Option<String>,
}

#[derive(Default)]
pub struct Counters {
    /// Requests accepted (2xx) per endpoint.
    pub accepted: BTreeMap<&'static str, u64>,
    /// Requests answered 409 because their retry key was already accepted.
    pub duplicates: BTreeMap<&'static str, u64>,
    /// Requests refused, by endpoint and status.
    pub rejected: BTreeMap<String, u64>,
    /// Messages handed to users (one per message object per recipient).
    pub messages_delivered: u64,
}

pub struct Data {
    /// Millions in benchmarks, looked up 1,000 times per multicast: ids kept
    /// inline and a fast hasher, so a lookup touches one place in memory.
    pub users: HashMap<UserKey, User, foldhash::fast::RandomState>,
    /// Users in creation order (followers paging).
    pub user_order: Vec<String>,
    pub retry_keys: HashMap<String, Accepted>,
    pub reply_tokens: HashMap<String, (String, Instant)>,
    pub rich_menus: HashMap<String, RichMenu>,
    pub aliases: BTreeMap<String, String>,
    pub default_rich_menu: Option<String>,
    pub counters: Counters,
    pub webhook_url: Option<String>,
    /// Keep what each user received (off for large benchmarks: counts only).
    pub record_inbox: bool,
}

pub struct AppState {
    pub config: Config,
    pub data: Mutex<Data>,
    pub faults: Mutex<Faults>,
    pub buckets: Buckets,
    pub keys: Keys,
    pub http: reqwest::Client,
}

pub const RETRY_KEY_TTL: Duration = Duration::from_secs(24 * 3600);
pub const REPLY_TOKEN_TTL: Duration = Duration::from_secs(60);

pub fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

pub fn random_hex(bytes: usize) -> String {
    use rand::RngExt;
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// A LINE-style user id: `U` + 32 lowercase hex digits.
pub fn new_user_id() -> String {
    format!("U{}", random_hex(16))
}

/// The id of the n-th bulk-created user (deterministic, so callers need not download them).
pub fn bulk_user_id(prefix: u32, n: u64) -> String {
    format!("U{prefix:08x}{n:024x}")
}

/// A user id (`U` + 32 hex digits) stored inline in the users table; looked
/// up by `&str` like the `String` it replaces.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct UserKey([u8; 33]);

impl UserKey {
    /// None unless `id` is a user id.
    pub fn new(id: &str) -> Option<Self> {
        is_user_id(id).then(|| Self(id.as_bytes().try_into().unwrap_or([b'0'; 33])))
    }

    pub fn as_str(&self) -> &str {
        // Built from a validated ASCII id only.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

// Must hash exactly as `str` does, for lookups by `&str`.
impl std::hash::Hash for UserKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::borrow::Borrow<str> for UserKey {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// Whether a string looks like a user id.
pub fn is_user_id(s: &str) -> bool {
    s.len() == 33
        && s.starts_with('U')
        && s[1..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl Default for Data {
    fn default() -> Self {
        Self {
            users: HashMap::default(),
            user_order: Vec::new(),
            retry_keys: HashMap::new(),
            reply_tokens: HashMap::new(),
            rich_menus: HashMap::new(),
            aliases: BTreeMap::new(),
            default_rich_menu: None,
            counters: Counters::default(),
            webhook_url: None,
            record_inbox: true,
        }
    }
}
