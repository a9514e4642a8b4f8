//! The three scenarios `make demo` starts with (and staff may copy):
//! ごみの出し方 (a category lookup that ends in the FAQ for 粗大ごみ),
//! 子育て支援の案内 (by the child's age, with a hand-over), and 災害時の情報.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};

use super::store::{self, Header};
use crate::db::schema::{chatbot_scenario_versions as versions, chatbot_scenarios, faq_entries};

pub const PREFECTURE_URL: &str = "https://www.pref.tenohira.example";

/// ごみの出し方: the kind of waste → the day and the rule; 粗大ごみ → the FAQ answer.
pub fn waste(bulky_faq: i32) -> Value {
    json!({ "start": "ask_kind", "nodes": [
        { "id": "ask_kind", "title": "ごみの種類", "type": "question", "key": "種類",
          "text": "ごみの出し方をご案内します。出したいごみの種類を選んでください。",
          "choices": [
            { "label": "燃やすごみ" }, { "label": "燃やさないごみ" },
            { "label": "資源ごみ" }, { "label": "粗大ごみ" }],
          "next": "by_kind" },
        { "id": "by_kind", "title": "種類で分岐", "type": "branch", "key": "種類",
          "cases": [
            { "equals": "燃やすごみ", "next": "burnable" },
            { "equals": "燃やさないごみ", "next": "unburnable" },
            { "equals": "資源ごみ", "next": "recyclable" },
            { "equals": "粗大ごみ", "next": "bulky" }],
          "otherwise": "unknown" },
        { "id": "burnable", "title": "燃やすごみ", "type": "message",
          "text": "燃やすごみは、週2回（地区ごとの収集日）の朝8時30分までに、指定袋に入れて集積所へ出してください。生ごみは水気をよく切ってください。",
          "next": "more" },
        { "id": "unburnable", "title": "燃やさないごみ", "type": "message",
          "text": "燃やさないごみは、月2回の収集日の朝8時30分までに出してください。スプレー缶・ライターは中身を使い切り、別の袋に入れてください。",
          "next": "more" },
        { "id": "recyclable", "title": "資源ごみ", "type": "message",
          "text": "缶・びん・ペットボトルは中をすすいで、品目ごとに分けて資源ごみの日に出してください。新聞・雑誌・段ボールはひもで縛って出してください。",
          "links": [{ "label": "分別辞典を見る", "uri": format!("{PREFECTURE_URL}/gomi/bunbetsu") }],
          "next": "more" },
        { "id": "bulky", "title": "粗大ごみ（FAQへ）", "type": "jump", "target": { "kind": "faq", "id": bulky_faq } },
        { "id": "unknown", "title": "分からないとき", "type": "message",
          "text": "「{{種類}}」の出し方は、お住まいの市町村のごみ分別表でご確認ください。",
          "links": [{ "label": "分別辞典を見る", "uri": format!("{PREFECTURE_URL}/gomi/bunbetsu") }],
          "next": "more" },
        { "id": "more", "title": "ほかの種類", "type": "message",
          "text": "ほかのごみの出し方も調べますか？",
          "choices": [{ "label": "ほかの種類も調べる", "next": "ask_kind" }, { "label": "終了する", "next": "bye" }] },
        { "id": "bye", "title": "終了", "type": "end", "text": "ご利用ありがとうございました。" },
    ]})
}

/// 子育て支援の案内: the child's age → what helps; a person when wanted.
pub fn childcare() -> Value {
    json!({ "start": "ask_age", "nodes": [
        { "id": "ask_age", "title": "お子さんの年齢", "type": "question", "key": "年齢",
          "text": "子育て支援のご案内です。お子さんの年齢（または妊娠中）を選んでください。",
          "choices": [
            { "label": "妊娠中" }, { "label": "0〜2歳" }, { "label": "3〜5歳" }, { "label": "小学生" }],
          "next": "by_age" },
        { "id": "by_age", "title": "年齢で分岐", "type": "branch", "key": "年齢",
          "cases": [
            { "equals": "妊娠中", "next": "pregnant" },
            { "equals": "0〜2歳", "next": "baby" },
            { "equals": "3〜5歳", "next": "preschool" },
            { "equals": "小学生", "next": "school" }],
          "otherwise": "talk" },
        { "id": "pregnant", "title": "妊娠中", "type": "message",
          "text": "妊娠届を出すと母子健康手帳と妊婦健康診査の受診票をお渡しします。出産予定日が分かると、パパ・ママ応援ショップ優待カードも申し込めます。",
          "links": [{ "label": "優待カードを申し込む", "uri": "https://liff.line.me/card" }],
          "next": "anything_else" },
        { "id": "baby", "title": "0〜2歳", "type": "message",
          "text": "乳幼児健診・予防接種のご案内、子育て支援センター（親子で遊べる広場）、一時預かりがあります。",
          "links": [{ "label": "子育て支援センター", "uri": format!("{PREFECTURE_URL}/kosodate/center") }],
          "next": "anything_else" },
        { "id": "preschool", "title": "3〜5歳", "type": "message",
          "text": "3〜5歳の幼稚園・保育所・認定こども園の利用料は無償化の対象です。入園の申し込みはお住まいの市町村の窓口へ。",
          "next": "anything_else" },
        { "id": "school", "title": "小学生", "type": "message",
          "text": "放課後児童クラブ（学童保育）や子ども医療費助成をご案内しています。",
          "next": "anything_else" },
        { "id": "anything_else", "title": "ほかに", "type": "message",
          "text": "ほかにお困りのことはありますか？",
          "choices": [
            { "label": "担当者と話したい", "next": "talk" },
            { "label": "最初から", "next": "ask_age" },
            { "label": "大丈夫です", "next": "bye" }] },
        { "id": "talk", "title": "担当者へ引き継ぎ", "type": "handover",
          "text": "担当者におつなぎします。平日8時30分から17時15分の間に、このトークでお返事します。" },
        { "id": "bye", "title": "終了", "type": "end", "text": "ご利用ありがとうございました。" },
    ]})
}

/// 災害時の情報: shelters, alerts, contacts.
pub fn disaster() -> Value {
    json!({ "start": "menu", "nodes": [
        { "id": "menu", "title": "災害時の情報", "type": "message",
          "text": "災害時の情報です。知りたいことを選んでください。",
          "choices": [
            { "label": "避難所を調べる", "next": "shelter" },
            { "label": "防災情報を受け取る", "next": "alerts" },
            { "label": "緊急時の連絡先", "next": "contacts" }] },
        { "id": "shelter", "title": "避難所", "type": "message",
          "text": "お近くの指定避難所は県の防災マップで確認できます。避難するときは、動きやすい服装で、非常持出品を持って移動してください。",
          "links": [{ "label": "防災マップ", "uri": format!("{PREFECTURE_URL}/bousai/map") }],
          "next": "again" },
        { "id": "alerts", "title": "防災情報の受け取り", "type": "message",
          "text": "受け取る情報の設定で「防災・安全」を選ぶと、警報や避難情報をこのLINEでお届けします。",
          "links": [{ "label": "受け取る情報の設定", "uri": "https://liff.line.me/settings" }],
          "next": "again" },
        { "id": "contacts", "title": "連絡先", "type": "message",
          "text": "火事・救急は119、事件・事故は110へ。県の災害対策本部の案内は000-000-0000（24時間）です。",
          "next": "again" },
        { "id": "again", "title": "ほかの情報", "type": "message",
          "text": "ほかの情報も見ますか？",
          "choices": [{ "label": "メニューに戻る", "next": "menu" }, { "label": "終了する", "next": "bye" }] },
        { "id": "bye", "title": "終了", "type": "end", "text": "身の安全を第一に行動してください。" },
    ]})
}

/// Creates and publishes the templates into a database without scenarios.
pub async fn seed(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    let existing: i64 = chatbot_scenarios::table.count().get_result(conn).await?;
    if existing > 0 {
        return Ok(false);
    }
    let bulky: Option<i32> = faq_entries::table
        .filter(faq_entries::question.like("粗大ごみの申込方法%"))
        .select(faq_entries::id)
        .first(conn)
        .await
        .optional()?;
    let mut all = vec![
        (
            "子育て支援の案内",
            "お子さんの年齢に合わせた支援の案内と、担当者への引き継ぎ",
            vec!["子育て支援", "子育て支援の案内"],
            childcare(),
        ),
        (
            "災害時の情報",
            "避難所・防災情報の受け取り・緊急時の連絡先",
            vec!["災害", "災害時の情報", "防災"],
            disaster(),
        ),
    ];
    if let Some(bulky) = bulky {
        all.insert(
            0,
            (
                "ごみの出し方",
                "ごみの種類を選ぶと出し方を案内（粗大ごみはFAQの回答へ）",
                vec!["ごみの出し方", "ごみ分別", "ゴミ"],
                waste(bulky),
            ),
        );
    }
    for (name, description, triggers, graph) in all {
        let header = Header {
            name: name.into(),
            description: description.into(),
            triggers: triggers.into_iter().map(String::from).collect(),
        };
        let s = store::insert(conn, &header, graph, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let v = store::version(conn, s.id, 1)
            .await?
            .ok_or_else(|| anyhow::anyhow!("template version missing"))?;
        store::publish_problems(conn, &v.graph().map_err(|e| anyhow::anyhow!("{e}"))?)
            .await
            .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        diesel::update(versions::table.find((s.id, 1)))
            .set(versions::published_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        diesel::update(chatbot_scenarios::table.find(s.id))
            .set(chatbot_scenarios::live_version.eq(1))
            .execute(conn)
            .await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_would_publish() {
        for (name, graph) in [
            ("waste", super::waste(1)),
            ("childcare", super::childcare()),
            ("disaster", super::disaster()),
        ] {
            let g = crate::chatbot::scenario::store::parse_graph(&graph)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut p = crate::error::Problems::new();
            g.publish_problems("graph", &mut p);
            assert!(p.is_empty(), "{name}: {:?}", p.into_result().err());
            assert!(g.unreachable().is_empty(), "{name}");
        }
    }
}
