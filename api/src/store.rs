//! Redis: one connection manager and the key prefix that keeps installations
//! (and parallel tests) apart. Redis holds work, rate-limit buckets and
//! caches, never the only copy of anything.

use std::time::Duration;

use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: String,
}

impl RedisStore {
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("parsing REDIS_URL")?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let conn = tokio::time::timeout(
            Duration::from_secs(10),
            client.get_connection_manager_with_config(config),
        )
        .await
        .context("connecting to Redis timed out")?
        .context("connecting to Redis")?;
        Ok(Self {
            client,
            conn,
            prefix: prefix.to_string(),
        })
    }

    /// The full key for a name within this installation's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A connection handle; clones share one multiplexed connection.
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Messages published on `channel` (within the prefix), on a connection
    /// of their own. The stream ends when that connection is lost.
    pub async fn subscribe(&self, channel: &str) -> anyhow::Result<redis::aio::PubSubStream> {
        let mut pubsub =
            tokio::time::timeout(Duration::from_secs(3), self.client.get_async_pubsub())
                .await
                .context("connecting to Redis timed out")??;
        pubsub.subscribe(self.key(channel)).await?;
        Ok(pubsub.into_on_message())
    }

    /// Marks this Redis as known to us; `true` when the mark was missing:
    /// Redis started empty (a restart without persistence, a failover, a
    /// FLUSHALL), so every queue entry it held is gone and the work they
    /// stood for must be queued again from PostgreSQL.
    pub async fn mark_known(&self) -> anyhow::Result<bool> {
        let mut c = self.conn();
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key("epoch"))
            .arg(uuid::Uuid::new_v4().to_string())
            .arg("NX")
            .query_async(&mut c)
            .await?;
        Ok(set.is_some())
    }

    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut c = self.conn();
        let pong: String = redis::cmd("PING").query_async(&mut c).await?;
        anyhow::ensure!(pong == "PONG", "unexpected PING answer");
        Ok(())
    }

    /// Counts one event in a fixed window; returns the count so far.
    pub async fn count_in_window(&self, name: &str, window: Duration) -> anyhow::Result<u64> {
        let key = self.key(name);
        let mut c = self.conn();
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&key)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window.as_secs().max(1))
            .arg("NX")
            .ignore()
            .query_async(&mut c)
            .await?;
        Ok(count)
    }
}
