//! Ready-made surveys staff start from (console「テンプレートから作成」, and
//! the demo): an event application, a satisfaction survey, a disaster-
//! preparedness survey. Each passes the builder's own check (tested).

use serde_json::json;

use super::form::Form;
use super::model::Settings;

pub struct Template {
    pub key: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub form: Form,
    pub settings: Settings,
}

fn choices(list: &[(&str, &str)]) -> serde_json::Value {
    list.iter()
        .map(|(k, l)| json!({ "key": k, "label": l }))
        .collect()
}

fn form(v: serde_json::Value) -> Form {
    serde_json::from_value(v).unwrap_or_default()
}

pub fn all() -> Vec<Template> {
    vec![event(), satisfaction(), disaster()]
}

pub fn find(key: &str) -> Option<Template> {
    all().into_iter().find(|t| t.key == key)
}

fn event() -> Template {
    Template {
        key: "event",
        title: "イベント参加申込",
        description: "参加の可否・人数・連絡先を受け付けます（記名・定員つき）",
        form: form(json!({ "sections": [
            { "key": "apply", "title": "参加申込", "description": "県民の日イベントへの参加申込です。", "questions": [
                { "key": "attend", "kind": "single", "title": "イベントに参加しますか", "required": true,
                  "choices": choices(&[("yes", "参加する"), ("no", "参加しない")]) },
                { "key": "people", "kind": "short_text", "title": "参加人数（ご本人を含む）", "required": true,
                  "format": "number", "min": 1.0, "max": 5.0,
                  "showIf": { "question": "attend", "anyOf": ["yes"] } },
                { "key": "session", "kind": "multiple", "title": "参加したい回（2つまで）", "required": true,
                  "choices": choices(&[("am", "午前の部"), ("pm", "午後の部"), ("night", "夜の部")]),
                  "minPicks": 1, "maxPicks": 2,
                  "showIf": { "question": "attend", "anyOf": ["yes"] } },
                { "key": "kana", "kind": "short_text", "title": "代表者のお名前（カタカナ）", "required": true,
                  "format": "katakana", "showIf": { "question": "attend", "anyOf": ["yes"] } },
                { "key": "phone", "kind": "short_text", "title": "当日連絡のつく電話番号", "required": true,
                  "format": "phone", "showIf": { "question": "attend", "anyOf": ["yes"] } },
                { "key": "consent", "kind": "consent", "title": "個人情報の取扱いに同意します",
                  "help": "ご記入の情報はイベントの運営にのみ使用します。", "required": true }
            ] }
        ] })),
        settings: Settings {
            identified: true,
            quota: Some(300),
            thank_you:
                "お申し込みありがとうございました。当日お会いできることを楽しみにしています。"
                    .into(),
            ..Settings::default()
        },
    }
}

fn satisfaction() -> Template {
    Template {
        key: "satisfaction",
        title: "満足度調査",
        description: "LINE公式アカウントの満足度と改善点を伺います（短く、トークでも回答できます）",
        form: form(json!({ "sections": [
            { "key": "main", "title": "", "description": "", "questions": [
                { "key": "overall", "kind": "rating", "title": "LINE公式アカウントの情報にどのくらい満足していますか", "required": true,
                  "scale": 5, "lowLabel": "不満", "highLabel": "満足" },
                { "key": "useful", "kind": "single", "title": "いちばん役に立った情報は何ですか", "required": true,
                  "choices": choices(&[("disaster", "防災・防犯"), ("health", "健康・福祉"), ("child", "子育て"), ("event", "イベント"), ("other", "その他")]) },
                { "key": "frequency", "kind": "dropdown", "title": "配信の頻度はいかがですか",
                  "choices": choices(&[("more", "もっと多く"), ("ok", "ちょうどよい"), ("less", "もっと少なく")]) }
            ] }
        ] })),
        settings: Settings {
            thank_you: "ご回答ありがとうございました。今後の配信の参考にさせていただきます。"
                .into(),
            ..Settings::default()
        },
    }
}

fn disaster() -> Template {
    Template {
        key: "disaster",
        title: "防災意識調査",
        description: "家庭の備えと避難の意識を伺います（記名・属性でクロス集計できます）",
        form: form(json!({ "sections": [
            { "key": "prepare", "title": "家庭の備え", "description": "", "questions": [
                { "key": "stock", "kind": "single", "title": "水・食料を何日分備蓄していますか", "required": true,
                  "choices": choices(&[("none", "備蓄していない"), ("d1", "1〜2日分"), ("d3", "3日分以上"), ("d7", "1週間分以上")]) },
                { "key": "why_none", "kind": "long_text", "title": "備蓄していない理由を教えてください",
                  "showIf": { "question": "stock", "anyOf": ["none"] } },
                { "key": "items", "kind": "multiple", "title": "備えているものをすべて選んでください",
                  "choices": choices(&[("radio", "ラジオ"), ("light", "懐中電灯"), ("battery", "モバイルバッテリー"), ("medicine", "常備薬"), ("toilet", "簡易トイレ")]) }
            ], "jumps": [] },
            { "key": "evacuate", "title": "避難", "description": "", "questions": [
                { "key": "place", "kind": "single", "title": "お住まいの地域の避難場所を知っていますか", "required": true,
                  "choices": choices(&[("yes", "知っている"), ("no", "知らない")]) },
                { "key": "town", "kind": "municipality", "title": "お住まいの市町村" },
                { "key": "confidence", "kind": "rating", "title": "災害への備えに自信がありますか", "scale": 10,
                  "lowLabel": "まったくない", "highLabel": "とてもある" }
            ] }
        ] })),
        settings: Settings {
            identified: true,
            thank_you: "ご協力ありがとうございました。県の防災施策の参考にします。".into(),
            ..Settings::default()
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_passes_the_builder_check() {
        for t in super::all() {
            assert!(!t.form.sections.is_empty(), "{} did not read", t.key);
            assert_eq!(t.form.check(), vec![], "{}", t.key);
            assert_eq!(t.settings.check(), vec![], "{}", t.key);
        }
    }
}
