//! Mail-triggered delivery (seed §2.4(4)シ, 提案事項14): the prefecture's
//! alert mails reach the residents who asked for them without staff
//! retyping. Permission `mailin.manage`. The SMTP listener (`smtp`) and the
//! HTTP intake (`http`) keep each mail (`store`, decoded by `decode`) before
//! answering; a job then tries the rules (`rules`, `places`, `target`) and
//! sends or drafts the delivery through delivery's entry point (`process`).

pub mod decode;
pub mod http;
pub mod places;
pub mod rules;
pub mod smtp;
pub mod store;

/// Beside the HTTP server: the SMTP listener, when configured.
pub fn register(r: &mut crate::registry::Registry) {
    r.beside_http("mailin.smtp", smtp::run);
}
