//! Demo data: Saitama's 63 municipalities as the residence items, a realistic set of lifestyle
//! items, and the receive-item tree of information fields. Seeded once (only into an
//! empty catalogue).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::municipalities::SAITAMA_MUNICIPALITIES;
use super::service::{self, NewAttribute};
use crate::app::App;
use crate::auth::Caller;
use crate::db::schema::attributes;

pub async fn seed(app: &App) -> anyhow::Result<bool> {
    let mut conn = app.db.get().await?;
    let existing: i64 = attributes::table.count().get_result(&mut conn).await?;
    drop(conn);
    if existing > 0 {
        return Ok(false);
    }
    let system = Caller::system();
    let towns: Vec<String> = SAITAMA_MUNICIPALITIES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let items: [(&str, &str, &str, Vec<String>); 6] = [
        (
            "居住地域",
            "municipality",
            "お住まいの市町村を選んでください。",
            towns.clone(),
        ),
        (
            "配信希望地域",
            "regions",
            "お知らせを受け取りたい市町村を選んでください（複数可）。",
            towns,
        ),
        (
            "生まれ年",
            "birth_year",
            "西暦4桁で入力してください（任意）。",
            vec![],
        ),
        ("性別", "gender", "", vec![]),
        (
            "ライフスタイル",
            "multiple",
            "あてはまるものを選んでください（複数可）。",
            [
                "子育て中",
                "妊娠中",
                "介護中",
                "学生",
                "会社員・公務員",
                "自営業",
                "農林業",
                "高齢者のみの世帯",
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "その他ご要望",
            "free_text",
            "県へのご要望があればご記入ください（任意）。",
            vec![],
        ),
    ];
    for (name, kind, help, options) in items {
        service::create_attribute(
            app,
            &system,
            NewAttribute {
                name: name.into(),
                kind: kind.into(),
                help_text: help.into(),
                options,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    // 配信を希望する情報分野 (seed 2.4(4)イ) is asked by this tree alone: a
    // separate multiple-choice item with the same fields would ask the
    // resident the same thing twice, and staff would not know which to use.
    let tree: [(&str, &[&str]); 7] = [
        ("防災", &["避難情報", "雨量", "水位", "地震"]),
        ("子育て・教育", &["保育・教育", "手当・助成"]),
        ("健康・医療・福祉", &["健康づくり", "医療", "介護・福祉"]),
        ("イベント・観光", &["観光", "スポーツ", "文化・芸術"]),
        ("環境・まちづくり", &["環境", "まちづくり"]),
        ("移住・定住", &["移住相談", "住まい"]),
        ("お知らせ", &["県政ニュース", "募集・採用"]),
    ];
    for (field, subs) in tree {
        let f = service::create_node(app, &system, None, field.into())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for sub in subs {
            let s = service::create_node(app, &system, Some(f.id), (*sub).into())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if field == "防災" {
                for region in ["さいたま市", "川口市", "川越市", "熊谷市", "秩父市"]
                {
                    service::create_node(app, &system, Some(s.id), region.into())
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                }
            }
        }
    }
    Ok(true)
}
