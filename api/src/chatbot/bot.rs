//! The bot in the LINE chat: a resident's text is answered from the FAQ
//! when one entry clearly fits, offered as 「もしかして」 choices when a few
//! might, and otherwise met with the fallback message and logged as
//! unanswered. Every decision is a row of the talk log, which the statistics
//! read. Pictures, video, audio and files get a polite notice; their content
//! is never fetched.

use std::sync::Arc;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use super::bm25::Hit;
use super::faq::{self, FaqEntry};
use crate::db::schema::chatbot_talk_log;
use crate::registry::{EventContext, Registry};

/// At or above this confidence the best entry is the answer.
pub const ANSWER_AT: f32 = 0.5;
/// At or above this, entries are offered as choices.
pub const SUGGEST_AT: f32 = 0.25;
/// Choices offered under 「もしかして」.
const SUGGESTIONS: usize = 3;
/// A question longer than this is cut before searching (LINE allows 5,000).
const MAX_QUESTION_CHARS: usize = 500;

pub const FALLBACK: &str = "申し訳ありません。お答えできる情報が見つかりませんでした。言葉を変えてもう一度お試しいただくか、担当の窓口にお問い合わせください。";
const MEDIA_NOTICE: &str =
    "画像・動画・音声・ファイルにはお答えできません。お問い合わせの内容を文字で送ってください。";
const SUGGEST_TEXT: &str = "もしかして、次のご質問ですか？当てはまるものを選んでください。";
const FEEDBACK_TEXT: &str = "解決しましたか？";

pub fn register(r: &mut Registry) {
    r.on_event("message", on_message);
    r.on_event("postback", on_postback);
}

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

async fn log(
    ctx: &EventContext,
    user: &str,
    question: &str,
    decision: &str,
    entry: Option<i32>,
    confidence: Option<f32>,
) -> anyhow::Result<i64> {
    let mut conn = ctx.app.db.get().await?;
    Ok(diesel::insert_into(chatbot_talk_log::table)
        .values((
            chatbot_talk_log::line_user_id.eq(user),
            chatbot_talk_log::occurred_at.eq(ctx.event.occurred_at),
            chatbot_talk_log::question.eq(question),
            chatbot_talk_log::decision.eq(decision),
            chatbot_talk_log::faq_entry_id.eq(entry),
            chatbot_talk_log::confidence.eq(confidence),
        ))
        .returning(chatbot_talk_log::id)
        .get_result(&mut conn)
        .await?)
}

async fn send(ctx: &EventContext, messages: &[Value]) {
    if let Err(e) = ctx.reply(messages).await {
        tracing::warn!(error = %e, event = %ctx.event.webhook_event_id, "chatbot reply not sent");
    }
}

async fn on_message(ctx: Arc<EventContext>) -> anyhow::Result<()> {
    // In standby another bot (or a person) is answering: stay silent.
    if !ctx.event.may_reply() {
        return Ok(());
    }
    let Some(user) = ctx.event.source_user_id.clone() else {
        return Ok(());
    };
    let message = &ctx.event.payload["message"];
    match message["type"].as_str() {
        Some("text") => {}
        Some("image" | "video" | "audio" | "file") => {
            log(&ctx, &user, "", "notice", None, None).await?;
            send(&ctx, &[json!({ "type": "text", "text": MEDIA_NOTICE })]).await;
            return Ok(());
        }
        // Stickers, locations: nothing to answer.
        _ => return Ok(()),
    }
    let text: String = message["text"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_QUESTION_CHARS)
        .collect();
    if text.is_empty() || crate::delivery::is_link_code(&text) {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let hits = super::index(&ctx.app)
        .search(&ctx.app, &text, SUGGESTIONS.max(1) + 2)
        .await?;
    let decision = decide(&hits);
    metrics::histogram!("chatbot_retrieval_seconds").record(started.elapsed().as_secs_f64());
    let mut conn = ctx.app.db.get().await?;
    match decision {
        Decision::Answer(hit) => {
            let entry = faq::by_ids(&mut conn, &[hit.id]).await?.pop();
            drop(conn);
            let Some(entry) = entry else {
                return unanswered(&ctx, &user, &text).await;
            };
            let id = log(
                &ctx,
                &user,
                &text,
                "answered",
                Some(entry.id),
                Some(hit.confidence),
            )
            .await?;
            send(&ctx, &answer_messages(&entry, id)).await;
        }
        Decision::Suggest(hits) => {
            let ids: Vec<i32> = hits.iter().map(|h| h.id).collect();
            let mut entries = faq::by_ids(&mut conn, &ids).await?;
            drop(conn);
            entries.sort_by_key(|e| ids.iter().position(|&i| i == e.id));
            let top = hits.as_slice().first().map(|h| h.confidence);
            log(
                &ctx,
                &user,
                &text,
                "suggested",
                entries.as_slice().first().map(|e| e.id),
                top,
            )
            .await?;
            send(&ctx, &suggestion_messages(&entries)).await;
        }
        Decision::Unanswered => {
            drop(conn);
            unanswered(&ctx, &user, &text).await?;
        }
    }
    metrics::counter!("chatbot_questions_total").increment(1);
    Ok(())
}

async fn unanswered(ctx: &EventContext, user: &str, text: &str) -> anyhow::Result<()> {
    log(ctx, user, text, "unanswered", None, None).await?;
    send(ctx, &[json!({ "type": "text", "text": FALLBACK })]).await;
    Ok(())
}

/// The bot's own postbacks: a choice under 「もしかして」, and 解決しましたか？.
async fn on_postback(ctx: Arc<EventContext>) -> anyhow::Result<()> {
    if !ctx.event.may_reply() {
        return Ok(());
    }
    let Some(user) = ctx.event.source_user_id.clone() else {
        return Ok(());
    };
    let data = ctx.event.payload["postback"]["data"]
        .as_str()
        .unwrap_or_default();
    let parts: Vec<&str> = data.split(':').collect();
    match parts.as_slice() {
        ["faq", "answer", id] => {
            let Ok(id) = id.parse::<i32>() else {
                return Ok(());
            };
            let mut conn = ctx.app.db.get().await?;
            let entry = faq::by_ids(&mut conn, &[id])
                .await?
                .pop()
                // A postback can name any id: only an entry residents may see now is answered.
                .filter(|e| e.live_at(chrono::Utc::now()));
            drop(conn);
            let Some(entry) = entry else {
                send(&ctx, &[json!({ "type": "text", "text": FALLBACK })]).await;
                return Ok(());
            };
            let log_id = log(&ctx, &user, &entry.question, "chosen", Some(entry.id), None).await?;
            send(&ctx, &answer_messages(&entry, log_id)).await;
        }
        ["faq", "feedback", id, answer @ ("yes" | "no")] => {
            let Ok(id) = id.parse::<i64>() else {
                return Ok(());
            };
            let resolved = *answer == "yes";
            let mut conn = ctx.app.db.get().await?;
            // Only the resident who was answered can say whether it helped.
            let n = diesel::update(
                chatbot_talk_log::table
                    .filter(chatbot_talk_log::id.eq(id))
                    .filter(chatbot_talk_log::line_user_id.eq(&user)),
            )
            .set(chatbot_talk_log::resolved.eq(resolved))
            .execute(&mut conn)
            .await?;
            drop(conn);
            if n == 1 {
                let text = if resolved {
                    "ありがとうございます。お役に立ててよかったです。"
                } else {
                    "お役に立てず申し訳ありません。言葉を変えてもう一度お試しいただくか、担当の窓口にお問い合わせください。"
                };
                send(&ctx, &[json!({ "type": "text", "text": text })]).await;
            }
        }
        _ => {}
    }
    Ok(())
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
