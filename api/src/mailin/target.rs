//! Whom a matching mail reaches: the rule's receive item and the
//! municipalities the mail names, joined with the rule's base segment.
//!
//! The mail's condition is
//! `SubscribedTo(item) AND (lives in M OR wants news for M OR subscribed to item › M)`
//! for the municipalities M found (the parts the rule and the catalogue
//! have), then `base AND/OR condition`. A rule that extracts
//! municipalities and finds none follows its fallback: nobody, or the base
//! segment (with the item). Nothing here can become "every friend": an
//! expression with no part is no target at all.

use std::collections::HashSet;

use diesel_async::AsyncPgConnection;

use super::places::Found;
use crate::audience::expr::Expr;
use crate::audience::service as catalogue;

/// The rule's audience settings.
pub struct Audience {
    pub extract_municipalities: bool,
    /// skip | base
    pub fallback: String,
    pub base_segment_id: Option<i32>,
    /// and | or
    pub combine: String,
    pub receive_node_id: Option<i32>,
}

/// The expression to deliver to, or why there is none.
pub type Built = Result<Expr, String>;

/// Option ids of `kinds` attributes whose label is one of `names`.
async fn options_named(
    conn: &mut AsyncPgConnection,
    kind: &str,
    names: &HashSet<&str>,
) -> diesel::QueryResult<Vec<i32>> {
    Ok(catalogue::attributes_with_options(conn)
        .await?
        .into_iter()
        .filter(|(a, _)| a.kind == kind && a.archived_at.is_none())
        .flat_map(|(_, options)| options)
        .filter(|o| o.archived_at.is_none() && names.contains(o.label.as_str()))
        .map(|o| o.id)
        .collect())
}

/// Nodes below `root` named after one of `names` (防災 › 避難情報 › 川口市).
async fn nodes_named(
    conn: &mut AsyncPgConnection,
    root: i32,
    names: &HashSet<&str>,
) -> diesel::QueryResult<Vec<i32>> {
    let all = catalogue::nodes(conn).await?;
    let mut below: HashSet<i32> = HashSet::from([root]);
    // Nodes come level by level, so a parent is always seen before its children.
    let mut out = Vec::new();
    for n in &all {
        if let Some(p) = n.parent_id
            && below.contains(&p)
        {
            below.insert(n.id);
            if n.archived_at.is_none() && names.contains(n.name.as_str()) {
                out.push(n.id);
            }
        }
    }
    Ok(out)
}

pub async fn build(
    conn: &mut AsyncPgConnection,
    a: &Audience,
    found: &[Found],
) -> diesel::QueryResult<Built> {
    let base = match a.base_segment_id {
        Some(id) => match catalogue::segment_expression(conn, id).await? {
            Some(e) => Some(e),
            None => return Ok(Err("基本セグメントが見つかりません".into())),
        },
        None => None,
    };
    let item = a.receive_node_id.map(Expr::SubscribedTo);
    let area = if a.extract_municipalities {
        if found.is_empty() {
            return Ok(match (a.fallback.as_str(), base) {
                ("base", Some(b)) => Ok(match item {
                    Some(i) => Expr::And(vec![b, i]),
                    None => b,
                }),
                ("base", None) => Err("市町村が見つからず、基本セグメントもありません".into()),
                _ => Err("本文・件名に市町村名がないため配信しません（ルールの設定）".into()),
            });
        }
        let names: HashSet<&str> = found.iter().map(|f| f.municipality).collect();
        let mut parts = Vec::new();
        let lives = options_named(conn, "municipality", &names).await?;
        if !lives.is_empty() {
            parts.push(Expr::ResidenceIn(lives));
        }
        let wants = options_named(conn, "regions", &names).await?;
        if !wants.is_empty() {
            parts.push(Expr::RegionsOverlap(wants));
        }
        if let Some(root) = a.receive_node_id {
            for n in nodes_named(conn, root, &names).await? {
                parts.push(Expr::SubscribedTo(n));
            }
        }
        if parts.is_empty() {
            return Ok(Err("見つかった市町村が受信設定の選択肢にありません".into()));
        }
        Some(Expr::Or(parts))
    } else {
        None
    };
    let condition = match (item, area) {
        (Some(i), Some(ar)) => Some(Expr::And(vec![i, ar])),
        (i, ar) => i.or(ar),
    };
    Ok(match (base, condition) {
        (Some(b), Some(c)) if a.combine == "or" => Ok(Expr::Or(vec![b, c])),
        (Some(b), Some(c)) => Ok(Expr::And(vec![b, c])),
        (Some(b), None) => Ok(b),
        (None, Some(c)) => Ok(c),
        (None, None) => Err("対象を決める条件がありません".into()),
    })
}
