//! A segment's conditions in words, as staff read them before sending:
//! 「居住地域が 川口市・さいたま市 のいずれか かつ 生まれ年が 1980〜1989年」.

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;

use super::expr::Expr;

/// The names the words use: attributes, their options, receive items.
#[derive(Default)]
pub struct Names {
    /// Option id → (attribute name, option label).
    options: HashMap<i32, (String, String)>,
    /// Receive item id → (parent, name).
    nodes: HashMap<i32, (Option<i32>, String)>,
}

impl Names {
    pub async fn load(conn: &mut AsyncPgConnection) -> diesel::QueryResult<Self> {
        let mut names = Self::default();
        for (a, opts) in super::service::attributes_with_options(conn).await? {
            for o in opts {
                names.options.insert(o.id, (a.name.clone(), o.label));
            }
        }
        for n in super::service::nodes(conn).await? {
            names.nodes.insert(n.id, (n.parent_id, n.name));
        }
        Ok(names)
    }

    /// 「防災 › 避難情報 › 川口市」.
    fn path(&self, node: i32) -> String {
        let mut parts = Vec::new();
        let mut at = Some(node);
        while let Some(id) = at {
            match self.nodes.get(&id) {
                Some((parent, name)) => {
                    parts.push(name.as_str());
                    at = *parent;
                }
                None => {
                    parts.push("（削除された受信項目）");
                    break;
                }
            }
            if parts.len() > 10 {
                break;
            }
        }
        parts.reverse();
        parts.join(" › ")
    }

    /// The options grouped by their attribute: 「居住地域が 川口市・さいたま市」.
    fn options(&self, ids: &[i32], joiner: &str) -> String {
        let mut by_attribute: Vec<(String, Vec<String>)> = Vec::new();
        for id in ids {
            let (attr, label) = self
                .options
                .get(id)
                .cloned()
                .unwrap_or_else(|| ("（削除された項目）".into(), format!("#{id}")));
            match by_attribute.iter_mut().find(|(a, _)| *a == attr) {
                Some((_, labels)) => labels.push(label),
                None => by_attribute.push((attr, vec![label])),
            }
        }
        by_attribute
            .into_iter()
            .map(|(attr, labels)| {
                if labels.len() == 1 {
                    format!("{attr}が {}", labels[0])
                } else {
                    format!("{attr}が {} {joiner}", labels.join("・"))
                }
            })
            .collect::<Vec<_>>()
            .join(" または ")
    }
}

/// The expression in Japanese words.
pub fn describe(e: &Expr, names: &Names) -> String {
    words(e, names, false)
}

fn words(e: &Expr, names: &Names, nested: bool) -> String {
    let group = |items: &[Expr], joiner: &str| -> String {
        let parts: Vec<String> = items.iter().map(|x| words(x, names, true)).collect();
        let text = parts.join(joiner);
        if nested && parts.len() > 1 {
            format!("（{text}）")
        } else {
            text
        }
    };
    match e {
        Expr::And(items) if items.is_empty() => "すべての友だち".into(),
        Expr::Or(items) if items.is_empty() => "該当なし".into(),
        Expr::And(items) => group(items, " かつ "),
        Expr::Or(items) => group(items, " または "),
        Expr::Not(inner) => format!("「{}」ではない", words(inner, names, false)),
        Expr::AnyOf(ids)
        | Expr::GenderIn(ids)
        | Expr::ResidenceIn(ids)
        | Expr::RegionsOverlap(ids) => names.options(ids, "のいずれか"),
        Expr::AllOf(ids) => names.options(ids, "のすべて"),
        Expr::BirthYear { from, to } => match (from, to) {
            (Some(a), Some(b)) if a == b => format!("生まれ年が {a}年"),
            (Some(a), Some(b)) => format!("生まれ年が {a}〜{b}年"),
            (Some(a), None) => format!("生まれ年が {a}年以降"),
            (None, Some(b)) => format!("生まれ年が {b}年以前"),
            (None, None) => "生まれ年の登録あり".into(),
        },
        Expr::SubscribedTo(n) => format!("受信項目「{}」を受け取る", names.path(*n)),
        Expr::Registered(true) => "受信設定を登録済み".into(),
        Expr::Registered(false) => "受信設定が未登録".into(),
        Expr::FriendSince(t) => format!(
            "{}以降に友だち追加",
            crate::jst::date(*t).format("%Y年%-m月%-d日")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_read_as_japanese() {
        let mut names = Names::default();
        names
            .options
            .insert(1, ("居住地域".into(), "川口市".into()));
        names
            .options
            .insert(2, ("居住地域".into(), "さいたま市".into()));
        names
            .options
            .insert(3, ("関心のある分野".into(), "防災".into()));
        names.nodes.insert(10, (None, "防災".into()));
        names.nodes.insert(11, (Some(10), "避難情報".into()));
        let e = Expr::And(vec![
            Expr::ResidenceIn(vec![1, 2]),
            Expr::Or(vec![Expr::AnyOf(vec![3]), Expr::SubscribedTo(11)]),
            Expr::BirthYear {
                from: Some(1980),
                to: Some(1989),
            },
            Expr::Not(Box::new(Expr::Registered(false))),
        ]);
        assert_eq!(
            describe(&e, &names),
            "居住地域が 川口市・さいたま市 のいずれか かつ （関心のある分野が 防災 または 受信項目「防災 › 避難情報」を受け取る） かつ 生まれ年が 1980〜1989年 かつ 「受信設定が未登録」ではない"
        );
        assert_eq!(describe(&Expr::And(vec![]), &names), "すべての友だち");
    }
}
