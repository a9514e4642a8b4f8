//! PostgreSQL: the pool (timeouts set), embedded migrations and the table schema.

pub mod schema;

use std::time::Duration;

use anyhow::Context;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

pub fn pool(url: &str, max_size: usize, timeout: Duration) -> anyhow::Result<DbPool> {
    // `Fast` recycling: the default sends a test query on every checkout, an
    // extra round trip that doubled PostgreSQL's work per card view (and per
    // delivery batch). A connection found broken on use is dropped when it
    // comes back, so a PostgreSQL restart costs one failed request per
    // pooled connection, not a hang.
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("building the PostgreSQL pool")
}

/// Applies pending migrations. Needs a multi-threaded Tokio runtime (the
/// migration harness blocks in place).
pub async fn migrate(pool: &DbPool) -> anyhow::Result<Vec<String>> {
    let conn = pool
        .get()
        .await
        .context("connecting to PostgreSQL for migrations")?;
    let mut harness = diesel_async::AsyncMigrationHarness::new(conn);
    let applied = harness
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Whether PostgreSQL answers a trivial query.
pub async fn ping(pool: &DbPool) -> anyhow::Result<()> {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    Ok(())
}
