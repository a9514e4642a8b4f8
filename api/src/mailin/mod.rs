//! Mail-triggered delivery (seed §2.4(4)シ, 提案事項14): the prefecture's
//! alert mails reach the residents who asked for them without staff
//! retyping. Permission `mailin.manage`. The SMTP listener (`smtp`) and the
//! HTTP intake (`http`) keep each mail (`store`, decoded by `decode`) before
//! answering; a job then tries the rules (`rules`, `places`, `target`) and
//! sends or drafts the delivery through delivery's entry point (`process`).

pub mod decode;
pub mod demo;
pub mod graphql;
pub mod history;
pub mod http;
pub mod places;
pub mod process;
pub mod rulebook;
pub mod rules;
pub mod smtp;
pub mod store;
pub mod target;

/// Beside the HTTP server: the SMTP listener, when configured. In the
/// workers: the processing job, and a sweep for mails whose job was lost.
pub fn register(r: &mut crate::registry::Registry) {
    use std::time::Duration;

    use crate::registry::{Concurrency, Schedule};
    r.beside_http("mailin.smtp", smtp::run);
    r.job::<process::Process, _, _>(Concurrency::Default, |ctx, job| async move {
        process::process(&ctx.app, job.mail).await
    });
    r.periodic(
        "mailin.sweep",
        Schedule::Every(Duration::from_secs(5)),
        |app| async move { process::sweep(&app).await },
    );
    r.periodic("mailin.retention", Schedule::DailyJst, |app| async move {
        history::prune(&app).await
    });
}
