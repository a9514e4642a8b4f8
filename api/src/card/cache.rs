//! Sealed holder rows kept in the API process, so a card view at the
//! register needs no PostgreSQL round trip once a resident has opened it.
//!
//! What is cached is ciphertext (the row as stored); each view still opens
//! it and re-evaluates eligibility. Every change to a registration sends
//! `NOTIFY tenohira_card` in its transaction; each API process listens and
//! drops that resident's entry at once, so a change made through one replica
//! is seen by every other. While the listening connection is down nothing is
//! served from the cache (it is emptied and bypassed until it is back), and
//! an entry lives at most `TENOHIRA_CARD_CACHE_SECONDS` regardless.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures::StreamExt;

use super::holders::SealedRow;
use crate::sync::Lock;

pub const CHANNEL: &str = "tenohira_card";
/// The payload that empties every cache (KEK erasure and the like).
pub const ALL: &str = "*";

/// A resident's row (or that they have none) and when it was read.
type Entry = (Option<Arc<SealedRow>>, Instant);

pub struct CardCache {
    entries: Mutex<HashMap<String, Entry>>,
    ttl: Duration,
    max: usize,
    /// True while this process is listening for changes.
    live: AtomicBool,
    /// Bumped by every eviction: a row read before a change is not stored after it.
    generation: AtomicU64,
}

/// A lookup: `Hit(None)` is a resident known to have no registration.
pub enum Lookup {
    Hit(Option<Arc<SealedRow>>),
    Miss(u64),
}

/// This process's cache of sealed card rows.
pub fn of(app: &crate::app::App) -> std::sync::Arc<CardCache> {
    app.state(|app| CardCache::new(app.config.card_cache_ttl, app.config.card_cache_entries))
}

impl CardCache {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            entries: Mutex::default(),
            ttl,
            max,
            live: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        }
    }

    fn enabled(&self) -> bool {
        self.max > 0 && !self.ttl.is_zero() && self.live.load(Ordering::Acquire)
    }

    pub fn get(&self, user: &str) -> Lookup {
        let generation = self.generation.load(Ordering::Acquire);
        if self.enabled()
            && let Some((row, at)) = self.entries.locked().get(user)
            && at.elapsed() < self.ttl
        {
            return Lookup::Hit(row.clone());
        }
        Lookup::Miss(generation)
    }

    /// Stores what a read that began at `generation` found, unless something changed since.
    pub fn put(&self, user: &str, row: Option<Arc<SealedRow>>, generation: u64) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.entries.locked();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= self.max {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
            if entries.len() >= self.max {
                entries.clear();
            }
        }
        entries.insert(user.to_string(), (row, Instant::now()));
    }

    pub fn evict(&self, user: &str) {
        let mut entries = self.entries.locked();
        self.generation.fetch_add(1, Ordering::AcqRel);
        if user == ALL {
            entries.clear();
        } else {
            entries.remove(user);
        }
    }

    fn set_live(&self, live: bool) {
        self.evict(ALL);
        self.live.store(live, Ordering::Release);
    }
}

/// Tells every API process (this one included) that `user`'s registration changed.
pub async fn notify(conn: &mut AsyncPgConnection, user: &str) -> diesel::QueryResult<()> {
    use diesel_async::RunQueryDsl;
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<diesel::sql_types::Text, _>(CHANNEL)
        .bind::<diesel::sql_types::Text, _>(user)
        .execute(conn)
        .await?;
    Ok(())
}

/// Listens for changes for as long as the process runs, reconnecting after a
/// second when the connection drops (the cache is bypassed meanwhile).
pub async fn listen(app: crate::app::App, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    use diesel_async::RunQueryDsl;
    let cache = of(&app);
    loop {
        let session = async {
            let mut conn = AsyncPgConnection::establish(app.config.database_url.expose()).await?;
            diesel::sql_query(format!("LISTEN {CHANNEL}"))
                .execute(&mut conn)
                .await?;
            cache.set_live(true);
            let mut changes = std::pin::pin!(conn.notifications_stream());
            while let Some(n) = changes.next().await {
                cache.evict(&n?.payload);
            }
            anyhow::Ok(())
        };
        tokio::select! {
            r = session => {
                cache.set_live(false);
                if let Err(e) = r {
                    tracing::warn!(error = %e, "card cache listener lost; views read PostgreSQL until it is back");
                }
            }
            _ = shutdown.wait_for(|s| *s) => {
                cache.set_live(false);
                return;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
