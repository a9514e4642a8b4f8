//! FAQ and chatbot (seed §2.4(3)): FAQ entries staff maintain, Japanese
//! retrieval over them, and the bot answering residents in the LINE chat.

pub mod bm25;
pub mod bot;
pub mod demo;
pub mod eval;
pub mod faq;
pub mod fold;
pub mod graphql;
mod index;

pub use bm25::Hit;

/// This process's FAQ index.
pub fn index(app: &crate::app::App) -> std::sync::Arc<index::FaqIndex> {
    app.state(|_| index::FaqIndex::default())
}

/// The chatbot's part in the worker: it answers text messages and its own postbacks.
pub fn register(r: &mut crate::registry::Registry) {
    bot::register(r);
}
