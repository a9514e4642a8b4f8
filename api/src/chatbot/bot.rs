//! The FAQ's part of the bot: a resident's text is answered from the FAQ
//! when one entry clearly fits and offered as 「もしかして」 choices when a
//! few might; 解決しましたか？ records whether it helped. Every decision is a
//! row of the talk log, which the statistics read.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use super::bm25::Hit;
use super::faq::{self, FaqEntry};
use super::talk::{self, Talk};
use crate::db::schema::chatbot_talk_log;
use crate::registry::EventContext;

/// At or above this confidence the best entry is the answer.
pub const ANSWER_AT: f32 = 0.5;
/// At or above this, entries are offered as choices.
pub const SUGGEST_AT: f32 = 0.25;
/// Choices offered under 「もしかして」.
const SUGGESTIONS: usize = 3;

pub const FALLBACK: &str = "申し訳ありません。お答えできる情報が見つかりませんでした。言葉を変えてもう一度お試しいただくか、担当の窓口にお問い合わせください。";
const SUGGEST_TEXT: &str = "もしかして、次のご質問ですか？当てはまるものを選んでください。";
const FEEDBACK_TEXT: &str = "解決しましたか？";

/// What the bot decided for one question.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    Answer(Hit),
    Suggest(Vec<Hit>),
    Unanswered,
}

/// The runner-up must score below this share of the best for the best to
/// be the answer: 母子手帳 alone fits a dozen entries equally, and then the
/// resident chooses.
pub const MARGIN: f32 = 0.9;

pub fn decide(hits: &[Hit]) -> Decision {
    decide_with(hits, ANSWER_AT, MARGIN)
}

/// `decide` with its thresholds given (the evaluation tries several).
pub fn decide_with(hits: &[Hit], answer_at: f32, margin: f32) -> Decision {
    let clear = |top: &Hit| {
        hits.get(1)
            .is_none_or(|second| second.score < top.score * margin)
    };
    match hits.first() {
        Some(top) if top.confidence >= answer_at && clear(top) => Decision::Answer(top.clone()),
        Some(_) => {
            let close: Vec<Hit> = hits
                .iter()
                .filter(|h| h.confidence >= SUGGEST_AT)
                .take(SUGGESTIONS)
                .cloned()
                .collect();
            if close.is_empty() {
                Decision::Unanswered
            } else {
                Decision::Suggest(close)
            }
        }
        None => Decision::Unanswered,
    }
}

fn truncated(s: &str, max_utf16: usize) -> String {
    if s.encode_utf16().count() <= max_utf16 {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if out.encode_utf16().count() + c.len_utf16() > max_utf16 - 1 {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn postback(label: &str, data: String, display: &str) -> Value {
    json!({ "type": "action", "action": {
        "type": "postback", "label": truncated(label, 20), "data": data, "displayText": truncated(display, 300)
    }})
}

/// The answer and a 解決しましたか？ with はい／いいえ tied to the log row.
fn answer_messages(entry: &FaqEntry, log_id: i64) -> Vec<Value> {
    vec![
        json!({ "type": "text", "text": truncated(&entry.answer, faq::MAX_ANSWER_UTF16) }),
        json!({ "type": "text", "text": FEEDBACK_TEXT, "quickReply": { "items": [
            postback("はい", format!("faq:feedback:{log_id}:yes"), "はい、解決しました"),
            postback("いいえ", format!("faq:feedback:{log_id}:no"), "いいえ、解決しませんでした"),
        ]}}),
    ]
}

fn suggestion_messages(entries: &[FaqEntry]) -> Vec<Value> {
    let items: Vec<Value> = entries
        .iter()
        .map(|e| postback(&e.question, format!("faq:answer:{}", e.id), &e.question))
        .collect();
    vec![json!({ "type": "text", "text": SUGGEST_TEXT, "quickReply": { "items": items } })]
}

/// The FAQ's step of the routing: an answer, 「もしかして」 choices, or
/// `None` when nothing is close (the next step tries).
pub async fn from_faq(
    ctx: &EventContext,
    user: &str,
    text: &str,
) -> anyhow::Result<Option<Vec<Value>>> {
    let started = std::time::Instant::now();
    let hits = super::index(&ctx.app)
        .search(&ctx.app, text, SUGGESTIONS.max(1) + 2)
        .await?;
    let decision = decide(&hits);
    metrics::histogram!("chatbot_retrieval_seconds").record(started.elapsed().as_secs_f64());
    let talk = |decision, entry, confidence| Talk {
        user,
        occurred_at: ctx.event.occurred_at,
        question: text,
        route: "faq",
        decision,
        faq_entry: entry,
        confidence,
        ..Talk::default()
    };
    let mut conn = ctx.app.db.get().await?;
    match decision {
        Decision::Answer(hit) => {
            let entry = faq::by_ids(&mut conn, &[hit.id]).await?.pop();
            drop(conn);
            let Some(entry) = entry else {
                return Ok(None);
            };
            let id = talk::log(
                &ctx.app,
                talk("answered", Some(entry.id), Some(hit.confidence)),
            )
            .await?;
            Ok(Some(answer_messages(&entry, id)))
        }
        Decision::Suggest(hits) => {
            let ids: Vec<i32> = hits.iter().map(|h| h.id).collect();
            let mut entries = faq::by_ids(&mut conn, &ids).await?;
            drop(conn);
            entries.sort_by_key(|e| ids.iter().position(|&i| i == e.id));
            let top = hits.as_slice().first().map(|h| h.confidence);
            talk::log(
                &ctx.app,
                talk("suggested", entries.as_slice().first().map(|e| e.id), top),
            )
            .await?;
            Ok(Some(suggestion_messages(&entries)))
        }
        Decision::Unanswered => Ok(None),
    }
}

/// The entry's answer with its feedback buttons, logged as reached from `route`
/// (a choice under 「もしかして」, or a scenario's jump).
pub async fn answer_entry(
    ctx: &EventContext,
    user: &str,
    id: i32,
    said: &str,
    route: &'static str,
) -> anyhow::Result<Option<Vec<Value>>> {
    let mut conn = ctx.app.db.get().await?;
    let entry = faq::by_ids(&mut conn, &[id])
        .await?
        .pop()
        // A postback can name any id: only an entry residents may see now is answered.
        .filter(|e| e.live_at(chrono::Utc::now()));
    drop(conn);
    let Some(entry) = entry else {
        return Ok(None);
    };
    let log_id = talk::log(
        &ctx.app,
        Talk {
            user,
            occurred_at: ctx.event.occurred_at,
            // A tap says nothing itself: the entry's question stands for it.
            question: if said.is_empty() {
                &entry.question
            } else {
                said
            },
            route,
            decision: "chosen",
            faq_entry: Some(entry.id),
            ..Talk::default()
        },
    )
    .await?;
    Ok(Some(answer_messages(&entry, log_id)))
}

/// 解決しましたか？: only the resident who was answered can say whether it helped.
pub async fn feedback(
    ctx: &EventContext,
    user: &str,
    log_id: i64,
    resolved: bool,
) -> anyhow::Result<Option<Vec<Value>>> {
    let mut conn = ctx.app.db.get().await?;
    let n = diesel::update(
        chatbot_talk_log::table
            .filter(chatbot_talk_log::id.eq(log_id))
            .filter(chatbot_talk_log::line_user_id.eq(user)),
    )
    .set(chatbot_talk_log::resolved.eq(resolved))
    .execute(&mut conn)
    .await?;
    if n != 1 {
        return Ok(None);
    }
    let text = if resolved {
        "ありがとうございます。お役に立ててよかったです。"
    } else {
        "お役に立てず申し訳ありません。言葉を変えてもう一度お試しいただくか、担当の窓口にお問い合わせください。"
    };
    Ok(Some(vec![json!({ "type": "text", "text": text })]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: i32, confidence: f32) -> Hit {
        Hit {
            id,
            score: 1.0,
            confidence,
        }
    }

    #[test]
    fn confident_answers_close_ones_are_offered_and_far_ones_fall_back() {
        let mut best = hit(1, 0.9);
        best.score = 2.0;
        assert_eq!(
            decide(&[best.clone(), hit(2, 0.5)]),
            Decision::Answer(best.clone())
        );
        // As good a runner-up: the resident chooses.
        assert!(matches!(
            decide(&[hit(1, 0.9), hit(2, 0.9)]),
            Decision::Suggest(_)
        ));
        assert_eq!(
            decide(&[hit(1, 0.4), hit(2, 0.3), hit(3, 0.1)]),
            Decision::Suggest(vec![hit(1, 0.4), hit(2, 0.3)])
        );
        assert_eq!(decide(&[hit(1, 0.1)]), Decision::Unanswered);
        assert_eq!(decide(&[]), Decision::Unanswered);
    }

    #[test]
    fn labels_and_texts_fit_lines_limits() {
        let label = truncated("粗大ごみの出し方と申し込み方法を教えてください", 20);
        assert_eq!(label.encode_utf16().count(), 20);
        assert!(label.ends_with('…'));
        assert_eq!(truncated("短い", 20), "短い");
        assert!(truncated(&"🙂".repeat(30), 20).encode_utf16().count() <= 20);
    }
}
