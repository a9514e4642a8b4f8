//! Demo data: the prefecture's alert sender allowed, and one rule — 避難情報
//! mails reach, in the municipalities they name, the residents who asked
//! for 防災 › 避難情報. Seeded once (only when no rule exists).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::rulebook::{self, RuleDraft};
use super::rules::{Condition, Rewrite};
use crate::app::App;
use crate::auth::Caller;
use crate::db::schema::{category_nodes as nodes, mail_rules};

pub const DEMO_SENDER: &str = "pref.example.jp";

pub async fn seed(app: &App) -> anyhow::Result<bool> {
    let mut conn = app.db.get().await?;
    let rules: i64 = mail_rules::table.count().get_result(&mut conn).await?;
    if rules > 0 {
        return Ok(false);
    }
    // 防災 › 避難情報 in the demo catalogue.
    let evacuation: Option<i32> = nodes::table
        .filter(nodes::name.eq("避難情報"))
        .filter(nodes::parent_id.is_not_null())
        .order(nodes::id)
        .select(nodes::id)
        .first(&mut conn)
        .await
        .optional()?;
    drop(conn);
    let system = Caller::system();
    let _ = rulebook::add_sender(app, &system, DEMO_SENDER, "埼玉県 危機管理防災部（デモ）").await;
    rulebook::save(
        app,
        &system,
        None,
        RuleDraft {
            name: "避難情報（市町村別）".into(),
            enabled: true,
            position: 10,
            match_mode: "all".into(),
            conditions: vec![Condition {
                field: "subject".into(),
                kind: "keywords".into(),
                words: ["避難指示", "高齢者等避難", "緊急安全確保"]
                    .map(String::from)
                    .to_vec(),
                mode: "any".into(),
                pattern: String::new(),
            }],
            rewrites: vec![
                Rewrite {
                    kind: "strip_signature".into(),
                    text: String::new(),
                    end: String::new(),
                },
                Rewrite {
                    kind: "cut_from".into(),
                    text: "このメールは送信専用".into(),
                    end: String::new(),
                },
            ],
            extract_municipalities: true,
            fallback: "skip".into(),
            base_segment_id: None,
            combine: "and".into(),
            receive_node_id: evacuation,
            template: "【{市町村}】{件名}\n{本文}".into(),
            mode: "send".into(),
            disaster_mode: false,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(true)
}
