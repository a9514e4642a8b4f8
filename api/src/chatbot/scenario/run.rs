//! Scenarios in the LINE chat: a resident in one goes on from where they
//! are; their words can start one (its triggers); a quick-reply tap or a
//! rich-menu postback moves them. Testers (delivery's tester accounts)
//! get a scenario's newest version, draft or not: the test channel.

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::Value;

use super::engine::{Effect, Input, Position, Runner, Turn};
use super::store::{self, Session};
use crate::chatbot::fold::fold;
use crate::chatbot::talk::{self, Talk};
use crate::registry::EventContext;

/// A resident silent this long has left the scenario.
pub const SESSION_MINUTES: i64 = 30;

/// What the scenario did with the resident's message.
pub enum Outcome {
    /// Answered: these messages are the reply.
    Replied(Vec<Value>),
    /// Not the scenario's: routing goes on.
    NotMine,
}

/// A reply's messages and the FAQ the scenario jumped to (the bot adds its answer).
pub struct Reply {
    pub messages: Vec<Value>,
    pub faq: Option<i32>,
}

fn trigger_matches(text: &str, trigger: &str) -> bool {
    let strip = |s: &str| {
        fold(s)
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_string()
    };
    let t = strip(trigger);
    !t.is_empty() && strip(text) == t
}

/// The resident's text, inside a scenario or as a trigger.
pub async fn on_text(ctx: &EventContext, user: &str, text: &str) -> anyhow::Result<Option<Reply>> {
    let mut conn = ctx.app.db.get().await?;
    if let Some(session) = store::session_of(&mut conn, user).await? {
        drop(conn);
        let fresh = Utc::now() - session.updated_at < chrono::Duration::minutes(SESSION_MINUTES);
        if fresh {
            let reply = resume(ctx, user, &session, Input::Text(text.to_string()), text).await?;
            if reply.is_some() {
                return Ok(reply);
            }
        } else {
            dropped(ctx, &session).await?;
        }
        conn = ctx.app.db.get().await?;
    }
    // Which scenario the words start, if any; only then does it matter
    // whether the resident is a tester (most messages are questions).
    let matched: Vec<store::Triggers> = store::triggers(&mut conn)
        .await?
        .into_iter()
        .filter(|s| s.triggers.iter().any(|t| trigger_matches(text, t)))
        .collect();
    if matched.is_empty() {
        return Ok(None);
    }
    let tester = crate::delivery::is_tester(&mut conn, user).await?;
    drop(conn);
    let chosen = matched.iter().find_map(|s| match (tester, s.live) {
        (true, _) => Some((s.id, s.newest)),
        (false, Some(live)) => Some((s.id, live)),
        (false, None) => None,
    });
    let Some((id, version)) = chosen else {
        return Ok(None);
    };
    start(ctx, user, id, Some(version), tester, text, "keyword")
        .await
        .map(Some)
}

/// The turn engine for a resident, with their attributes when the graph branches on one.
async fn runner<'a>(
    ctx: &EventContext,
    user: &str,
    graph: &'a super::graph::Graph,
    scenario: i32,
    version: i32,
) -> anyhow::Result<Runner<'a>> {
    let mut r = Runner::new(graph, scenario, version);
    if graph.branches_on_attributes() {
        let mut conn = ctx.app.db.get().await?;
        r.attributes = crate::audience::chat::values_of(&mut conn, user).await?;
    }
    Ok(r)
}

/// Starts a scenario: its live version, or `version` for a tester.
pub async fn start(
    ctx: &EventContext,
    user: &str,
    id: i32,
    version: Option<i32>,
    testing: bool,
    said: &str,
    route: &'static str,
) -> anyhow::Result<Reply> {
    let mut conn = ctx.app.db.get().await?;
    let live = store::find_live(&mut conn, id).await?;
    let version = match (version, testing) {
        (Some(v), true) => Some(v),
        _ => live,
    };
    let graph = match version {
        Some(v) => store::version(&mut conn, id, v).await?,
        None => None,
    };
    drop(conn);
    let (Some(v), Some(graph)) = (version, graph) else {
        return Ok(Reply {
            messages: vec![],
            faq: None,
        });
    };
    let graph = graph.graph()?;
    let turn = runner(ctx, user, &graph, id, v)
        .await?
        .step(None, Input::Start);
    finish(ctx, user, (id, v), testing, turn, said, route).await
}

async fn resume(
    ctx: &EventContext,
    user: &str,
    session: &Session,
    input: Input,
    said: &str,
) -> anyhow::Result<Option<Reply>> {
    let mut conn = ctx.app.db.get().await?;
    let Some(version) = store::version(&mut conn, session.scenario_id, session.version).await?
    else {
        store::end_session(&mut conn, user).await?;
        return Ok(None);
    };
    drop(conn);
    let graph = version.graph()?;
    // A tap is logged as the label the resident saw.
    let said = match &input {
        Input::Choice { node, index } => graph
            .node(node)
            .and_then(|n| super::engine::tapped_label(n, *index))
            .unwrap_or_default()
            .to_string(),
        _ => said.to_string(),
    };
    let answers: BTreeMap<String, String> =
        serde_json::from_value(session.answers.clone()).unwrap_or_default();
    let at = Position {
        node: session.node_id.clone(),
        answers,
    };
    let turn = runner(ctx, user, &graph, session.scenario_id, session.version)
        .await?
        .step(Some(&at), input);
    if turn.unmatched {
        // The resident asked something else: the scenario steps aside.
        dropped(ctx, session).await?;
        return Ok(None);
    }
    finish(
        ctx,
        user,
        (session.scenario_id, session.version),
        session.testing,
        turn,
        &said,
        "scenario",
    )
    .await
    .map(Some)
}

/// A quick-reply tap inside a scenario (`scn:…`).
pub async fn on_choice(
    ctx: &EventContext,
    user: &str,
    (id, version, node, index): (i32, i32, String, usize),
) -> anyhow::Result<Reply> {
    let mut conn = ctx.app.db.get().await?;
    let session = store::session_of(&mut conn, user).await?;
    drop(conn);
    // The tap names its version; a session of that scenario keeps its answers.
    let nothing = || Reply {
        messages: vec![],
        faq: None,
    };
    let session = match session {
        Some(s) if s.scenario_id == id && s.version == version => s,
        _ => {
            // A postback can name any scenario and version: outside its own
            // session a resident taps only into a version that has been live;
            // a draft is for testers.
            let mut conn = ctx.app.db.get().await?;
            let shown = store::version(&mut conn, id, version)
                .await?
                .is_some_and(|v| v.published_at.is_some());
            let tester = !shown && crate::delivery::is_tester(&mut conn, user).await?;
            if !shown && !tester {
                return Ok(nothing());
            }
            Session {
                line_user_id: user.to_string(),
                scenario_id: id,
                version,
                node_id: node.clone(),
                answers: Value::Object(Default::default()),
                testing: tester,
                updated_at: Utc::now(),
            }
        }
    };
    Ok(
        resume(ctx, user, &session, Input::Choice { node, index }, "")
            .await?
            .unwrap_or_else(nothing),
    )
}

/// Records the turn, keeps or ends the session, and carries out its effects.
async fn finish(
    ctx: &EventContext,
    user: &str,
    (id, version): (i32, i32),
    testing: bool,
    turn: Turn,
    said: &str,
    route: &'static str,
) -> anyhow::Result<Reply> {
    let mut conn = ctx.app.db.get().await?;
    let mut faq = None;
    let mut messages = turn.messages;
    let mut decision = if turn.position.is_some() {
        "step"
    } else {
        "ended"
    };
    for effect in &turn.effects {
        match effect {
            Effect::Faq { id } => faq = Some(*id),
            Effect::Handover { node } => {
                decision = "handover";
                store::open_handover(&mut conn, user, id, node).await?;
            }
            Effect::Scenario { id: next } if *next != id => {
                drop(conn);
                let more = Box::pin(start(ctx, user, *next, None, false, "", "scenario")).await?;
                messages.extend(more.messages);
                faq = faq.or(more.faq);
                conn = ctx.app.db.get().await?;
            }
            Effect::Scenario { .. } => {}
            // A tester's draft never writes to their settings.
            Effect::SaveAttribute { .. } if testing => {}
            Effect::SaveAttribute { attribute, value } => {
                let saved =
                    crate::audience::chat::save_chosen(&mut conn, user, attribute, value).await?;
                if !saved {
                    tracing::info!(scenario = id, attribute = %attribute, "chat answer not saved: no such friend, attribute or option");
                }
            }
        }
    }
    match &turn.position {
        Some(p) => {
            store::save_session(
                &mut conn,
                &Session {
                    line_user_id: user.to_string(),
                    scenario_id: id,
                    version,
                    node_id: p.node.clone(),
                    answers: serde_json::to_value(&p.answers)?,
                    testing,
                    updated_at: Utc::now(),
                },
            )
            .await?;
        }
        None if !turn
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Scenario { .. })) =>
        {
            store::end_session(&mut conn, user).await?;
        }
        None => {}
    }
    drop(conn);
    let node = turn
        .position
        .as_ref()
        .map(|p| p.node.clone())
        .or_else(|| turn.visited.last().cloned());
    talk::log(
        &ctx.app,
        Talk {
            user,
            occurred_at: ctx.event.occurred_at,
            question: said,
            route,
            decision,
            faq_entry: faq,
            scenario: Some((id, version)),
            node: node.as_deref(),
            ..Talk::default()
        },
    )
    .await?;
    Ok(Reply { messages, faq })
}

/// The resident left a scenario at a node that waited for them (the drop-off figure).
async fn dropped(ctx: &EventContext, session: &Session) -> anyhow::Result<()> {
    let mut conn = ctx.app.db.get().await?;
    store::end_session(&mut conn, &session.line_user_id).await?;
    drop(conn);
    talk::log(
        &ctx.app,
        Talk {
            user: &session.line_user_id,
            occurred_at: ctx.event.occurred_at,
            route: "scenario",
            decision: "dropped",
            scenario: Some((session.scenario_id, session.version)),
            node: Some(&session.node_id),
            ..Talk::default()
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_trigger_matches_the_whole_message_whatever_the_width_or_kana() {
        use super::trigger_matches as m;
        assert!(m("ごみの出し方", "ごみの出し方"));
        assert!(m("ゴミの出し方！", "ごみの出し方"));
        assert!(m(" ｺﾞﾐの出し方 ", "ごみの出し方"));
        assert!(!m("粗大ごみの出し方を教えて", "ごみの出し方"));
        assert!(!m("!!", "!!"));
    }
}
