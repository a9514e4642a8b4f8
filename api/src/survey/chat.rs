//! Short surveys answered inside the chat: up to five choice questions,
//! each asked with quick replies. Progress travels in the postback data
//! itself (`survey:a:<id>:<version>:<picks>`, one character per question
//! in form order), so nothing is kept between taps; the last tap submits
//! through the same checks and storage as a LIFF answer (channel `chat`).
//! A forged or replayed tap is just another submission the server judges.

use std::sync::Arc;

use serde_json::{Value, json};

use super::answer::{self, Live, Submission};
use super::form::{Answers, Form, GivenAnswer, Kind, Question};
use crate::registry::EventContext;

pub const MAX_QUESTIONS: usize = 5;
/// Quick replies hold 13 items; one is kept for スキップ.
const MAX_OPTIONS: usize = 12;
const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const SKIP: char = '-';

/// The questions a chat asks, when the whole survey can be answered in
/// the chat (`None`: it cannot, and residents answer in LIFF).
pub fn questions(form: &Form) -> Option<Vec<&Question>> {
    let qs: Vec<&Question> = form
        .questions()
        .filter(|q| q.kind != Kind::Description)
        .collect();
    let fits = !qs.is_empty()
        && qs.len() <= MAX_QUESTIONS
        && form.sections.iter().all(|s| s.jumps.is_empty())
        && qs.iter().all(|q| {
            matches!(
                q.kind,
                Kind::Single | Kind::Dropdown | Kind::Rating | Kind::Consent
            ) && options(q).len() <= MAX_OPTIONS
        });
    fits.then_some(qs)
}

/// (value, label) of each option a question offers in the chat.
fn options(q: &Question) -> Vec<(String, String)> {
    match q.kind {
        Kind::Rating => (1..=q.scale.unwrap_or(5))
            .map(|n| {
                let label = match n {
                    1 if !q.low_label.is_empty() => format!("1 {}", q.low_label),
                    n if n == q.scale.unwrap_or(5) && !q.high_label.is_empty() => {
                        format!("{n} {}", q.high_label)
                    }
                    n => n.to_string(),
                };
                (n.to_string(), label)
            })
            .collect(),
        Kind::Consent => vec![("true".into(), "同意する".into())],
        _ => q
            .choices
            .iter()
            .map(|c| (c.key.clone(), c.label.clone()))
            .collect(),
    }
}

/// The answers `picks` stands for (unknown characters are ignored: the
/// final check refuses what is missing).
fn decode(qs: &[&Question], picks: &str) -> Answers {
    let mut a = Answers::new();
    for (q, c) in qs.iter().zip(picks.chars()) {
        let Some(i) = DIGITS.iter().position(|d| char::from(*d) == c) else {
            continue;
        };
        if let Some((value, _)) = options(q).into_iter().nth(i) {
            a.insert(q.key.clone(), vec![value]);
        }
    }
    a
}

fn truncated(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

/// What to do after `picks`: ask the next shown question, or submit.
enum Next<'f> {
    Ask(usize, &'f Question, String),
    Done(String),
}

fn next<'f>(form: &'f Form, qs: &[&'f Question], picks: &str) -> Next<'f> {
    let mut picks: String = picks.chars().take(qs.len()).collect();
    loop {
        let at = picks.chars().count();
        let Some(q) = qs.get(at) else {
            return Next::Done(picks);
        };
        let answers = decode(qs, &picks);
        if super::form::visible(form, &answers)
            .iter()
            .any(|v| v.key == q.key)
        {
            return Next::Ask(at, q, picks);
        }
        picks.push(SKIP);
    }
}

fn ask(live: &Live, total: usize, at: usize, q: &Question, picks: &str) -> Value {
    let data = |c: char| format!("survey:a:{}:{}:{picks}{c}", live.row.id, live.version);
    let mut items: Vec<Value> = options(q)
        .into_iter()
        .enumerate()
        .map(|(i, (_, label))| {
            json!({ "type": "action", "action": {
                "type": "postback", "label": truncated(&label, 20),
                "data": data(char::from(DIGITS[i])), "displayText": truncated(&label, 300),
            }})
        })
        .collect();
    if !q.required {
        items.push(json!({ "type": "action", "action": {
            "type": "postback", "label": "スキップ", "data": data(SKIP), "displayText": "スキップ",
        }}));
    }
    let text = format!("（{}/{}）{}", at + 1, total, q.title.trim());
    json!({ "type": "text", "text": truncated(&text, 1000), "quickReply": { "items": items } })
}

fn text(t: &str) -> Value {
    json!({ "type": "text", "text": t })
}

/// `survey:start:<id>` and `survey:a:…` postbacks.
pub async fn on_postback(ctx: Arc<EventContext>) -> anyhow::Result<()> {
    if !ctx.event.may_reply() {
        return Ok(());
    }
    let Some(user) = ctx.event.source_user_id.clone() else {
        return Ok(());
    };
    let data = ctx.event.postback_data();
    let parts: Vec<&str> = data.splitn(5, ':').collect();
    let (id, version, picks) = match parts.as_slice() {
        ["survey", "start", id] => (id.parse::<i32>().ok(), None, ""),
        ["survey", "a", id, version, picks] => {
            (id.parse().ok(), version.parse::<i32>().ok(), *picks)
        }
        _ => return Ok(()),
    };
    let Some(id) = id else { return Ok(()) };
    let reply = turn(&ctx, &user, id, version, picks).await;
    let messages = match reply {
        Ok(m) => m,
        Err(e) => vec![text(&match e {
            crate::error::AppError::Refused(_, m) => m,
            crate::error::AppError::BadInput(_) => {
                "回答を受け付けられませんでした。LIFFのページから回答してください".into()
            }
            crate::error::AppError::NotFound(_) => "このアンケートは見つかりません".into(),
            other => {
                tracing::warn!(survey = id, error = %other, "a chat answer failed");
                "ただいま回答を受け付けられません。しばらくしてからもう一度お試しください".into()
            }
        })],
    };
    if let Err(e) = ctx.reply(&messages).await {
        tracing::warn!(survey = id, error = %e, "the survey reply was not sent");
    }
    Ok(())
}

async fn turn(
    ctx: &EventContext,
    user: &str,
    id: i32,
    version: Option<i32>,
    picks: &str,
) -> crate::error::AppResult<Vec<Value>> {
    let app = &ctx.app;
    let live = answer::live(app, id, false)
        .await?
        .ok_or_else(|| crate::error::AppError::NotFound("survey".into()))?;
    let Some(qs) = questions(&live.form) else {
        // Too long for the chat: the LIFF page, one tap away.
        let title = truncated(&live.row.title, 100);
        return Ok(vec![json!({
            "type": "template",
            "altText": format!("アンケート「{title}」"),
            "template": { "type": "buttons", "text": truncated(&format!("「{title}」はこちらのページで回答できます"), 160),
                "actions": [{ "type": "uri", "label": "回答する", "uri": super::liff_url(app, id) }] },
        })]);
    };
    if version.is_some_and(|v| v != live.version) {
        return Ok(vec![text(
            "アンケートの内容が更新されました。もう一度はじめから回答してください",
        )]);
    }
    let who = answer::respondent_for(app, &live, user).await?;
    if let Some(refused) = answer::refusal(app, &live, &who).await? {
        return Err(refused);
    }
    if version.is_none() && answer::mine(app, &live, user).await?.is_some() {
        return Err(answer::already_answered());
    }
    match next(&live.form, &qs, picks) {
        Next::Ask(at, q, picks) => {
            let mut out = Vec::new();
            if at == 0 {
                out.push(text(&format!(
                    "「{}」にご協力ください。",
                    truncated(&live.row.title, 100)
                )));
            }
            out.push(ask(&live, qs.len(), at, q, &picks));
            Ok(out)
        }
        Next::Done(picks) => {
            let answers: Vec<GivenAnswer> = decode(&qs, &picks)
                .into_iter()
                .map(|(question, mut values)| GivenAnswer {
                    question,
                    value: values.pop(),
                    values: None,
                })
                .collect();
            answer::submit(
                app,
                user,
                Submission {
                    survey: id,
                    version: live.version,
                    answers,
                    channel: "chat",
                },
            )
            .await?;
            let thanks = match live.settings.thank_you.trim() {
                "" => "ご回答ありがとうございました。",
                t => t,
            };
            Ok(vec![text(thanks)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        serde_json::from_value(json!({ "sections": [{ "key": "s", "questions": [
            { "key": "a", "kind": "single", "title": "A", "required": true,
              "choices": [{ "key": "x", "label": "X" }, { "key": "y", "label": "Y" }] },
            { "key": "b", "kind": "rating", "title": "B", "scale": 5,
              "showIf": { "question": "a", "anyOf": ["y"] } },
            { "key": "c", "kind": "consent", "title": "C" }
        ]}]}))
        .unwrap_or_default()
    }

    #[test]
    fn a_hidden_question_is_skipped_and_the_picks_decode() {
        let f = form();
        let qs = questions(&f).unwrap_or_default();
        assert_eq!(qs.len(), 3);
        match next(&f, &qs, "0") {
            Next::Ask(at, q, picks) => {
                assert_eq!((at, q.key.as_str(), picks.as_str()), (2, "c", "0-"))
            }
            Next::Done(_) => panic!("c is still to ask"),
        }
        match next(&f, &qs, "1") {
            Next::Ask(at, _, _) => assert_eq!(at, 1),
            Next::Done(_) => panic!("b is shown after y"),
        }
        assert!(matches!(next(&f, &qs, "14-"), Next::Done(_)));
        let a = decode(&qs, "14-");
        assert_eq!(a["a"], vec!["y"]);
        assert_eq!(a["b"], vec!["5"]);
        assert!(!a.contains_key("c"));
    }

    #[test]
    fn free_text_keeps_a_survey_out_of_the_chat() {
        let mut f = form();
        f.sections[0].questions[2].kind = Kind::ShortText;
        assert!(questions(&f).is_none());
    }
}
