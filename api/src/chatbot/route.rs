//! Hybrid routing (seed §2.4(3)イ): a resident's text goes, in order, to the
//! scenario they are in, a scenario its words start, the FAQ, the
//! prefecture's external AI bot, and last the fallback message (logged as
//! unanswered). Standby-mode events are never answered. Pictures, video,
//! audio and files get a polite notice; their content is never fetched.

use std::sync::Arc;

use serde_json::{Value, json};

use super::scenario::{engine, run};
use super::talk::{self, Talk};
use super::{ai, bot};
use crate::registry::{EventContext, Registry};

/// A question longer than this is cut before searching (LINE allows 5,000).
const MAX_QUESTION_CHARS: usize = 500;
const MEDIA_NOTICE: &str =
    "画像・動画・音声・ファイルにはお答えできません。お問い合わせの内容を文字で送ってください。";

pub fn register(r: &mut Registry) {
    r.on_event("message", on_message);
    r.on_event("postback", on_postback);
}

async fn send(ctx: &EventContext, messages: &[Value]) {
    if messages.is_empty() {
        return;
    }
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
            notice(&ctx, &user).await?;
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
    let messages = answer(&ctx, &user, &text).await?;
    metrics::counter!("chatbot_questions_total").increment(1);
    send(&ctx, &messages).await;
    Ok(())
}

async fn notice(ctx: &EventContext, user: &str) -> anyhow::Result<()> {
    talk::log(
        &ctx.app,
        Talk {
            user,
            occurred_at: ctx.event.occurred_at,
            route: "notice",
            decision: "notice",
            ..Talk::default()
        },
    )
    .await?;
    send(ctx, &[json!({ "type": "text", "text": MEDIA_NOTICE })]).await;
    Ok(())
}

/// The routing proper: the first step that answers gives the reply.
pub async fn answer(ctx: &EventContext, user: &str, text: &str) -> anyhow::Result<Vec<Value>> {
    if let Some(reply) = run::on_text(ctx, user, text).await? {
        return with_faq(ctx, user, reply, text).await;
    }
    if let Some(messages) = bot::from_faq(ctx, user, text).await? {
        return Ok(messages);
    }
    if let Some(messages) = from_ai(ctx, user, text).await? {
        return Ok(messages);
    }
    talk::log(
        &ctx.app,
        Talk {
            user,
            occurred_at: ctx.event.occurred_at,
            question: text,
            route: "fallback",
            decision: "unanswered",
            ..Talk::default()
        },
    )
    .await?;
    Ok(vec![json!({ "type": "text", "text": bot::FALLBACK })])
}

/// A scenario's reply, with the FAQ answer it jumped to.
async fn with_faq(
    ctx: &EventContext,
    user: &str,
    reply: run::Reply,
    said: &str,
) -> anyhow::Result<Vec<Value>> {
    let mut messages = reply.messages;
    if let Some(id) = reply.faq {
        let answer = bot::answer_entry(ctx, user, id, said, "scenario")
            .await?
            .unwrap_or_else(|| vec![json!({ "type": "text", "text": bot::FALLBACK })]);
        messages.extend(answer);
    }
    messages.truncate(engine::MAX_MESSAGES);
    Ok(messages)
}

async fn from_ai(ctx: &EventContext, user: &str, text: &str) -> anyhow::Result<Option<Vec<Value>>> {
    if ctx.app.config.chatbot_ai_url.is_empty() {
        return Ok(None);
    }
    let request = ai::Request {
        question: text,
        context: ai::Context {
            resident: ai::pseudonym(&ctx.app, user),
            locale: "ja-JP",
            faq_candidates: vec![],
        },
    };
    let asked = ai::client(&ctx.app).ask(&ctx.app, &request).await;
    let (decision, confidence, reply) = match asked {
        ai::Asked::Answer(answer, confidence) => (
            "answered",
            Some(confidence as f32),
            Some(vec![json!({ "type": "text", "text": answer })]),
        ),
        ai::Asked::Unsure => ("unsure", None, None),
        ai::Asked::Unavailable(_) => ("unavailable", None, None),
    };
    // Logged either way: the statistics show how often the AI bot helped.
    if reply.is_some() {
        talk::log(
            &ctx.app,
            Talk {
                user,
                occurred_at: ctx.event.occurred_at,
                question: text,
                route: "ai",
                decision,
                confidence,
                ..Talk::default()
            },
        )
        .await?;
    } else {
        tracing::info!(decision, "external AI bot gave no answer; falling back");
    }
    Ok(reply)
}

/// The bot's postbacks: 「もしかして」 choices, 解決しましたか？, scenario
/// taps, and `scenario:start:<id>` from a rich menu.
async fn on_postback(ctx: Arc<EventContext>) -> anyhow::Result<()> {
    if !ctx.event.may_reply() {
        return Ok(());
    }
    let Some(user) = ctx.event.source_user_id.clone() else {
        return Ok(());
    };
    let data = ctx.event.postback_data().to_string();
    let parts: Vec<&str> = data.split(':').collect();
    let messages = match parts.as_slice() {
        ["faq", "answer", id] => {
            let Ok(id) = id.parse::<i32>() else {
                return Ok(());
            };
            Some(
                bot::answer_entry(&ctx, &user, id, "", "faq")
                    .await?
                    .unwrap_or_else(|| vec![json!({ "type": "text", "text": bot::FALLBACK })]),
            )
        }
        ["faq", "feedback", id, answer @ ("yes" | "no")] => {
            let Ok(id) = id.parse::<i64>() else {
                return Ok(());
            };
            bot::feedback(&ctx, &user, id, *answer == "yes").await?
        }
        ["scenario", "start", id] => {
            let Ok(id) = id.parse::<i32>() else {
                return Ok(());
            };
            let reply = run::start(&ctx, &user, id, None, false, "", "postback").await?;
            Some(with_faq(&ctx, &user, reply, "").await?)
        }
        ["scn", ..] => {
            let Some(choice) = engine::parse_choice_data(&data) else {
                return Ok(());
            };
            let reply = run::on_choice(&ctx, &user, choice).await?;
            Some(with_faq(&ctx, &user, reply, "").await?)
        }
        _ => None,
    };
    if let Some(messages) = messages {
        send(&ctx, &messages).await;
    }
    Ok(())
}
