//! STARTTLS on the SMTP listener: offered in EHLO when a certificate is
//! configured; after `220` the session starts over inside TLS (EHLO again,
//! no second STARTTLS) and an alert mail is kept as in the clear; TLS 1.2 and
//! 1.3 are served, a TLS 1.1 ClientHello is refused; a renewed certificate is
//! served to the next client without a restart; a command pipelined behind
//! STARTTLS in the clear is thrown away, not run inside TLS.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::{self, ProtocolVersion};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::{alert, listen, send_mail};
use tenohira_tests::TestApp;
use tenohira_tests::smtp::{Client, Handshake};

/// A self-signed certificate for `localhost`, as PEM files in `dir`.
fn certificate(dir: &std::path::Path) -> (tenohira::tls::CertFiles, Vec<u8>) {
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let files = tenohira::tls::CertFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::write(&files.cert, issued.cert.pem()).unwrap();
    std::fs::write(&files.key, issued.signing_key.serialize_pem()).unwrap();
    (files, issued.cert.der().to_vec())
}

/// A client trusting exactly `der`, speaking only `versions`.
fn connector(der: &[u8], versions: &[&'static rustls::SupportedProtocolVersion]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der.to_vec().into()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn tls_app() -> (
    TestApp,
    std::net::SocketAddr,
    tenohira::tls::CertFiles,
    Vec<u8>,
    tempdir::Dir,
) {
    let t = super::app_with(false).await.0;
    let dir = tempdir::Dir::new();
    let (files, der) = certificate(dir.path());
    let acceptor = TlsAcceptor::from(tenohira::tls::server_config(files.clone()).unwrap());
    let addr = listen(&t, Some(acceptor), 10).await;
    (t, addr, files, der, dir)
}

/// Connects, says EHLO and STARTTLS, and shakes hands with `versions`.
async fn secured(
    addr: std::net::SocketAddr,
    der: &[u8],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> std::io::Result<(Client, Handshake)> {
    let mut c = Client::connect(addr).await;
    let ehlo = c.say("EHLO pref.example.jp").await;
    assert!(ehlo.contains("250-STARTTLS"), "{ehlo}");
    let go = c.say("STARTTLS").await;
    assert!(go.starts_with("220 2.0.0"), "{go}");
    c.into_tls(connector(der, versions)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mail_sent_inside_starttls_is_kept_and_tls_1_2_and_1_3_are_served() {
    let (t, addr, _files, der, _dir) = tls_app().await;
    let (mut c, shook) = secured(addr, &der, &[&rustls::version::TLS13])
        .await
        .unwrap();
    assert_eq!(shook.version, Some(ProtocolVersion::TLSv1_3));
    assert_eq!(shook.certificate, der);
    // The session starts over: EHLO again, and STARTTLS is no longer offered.
    let ehlo = c.say("EHLO pref.example.jp").await;
    assert!(
        ehlo.contains("8BITMIME") && !ehlo.contains("STARTTLS"),
        "{ehlo}"
    );
    assert!(c.say("STARTTLS").await.starts_with("503"));
    let done = send_mail(
        &mut c,
        "bousai@pref.example.jp",
        &alert("tls1@pref.example.jp"),
    )
    .await;
    assert!(done.starts_with("250 2.0.0 queued as"), "{done}");
    assert_eq!(t.count("inbound_mails").await, 1);

    let (mut c, shook) = secured(addr, &der, &[&rustls::version::TLS12])
        .await
        .unwrap();
    assert_eq!(shook.version, Some(ProtocolVersion::TLSv1_2));
    assert!(c.say("EHLO pref.example.jp").await.starts_with("250"));
    assert!(c.say("QUIT").await.starts_with("221"));

    // Without a certificate the listener says so and the session goes on in the clear.
    let plain = listen(&t, None, 10).await;
    let mut c = Client::connect(plain).await;
    let ehlo = c.say("EHLO pref.example.jp").await;
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(c.say("STARTTLS").await.starts_with("454 4.7.0"));
    assert!(c.say("NOOP").await.starts_with("250"));
}

/// A TLS 1.1 ClientHello (record and handshake both say 3.2), with one
/// TLS 1.1 cipher suite and no extensions.
fn tls11_client_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x02];
    body.extend_from_slice(&[7u8; 32]); // random
    body.push(0); // no session id
    body.extend_from_slice(&[0x00, 0x02, 0x00, 0x2f]); // TLS_RSA_WITH_AES_128_CBC_SHA
    body.extend_from_slice(&[0x01, 0x00]); // null compression
    let mut handshake = vec![0x01, 0, 0, body.len() as u8];
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x02, 0, handshake.len() as u8];
    record.extend_from_slice(&handshake);
    record
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_1_1_client_is_refused_and_the_listener_keeps_serving() {
    let (_t, addr, _files, der, _dir) = tls_app().await;
    let mut raw = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut greeting = [0u8; 256];
    let _ = raw.read(&mut greeting).await.unwrap();
    raw.write_all(b"EHLO old.example\r\nSTARTTLS\r\n")
        .await
        .unwrap();
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("220 2.0.0") {
        let mut buf = [0u8; 512];
        let n = raw.read(&mut buf).await.unwrap();
        assert!(n > 0, "the server left before STARTTLS's reply");
        seen.extend_from_slice(&buf[..n]);
    }
    raw.write_all(&tls11_client_hello()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        raw.read_to_end(&mut answer),
    )
    .await;
    // A fatal (2) alert record (type 21) — rustls says handshake_failure
    // (40), no ServerHello — and then the connection ends.
    assert_eq!(answer.first(), Some(&0x15), "{answer:?}");
    assert_eq!(answer.get(5), Some(&2), "{answer:?}");
    assert!(!answer.contains(&0x16), "no handshake record: {answer:?}");
    // Others are still served.
    assert!(
        secured(addr, &der, &[&rustls::version::TLS13])
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewed_certificate_is_served_to_the_next_client_without_a_restart() {
    let (_t, addr, files, der, dir) = tls_app().await;
    let (_, first) = secured(addr, &der, &[&rustls::version::TLS13])
        .await
        .unwrap();
    assert_eq!(first.certificate, der);
    // The renewal writes new files in place (a file's time moves on).
    let renewed_dir = tempdir::Dir::new();
    let (renewed, renewed_der) = certificate(renewed_dir.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::copy(&renewed.cert, &files.cert).unwrap();
    std::fs::copy(&renewed.key, &files.key).unwrap();
    let (_, second) = secured(addr, &renewed_der, &[&rustls::version::TLS13])
        .await
        .unwrap();
    assert_eq!(second.certificate, renewed_der);
    // A half-written renewal keeps the last good pair in service.
    std::fs::write(&files.key, b"-----BEGIN PRIVATE KEY-----\ntruncated").unwrap();
    let (_, third) = secured(addr, &renewed_der, &[&rustls::version::TLS13])
        .await
        .unwrap();
    assert_eq!(third.certificate, renewed_der);
    drop(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_pipelined_behind_starttls_in_the_clear_is_not_run_inside_tls() {
    let (_t, addr, _files, der, _dir) = tls_app().await;
    let mut c = Client::connect(addr).await;
    assert!(c.say("EHLO pref.example.jp").await.contains("STARTTLS"));
    // An attacker on the path appends a command to the client's STARTTLS.
    c.send(b"STARTTLS\r\nMAIL FROM:<bousai@pref.example.jp>\r\n")
        .await;
    assert!(c.reply().await.starts_with("220 2.0.0"));
    let (mut c, _) = c
        .into_tls(connector(&der, &[&rustls::version::TLS13]))
        .await
        .unwrap();
    assert!(c.say("EHLO pref.example.jp").await.starts_with("250"));
    // Had the injected MAIL FROM been kept, this RCPT would be accepted.
    let rcpt = c
        .say(&format!(
            "RCPT TO:<alerts+{}@tenohira.example>",
            super::TOKEN
        ))
        .await;
    assert!(rcpt.starts_with("503"), "{rcpt}");
}

/// A directory removed when dropped.
mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!("tenohira-tls-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
