//! One data key per owner, stored wrapped by the KEK in `keyring.data_keys`.
//! Unwrapped keys are cached in this process for a short time, so a card
//! view costs no KMS round trip; destroyed keys leave the cache at once here
//! and within the TTL elsewhere (their rows are gone by then anyway).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::kek::KekRing;
use super::seal::DataKey;
use crate::db::schema::data_keys;
use crate::error::{AppError, AppResult};
use crate::sync::Lock;

pub struct Keyring {
    kek: KekRing,
    ttl: Duration,
    cache: Mutex<HashMap<Uuid, (Arc<DataKey>, Instant)>>,
}

/// Cache entries beyond this are swept of expired ones before inserting.
const CACHE_SWEEP_AT: usize = 200_000;

impl Keyring {
    pub fn new(kek: KekRing, ttl: Duration) -> Self {
        Self {
            kek,
            ttl,
            cache: Mutex::default(),
        }
    }

    pub fn kek(&self) -> &KekRing {
        &self.kek
    }

    /// A new data key for `owner`, wrapped by the current KEK and stored.
    pub async fn create(
        &self,
        conn: &mut AsyncPgConnection,
        owner: &str,
    ) -> AppResult<(Uuid, Arc<DataKey>)> {
        let id = Uuid::new_v4();
        let key = DataKey::generate();
        let kek = self.kek.current();
        let wrapped = kek
            .wrap(key.expose(), &id.to_string())
            .await
            .map_err(|e| AppError::Unavailable(format!("key-encryption key: {e}")))?;
        diesel::insert_into(data_keys::table)
            .values((
                data_keys::id.eq(id),
                data_keys::owner.eq(owner),
                data_keys::wrapped.eq(Some(wrapped)),
                data_keys::kek_id.eq(kek.id()),
            ))
            .execute(conn)
            .await?;
        let key = Arc::new(key);
        self.remember(id, key.clone());
        Ok((id, key))
    }

    /// The key of a stored row (the caller read `wrapped` and `kek_id` with its data).
    pub async fn open(
        &self,
        id: Uuid,
        wrapped: Option<&[u8]>,
        kek_id: &str,
    ) -> AppResult<Arc<DataKey>> {
        if let Some(key) = self.cached(id) {
            return Ok(key);
        }
        let wrapped = wrapped.ok_or_else(|| AppError::NotFound("data key".into()))?;
        let kek = self.kek.find(kek_id).ok_or_else(|| {
            AppError::Unavailable(format!("key-encryption key {kek_id} is not configured"))
        })?;
        let bytes = kek
            .unwrap(wrapped, &id.to_string())
            .await
            .map_err(|e| AppError::Unavailable(format!("unwrapping data key {id}: {e}")))?;
        let key = Arc::new(
            DataKey::from_slice(&bytes)
                .ok_or_else(|| AppError::Unavailable(format!("data key {id} has a bad length")))?,
        );
        self.remember(id, key.clone());
        Ok(key)
    }

    /// Reads and opens a key by id.
    pub async fn fetch(&self, conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<Arc<DataKey>> {
        if let Some(key) = self.cached(id) {
            return Ok(key);
        }
        let (wrapped, kek_id): (Option<Vec<u8>>, String) = data_keys::table
            .find(id)
            .select((data_keys::wrapped, data_keys::kek_id))
            .first(conn)
            .await
            .optional()?
            .ok_or_else(|| AppError::NotFound("data key".into()))?;
        self.open(id, wrapped.as_deref(), &kek_id).await
    }

    /// The key of `owner`, created when it has none (system keys).
    pub async fn load_or_create(
        &self,
        conn: &mut AsyncPgConnection,
        owner: &str,
    ) -> AppResult<Arc<DataKey>> {
        let row: Option<(Uuid, Option<Vec<u8>>, String)> = data_keys::table
            .filter(data_keys::owner.eq(owner))
            .select((data_keys::id, data_keys::wrapped, data_keys::kek_id))
            .first(conn)
            .await
            .optional()?;
        match row {
            Some((id, wrapped, kek_id)) => self.open(id, wrapped.as_deref(), &kek_id).await,
            None => match self.create(conn, owner).await {
                Ok((_, key)) => Ok(key),
                // Another request created it this instant (owners are
                // unique): that key is the one, read it.
                Err(AppError::Conflict(_)) => {
                    let (id, wrapped, kek_id): (Uuid, Option<Vec<u8>>, String) = data_keys::table
                        .filter(data_keys::owner.eq(owner))
                        .select((data_keys::id, data_keys::wrapped, data_keys::kek_id))
                        .first(conn)
                        .await?;
                    self.open(id, wrapped.as_deref(), &kek_id).await
                }
                Err(e) => Err(e),
            },
        }
    }

    /// Destroys a key: the wrapped bytes are overwritten with NULL for good.
    pub async fn destroy(&self, conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<bool> {
        self.cache.locked().remove(&id);
        let n = diesel::update(
            data_keys::table
                .find(id)
                .filter(data_keys::wrapped.is_not_null()),
        )
        .set((
            data_keys::wrapped.eq(None::<Vec<u8>>),
            data_keys::destroyed_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
        Ok(n == 1)
    }

    /// The live key of `owner` and its KEK id, locked until the caller's
    /// transaction ends (an erasure holds it while it destroys it).
    pub async fn live_key_of(
        &self,
        conn: &mut AsyncPgConnection,
        owner: &str,
    ) -> AppResult<Option<(Uuid, String)>> {
        Ok(data_keys::table
            .filter(data_keys::owner.eq(owner))
            .filter(data_keys::wrapped.is_not_null())
            .select((data_keys::id, data_keys::kek_id))
            .for_update()
            .first(conn)
            .await
            .optional()?)
    }

    /// After an erasure the key row stays (its id is on the certificate)
    /// but no longer names its owner.
    pub async fn disown(&self, conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<()> {
        diesel::update(data_keys::table.find(id))
            .set(data_keys::owner.eq(format!("erased:{id}")))
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The keys `kek_id` wraps that are still alive.
    pub async fn live_keys_wrapped_by(
        &self,
        conn: &mut AsyncPgConnection,
        kek_id: &str,
    ) -> AppResult<Vec<Uuid>> {
        Ok(data_keys::table
            .filter(data_keys::kek_id.eq(kek_id))
            .filter(data_keys::wrapped.is_not_null())
            .select(data_keys::id)
            .load(conn)
            .await?)
    }

    /// Marks every key `kek_id` wrapped as destroyed (once the KEK itself is gone).
    pub async fn destroy_all_wrapped_by(
        &self,
        conn: &mut AsyncPgConnection,
        kek_id: &str,
    ) -> AppResult<usize> {
        let n = diesel::update(
            data_keys::table
                .filter(data_keys::kek_id.eq(kek_id))
                .filter(data_keys::wrapped.is_not_null()),
        )
        .set((
            data_keys::wrapped.eq(None::<Vec<u8>>),
            data_keys::destroyed_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
        self.forget_all();
        Ok(n)
    }

    fn cached(&self, id: Uuid) -> Option<Arc<DataKey>> {
        let cache = self.cache.locked();
        cache
            .get(&id)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(k, _)| k.clone())
    }

    fn remember(&self, id: Uuid, key: Arc<DataKey>) {
        let mut cache = self.cache.locked();
        if cache.len() >= CACHE_SWEEP_AT {
            let ttl = self.ttl;
            cache.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        cache.insert(id, (key, Instant::now()));
    }

    /// Forgets every cached key (after a rotation or in tests).
    pub fn forget_all(&self) {
        self.cache.locked().clear();
    }
}
