//! The worker role (assembly): every capability's background work, listed
//! here one line each; each capability says what it does in its own
//! `register` (typed jobs, webhook handlers, periodic tasks, recoveries).

use tokio::sync::watch;

use crate::app::App;
use crate::registry::Registry;

/// Every capability with background work, one line each.
pub const CAPABILITIES: &[fn(&mut Registry)] = &[
    crate::staff::register,
    crate::friends::register,
    crate::inbox::register,
    crate::audience::register,
    crate::delivery::register,
    crate::card::register,
    crate::chatbot::register,
    crate::richmenu::register,
    crate::mailin::register,
    crate::survey::register,
];

/// The registry of every capability's background work.
pub fn registry() -> Registry {
    let mut r = Registry::default();
    for register in CAPABILITIES {
        register(&mut r);
    }
    r
}

/// Installs every capability's erasure hook in this process (serve, worker, CLI).
pub fn install_erasure() {
    crate::erasure::install(registry().erasure_hooks());
}

/// Runs the workers until `shutdown` turns true.
pub async fn run(app: App, shutdown: watch::Receiver<bool>) {
    install_erasure();
    registry().run(app, shutdown).await;
}
