//! Follow and unfollow events.

use std::sync::Arc;

use super::service;
use crate::registry::{EventContext, Registry};

pub fn register(r: &mut Registry) {
    r.on_event("follow", on_follow);
    r.on_event("unfollow", on_unfollow);
}

async fn on_follow(ctx: Arc<EventContext>) -> anyhow::Result<()> {
    let Some(user) = ctx.event.source_user_id.clone() else {
        return Ok(());
    };
    let mut conn = ctx.app.db.get().await?;
    service::apply(&mut conn, &user, true, ctx.event.occurred_at).await?;
    drop(conn);
    let text = service::welcome_message(&ctx.app)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Err(e) = ctx.reply(&[service::welcome(&ctx.app, text)]).await {
        // A reply token lives about a minute and works once: a late or repeated
        // attempt cannot succeed, and the friend is recorded either way.
        tracing::warn!(event = %ctx.event.webhook_event_id, error = %e, "welcome message not sent");
    }
    Ok(())
}

async fn on_unfollow(ctx: Arc<EventContext>) -> anyhow::Result<()> {
    let Some(user) = ctx.event.source_user_id.clone() else {
        return Ok(());
    };
    let mut conn = ctx.app.db.get().await?;
    service::apply(&mut conn, &user, false, ctx.event.occurred_at).await?;
    Ok(())
}
