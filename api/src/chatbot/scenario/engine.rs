//! One turn of a scenario, without the database: where the resident is,
//! what they sent, and the graph give the messages to reply, where they are
//! next and what the caller must do (answer an FAQ, start another scenario,
//! flag a hand-over). The LINE chat and the console's simulator both run it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::graph::{Graph, Kind, Node, Target};
use crate::chatbot::fold::fold;

/// A reply carries at most five messages.
pub const MAX_MESSAGES: usize = 5;
/// Nodes one turn may pass through (publishing already refuses loops that never wait).
const MAX_STEPS: usize = 50;
/// A typed answer is kept up to this many characters.
const MAX_ANSWER_CHARS: usize = 200;

/// Where a resident is: the node waiting for them and what they answered so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub node: String,
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Start,
    Text(String),
    /// A quick-reply tap: the node it was offered at and the choice's index.
    Choice {
        node: String,
        index: usize,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    Faq { id: i32 },
    Scenario { id: i32 },
    Handover { node: String },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Turn {
    pub messages: Vec<Value>,
    /// Waiting here next; `None` when the scenario ended.
    pub position: Option<Position>,
    /// The nodes passed, in order (the statistics count them).
    pub visited: Vec<String>,
    pub effects: Vec<Effect>,
    /// The resident wrote something the waiting node does not take: the
    /// scenario is left and the rest of the routing answers.
    pub unmatched: bool,
}

/// What the postback of a choice says: scenario, version, node, index.
pub fn choice_data(scenario: i32, version: i32, node: &str, index: usize) -> String {
    format!("scn:{scenario}:{version}:{node}:{index}")
}

pub fn parse_choice_data(data: &str) -> Option<(i32, i32, String, usize)> {
    let mut parts = data.splitn(5, ':');
    if parts.next()? != "scn" {
        return None;
    }
    let scenario = parts.next()?.parse().ok()?;
    let version = parts.next()?.parse().ok()?;
    let node = parts.next()?.to_string();
    let index = parts.next()?.parse().ok()?;
    Some((scenario, version, node, index))
}

pub struct Runner<'a> {
    pub graph: &'a Graph,
    pub scenario: i32,
    pub version: i32,
}

impl Runner<'_> {
    pub fn step(&self, at: Option<&Position>, input: Input) -> Turn {
        let mut answers = at.map(|p| p.answers.clone()).unwrap_or_default();
        let next = match input {
            Input::Start => Some(self.graph.start.clone()),
            Input::Text(text) => {
                let Some(node) = at.and_then(|p| self.graph.node(&p.node)) else {
                    return Turn {
                        unmatched: true,
                        ..Turn::default()
                    };
                };
                match self.answer(node, &text, &mut answers) {
                    Some(next) => next,
                    None => {
                        return Turn {
                            unmatched: true,
                            ..Turn::default()
                        };
                    }
                }
            }
            Input::Choice { node, index } => {
                // A tap on an older message's quick reply resumes from there.
                let Some(node) = self.graph.node(&node) else {
                    return Turn {
                        unmatched: true,
                        ..Turn::default()
                    };
                };
                let choices = match &node.kind {
                    Kind::Message { choices, .. } | Kind::Question { choices, .. } => choices,
                    _ => return Turn::default(),
                };
                let Some(choice) = choices.get(index) else {
                    return Turn::default();
                };
                self.answer(node, &choice.label, &mut answers)
                    .unwrap_or_default()
            }
        };
        self.run(next, answers)
    }

    /// Where the waiting node goes with this answer; `None` if it does not take it.
    fn answer(
        &self,
        node: &Node,
        text: &str,
        answers: &mut BTreeMap<String, String>,
    ) -> Option<Option<String>> {
        let folded = fold(text.trim());
        match &node.kind {
            Kind::Message { choices, .. } => choices
                .iter()
                .find(|c| fold(c.label.trim()) == folded)
                .map(|c| c.next.clone()),
            Kind::Question {
                key, choices, next, ..
            } => {
                let chosen = choices.iter().find(|c| fold(c.label.trim()) == folded);
                // With choices, only a choice answers (anything else is another
                // question); without, what the resident typed is the answer.
                if chosen.is_none() && (!choices.is_empty() || text.trim().is_empty()) {
                    return None;
                }
                let value = match chosen {
                    Some(c) => c.label.trim().to_string(),
                    None => text.trim().chars().take(MAX_ANSWER_CHARS).collect(),
                };
                answers.insert(key.clone(), value);
                Some(chosen.and_then(|c| c.next.clone()).or_else(|| next.clone()))
            }
            _ => None,
        }
    }

    fn run(&self, mut next: Option<String>, answers: BTreeMap<String, String>) -> Turn {
        let mut turn = Turn::default();
        let mut steps = 0;
        while let Some(id) = next.take() {
            steps += 1;
            let Some(node) = self.graph.node(&id) else {
                break;
            };
            if steps > MAX_STEPS {
                tracing::warn!(scenario = self.scenario, node = %id, "scenario turn stopped: too many steps");
                break;
            }
            turn.visited.push(id.clone());
            match &node.kind {
                Kind::Message {
                    text,
                    image_url,
                    links,
                    choices,
                    next: after,
                } => {
                    if let Some(url) = image_url {
                        self.push(
                            &mut turn,
                            json!({ "type": "image", "originalContentUrl": url, "previewImageUrl": url }),
                        );
                    }
                    let mut message = json!({ "type": "text", "text": fill(text, &answers) });
                    if !choices.is_empty() {
                        message["quickReply"] = self.quick_replies(node, choices);
                    }
                    self.push(&mut turn, message);
                    if !links.is_empty() {
                        let actions: Vec<Value> = links
                            .iter()
                            .map(|l| json!({ "type": "uri", "label": l.label, "uri": l.uri }))
                            .collect();
                        self.push(&mut turn, buttons("リンク", actions));
                    }
                    if !choices.is_empty() {
                        turn.position = Some(Position {
                            node: id,
                            answers: answers.clone(),
                        });
                        break;
                    }
                    next = after.clone();
                }
                Kind::Question { text, choices, .. } => {
                    let mut message = json!({ "type": "text", "text": fill(text, &answers) });
                    if !choices.is_empty() {
                        message["quickReply"] = self.quick_replies(node, choices);
                    }
                    self.push(&mut turn, message);
                    turn.position = Some(Position {
                        node: id,
                        answers: answers.clone(),
                    });
                    break;
                }
                Kind::Branch {
                    key,
                    cases,
                    otherwise,
                } => {
                    let value = answers.get(key).map(|v| fold(v.trim()));
                    next = cases
                        .iter()
                        .find(|c| value.as_deref() == Some(fold(c.equals.trim()).as_str()))
                        .map(|c| c.next.clone())
                        .or_else(|| otherwise.clone());
                }
                Kind::Jump { target } => {
                    match target {
                        Target::Faq { id } => turn.effects.push(Effect::Faq { id: *id }),
                        Target::Scenario { id } => turn.effects.push(Effect::Scenario { id: *id }),
                        Target::Liff { label, uri } => self.push(
                            &mut turn,
                            buttons(
                                label,
                                vec![json!({ "type": "uri", "label": label, "uri": uri })],
                            ),
                        ),
                        Target::Survey { id } => {
                            let uri = format!("https://liff.line.me/surveys/{id}");
                            self.push(
                                &mut turn,
                                buttons(
                                    "アンケート",
                                    vec![json!({ "type": "uri", "label": "回答する", "uri": uri })],
                                ),
                            );
                        }
                    }
                    break;
                }
                Kind::Handover { text } => {
                    self.push(
                        &mut turn,
                        json!({ "type": "text", "text": fill(text, &answers) }),
                    );
                    turn.effects.push(Effect::Handover { node: id });
                    break;
                }
                Kind::End { text } => {
                    if !text.trim().is_empty() {
                        self.push(
                            &mut turn,
                            json!({ "type": "text", "text": fill(text, &answers) }),
                        );
                    }
                    break;
                }
            }
        }
        turn
    }

    fn push(&self, turn: &mut Turn, message: Value) {
        if turn.messages.len() < MAX_MESSAGES {
            turn.messages.push(message);
        } else {
            tracing::warn!(
                scenario = self.scenario,
                "scenario turn over five messages: the rest left out"
            );
        }
    }

    fn quick_replies(&self, node: &Node, choices: &[super::graph::Choice]) -> Value {
        let items: Vec<Value> = choices
            .iter()
            .enumerate()
            .map(|(i, c)| {
                json!({ "type": "action", "action": {
                    "type": "postback",
                    "label": c.label.trim(),
                    "data": choice_data(self.scenario, self.version, &node.id, i),
                    "displayText": c.label.trim(),
                }})
            })
            .collect();
        json!({ "items": items })
    }
}

fn buttons(text: &str, actions: Vec<Value>) -> Value {
    json!({
        "type": "template",
        "altText": text,
        "template": { "type": "buttons", "text": text, "actions": actions },
    })
}

/// `{{key}}` in a text becomes the resident's answer under that key.
fn fill(text: &str, answers: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in answers {
        let token = format!("{{{{{k}}}}}");
        if out.contains(&token) {
            out = out.replace(&token, v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waste() -> Graph {
        serde_json::from_value(json!({ "start": "ask", "nodes": [
            { "id": "ask", "type": "question", "text": "どのごみですか？", "key": "kind",
              "choices": [{ "label": "燃えるごみ" }, { "label": "粗大ごみ" }], "next": "which" },
            { "id": "which", "type": "branch", "key": "kind",
              "cases": [{ "equals": "粗大ごみ", "next": "faq" }], "otherwise": "burn" },
            { "id": "burn", "type": "message", "text": "{{kind}}は月・木の朝8時までに出してください。" },
            { "id": "faq", "type": "jump", "target": { "kind": "faq", "id": 7 } },
        ]}))
        .unwrap()
    }

    #[test]
    fn a_tap_stores_the_answer_and_the_branch_uses_it() {
        let g = waste();
        let r = Runner {
            graph: &g,
            scenario: 3,
            version: 2,
        };
        let first = r.step(None, Input::Start);
        assert_eq!(first.visited, ["ask"]);
        let items = &first.messages[0]["quickReply"]["items"];
        assert_eq!(items[1]["action"]["data"], "scn:3:2:ask:1");
        let at = first.position.unwrap();
        let burn = r.step(
            Some(&at),
            Input::Choice {
                node: "ask".into(),
                index: 0,
            },
        );
        assert_eq!(burn.visited, ["which", "burn"]);
        assert_eq!(
            burn.messages[0]["text"],
            "燃えるごみは月・木の朝8時までに出してください。"
        );
        assert!(burn.position.is_none());
        // Typing the label (width and kana folded) is the same as tapping it.
        let bulky = r.step(Some(&at), Input::Text("粗大ゴミ".into()));
        assert_eq!(bulky.effects, [Effect::Faq { id: 7 }]);
        assert_eq!(bulky.visited, ["which", "faq"]);
    }

    #[test]
    fn something_else_at_a_choice_leaves_the_scenario() {
        let g: Graph = serde_json::from_value(json!({ "start": "m", "nodes": [
            { "id": "m", "type": "message", "text": "どれ？", "choices": [{ "label": "はい", "next": "e" }] },
            { "id": "e", "type": "end", "text": "おわり" },
        ]}))
        .unwrap();
        let r = Runner {
            graph: &g,
            scenario: 1,
            version: 1,
        };
        let at = r.step(None, Input::Start).position.unwrap();
        assert!(
            r.step(Some(&at), Input::Text("住民票がほしい".into()))
                .unmatched
        );
        assert_eq!(
            r.step(Some(&at), Input::Text("はい".into())).messages[0]["text"],
            "おわり"
        );
        assert_eq!(
            parse_choice_data("scn:1:1:m:0"),
            Some((1, 1, "m".into(), 0))
        );
        assert_eq!(parse_choice_data("scn:x:1:m:0"), None);
        assert_eq!(parse_choice_data("faq:answer:1"), None);
    }
}
