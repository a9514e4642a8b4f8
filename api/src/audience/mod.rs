//! Audience: attributes and options staff define, the receive-item tree,
//! residents' settings, saved segments and live audience counts.

pub mod chat;
pub mod demo;
pub mod describe;
pub mod export;
pub mod expr;
mod forms;
pub mod graphql;
pub mod index;
pub mod municipalities;
mod resident;
pub mod service;

#[cfg(test)]
mod tests;

/// This process's audience index (loaded on first use, then kept current
/// from the change log): how other capabilities count and resolve segments.
pub fn index(app: &crate::app::App) -> std::sync::Arc<index::AudienceIndex> {
    app.state(|_| index::AudienceIndex::default())
}

/// Beside the HTTP server: the index is built at start rather than on the
/// first count a staff member asks for.
pub fn register(r: &mut crate::registry::Registry) {
    r.beside_http("audience.index", |app, _| async move {
        if let Err(e) = index(&app).ensure_loaded(&app.db).await {
            tracing::warn!(error = %e, "loading the audience index failed; it loads on first use");
        }
    });
}
