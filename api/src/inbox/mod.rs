//! The inbox capability: LINE's signed webhooks stored once each (whatever
//! their text holds) and queued, then dispatched to the handlers every
//! capability registered for the event's type.

mod events;
mod json_repair;
pub mod webhook;

pub use events::register;
