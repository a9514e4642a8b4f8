//! tenohira (手のひら県庁): a prefecture's LINE Official Account platform.
//!
//! Dependency direction: `graphql → domains → {db, jobs, store, auth}`.

pub mod app;
pub mod audience;
pub mod audit;
pub mod auth;
pub mod card;
pub mod chatbot;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod csv;
pub mod db;
pub mod delivery;
pub mod erasure;
pub mod error;
pub mod friends;
pub mod gql;
pub mod graphql;
pub mod inbox;
pub mod jobs;
pub mod jst;
pub mod line;
pub mod mailin;
pub mod media;
pub mod metrics;
pub mod ratelimit;
pub mod registry;
pub mod richmenu;
pub mod router;
pub mod server;
pub mod settings;
pub mod sigv4;
pub mod staff;
pub mod storage;
pub mod store;
pub mod survey;
pub mod sync;
pub mod tls;
pub mod worker;
