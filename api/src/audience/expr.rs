//! Segment expressions: a boolean tree (and / or / not) over predicates on
//! residents' settings. Stored as JSON on saved segments; validated against
//! the catalogue (attributes, options, receive-item tree) with errors that
//! point at the offending node; evaluated on bitmaps by the index.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// Has chosen at least one of these options.
    AnyOf(Vec<i32>),
    /// Has chosen every one of these options.
    AllOf(Vec<i32>),
    /// Born in this range of years (inclusive; either end may be open).
    BirthYear {
        from: Option<i32>,
        to: Option<i32>,
    },
    /// Gender is one of these options (of a gender attribute).
    GenderIn(Vec<i32>),
    /// Lives in one of these municipalities (options of a municipality attribute).
    ResidenceIn(Vec<i32>),
    /// Wants news for at least one of these regions (options of a regions attribute).
    RegionsOverlap(Vec<i32>),
    /// Subscribed to this receive item, to one of its ancestors (which covers
    /// it) or to one of its descendants.
    SubscribedTo(i32),
    /// Has registered settings (true) or not (false).
    Registered(bool),
    /// Friend (following) since this time, compared by JST day.
    FriendSince(DateTime<Utc>),
}

pub const MAX_DEPTH: usize = 10;
pub const MAX_CHILDREN: usize = 50;

#[derive(Clone, Debug)]
pub struct OptionInfo {
    pub attribute_id: i32,
    pub kind: String,
    pub deleted: bool,
}

/// What expressions may refer to: options with their attribute kind, and the tree.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub options: HashMap<i32, OptionInfo>,
    pub parent: HashMap<i32, Option<i32>>,
    pub children: HashMap<i32, Vec<i32>>,
}

impl Catalog {
    /// The node, its ancestors and its descendants.
    pub fn related_nodes(&self, node: i32) -> HashSet<i32> {
        let mut out = HashSet::from([node]);
        let mut up = self.parent.get(&node).copied().flatten();
        while let Some(p) = up {
            out.insert(p);
            up = self.parent.get(&p).copied().flatten();
        }
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            for c in self.children.get(&n).into_iter().flatten() {
                if out.insert(*c) {
                    stack.push(*c);
                }
            }
        }
        out
    }

    /// Options an expression names (to flag saved segments when one is deleted).
    pub fn options_in(expr: &Expr, out: &mut HashSet<i32>) {
        match expr {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| Self::options_in(e, out)),
            Expr::Not(e) => Self::options_in(e, out),
            Expr::AnyOf(o)
            | Expr::AllOf(o)
            | Expr::GenderIn(o)
            | Expr::ResidenceIn(o)
            | Expr::RegionsOverlap(o) => out.extend(o.iter().copied()),
            _ => {}
        }
    }
}

/// Checks an expression; every problem carries the path of its node
/// (`expression.and[1].anyOf[0]`).
pub fn validate(expr: &Expr, catalog: &Catalog, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check(expr, catalog, path, 0, &mut errors);
    errors
}

fn check(expr: &Expr, c: &Catalog, path: &str, depth: usize, e: &mut Vec<FieldError>) {
    if depth > MAX_DEPTH {
        e.push(FieldError::new(
            path,
            format!("条件の入れ子は{MAX_DEPTH}段までです"),
        ));
        return;
    }
    let options = |e: &mut Vec<FieldError>, key: &str, ids: &[i32], kinds: &[&str]| {
        if ids.is_empty() {
            e.push(FieldError::new(
                format!("{path}.{key}"),
                "選択肢を1つ以上指定してください",
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            let p = format!("{path}.{key}[{i}]");
            match c.options.get(id) {
                None => e.push(FieldError::new(p, format!("選択肢 {id} はありません"))),
                Some(o) if o.deleted => e.push(FieldError::new(
                    p,
                    format!("選択肢 {id} は削除されています"),
                )),
                Some(o) if !kinds.is_empty() && !kinds.contains(&o.kind.as_str()) => e.push(
                    FieldError::new(p, format!("選択肢 {id} はこの条件に使えない項目のものです")),
                ),
                Some(o) if o.kind == "free_text" || o.kind == "birth_year" => {
                    e.push(FieldError::new(p, "自由記述の項目は条件に使えません"))
                }
                Some(_) => {}
            }
        }
    };
    match expr {
        Expr::And(v) | Expr::Or(v) => {
            let key = if matches!(expr, Expr::And(_)) {
                "and"
            } else {
                "or"
            };
            if v.is_empty() || v.len() > MAX_CHILDREN {
                e.push(FieldError::new(
                    format!("{path}.{key}"),
                    format!("条件は1〜{MAX_CHILDREN}個です"),
                ));
            }
            for (i, child) in v.iter().enumerate() {
                check(child, c, &format!("{path}.{key}[{i}]"), depth + 1, e);
            }
        }
        Expr::Not(inner) => check(inner, c, &format!("{path}.not"), depth + 1, e),
        Expr::AnyOf(ids) => options(e, "anyOf", ids, &[]),
        Expr::AllOf(ids) => options(e, "allOf", ids, &[]),
        Expr::GenderIn(ids) => options(e, "genderIn", ids, &["gender"]),
        Expr::ResidenceIn(ids) => options(e, "residenceIn", ids, &["municipality"]),
        Expr::RegionsOverlap(ids) => options(e, "regionsOverlap", ids, &["regions"]),
        Expr::BirthYear { from, to } => {
            let p = format!("{path}.birthYear");
            if from.is_none() && to.is_none() {
                e.push(FieldError::new(
                    p.clone(),
                    "開始年か終了年を指定してください",
                ));
            }
            for y in [from, to].into_iter().flatten() {
                if !(1900..=2100).contains(y) {
                    e.push(FieldError::new(
                        p.clone(),
                        "生まれ年は西暦4桁で指定してください",
                    ));
                }
            }
            if let (Some(f), Some(t)) = (from, to)
                && f > t
            {
                e.push(FieldError::new(p, "開始年は終了年以前にしてください"));
            }
        }
        Expr::SubscribedTo(node) => {
            if !c.parent.contains_key(node) {
                e.push(FieldError::new(
                    format!("{path}.subscribedTo"),
                    format!("受信項目 {node} はありません"),
                ));
            }
        }
        Expr::Registered(_) | Expr::FriendSince(_) => {}
    }
}
