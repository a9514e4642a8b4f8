//! Mail-triggered delivery (seed §2.4(4)シ, 提案事項14): the prefecture's
//! alert mails reach the residents who asked for them without staff
//! retyping. Permission `mailin.manage`. Built so far: the SMTP listener
//! (`smtp`), the sender allow-list and the kept mails (`store`), decoding
//! Japanese mail (`decode`). The rules and the delivery follow (issue 19).

pub mod decode;
pub mod http;
pub mod smtp;
pub mod store;

/// Beside the HTTP server: the SMTP listener, when configured.
pub fn register(r: &mut crate::registry::Registry) {
    r.beside_http("mailin.smtp", smtp::run);
}
