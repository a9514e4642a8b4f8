//! FAQ and chatbot (seed §2.4(3)): FAQ entries staff maintain, Japanese
//! retrieval over them, and the bot answering residents in the LINE chat.

pub mod ai;
pub mod bm25;
pub mod bot;
pub mod demo;
pub mod eval;
pub mod faq;
pub mod fold;
pub mod graphql;
mod index;
pub mod route;
pub mod scenario;
pub mod stats;
pub mod talk;
pub mod transfer;
pub mod words;

pub use bm25::Hit;

/// This process's FAQ index.
pub fn index(app: &crate::app::App) -> std::sync::Arc<index::FaqIndex> {
    app.state(|_| index::FaqIndex::default())
}

/// The chatbot's part in the worker (it answers text messages and its own
/// postbacks) and beside the HTTP server: the index (and the dictionary,
/// when there is an FAQ) is built at start and kept current, so the first
/// resident's question does not wait for it.
pub fn register(r: &mut crate::registry::Registry) {
    route::register(r);
    r.on_erasure("chatbot.talk_log", forget);
    r.periodic(
        "chatbot.sessions",
        crate::registry::Schedule::Every(std::time::Duration::from_secs(60)),
        |app| async move { scenario::expire_sessions(&app).await },
    );
    r.periodic(
        "chatbot.talk_log_retention",
        crate::registry::Schedule::DailyJst,
        |app| async move { talk::prune(&app, app.config.talk_log_days).await },
    );
    r.periodic(
        "chatbot.index",
        crate::registry::Schedule::Every(std::time::Duration::from_secs(30)),
        |app| async move { warm(&app).await },
    );
    r.beside_http("chatbot.index", |app, _| async move {
        if let Err(e) = warm(&app).await {
            tracing::warn!(error = %e, "FAQ index not built at start");
        }
    });
}

/// The talk log, scenario place and hand-over flags of an erased resident.
fn forget<'c>(
    conn: &'c mut diesel_async::AsyncPgConnection,
    user: &'c str,
) -> futures::future::BoxFuture<'c, diesel::QueryResult<usize>> {
    Box::pin(talk::forget(conn, user))
}

async fn warm(app: &crate::app::App) -> anyhow::Result<usize> {
    Ok(index(app)
        .engine(&app.db, &app.config.faq_dictionary)
        .await?
        .len())
}
