//! Signed webhooks whatever they hold: an event PostgreSQL's jsonb cannot
//! take (U+0000, a lone surrogate) is stored, repaired, with its bytes as
//! received, and never fails the valid events written in the same group;
//! random signed bodies get 2xx or 4xx, never 5xx.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tenohira_tests::{CHANNEL_SECRET, TestApp};

fn signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(CHANNEL_SECRET.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn post(http: &reqwest::Client, t: &TestApp, body: Vec<u8>) -> u16 {
    http.post(format!("{}/line/webhook", t.base))
        .header("content-type", "application/json")
        .header("x-line-signature", signature(&body))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A message event as LINE sends it, its text written raw into the JSON (escapes and all).
fn message_body(id: &str, raw_text: &str) -> Vec<u8> {
    format!(
        r#"{{"destination":"Ubot","events":[{{"type":"message","mode":"active","timestamp":1790000000000,"source":{{"type":"user","userId":"U{id}"}},"webhookEventId":"{id}","deliveryContext":{{"isRedelivery":false}},"replyToken":"r{id}","message":{{"id":"m{id}","type":"text","text":"{raw_text}"}}}}]}}"#
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poison_event_is_kept_and_its_neighbours_are_all_stored() {
    let t = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let rounds = 20;
    for round in 0..rounds {
        let mut bodies = vec![
            message_body(&format!("poison-nul-{round}"), r"nul \u0000 here"),
            message_body(&format!("poison-surrogate-{round}"), r"lone \ud800 here"),
        ];
        for i in 0..30 {
            bodies.push(message_body(&format!("valid-{round}-{i}"), "こんにちは"));
        }
        let statuses =
            futures::future::join_all(bodies.into_iter().map(|b| post(&http, &t, b))).await;
        assert!(
            statuses.iter().all(|s| *s == 200),
            "round {round}: {statuses:?}"
        );
    }
    assert_eq!(
        t.count("line_webhook_events WHERE webhook_event_id LIKE 'valid-%'")
            .await,
        rounds * 30,
        "every valid event of every group"
    );
    assert_eq!(
        t.count("line_webhook_events WHERE webhook_event_id LIKE 'poison-%' AND raw IS NOT NULL")
            .await,
        rounds * 2,
        "the poison events too, with their bytes as received"
    );
    assert_eq!(
        t.count(
            "line_webhook_events WHERE webhook_event_id = 'poison-nul-0' \
             AND payload->'message'->>'text' = 'nul \u{fffd} here' \
             AND position('\\u0000' in convert_from(raw, 'UTF8')) > 0"
        )
        .await,
        1,
        "the payload holds U+FFFD, the raw bytes the original escape"
    );
    assert_eq!(
        t.count("line_webhook_events WHERE webhook_event_id = 'poison-surrogate-0' AND payload->'message'->>'text' = 'lone \u{fffd} here'")
            .await,
        1
    );
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// JSON string content (escapes included) of a resident's message.
const STRING_PARTS: [&str; 9] = [
    r"\u0000",
    r"\ud800",
    r"\udfff",
    r"\ud83d\ude00",
    "テキスト",
    r#"\""#,
    r"\\",
    "",
    "\u{7f}",
];

fn random_text(rng: &mut Rng) -> String {
    (0..rng.below(6)).map(|_| rng.pick(&STRING_PARTS)).collect()
}

/// A random JSON text (not always valid): strings with NUL escapes, lone
/// surrogates, deep nesting, wrong types where LINE puts objects.
fn random_json(rng: &mut Rng, depth: u32) -> String {
    match rng.below(if depth > 4 { 4 } else { 8 }) {
        0 => rng.below(1 << 40).to_string(),
        1 => ["true", "false", "null", "-0.5e300"][rng.below(4) as usize].to_string(),
        2 | 3 => {
            format!("\"{}\"", random_text(rng))
        }
        4 | 5 => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n).map(|_| random_json(rng, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let keys = [
                "type",
                "webhookEventId",
                "source",
                "message",
                "text",
                "mode",
                "timestamp",
                r"k\u0000",
            ];
            let n = rng.below(5);
            let fields: Vec<String> = (0..n)
                .map(|_| format!("\"{}\":{}", rng.pick(&keys), random_json(rng, depth + 1)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn random_signed_bodies_are_answered_2xx_or_4xx_never_5xx() {
    let t = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let mut rng = Rng(0x5eed_7e40_1a2b_3c4d);
    let mut seen = std::collections::BTreeMap::new();
    for case in 0..400 {
        let body: Vec<u8> = match case % 4 {
            // Random bytes, often not UTF-8 at all.
            0 => (0..rng.below(200)).map(|_| rng.below(256) as u8).collect(),
            // Random JSON of any shape.
            1 => random_json(&mut rng, 0).into_bytes(),
            // An events array of random things.
            2 => {
                let events: Vec<String> = (0..rng.below(4))
                    .map(|_| random_json(&mut rng, 1))
                    .collect();
                format!(r#"{{"destination":"U1","events":[{}]}}"#, events.join(",")).into_bytes()
            }
            // Well-formed events with random text.
            _ => message_body(&format!("fuzz-{case}"), &random_text(&mut rng)),
        };
        let status = post(&http, &t, body.clone()).await;
        assert!(
            (200..500).contains(&status),
            "case {case} answered {status}: {:?}",
            String::from_utf8_lossy(&body)
        );
        *seen.entry(status).or_insert(0) += 1;
    }
    assert!(
        seen.contains_key(&200) && seen.contains_key(&400),
        "{seen:?}"
    );
    // Every well-formed event among them was stored.
    let stored = t
        .count("line_webhook_events WHERE webhook_event_id LIKE 'fuzz-%'")
        .await;
    assert_eq!(stored, 100, "{seen:?}");
}
