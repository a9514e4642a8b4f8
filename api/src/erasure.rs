//! A resident's erasure across capabilities: each capability that keeps
//! something of a resident registers a hook deleting it (`Registry::on_erasure`),
//! and whichever capability erases a resident (the card's erasure, the
//! withdrawal of 受信設定) runs them all inside its own transaction — without
//! importing the others. The hooks are installed once per process by the
//! assembly; an erasure in a process that never installed them fails rather
//! than leave data behind.

use std::sync::OnceLock;

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use futures::future::BoxFuture;

use crate::error::{AppError, AppResult};

/// Deletes what one capability keeps of the resident; returns the rows deleted.
pub type Hook = for<'c> fn(&'c mut AsyncPgConnection, &'c str) -> BoxFuture<'c, QueryResult<usize>>;

static HOOKS: OnceLock<Vec<(&'static str, Hook)>> = OnceLock::new();

/// Installs this process's hooks (the first call wins: every call passes the same list).
pub fn install(hooks: Vec<(&'static str, Hook)>) {
    let _ = HOOKS.set(hooks);
}

/// Runs every hook for `line_user_id` on `conn` (the caller's transaction).
pub async fn erase(
    conn: &mut AsyncPgConnection,
    line_user_id: &str,
) -> AppResult<Vec<(&'static str, usize)>> {
    let hooks = HOOKS.get().ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "erasure hooks not installed in this process"
        ))
    })?;
    let mut done = Vec::with_capacity(hooks.len());
    for (name, hook) in hooks {
        done.push((*name, hook(conn, line_user_id).await?));
    }
    Ok(done)
}
