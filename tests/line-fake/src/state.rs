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
    /// Content type and bytes, once uploaded (the phone view shows them).
    pub image: Option<(String, axum::body::Bytes)>,
}

/// A rich-menu batch operation (`POST /v2/bot/richmenu/batch`) and its progress.
pub struct Batch {
    pub resume_key: Option<String>,
    pub accepted_ms: u128,
    pub completed_ms: Option<u128>,
    /// ongoing | succeeded | failed
    pub phase: &'static str,
}

/// A tab a user switched to in the app (`richmenuswitch`): shown while the
/// menu it was switched from is still the one the user has.
pub struct Switched {
    pub from: String,
    pub to: String,
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

/// Replies measured from the moment their token was issued (just before the
/// webhook that carried it was sent) to the moment the reply call arrived.
pub struct ReplyStats {
    pub since: Instant,
    pub latencies_us: Vec<u64>,
    /// Reply calls that came after their token had expired.
    pub late: u64,
}

impl Default for ReplyStats {
    fn default() -> Self {
        Self {
            since: Instant::now(),
            latencies_us: Vec::new(),
            late: 0,
        }
    }
}

pub struct Data {
    pub users: Users,
    pub retry_keys: HashMap<String, Accepted>,
    /// Reply token → (user, when it was issued); valid for `REPLY_TOKEN_TTL`.
    pub reply_tokens: HashMap<String, (String, Instant)>,
    /// How fast tenohira answered the tokens issued since the last reset.
    pub replies: ReplyStats,
    pub rich_menus: HashMap<String, RichMenu>,
    pub aliases: BTreeMap<String, String>,
    pub default_rich_menu: Option<String>,
    /// Request id → batch operation.
    pub batches: HashMap<String, Batch>,
    /// User id → the tab switched to on the phone.
    pub switched: HashMap<String, Switched>,
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

/// Every user, in creation order (followers paging), with an index by id.
///
/// Millions in benchmarks, looked up 500 times per multicast at random: the
/// index holds only the id's 128 bits and a position (24 bytes a slot, not
/// the whole user), so a lookup misses the cache less and never compares
/// strings; the users themselves sit in one vector.
#[derive(Default)]
pub struct Users {
    all: Vec<User>,
    index: HashMap<u128, u32, foldhash::fast::RandomState>,
}

/// The id's 32 hex digits as a number; None unless `id` is a user id.
fn user_key(id: &str) -> Option<u128> {
    if !is_user_id(id) {
        return None;
    }
    u128::from_str_radix(&id[1..], 16).ok()
}

impl Users {
    /// Where the user with this id sits in creation order.
    pub fn position(&self, id: &str) -> Option<usize> {
        let i = *self.index.get(&user_key(id)?)?;
        Some(i as usize)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.position(id).is_some()
    }

    pub fn get(&self, id: &str) -> Option<&User> {
        self.position(id).map(|i| &self.all[i])
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut User> {
        self.position(id).map(|i| &mut self.all[i])
    }

    /// The user at a position from `position`.
    pub fn at_mut(&mut self, i: usize) -> &mut User {
        &mut self.all[i]
    }

    /// Adds a user; false (and nothing added) when the id is taken or is no user id.
    pub fn insert(&mut self, user: User) -> bool {
        let Some(key) = user_key(&user.id) else {
            return false;
        };
        let Ok(next) = u32::try_from(self.all.len()) else {
            return false;
        };
        match self.index.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(next);
                self.all.push(user);
                true
            }
        }
    }

    pub fn reserve(&mut self, n: usize) {
        self.all.reserve(n);
        self.index.reserve(n);
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// In creation order.
    pub fn values(&self) -> std::slice::Iter<'_, User> {
        self.all.iter()
    }

    pub fn values_mut(&mut self) -> std::slice::IterMut<'_, User> {
        self.all.iter_mut()
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
            users: Users::default(),
            retry_keys: HashMap::new(),
            reply_tokens: HashMap::new(),
            replies: ReplyStats::default(),
            rich_menus: HashMap::new(),
            aliases: BTreeMap::new(),
            default_rich_menu: None,
            batches: HashMap::new(),
            switched: HashMap::new(),
            counters: Counters::default(),
            webhook_url: None,
            record_inbox: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> User {
        User {
            id: id.into(),
            display_name: "県民".into(),
            language: "ja".into(),
            following: true,
            inbox: vec![],
            rich_menu: None,
        }
    }

    #[test]
    fn users_are_found_by_exact_id_in_creation_order_and_never_twice() {
        let mut users = Users::default();
        let a = bulk_user_id(0xabc, 1);
        let b = bulk_user_id(0xabc, 0);
        assert!(users.insert(user(&a)));
        assert!(users.insert(user(&b)));
        assert!(!users.insert(user(&a)), "an id is taken once");
        assert!(!users.insert(user("Uxyz")), "not a user id");
        assert_eq!(users.position(&a), Some(0));
        assert_eq!(users.position(&b), Some(1));
        // Same digits in capitals, or without the U, are other (invalid) ids.
        assert_eq!(users.position(&a.to_uppercase()), None);
        assert_eq!(users.position(&a[1..]), None);
        assert_eq!(users.position(&bulk_user_id(0xabc, 2)), None);
        let order: Vec<&str> = users.values().map(|u| u.id.as_str()).collect();
        assert_eq!(order, [a.as_str(), b.as_str()]);
    }
}
