//! The SMTP listener, in real SMTP sessions over TCP: a Japanese alert mail
//! from an allowed sender is kept (decoded) before 250; a sender off the
//! allow-list, an unknown recipient and a mail over the size limit get
//! clear refusals; pipelined commands are answered in order; a resend is
//! kept as a duplicate; a client that leaves mid-DATA or sends garbage
//! leaves the listener serving others; STARTTLS (TLS 1.2 and 1.3, never
//! 1.1) with a certificate that is read again when renewed.

use base64::Engine;
use tenohira_tests::smtp::Client;
use tenohira_tests::{Options, TestApp};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;

#[path = "mailin/rules.rs"]
mod rules;
#[path = "mailin/starttls.rs"]
mod starttls;

const TOKEN: &str = "s3cret-token";
const HTTP_SECRET: &str = "intake-signing-key";

async fn app() -> (TestApp, std::net::SocketAddr) {
    app_with(false).await
}

/// The app (with its workers when mails should be acted on) and an SMTP listener.
pub async fn app_with(with_workers: bool) -> (TestApp, std::net::SocketAddr) {
    let t = TestApp::spawn_with(Options {
        env: vec![
            ("TENOHIRA_MAILIN_TOKEN", TOKEN.into()),
            ("TENOHIRA_SMTP_MAX_BYTES", "200000".into()),
            ("TENOHIRA_MAILIN_HTTP_SECRET", HTTP_SECRET.into()),
        ],
        with_workers,
    })
    .await;
    let addr = listen(&t, None, tenohira::mailin::smtp::MAX_CONNECTIONS).await;
    sql(
        &t,
        "INSERT INTO mail_senders (kind, pattern) VALUES ('domain', 'pref.example.jp'), ('address', 'kisho@jma.example.jp')",
    )
    .await;
    (t, addr)
}

/// An SMTP listener for `t`'s app on a port of its own, served until the test ends.
pub async fn listen(
    t: &TestApp,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limit: usize,
) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let a = t.app.clone();
    tokio::spawn(async move {
        let _keep = tx;
        tenohira::mailin::smtp::serve_limited(a, listener, tls, rx, limit).await
    });
    addr
}

async fn sql(t: &TestApp, q: &str) {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(q)
        .execute(&mut t.db().await)
        .await
        .unwrap();
}

/// An ISO-2022-JP alert naming 川口市, as the prefecture's mailer writes it.
fn alert(message_id: &str) -> Vec<u8> {
    let (subject, _, _) = encoding_rs::ISO_2022_JP.encode("【避難指示】川口市");
    let (body, _, _) =
        encoding_rs::ISO_2022_JP.encode("川口市は①芝地区に避難指示を発令しました。\r\n");
    let subject = base64::engine::general_purpose::STANDARD.encode(subject);
    let mut m = format!(
        "From: bousai@pref.example.jp\r\nTo: alerts+{TOKEN}@tenohira.example\r\nSubject: =?ISO-2022-JP?B?{subject}?=\r\n\
         Message-ID: <{message_id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(&body);
    m
}

async fn send_mail(c: &mut Client, from: &str, raw: &[u8]) -> String {
    assert!(
        c.say(&format!("MAIL FROM:<{from}>"))
            .await
            .starts_with("250")
    );
    assert!(
        c.say(&format!("RCPT TO:<alerts+{TOKEN}@tenohira.example>"))
            .await
            .starts_with("250")
    );
    assert!(c.say("DATA").await.starts_with("354"));
    c.send(raw).await;
    c.say("\r\n.").await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_japanese_alert_is_kept_decoded_before_250_and_others_are_refused_clearly() {
    let (t, addr) = app().await;
    let mut c = Client::connect(addr).await;
    let ehlo = c.say("EHLO pref.example.jp").await;
    for ext in ["SIZE 200000", "8BITMIME", "PIPELINING"] {
        assert!(ehlo.contains(ext), "{ehlo}");
    }
    let done = send_mail(
        &mut c,
        "Bousai@Pref.Example.jp",
        &alert("a1@pref.example.jp"),
    )
    .await;
    assert!(done.starts_with("250 2.0.0 queued as"), "{done}");
    #[derive(diesel::QueryableByName)]
    struct Mail {
        #[diesel(sql_type = diesel::sql_types::Text)]
        subject: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        body: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
    }
    let kept = || async {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("SELECT subject, body, status FROM inbound_mails ORDER BY id")
            .load::<Mail>(&mut t.db().await)
            .await
            .unwrap()
    };
    let mails = kept().await;
    assert_eq!(mails.len(), 1, "kept before the 250");
    assert_eq!(mails[0].subject, "【避難指示】川口市");
    assert!(mails[0].body.contains("①芝地区"), "{}", mails[0].body);

    // The same alert again (a new Message-ID): kept as a duplicate.
    assert!(
        send_mail(
            &mut c,
            "bousai@pref.example.jp",
            &alert("a2@pref.example.jp")
        )
        .await
        .starts_with("250")
    );
    assert_eq!(kept().await[1].status, "duplicate");

    // A sender off the allow-list, an unknown recipient, commands out of order.
    assert!(
        c.say("MAIL FROM:<spam@evil.example>")
            .await
            .starts_with("550 5.7.1")
    );
    assert!(
        c.say("RCPT TO:<alerts+x@tenohira.example>")
            .await
            .starts_with("503")
    );
    assert!(
        c.say("MAIL FROM:<kisho@jma.example.jp>")
            .await
            .starts_with("250")
    );
    assert!(
        c.say("RCPT TO:<alerts+wrong@tenohira.example>")
            .await
            .starts_with("550 5.1.1")
    );
    assert!(
        c.say("RCPT TO:<someone@tenohira.example>")
            .await
            .starts_with("550 5.1.1")
    );
    assert!(c.say("DATA").await.starts_with("503"));
    assert!(c.say("RSET").await.starts_with("250"));
    // Too big: announced, or found out during DATA (the session goes on).
    assert!(
        c.say("MAIL FROM:<kisho@jma.example.jp> SIZE=300000")
            .await
            .starts_with("552")
    );
    let big = vec![b'a'; 250_000];
    let mut raw = b"Subject: big\r\n\r\n".to_vec();
    for line in big.chunks(998) {
        raw.extend_from_slice(line);
        raw.extend_from_slice(b"\r\n");
    }
    let r = send_mail(&mut c, "kisho@jma.example.jp", &raw[..raw.len() - 2]).await;
    assert!(r.starts_with("552 5.3.4"), "{r}");
    assert!(
        c.say("NOOP").await.starts_with("250"),
        "the session goes on"
    );
    assert!(c.say("STARTTLS").await.starts_with("454"));
    assert!(c.say("QUIT").await.starts_with("221"));
    assert_eq!(kept().await.len(), 2, "nothing refused was kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn pipelined_commands_are_answered_in_order_and_bad_clients_do_not_stop_the_listener() {
    let (t, addr) = app().await;
    // A client that leaves mid-DATA, and one that sends garbage.
    {
        let mut c = Client::connect(addr).await;
        c.say("EHLO x").await;
        c.say("MAIL FROM:<bousai@pref.example.jp>").await;
        c.say(&format!("RCPT TO:<alerts+{TOKEN}@x>")).await;
        c.say("DATA").await;
        c.send(b"Subject: half\r\n\r\nhalf a mail").await;
    }
    {
        let mut c = Client::connect(addr).await;
        let mut junk: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
        junk.extend_from_slice(b"\r\n");
        c.send(&junk).await;
        let r = c.reply().await;
        assert!(r.starts_with('5'), "{r}");
        assert!(c.say("HELP").await.starts_with("502"));
    }
    // Pipelined: every command in one write, the replies in order.
    let mut c = Client::connect(addr).await;
    let mut all = format!(
        "EHLO x\r\nMAIL FROM:<bousai@pref.example.jp>\r\nRCPT TO:<alerts+{TOKEN}@x>\r\nDATA\r\n"
    )
    .into_bytes();
    c.send(&all).await;
    for code in ["250", "250", "250", "354"] {
        let r = c.reply().await;
        assert!(r.starts_with(code), "{code}: {r}");
    }
    all = alert("p1@pref.example.jp");
    all.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
    c.send(&all).await;
    assert!(c.reply().await.starts_with("250"));
    assert!(c.reply().await.starts_with("221"));
    assert_eq!(
        t.count("inbound_mails").await,
        1,
        "the half mail was not kept"
    );
}

fn sign(body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(HTTP_SECRET.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mail_service_posts_signed_raw_mail_and_unsigned_or_unknown_senders_are_refused() {
    let (t, _) = app().await;
    let http = reqwest::Client::new();
    let post = |body: Vec<u8>, signature: String| {
        let http = http.clone();
        let url = format!("{}/mail/intake", t.base);
        async move {
            http.post(url)
                .header("x-tenohira-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let mail = alert("h1@pref.example.jp");
    let r = post(mail.clone(), sign(&mail)).await;
    assert_eq!(r.status(), 202);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["duplicate"], false, "{body}");
    // A wrong signature, a changed body, a sender off the allow-list.
    assert_eq!(post(mail.clone(), sign(b"other")).await.status(), 401);
    let mut changed = mail.clone();
    changed.extend_from_slice("追記".as_bytes());
    assert_eq!(post(changed, sign(&mail)).await.status(), 401);
    let stranger = String::from_utf8_lossy(&mail)
        .replace("From: bousai@pref.example.jp", "From: someone@evil.example")
        .into_bytes();
    assert_eq!(post(stranger.clone(), sign(&stranger)).await.status(), 403);
    assert_eq!(t.count("inbound_mails").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_beyond_the_connection_limit_are_told_421_and_a_freed_slot_serves_again() {
    let t = TestApp::spawn().await;
    let addr = listen(&t, None, 2).await;
    let first = Client::connect(addr).await;
    let _second = Client::connect(addr).await;
    let (r, _w) = TcpStream::connect(addr).await.unwrap().into_split();
    let mut line = String::new();
    BufReader::new(r).read_line(&mut line).await.unwrap();
    assert!(line.starts_with("421 4.3.2"), "{line}");
    drop(first);
    // The slot is freed once the session notices the client left.
    let mut served = false;
    for _ in 0..50 {
        let (r, _w) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut line = String::new();
        BufReader::new(r).read_line(&mut line).await.unwrap();
        if line.starts_with("220") {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(served, "a freed slot serves a new client");
}
