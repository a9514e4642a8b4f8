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
/// The extra choice of a question that saves to an attribute: answer, keep nothing.
pub const SKIP_SAVING: &str = "保存せずに進む";

/// The consent line under a question that saves its answer to an attribute.
fn consent_line(attribute: &str) -> String {
    format!(
        "※選んだ答えは受信設定の「{attribute}」として保存され、配信の対象選びに使われます。保存しない場合は「{SKIP_SAVING}」を選んでください。"
    )
}

/// Where the answers keep an attribute value saved during this scenario
/// (a branch after the question sees it before the database does).
fn saved_key(attribute: &str) -> String {
    format!("@{attribute}")
}

/// The label of a node's `index`-th quick reply as the resident saw it
/// (a question saving to an attribute has 「保存せずに進む」 after its choices).
pub fn tapped_label(node: &Node, index: usize) -> Option<&str> {
    match &node.kind {
        Kind::Message { choices, .. } => choices.get(index).map(|c| c.label.as_str()),
        Kind::Question {
            choices, attribute, ..
        } => match choices.get(index) {
            Some(c) => Some(c.label.as_str()),
            None if attribute.is_some() && index == choices.len() => Some(SKIP_SAVING),
            None => None,
        },
        _ => None,
    }
}

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
    Faq {
        id: i32,
    },
    Scenario {
        id: i32,
    },
    Handover {
        node: String,
    },
    /// The resident chose `value` under the consent line: save it as their `attribute`.
    SaveAttribute {
        attribute: String,
        value: String,
    },
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
    /// The resident's attribute values by attribute name (option labels), for branches.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// What a waiting node did with an answer.
struct Answered {
    next: Option<String>,
    save: Option<Effect>,
}

impl<'a> Runner<'a> {
    pub fn new(graph: &'a Graph, scenario: i32, version: i32) -> Self {
        Self {
            graph,
            scenario,
            version,
            attributes: BTreeMap::new(),
        }
    }

    pub fn step(&self, at: Option<&Position>, input: Input) -> Turn {
        let mut answers = at.map(|p| p.answers.clone()).unwrap_or_default();
        let mut save = None;
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
                    Some(a) => {
                        save = a.save;
                        a.next
                    }
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
                let Some(label) = tapped_label(node, index) else {
                    return Turn::default();
                };
                match self.answer(node, label, &mut answers) {
                    Some(a) => {
                        save = a.save;
                        a.next
                    }
                    None => None,
                }
            }
        };
        let mut turn = self.run(next, answers);
        turn.effects.splice(0..0, save);
        turn
    }

    /// Where the waiting node goes with this answer; `None` if it does not take it.
    fn answer(
        &self,
        node: &Node,
        text: &str,
        answers: &mut BTreeMap<String, String>,
    ) -> Option<Answered> {
        let folded = fold(text.trim());
        match &node.kind {
            Kind::Message { choices, .. } => choices
                .iter()
                .find(|c| fold(c.label.trim()) == folded)
                .map(|c| Answered {
                    next: c.next.clone(),
                    save: None,
                }),
            Kind::Question {
                key,
                attribute,
                choices,
                next,
                ..
            } => {
                if attribute.is_some() && folded == fold(SKIP_SAVING) {
                    return Some(Answered {
                        next: next.clone(),
                        save: None,
                    });
                }
                let chosen = choices.iter().find(|c| fold(c.label.trim()) == folded);
                // With choices, only a choice answers (anything else is another
                // question); without, what the resident typed is the answer.
                if chosen.is_none() && (!choices.is_empty() || text.trim().is_empty()) {
                    return None;
                }
                let value: String = match chosen {
                    Some(c) => c.label.trim().to_string(),
                    None => text.trim().chars().take(MAX_ANSWER_CHARS).collect(),
                };
                answers.insert(key.clone(), value.clone());
                let save = attribute.as_ref().map(|a| {
                    answers.insert(saved_key(a), value.clone());
                    Effect::SaveAttribute {
                        attribute: a.clone(),
                        value,
                    }
                });
                Some(Answered {
                    next: chosen.and_then(|c| c.next.clone()).or_else(|| next.clone()),
                    save,
                })
            }
            _ => None,
        }
    }

    /// A branch's values: an answer, or the resident's values of an attribute
    /// (the one chosen in this scenario first).
    fn branch_values(
        &self,
        key: &str,
        attribute: Option<&str>,
        answers: &BTreeMap<String, String>,
    ) -> Vec<String> {
        match attribute {
            None => answers.get(key).cloned().into_iter().collect(),
            Some(a) => match answers.get(&saved_key(a)) {
                Some(v) => vec![v.clone()],
                None => self.attributes.get(a).cloned().unwrap_or_default(),
            },
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
                    cards,
                    choices,
                    next: after,
                } => {
                    let mut out = Vec::new();
                    if let Some(url) = image_url {
                        out.push(json!({ "type": "image", "originalContentUrl": url, "previewImageUrl": url }));
                    }
                    out.push(json!({ "type": "text", "text": fill(text, &answers) }));
                    if !links.is_empty() {
                        out.push(buttons("リンク", links.iter().map(uri_action).collect()));
                    }
                    if !cards.is_empty() {
                        out.push(carousel(text, cards));
                    }
                    let labels: Vec<&str> = choices.iter().map(|c| c.label.trim()).collect();
                    self.push_all(&mut turn, out, node, &labels);
                    if !choices.is_empty() {
                        turn.position = Some(Position {
                            node: id,
                            answers: answers.clone(),
                        });
                        break;
                    }
                    next = after.clone();
                }
                Kind::Question {
                    text,
                    choices,
                    attribute,
                    ..
                } => {
                    let mut body = fill(text, &answers);
                    let mut labels: Vec<&str> = choices.iter().map(|c| c.label.trim()).collect();
                    if let Some(a) = attribute {
                        body = format!("{body}\n\n{}", consent_line(a));
                        labels.push(SKIP_SAVING);
                    }
                    self.push_all(
                        &mut turn,
                        vec![json!({ "type": "text", "text": body })],
                        node,
                        &labels,
                    );
                    turn.position = Some(Position {
                        node: id,
                        answers: answers.clone(),
                    });
                    break;
                }
                Kind::Branch {
                    key,
                    attribute,
                    cases,
                    otherwise,
                } => {
                    let values: Vec<String> = self
                        .branch_values(key, attribute.as_deref(), &answers)
                        .iter()
                        .map(|v| fold(v.trim()))
                        .collect();
                    next = cases
                        .iter()
                        .find(|c| values.contains(&fold(c.equals.trim())))
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
                        // The survey's own postback: it asks in the chat, or
                        // links its LIFF page (surveys know their address).
                        Target::Survey { id } => self.push(
                            &mut turn,
                            buttons(
                                "アンケートにご協力ください",
                                vec![json!({
                                    "type": "postback", "label": "回答する",
                                    "data": format!("survey:start:{id}"), "displayText": "アンケートに回答する",
                                })],
                            ),
                        ),
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

    /// A node's messages, its quick replies on the last one (LINE shows them
    /// only there), within the reply's five.
    fn push_all(&self, turn: &mut Turn, mut out: Vec<Value>, node: &Node, labels: &[&str]) {
        if !labels.is_empty()
            && let Some(last) = out.last_mut()
        {
            last["quickReply"] = self.quick_replies(node, labels);
        }
        for m in out {
            self.push(turn, m);
        }
    }

    fn quick_replies(&self, node: &Node, labels: &[&str]) -> Value {
        let items: Vec<Value> = labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                json!({ "type": "action", "action": {
                    "type": "postback",
                    "label": label,
                    "data": choice_data(self.scenario, self.version, &node.id, i),
                    "displayText": label,
                }})
            })
            .collect();
        json!({ "items": items })
    }
}

fn uri_action(l: &super::graph::Link) -> Value {
    json!({ "type": "uri", "label": l.label.trim(), "uri": l.uri })
}

/// A carousel template: one column per card.
fn carousel(alt: &str, cards: &[super::graph::Card]) -> Value {
    let columns: Vec<Value> = cards
        .iter()
        .map(|c| {
            let mut column = json!({
                "text": c.text.trim(),
                "actions": c.links.iter().map(uri_action).collect::<Vec<_>>(),
            });
            if !c.title.trim().is_empty() {
                column["title"] = json!(c.title.trim());
            }
            if let Some(url) = &c.image_url {
                column["thumbnailImageUrl"] = json!(url);
            }
            column
        })
        .collect();
    let alt: String = alt.chars().take(400).collect();
    json!({
        "type": "template",
        "altText": if alt.trim().is_empty() { "ご案内".to_string() } else { alt },
        "template": { "type": "carousel", "columns": columns },
    })
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
        let r = Runner::new(&g, 3, 2);
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
        let r = Runner::new(&g, 1, 1);
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

    fn area() -> Graph {
        serde_json::from_value(json!({ "start": "ask", "nodes": [
            { "id": "ask", "type": "question", "text": "お住まいの地域は？", "key": "area",
              "attribute": "居住地域", "choices": [{ "label": "北部" }, { "label": "南部" }], "next": "which" },
            { "id": "which", "type": "branch", "attribute": "居住地域",
              "cases": [{ "equals": "南部", "next": "south" }], "otherwise": "north" },
            { "id": "south", "type": "message", "text": "南部の窓口です。", "links": [{ "label": "地図", "uri": "https://example.jp/s" }],
              "cards": [{ "title": "窓口A", "text": "平日9時から", "links": [{ "label": "詳しく", "uri": "https://example.jp/a" }] },
                        { "title": "窓口B", "text": "土曜も開いています", "links": [{ "label": "詳しく", "uri": "https://example.jp/b" }] }],
              "choices": [{ "label": "もどる", "next": "ask" }] },
            { "id": "north", "type": "end", "text": "北部の窓口です。" },
        ]}))
        .unwrap()
    }

    #[test]
    fn an_attribute_question_asks_for_consent_and_saves_only_a_chosen_answer() {
        let g = area();
        let r = Runner::new(&g, 5, 1);
        let first = r.step(None, Input::Start);
        let text = first.messages[0]["text"].as_str().unwrap();
        assert!(text.contains("受信設定の「居住地域」として保存"), "{text}");
        let items = first.messages[0]["quickReply"]["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[2]["action"]["label"], SKIP_SAVING);
        let at = first.position.unwrap();
        // Chosen: saved, and the branch after it sees the new value at once.
        let south = r.step(
            Some(&at),
            Input::Choice {
                node: "ask".into(),
                index: 1,
            },
        );
        assert_eq!(
            south.effects,
            [Effect::SaveAttribute {
                attribute: "居住地域".into(),
                value: "南部".into()
            }]
        );
        assert_eq!(south.visited, ["which", "south"]);
        // Skipped (tapped or typed): nothing saved, the scenario goes on.
        for input in [
            Input::Choice {
                node: "ask".into(),
                index: 2,
            },
            Input::Text("保存せずに進む".into()),
        ] {
            let skipped = r.step(Some(&at), input);
            assert!(skipped.effects.is_empty());
            assert_eq!(skipped.visited, ["which", "north"]);
        }
    }

    #[test]
    fn a_branch_on_an_attribute_reads_the_residents_values() {
        let g = area();
        let mut r = Runner::new(&g, 5, 1);
        r.attributes.insert("居住地域".into(), vec!["南部".into()]);
        let at = Position {
            node: "ask".into(),
            answers: BTreeMap::new(),
        };
        let turn = r.step(
            Some(&at),
            Input::Choice {
                node: "ask".into(),
                index: 2,
            },
        );
        assert_eq!(turn.visited, ["which", "south"]);
        // Text, link buttons, then the carousel; the quick replies ride on the last.
        assert_eq!(turn.messages.len(), 3);
        assert!(turn.messages[0].get("quickReply").is_none());
        let carousel = &turn.messages[2];
        assert_eq!(carousel["template"]["type"], "carousel");
        assert_eq!(carousel["template"]["columns"][0]["title"], "窓口A");
        assert_eq!(carousel["template"]["columns"][1]["title"], "窓口B");
        assert_eq!(
            carousel["quickReply"]["items"][0]["action"]["label"],
            "もどる"
        );
    }
}
