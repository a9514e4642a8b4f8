//! The SMTP listener (RFC 5321, driven with smtp-proto's parser): EHLO with
//! SIZE, 8BITMIME and PIPELINING; the sender checked against the allow-list
//! at MAIL FROM (550 otherwise, logged); the recipient must be
//! `alerts+<token>@…` (550 otherwise); DATA up to the size limit (552
//! beyond it, the rest read and thrown away); the mail decoded and kept in
//! PostgreSQL before `250` is answered, so an accepted mail is never lost
//! (451 when it cannot be kept). A client that stalls is dropped after
//! `IDLE`; nothing a client sends can stop the listener serving others.
//! STARTTLS (RFC 3207) is offered when a certificate is configured: after
//! `220` the session starts over inside TLS 1.2/1.3, and anything the client
//! pipelined behind STARTTLS is thrown away (it was sent in the clear).

use std::time::Duration;

use smtp_proto::Request;
use smtp_proto::request::receiver::{DataReceiver, RequestReceiver};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::{decode, store};
use crate::app::App;

/// How long a client may stay silent before it is dropped.
pub const IDLE: Duration = Duration::from_secs(60);
const MAX_RECIPIENTS: usize = 10;
const HOST: &str = "tenohira";

/// Clients served at once; one more is told `421` and closed, so idle or
/// hostile clients cannot hold every task while alerts wait.
pub const MAX_CONNECTIONS: usize = 200;

/// Serves SMTP on `listener` until `shutdown` turns true; STARTTLS is
/// offered when `tls` is given.
pub async fn serve(
    app: App,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: watch::Receiver<bool>,
) {
    serve_limited(app, listener, tls, shutdown, MAX_CONNECTIONS).await
}

/// `serve` with its own connection limit (tests use a small one).
pub async fn serve_limited(
    app: App,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
    limit: usize,
) {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(limit));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((mut stream, peer)) => {
                    let Ok(slot) = slots.clone().try_acquire_owned() else {
                        metrics::counter!("tenohira_mailin_refused_total", "reason" => "connections").increment(1);
                        tracing::warn!(%peer, limit, "SMTP: too many connections; one refused");
                        tokio::spawn(async move {
                            let _ = reply(&mut stream, "421 4.3.2 too many connections, try again later\r\n").await;
                        });
                        continue;
                    };
                    let app = app.clone();
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        let _slot = slot;
                        if let Err(e) = session(&app, tls, stream).await {
                            tracing::debug!(%peer, error = %e, "SMTP session ended");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "SMTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = shutdown.changed() => if *shutdown.borrow() { return },
        }
    }
}

/// Starts the listener when `TENOHIRA_SMTP_LISTEN` is set (beside the HTTP server).
pub async fn run(app: App, shutdown: watch::Receiver<bool>) {
    let Some(addr) = app.config.smtp_listen else {
        return;
    };
    let tls = match app.config.smtp_tls.clone().map(crate::tls::server_config) {
        None => None,
        Some(Ok(config)) => Some(TlsAcceptor::from(config)),
        Some(Err(e)) => {
            tracing::error!(error = %e, "the SMTP listener could not start: its certificate is unusable");
            return;
        }
    };
    match TcpListener::bind(addr).await {
        Ok(listener) => {
            tracing::info!(%addr, starttls = tls.is_some(), "SMTP listener started");
            serve(app, listener, tls, shutdown).await;
        }
        Err(e) => tracing::error!(%addr, error = %e, "the SMTP listener could not start"),
    }
}

#[derive(Default)]
struct Envelope {
    helo: bool,
    from: Option<String>,
    to: Vec<String>,
}

/// Whether `address` is the secret alert address `alerts+<token>@…`.
fn is_alert_address(app: &App, address: &str) -> bool {
    let token = app.config.mailin_token.expose();
    let Some((local, _)) = address.rsplit_once('@') else {
        return false;
    };
    let Some(given) = local.strip_prefix("alerts+") else {
        return false;
    };
    !token.is_empty()
        && given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A plain or a TLS connection.
trait Wire: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Wire for T {}

async fn reply(stream: &mut impl Wire, text: &str) -> std::io::Result<()> {
    stream.write_all(text.as_bytes()).await?;
    // A TLS stream holds what is written until flushed.
    stream.flush().await
}

async fn read(stream: &mut impl Wire, buf: &mut [u8]) -> std::io::Result<usize> {
    match tokio::time::timeout(IDLE, stream.read(buf)).await {
        Ok(r) => r,
        Err(_) => {
            let _ = reply(stream, "421 4.4.2 idle too long, closing\r\n").await;
            Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "idle"))
        }
    }
}

/// How a conversation ended.
enum Ended {
    Closed,
    /// The client asked for TLS and was told `220`.
    StartTls,
}

/// What the session does after answering a command.
enum Next {
    Go,
    Data,
    Quit,
    StartTls,
}

/// The session's TLS state, as EHLO and STARTTLS see it.
#[derive(Clone, Copy)]
enum Tls {
    Unavailable,
    Offered,
    Active,
}

async fn session(
    app: &App,
    tls: Option<TlsAcceptor>,
    mut stream: TcpStream,
) -> std::io::Result<()> {
    reply(&mut stream, &format!("220 {HOST} ESMTP ready\r\n")).await?;
    let state = if tls.is_some() {
        Tls::Offered
    } else {
        Tls::Unavailable
    };
    match converse(app, &mut stream, state).await? {
        Ended::Closed => Ok(()),
        Ended::StartTls => {
            let Some(acceptor) = tls else { return Ok(()) };
            let mut secured = match tokio::time::timeout(IDLE, acceptor.accept(stream)).await {
                Ok(accepted) => accepted?,
                Err(_) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "TLS handshake",
                    ));
                }
            };
            // RFC 3207: the session starts over; the client says EHLO again.
            converse(app, &mut secured, Tls::Active).await.map(|_| ())
        }
    }
}

/// Answers commands until the client leaves, quits or starts TLS.
async fn converse(app: &App, stream: &mut impl Wire, tls: Tls) -> std::io::Result<Ended> {
    let max = app.config.smtp_max_bytes;
    let mut receiver = RequestReceiver::default();
    let mut env = Envelope::default();
    let mut chunk = vec![0u8; 8192];
    // Bytes read but not yet consumed (a pipelined client sends several commands at once).
    let mut pending: Vec<u8> = Vec::new();
    loop {
        if pending.is_empty() {
            let n = read(stream, &mut chunk).await?;
            if n == 0 {
                return Ok(Ended::Closed);
            }
            pending.extend_from_slice(&chunk[..n]);
        }
        let data = std::mem::take(&mut pending);
        let mut iter = data.iter();
        let mut out = String::new();
        let mut start_data = false;
        loop {
            match receiver.ingest(&mut iter) {
                Ok(request) => {
                    let (text, next) = answer(app, &mut env, request, max, tls).await;
                    out.push_str(&text);
                    match next {
                        Next::Go => {}
                        Next::Quit => {
                            reply(stream, &out).await?;
                            return Ok(Ended::Closed);
                        }
                        Next::StartTls => {
                            reply(stream, &out).await?;
                            return Ok(Ended::StartTls);
                        }
                        Next::Data => {
                            start_data = true;
                            break;
                        }
                    }
                }
                Err(smtp_proto::Error::NeedsMoreData { .. }) => break,
                Err(smtp_proto::Error::ResponseTooLong) => {
                    out.push_str("500 5.5.2 line too long\r\n");
                }
                Err(smtp_proto::Error::UnknownCommand) => {
                    out.push_str("502 5.5.2 command not recognised\r\n")
                }
                Err(e) => out.push_str(&format!("501 5.5.4 {}\r\n", describe(&e))),
            }
        }
        pending.extend_from_slice(iter.as_slice());
        if !out.is_empty() {
            reply(stream, &out).await?;
        }
        if start_data {
            let rest = std::mem::take(&mut pending);
            let (message, leftover) = receive_data(stream, rest, max).await?;
            pending = leftover;
            let text = match message {
                None => "552 5.3.4 message too big\r\n".to_string(),
                Some(raw) => keep(app, &env, &raw).await,
            };
            reply(stream, &text).await?;
            env.from = None;
            env.to.clear();
        }
    }
}

fn describe(e: &smtp_proto::Error) -> String {
    match e {
        smtp_proto::Error::InvalidSenderAddress => "invalid sender address".into(),
        smtp_proto::Error::InvalidRecipientAddress => "invalid recipient address".into(),
        smtp_proto::Error::SyntaxError { syntax } => format!("syntax: {syntax}"),
        smtp_proto::Error::InvalidParameter { param } => format!("invalid parameter {param}"),
        smtp_proto::Error::UnsupportedParameter { .. } => "unsupported parameter".into(),
        _ => "syntax error".into(),
    }
}

/// The reply to one command; whether DATA begins; whether to close.
async fn answer(
    app: &App,
    env: &mut Envelope,
    request: Request<std::borrow::Cow<'_, str>>,
    max: usize,
    tls: Tls,
) -> (String, Next) {
    let ok = |s: &str| (s.to_string(), Next::Go);
    match request {
        Request::Ehlo { .. } => {
            env.helo = true;
            let starttls = if matches!(tls, Tls::Offered) {
                "250-STARTTLS\r\n"
            } else {
                ""
            };
            ok(&format!(
                "250-{HOST}\r\n250-SIZE {max}\r\n250-8BITMIME\r\n{starttls}250 PIPELINING\r\n"
            ))
        }
        Request::Helo { .. } | Request::Lhlo { .. } => {
            env.helo = true;
            ok(&format!("250 {HOST}\r\n"))
        }
        Request::Mail { from } => {
            if !env.helo {
                return ok("503 5.5.1 say EHLO first\r\n");
            }
            if from.size > max {
                return ok("552 5.3.4 message too big\r\n");
            }
            let address = from.address.to_lowercase();
            let allowed = match app.db.get().await {
                Ok(mut conn) => store::sender_allowed(&mut conn, &address).await,
                Err(e) => {
                    tracing::warn!(error = %e, "SMTP: the allow-list could not be read");
                    return ok("451 4.3.0 try again later\r\n");
                }
            };
            match allowed {
                Ok(true) => {
                    env.from = Some(address);
                    env.to.clear();
                    ok("250 2.1.0 sender ok\r\n")
                }
                Ok(false) => {
                    tracing::warn!(sender = %address, "SMTP: a sender not on the allow-list was refused");
                    metrics::counter!("tenohira_mailin_refused_total", "reason" => "sender")
                        .increment(1);
                    ok("550 5.7.1 sender not allowed\r\n")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "SMTP: the allow-list could not be read");
                    ok("451 4.3.0 try again later\r\n")
                }
            }
        }
        Request::Rcpt { to } => {
            if env.from.is_none() {
                return ok("503 5.5.1 need MAIL first\r\n");
            }
            if env.to.len() >= MAX_RECIPIENTS {
                return ok("452 4.5.3 too many recipients\r\n");
            }
            if is_alert_address(app, &to.address) {
                env.to.push(to.address.to_lowercase());
                ok("250 2.1.5 recipient ok\r\n")
            } else {
                metrics::counter!("tenohira_mailin_refused_total", "reason" => "recipient")
                    .increment(1);
                ok("550 5.1.1 unknown recipient\r\n")
            }
        }
        Request::Data => {
            if env.from.is_none() || env.to.is_empty() {
                return ok("503 5.5.1 need MAIL and RCPT first\r\n");
            }
            ("354 end data with <CR><LF>.<CR><LF>\r\n".into(), Next::Data)
        }
        Request::Rset => {
            env.from = None;
            env.to.clear();
            ok("250 2.0.0 reset\r\n")
        }
        Request::Noop { .. } => ok("250 2.0.0 ok\r\n"),
        Request::Quit => ("221 2.0.0 bye\r\n".into(), Next::Quit),
        Request::StartTls => match tls {
            Tls::Offered => ("220 2.0.0 ready to start TLS\r\n".into(), Next::StartTls),
            Tls::Active => ok("503 5.5.1 TLS already active\r\n"),
            Tls::Unavailable => ok("454 4.7.0 TLS not available\r\n"),
        },
        _ => ok("502 5.5.1 not implemented\r\n"),
    }
}

/// Reads the message up to `.`; None when it grew past `max` (the rest is
/// read and dropped, so the session can go on). Also what came after it.
async fn receive_data(
    stream: &mut impl Wire,
    first: Vec<u8>,
    max: usize,
) -> std::io::Result<(Option<Vec<u8>>, Vec<u8>)> {
    let mut data = DataReceiver::new();
    let mut message: Vec<u8> = Vec::new();
    let mut too_big = false;
    let mut chunk = vec![0u8; 65536];
    let mut input = first;
    loop {
        let mut iter = input.iter();
        let done = data.ingest(&mut iter, &mut message);
        let rest = iter.as_slice().to_vec();
        if message.len() > max {
            too_big = true;
            message.clear();
        }
        if done {
            return Ok(((!too_big).then_some(message), rest));
        }
        let n = read(stream, &mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the client left during DATA",
            ));
        }
        input = chunk[..n].to_vec();
    }
}

/// Decodes and keeps the mail; the reply for the end of DATA.
async fn keep(app: &App, env: &Envelope, raw: &[u8]) -> String {
    let started = std::time::Instant::now();
    let decoded = decode::decode(raw);
    let from = env.from.clone().unwrap_or_default();
    let mut conn = match app.db.get().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "SMTP: a mail could not be kept");
            return "451 4.3.0 try again later\r\n".into();
        }
    };
    let kept = store::keep(
        &mut conn,
        store::Received {
            via: "smtp",
            envelope_from: &from,
            recipients: &env.to,
            size: raw.len(),
            decoded,
        },
    )
    .await;
    match kept {
        Ok(kept) => {
            let (id, duplicate) = (kept.id, kept.duplicate);
            store::hand_on(app, conn, &kept).await;
            metrics::counter!("tenohira_mailin_received_total", "duplicate" => duplicate.to_string()).increment(1);
            metrics::histogram!("tenohira_mailin_keep_seconds")
                .record(started.elapsed().as_secs_f64());
            format!("250 2.0.0 queued as {id}\r\n")
        }
        Err(e) => {
            tracing::warn!(error = %e, "SMTP: a mail could not be kept");
            "451 4.3.0 try again later\r\n".into()
        }
    }
}
