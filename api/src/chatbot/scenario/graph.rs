//! A scenario as staff draw it: nodes and the edges their choices, branches
//! and `next` fields name. Drafts may be unfinished; publishing refuses a
//! graph a resident could get stuck in (an edge to nowhere, a loop with no
//! way out, a loop that never waits for the resident), naming the node path.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::Problems;

/// LINE allows 13 quick-reply buttons and 4 actions on a buttons template.
pub const MAX_CHOICES: usize = 13;
pub const MAX_LINKS: usize = 4;
/// A carousel holds up to 10 cards of up to 3 links each (LINE's template limits).
pub const MAX_CARDS: usize = 10;
pub const MAX_CARD_LINKS: usize = 3;
pub const MAX_NODES: usize = 200;
const MAX_TEXT_UTF16: usize = 5000;
const MAX_LABEL_UTF16: usize = 20;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    pub start: String,
    pub nodes: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    /// A name staff read in the flow chart (the text's start when empty).
    #[serde(default)]
    pub title: String,
    #[serde(flatten)]
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Kind {
    /// Text (with an optional image and link buttons); with choices it waits
    /// for a tap, otherwise it goes on to `next` or ends.
    Message {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        links: Vec<Link>,
        /// A carousel of cards sent after the text (each with its own links).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cards: Vec<Card>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        choices: Vec<Choice>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<String>,
    },
    /// Asks and keeps the answer under `key`: with choices, the one tapped (or
    /// its label typed); without, what the resident typed. Then `next`, or a
    /// choice's own edge. With `attribute`, a tapped answer is also saved as
    /// that attribute of the resident's 受信設定 — only when they choose it
    /// under the consent line the bot adds, which offers 「保存せずに進む」 too.
    Question {
        text: String,
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attribute: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        choices: Vec<Choice>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<String>,
    },
    /// Goes where the answer under `key` — or, with `attribute`, one of the
    /// resident's values of that attribute — equals a case, else `otherwise`.
    Branch {
        #[serde(default)]
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attribute: Option<String>,
        cases: Vec<Case>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        otherwise: Option<String>,
    },
    /// Leaves the scenario for an FAQ answer, another scenario, a survey or a LIFF page.
    Jump { target: Target },
    /// Asks a person to take over: the resident is told, staff see a flag.
    Handover { text: String },
    End {
        #[serde(default)]
        text: String,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub uri: String,
}

/// One card of a carousel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Card {
    #[serde(default)]
    pub title: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    pub links: Vec<Link>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub equals: String,
    pub next: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    Faq { id: i32 },
    Scenario { id: i32 },
    Survey { id: i32 },
    Liff { label: String, uri: String },
}

impl Node {
    /// Every edge leaving the node, with the field path that names it.
    pub fn edges(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = Vec::new();
        match &self.kind {
            Kind::Message { choices, next, .. } | Kind::Question { choices, next, .. } => {
                for (i, c) in choices.iter().enumerate() {
                    if let Some(to) = &c.next {
                        out.push((format!("choices[{i}].next"), to));
                    }
                }
                if let Some(to) = next {
                    out.push(("next".into(), to));
                }
            }
            Kind::Branch {
                cases, otherwise, ..
            } => {
                for (i, c) in cases.iter().enumerate() {
                    out.push((format!("cases[{i}].next"), c.next.as_str()));
                }
                if let Some(to) = otherwise {
                    out.push(("otherwise".into(), to));
                }
            }
            Kind::Jump { .. } | Kind::Handover { .. } | Kind::End { .. } => {}
        }
        out
    }

    /// The quick-reply choices the node offers.
    pub fn choices(&self) -> &[Choice] {
        match &self.kind {
            Kind::Message { choices, .. } | Kind::Question { choices, .. } => choices,
            _ => &[],
        }
    }

    /// The node stops the turn to wait for the resident.
    pub fn waits(&self) -> bool {
        match &self.kind {
            Kind::Message { choices, .. } => !choices.is_empty(),
            Kind::Question { .. } => true,
            _ => false,
        }
    }

    /// The scenario can end here (nothing follows).
    pub fn ends(&self) -> bool {
        match &self.kind {
            Kind::Jump { .. } | Kind::Handover { .. } | Kind::End { .. } => true,
            Kind::Message { choices, next, .. } => choices.is_empty() && next.is_none(),
            // A question whose choices have no edges of their own needs `next`.
            Kind::Question { .. } => false,
            // No case fits and no `otherwise`: the scenario ends.
            Kind::Branch { otherwise, .. } => otherwise.is_none(),
        }
    }
}

impl Graph {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    fn index(&self) -> HashMap<&str, usize> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect()
    }

    /// What a draft must be to be saved: well-formed, within LINE's limits.
    pub fn shape_problems(&self, prefix: &str, p: &mut Problems) {
        let f = |s: String| format!("{prefix}.{s}");
        p.check(
            !self.nodes.is_empty(),
            &f("nodes".into()),
            "ノードを1つ以上作成してください",
        );
        p.check(
            self.nodes.len() <= MAX_NODES,
            &f("nodes".into()),
            "ノードは200個までです",
        );
        let mut seen = BTreeSet::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let at = |s: &str| f(format!("nodes[{i}].{s}"));
            let id_ok = !n.id.is_empty()
                && n.id.len() <= 40
                && n.id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            p.check(
                id_ok,
                &at("id"),
                "ノードIDは英数字・_・-の40文字以内で入力してください",
            );
            p.check(
                seen.insert(n.id.as_str()),
                &at("id"),
                "ノードIDが重複しています",
            );
            p.check(
                n.title.chars().count() <= 40,
                &at("title"),
                "見出しは40文字以内で入力してください",
            );
            node_shape(n, &at, p);
        }
    }

    /// What publishing needs besides the shape: a start, every edge landing
    /// on a node, and no loop a resident cannot leave.
    pub fn publish_problems(&self, prefix: &str, p: &mut Problems) {
        self.shape_problems(prefix, p);
        let index = self.index();
        if !index.contains_key(self.start.as_str()) {
            p.add(
                format!("{prefix}.start"),
                "開始ノードが見つかりません（開始ノードを指定してください）",
            );
            return;
        }
        let mut dangling = false;
        for (i, n) in self.nodes.iter().enumerate() {
            for (path, to) in n.edges() {
                if !index.contains_key(to) {
                    dangling = true;
                    p.add(
                        format!("{prefix}.nodes[{i}].{path}"),
                        format!("「{}」の行き先「{to}」というノードはありません", n.id),
                    );
                }
            }
            // 「保存せずに進む」 goes on to `next` too.
            if let Kind::Question {
                choices,
                next,
                attribute,
                ..
            } = &n.kind
                && next.is_none()
                && (choices.is_empty()
                    || attribute.is_some()
                    || choices.iter().any(|c| c.next.is_none()))
            {
                dangling = true;
                p.add(
                    format!("{prefix}.nodes[{i}].next"),
                    format!("質問「{}」の回答後の行き先を指定してください", n.id),
                );
            }
        }
        if dangling {
            return;
        }
        if let Some(path) = self.loop_without_exit() {
            p.add(
                format!("{prefix}.nodes"),
                format!(
                    "抜け出せない循環があります：{}（終了・引き継ぎ・移動のいずれかへ進む道を作ってください）",
                    path.join(" → ")
                ),
            );
        }
        if let Some(path) = self.loop_without_wait() {
            p.add(
                format!("{prefix}.nodes"),
                format!(
                    "住民の回答を待たずに回り続ける循環があります：{}（循環の中に選択肢か質問を置いてください）",
                    path.join(" → ")
                ),
            );
        }
    }

    fn successors(&self) -> Vec<Vec<usize>> {
        let index = self.index();
        self.nodes
            .iter()
            .map(|n| {
                n.edges()
                    .iter()
                    .filter_map(|(_, to)| index.get(to).copied())
                    .collect()
            })
            .collect()
    }

    /// The path from the start to the first node that can never reach an end.
    fn loop_without_exit(&self) -> Option<Vec<String>> {
        let succ = self.successors();
        // Nodes that can reach an end, found backwards from the ends.
        let mut can_end: Vec<bool> = self.nodes.iter().map(Node::ends).collect();
        loop {
            let mut changed = false;
            for (i, s) in succ.iter().enumerate() {
                if !can_end[i] && s.iter().any(|&j| can_end[j]) {
                    can_end[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let start = self.index()[self.start.as_str()];
        let trail = self.path_to(start, &succ, |i| !can_end[i])?;
        Some(trail)
    }

    /// A loop made only of nodes that never wait (it would spin within one reply).
    fn loop_without_wait(&self) -> Option<Vec<String>> {
        let succ = self.successors();
        // Depth-first over non-waiting nodes; a back edge closes a loop.
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut mark = vec![Mark::New; self.nodes.len()];
        let mut stack: Vec<usize> = Vec::new();
        fn visit(
            g: &Graph,
            i: usize,
            succ: &[Vec<usize>],
            mark: &mut [Mark],
            stack: &mut Vec<usize>,
        ) -> Option<Vec<String>> {
            mark[i] = Mark::Open;
            stack.push(i);
            for &j in &succ[i] {
                if g.nodes[j].waits() {
                    continue;
                }
                if mark[j] == Mark::Open {
                    let from = stack.iter().position(|&k| k == j).unwrap_or(0);
                    let mut path: Vec<String> = stack[from..]
                        .iter()
                        .map(|&k| g.nodes[k].id.clone())
                        .collect();
                    path.push(g.nodes[j].id.clone());
                    return Some(path);
                }
                if mark[j] == Mark::New
                    && let Some(p) = visit(g, j, succ, mark, stack)
                {
                    return Some(p);
                }
            }
            stack.pop();
            mark[i] = Mark::Done;
            None
        }
        for i in 0..self.nodes.len() {
            if mark[i] == Mark::New
                && !self.nodes[i].waits()
                && let Some(p) = visit(self, i, &succ, &mut mark, &mut stack)
            {
                return Some(p);
            }
        }
        None
    }

    /// Breadth-first from `from`: the node ids to the first node `hit` accepts.
    fn path_to(
        &self,
        from: usize,
        succ: &[Vec<usize>],
        hit: impl Fn(usize) -> bool,
    ) -> Option<Vec<String>> {
        let mut parent: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([from]);
        let mut seen = BTreeSet::from([from]);
        while let Some(i) = queue.pop_front() {
            if hit(i) {
                let mut path = vec![self.nodes[i].id.clone()];
                let mut at = i;
                while let Some(&p) = parent.get(&at) {
                    path.push(self.nodes[p].id.clone());
                    at = p;
                }
                path.reverse();
                return Some(path);
            }
            for &j in &succ[i] {
                if seen.insert(j) {
                    parent.insert(j, i);
                    queue.push_back(j);
                }
            }
        }
        None
    }

    /// Nodes the start never leads to (a warning: they do no harm).
    pub fn unreachable(&self) -> Vec<String> {
        let Some(&start) = self.index().get(self.start.as_str()) else {
            return vec![];
        };
        let succ = self.successors();
        let mut seen = BTreeSet::from([start]);
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            for &j in &succ[i] {
                if seen.insert(j) {
                    stack.push(j);
                }
            }
        }
        (0..self.nodes.len())
            .filter(|i| !seen.contains(i))
            .map(|i| self.nodes[i].id.clone())
            .collect()
    }

    /// The attributes the graph saves answers to or branches on, with the
    /// node's index and the labels it expects to find among the options.
    pub fn attributes(&self) -> Vec<(usize, &str, Vec<&str>)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.kind {
                Kind::Question {
                    attribute: Some(a),
                    choices,
                    ..
                } => Some((
                    i,
                    a.as_str(),
                    choices.iter().map(|c| c.label.trim()).collect(),
                )),
                Kind::Branch {
                    attribute: Some(a),
                    cases,
                    ..
                } => Some((
                    i,
                    a.as_str(),
                    cases.iter().map(|c| c.equals.trim()).collect(),
                )),
                _ => None,
            })
            .collect()
    }

    /// Whether a turn may need the resident's attributes (a branch on one).
    pub fn branches_on_attributes(&self) -> bool {
        self.nodes.iter().any(|n| {
            matches!(
                &n.kind,
                Kind::Branch {
                    attribute: Some(_),
                    ..
                }
            )
        })
    }

    /// FAQ entries and scenarios the graph jumps to (checked against the database at publish).
    pub fn jump_targets(&self) -> Vec<(usize, &Target)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.kind {
                Kind::Jump { target } => Some((i, target)),
                _ => None,
            })
            .collect()
    }
}

fn utf16(s: &str) -> usize {
    s.encode_utf16().count()
}

fn web_uri(uri: &str) -> bool {
    (uri.starts_with("https://") || uri.starts_with("line://")) && uri.len() <= 1000
}

fn node_shape(n: &Node, at: &dyn Fn(&str) -> String, p: &mut Problems) {
    let text_ok = |p: &mut Problems, text: &str, required: bool| {
        let len = utf16(text.trim());
        p.check(!required || len > 0, &at("text"), "本文を入力してください");
        p.check(
            len <= MAX_TEXT_UTF16,
            &at("text"),
            "本文は5,000文字以内で入力してください",
        );
    };
    let choices_ok = |p: &mut Problems, choices: &[Choice]| {
        p.check(
            choices.len() <= MAX_CHOICES,
            &at("choices"),
            "選択肢は13個までです",
        );
        let mut labels = BTreeSet::new();
        for (j, c) in choices.iter().enumerate() {
            let len = utf16(c.label.trim());
            p.check(
                (1..=MAX_LABEL_UTF16).contains(&len),
                &at(&format!("choices[{j}].label")),
                "選択肢のラベルは1〜20文字で入力してください",
            );
            p.check(
                labels.insert(super::super::fold::fold(c.label.trim())),
                &at(&format!("choices[{j}].label")),
                "同じラベルの選択肢があります",
            );
        }
    };
    match &n.kind {
        Kind::Message {
            text,
            image_url,
            links,
            cards,
            choices,
            ..
        } => {
            text_ok(p, text, true);
            choices_ok(p, choices);
            if let Some(url) = image_url {
                image_ok(url, &at("imageUrl"), p);
            }
            p.check(
                links.len() <= MAX_LINKS,
                &at("links"),
                "リンクは4個までです",
            );
            links_ok(links, &|j| at(&format!("links[{j}]")), p);
            cards_ok(cards, &|s| at(&format!("cards{s}")), p);
        }
        Kind::Question {
            text,
            key,
            attribute,
            choices,
            ..
        } => {
            text_ok(p, text, true);
            choices_ok(p, choices);
            key_ok(key, &at("key"), p);
            if attribute.is_some() {
                p.check(
                    !choices.is_empty() && choices.len() < MAX_CHOICES,
                    &at("choices"),
                    "属性に保存する質問には選択肢を1〜12個作成してください（「保存せずに進む」が加わります）",
                );
            }
        }
        Kind::Branch {
            key,
            attribute,
            cases,
            ..
        } => {
            if attribute.is_none() {
                key_ok(key, &at("key"), p);
            }
            p.check(
                !cases.is_empty(),
                &at("cases"),
                "分岐の条件を1つ以上作成してください",
            );
        }
        Kind::Jump { target } => {
            if let Target::Liff { label, uri } = target {
                p.check(
                    (1..=MAX_LABEL_UTF16).contains(&utf16(label.trim())),
                    &at("target.label"),
                    "ボタンのラベルは1〜20文字で入力してください",
                );
                p.check(
                    web_uri(uri),
                    &at("target.uri"),
                    "移動先はhttps://で始まるURLで指定してください",
                );
            }
        }
        Kind::Handover { text } => text_ok(p, text, true),
        Kind::End { text } => text_ok(p, text, false),
    }
}

fn image_ok(url: &str, field: &str, p: &mut Problems) {
    p.check(
        url.starts_with("https://") && url.len() <= 2000,
        field,
        "画像はhttps://で始まるURLで指定してください",
    );
}

fn links_ok(links: &[Link], at: &dyn Fn(usize) -> String, p: &mut Problems) {
    for (j, l) in links.iter().enumerate() {
        p.check(
            (1..=MAX_LABEL_UTF16).contains(&utf16(l.label.trim())),
            &format!("{}.label", at(j)),
            "リンクのラベルは1〜20文字で入力してください",
        );
        p.check(
            web_uri(&l.uri),
            &format!("{}.uri", at(j)),
            "リンク先はhttps://で始まるURLで指定してください",
        );
    }
}

/// LINE's carousel rules: 1–10 cards, each with 1–3 links and every card
/// the same number and the same kinds of fields (title, image); a title up
/// to 40; text up to 120, or 60 with a title or image.
fn cards_ok(cards: &[Card], at: &dyn Fn(&str) -> String, p: &mut Problems) {
    if cards.is_empty() {
        return;
    }
    p.check(
        cards.len() <= MAX_CARDS,
        &at(""),
        "カルーセルのカードは10枚までです",
    );
    for (j, c) in cards.iter().enumerate() {
        let card = |s: &str| at(&format!("[{j}].{s}"));
        p.check(
            utf16(c.title.trim()) <= 40,
            &card("title"),
            "カードの見出しは40文字以内で入力してください",
        );
        let limit = if c.title.trim().is_empty() && c.image_url.is_none() {
            120
        } else {
            60
        };
        let len = utf16(c.text.trim());
        p.check(
            (1..=limit).contains(&len),
            &card("text"),
            &format!(
                "カードの本文は1〜{limit}文字で入力してください（見出しか画像があると60文字まで）"
            ),
        );
        if let Some(url) = &c.image_url {
            image_ok(url, &card("imageUrl"), p);
        }
        p.check(
            (1..=MAX_CARD_LINKS).contains(&c.links.len()),
            &card("links"),
            "カードのリンクは1〜3個です",
        );
        p.check(
            c.links.len() == cards[0].links.len(),
            &card("links"),
            "カルーセルのカードはどれも同じ数のリンクにしてください",
        );
        // LINE wants the same kinds of fields on every column.
        p.check(
            c.title.trim().is_empty() == cards[0].title.trim().is_empty()
                && c.image_url.is_some() == cards[0].image_url.is_some(),
            &card("title"),
            "見出しと画像は、すべてのカードにつけるか、どれにもつけないかにしてください",
        );
        links_ok(&c.links, &|k| card(&format!("links[{k}]")), p);
    }
}

fn key_ok(key: &str, field: &str, p: &mut Problems) {
    let len = key.trim().chars().count();
    p.check(
        (1..=40).contains(&len),
        field,
        "回答の保存名は1〜40文字で入力してください",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(json: serde_json::Value) -> Graph {
        serde_json::from_value(json).unwrap()
    }

    fn publish_errors(g: &Graph) -> Vec<String> {
        let mut p = Problems::new();
        g.publish_problems("graph", &mut p);
        match p.into_result() {
            Ok(()) => vec![],
            Err(crate::error::AppError::BadInput(v)) => v
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_finished_graph_publishes() {
        let g = graph(serde_json::json!({ "start": "ask", "nodes": [
            { "id": "ask", "type": "question", "text": "どのごみですか？", "key": "kind",
              "choices": [{ "label": "燃えるごみ" }, { "label": "粗大ごみ" }], "next": "which" },
            { "id": "which", "type": "branch", "key": "kind",
              "cases": [{ "equals": "粗大ごみ", "next": "faq" }], "otherwise": "burn" },
            { "id": "burn", "type": "message", "text": "月・木の朝8時までに出してください。" },
            { "id": "faq", "type": "jump", "target": { "kind": "faq", "id": 1 } },
        ]}));
        assert_eq!(publish_errors(&g), Vec::<String>::new());
        assert!(g.unreachable().is_empty());
    }

    #[test]
    fn a_dangling_edge_is_refused_with_its_path() {
        let g = graph(serde_json::json!({ "start": "a", "nodes": [
            { "id": "a", "type": "message", "text": "こんにちは", "choices": [{ "label": "次へ", "next": "nowhere" }] },
        ]}));
        let errors = publish_errors(&g);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("graph.nodes[0].choices[0].next:"),
            "{errors:?}"
        );
        assert!(errors[0].contains("nowhere"));
    }

    #[test]
    fn loops_without_an_exit_or_without_a_wait_are_refused_with_the_node_path() {
        let trapped = graph(serde_json::json!({ "start": "a", "nodes": [
            { "id": "a", "type": "message", "text": "はじめ", "next": "b" },
            { "id": "b", "type": "message", "text": "どちら？", "choices": [{ "label": "戻る", "next": "a" }] },
        ]}));
        let errors = publish_errors(&trapped);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("抜け出せない循環") && e.contains("a")),
            "{errors:?}"
        );
        let spinning = graph(serde_json::json!({ "start": "a", "nodes": [
            { "id": "a", "type": "message", "text": "はじめ", "next": "b" },
            { "id": "b", "type": "branch", "key": "x", "cases": [{ "equals": "終わり", "next": "end" }], "otherwise": "a" },
            { "id": "end", "type": "end" },
        ]}));
        let errors = publish_errors(&spinning);
        assert!(errors.iter().any(|e| e.contains("a → b → a")), "{errors:?}");
        // A loop that waits and has a way out is fine (「もう一度」 menus).
        let menu = graph(serde_json::json!({ "start": "a", "nodes": [
            { "id": "a", "type": "message", "text": "メニュー", "choices": [
                { "label": "もう一度", "next": "a" }, { "label": "終わる", "next": "end" }] },
            { "id": "end", "type": "end", "text": "ありがとうございました" },
        ]}));
        assert_eq!(publish_errors(&menu), Vec::<String>::new());
    }

    #[test]
    fn shapes_outside_lines_limits_are_refused() {
        let choices: Vec<_> = (0..14)
            .map(|i| serde_json::json!({ "label": format!("選択{i}") }))
            .collect();
        let g = graph(serde_json::json!({ "start": "a", "nodes": [
            { "id": "a b", "type": "message", "text": "", "choices": choices,
              "links": [{ "label": "x", "uri": "javascript:alert(1)" }] },
        ]}));
        let mut p = Problems::new();
        g.shape_problems("graph", &mut p);
        let Err(crate::error::AppError::BadInput(v)) = p.into_result() else {
            panic!("expected problems")
        };
        let fields: Vec<&str> = v.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "graph.nodes[0].id",
            "graph.nodes[0].text",
            "graph.nodes[0].choices",
            "graph.nodes[0].links[0].uri",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }

    #[test]
    fn carousels_keep_lines_rules_and_attribute_questions_need_next() {
        let g = graph(serde_json::json!({ "start": "m", "nodes": [
            { "id": "m", "type": "message", "text": "窓口", "cards": [
                { "title": "本庁", "text": "平日", "links": [{ "label": "地図", "uri": "https://example.jp/a" }] },
                { "text": "土曜", "links": [] }
            ], "next": "q" },
            { "id": "q", "type": "question", "text": "地域は？", "key": "a", "attribute": "居住地域",
              "choices": [{ "label": "北部", "next": "e" }] },
            { "id": "e", "type": "end" },
        ]}));
        let errors = publish_errors(&g).join("\n");
        assert!(
            errors.contains("graph.nodes[0].cards[1].links: カードのリンクは1〜3個です"),
            "{errors}"
        );
        assert!(errors.contains("graph.nodes[0].cards[1].title"), "{errors}");
        // 「保存せずに進む」 needs somewhere to go even when every choice has an edge.
        assert!(errors.contains("graph.nodes[1].next"), "{errors}");
    }
}
