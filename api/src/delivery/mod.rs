//! Segment delivery at prefecture scale (seed 2.4(4)ア, カ, キ, ケ, コ):
//! compose, approve, schedule, dispatch through LINE's multicast, statistics.

pub mod dispatch;
pub mod graphql;
pub mod model;
pub mod send;
pub mod service;
pub mod stats;
pub mod testers;
