//! Where a request comes from, as far as we can trust it: the client
//! address (behind our own proxies) and a request id worth keeping.

use std::net::SocketAddr;

use axum::http::HeaderMap;

use crate::config::Config;

/// The client address. Behind `n` trusted proxies it is the `n`-th
/// `X-Forwarded-For` entry from the right: each proxy appends the address it
/// saw, so that entry was written by the outermost proxy of ours, while
/// everything to its left came from the client and may be invented.
pub fn client_ip(config: &Config, headers: &HeaderMap, peer: SocketAddr) -> String {
    let hops = config.trusted_proxy_hops;
    if hops > 0 {
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        if let Some(entry) = forwarded.len().checked_sub(hops).map(|i| forwarded[i])
            && let Ok(ip) = entry.parse::<std::net::IpAddr>()
        {
            return ip.to_string();
        }
    }
    peer.ip().to_string()
}

/// A client's `X-Request-Id` is kept (it ties our logs to theirs) only when
/// it is a short token; anything else is replaced by one of ours, so a
/// request cannot write kilobytes or markup into the logs and audit rows.
/// A client's `X-Request-Id` is worth keeping (it ties our logs to theirs)
/// only as a short token.
pub fn request_id_acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}
