//! The application at the bottom of the house: the infrastructure every
//! service function and job takes (configuration, PostgreSQL, Redis, the job
//! queue and outbox, metrics, the LINE client, the ID-token verifier, the
//! keyring, the media store). It names no capability: a capability's
//! per-process state (an index, a cache) lives in its own type, kept here in
//! a slot by type and created by the capability on first use.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, RwLock};

use metrics_exporter_prometheus::PrometheusHandle;

use crate::config::Config;
use crate::db::DbPool;
use crate::jobs::{JobQueue, Outbox, RetryPolicy};
use crate::line::{IdTokenVerifier, LineClient};
use crate::store::RedisStore;
use crate::sync::ReadWrite;

pub struct AppInner {
    pub config: Config,
    pub db: DbPool,
    pub redis: RedisStore,
    pub jobs: JobQueue,
    pub outbox: Outbox,
    pub metrics: PrometheusHandle,
    pub line: LineClient,
    pub id_tokens: IdTokenVerifier,
    /// Request limits of the residents' API (in this process).
    pub liff_limits: crate::ratelimit::LiffLimits,
    /// Where uploaded images and videos live (filesystem or S3-compatible).
    pub media: crate::storage::MediaStore,
    /// Residents' data keys, wrapped by the KEK; unwrapped ones cached briefly.
    pub keyring: crate::crypto::Keyring,
    /// Capabilities' per-process state, one value per type (see [`App::state`]).
    slots: RwLock<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

/// Cheap to clone; everything a service function needs besides the caller.
#[derive(Clone)]
pub struct App(Arc<AppInner>);

impl Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl App {
    /// Connects to PostgreSQL and Redis (failing fast with a clear message).
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        let db = crate::db::pool(
            config.database_url.expose(),
            config.db_pool_size,
            config.db_timeout,
        )?;
        let redis = RedisStore::connect(config.redis_url.expose(), &config.redis_prefix).await?;
        let jobs = JobQueue::new(redis.clone(), RetryPolicy::default());
        let outbox = Outbox::new(db.clone(), jobs.clone());
        let line = LineClient::new(&config.line, redis.clone())?;
        let media = crate::storage::MediaStore::new(&config)?;
        let keyring = crate::crypto::Keyring::new(
            crate::crypto::kek::KekRing::from_config(&config)?,
            config.data_key_cache_ttl,
        );
        let liff_limits = crate::ratelimit::LiffLimits::from_config(&config);
        let id_tokens = IdTokenVerifier::new(
            &config.line.jwks_url,
            &config.line.login_channel_id,
            config.line.jwks_refresh,
        )?;
        Ok(Self(Arc::new(AppInner {
            config,
            db,
            redis,
            jobs,
            outbox,
            metrics: crate::metrics::handle(),
            line,
            id_tokens,
            liff_limits,
            media,
            keyring,
            slots: RwLock::default(),
        })))
    }

    /// This process's one `T`, made by `init` the first time it is asked
    /// for. A capability keeps its caches and indexes here behind a function
    /// of its own (`audience::index(app)`), so nothing below it knows the type.
    pub fn state<T: Any + Send + Sync>(&self, init: impl FnOnce(&App) -> T) -> Arc<T> {
        let id = TypeId::of::<T>();
        let found = self.slots.reading().get(&id).cloned();
        let slot = match found {
            Some(slot) => slot,
            None => {
                let made: Arc<dyn Any + Send + Sync> = Arc::new(init(self));
                self.slots.writing().entry(id).or_insert(made).clone()
            }
        };
        match slot.downcast::<T>() {
            Ok(value) => value,
            // The map is keyed by the value's own type id.
            Err(_) => unreachable!("a slot holds the type it is keyed by"),
        }
    }
}
