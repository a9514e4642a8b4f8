//! Audience: attributes and options staff define, the receive-item tree,
//! residents' settings, saved segments and live audience counts.

pub mod demo;
pub mod export;
pub mod expr;
pub mod forms;
pub mod graphql;
pub mod index;
pub mod resident;
pub mod service;

#[cfg(test)]
mod tests;
