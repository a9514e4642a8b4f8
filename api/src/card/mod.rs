//! The Maitama pass and the Papa-Mama card (seed 2.5, 2.6; DESIGN.md 4.5).

pub mod cache;
pub mod demo;
pub mod eligibility;
pub mod erasure;
pub mod export;
pub mod graphql;
pub mod holders;
pub mod lapse;
pub mod model;
pub mod resident;
pub mod settings;
pub mod staff;
