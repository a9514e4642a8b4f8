//! The Maitama pass and the Papa-Mama card (seed 2.5, 2.6; DESIGN.md 4.5).

mod cache;
pub mod demo;
mod eligibility;
pub mod erasure;
pub mod export;
pub mod graphql;
pub mod holders;
pub mod lapse;
pub mod model;
pub mod resident;
mod settings;
mod staff;

/// The card's part in the worker (the daily lapse check) and beside the
/// HTTP server (the listener keeping the row cache current).
pub fn register(r: &mut crate::registry::Registry) {
    r.periodic(
        "card.lapse",
        crate::registry::Schedule::DailyJst,
        |app| async move { lapse::run(&app).await },
    );
    r.beside_http("card.cache", cache::listen);
}
