//! What staff read in the audit log: actions, actors and results in
//! Japanese (the console and the CSV alike). The action keys stay as they
//! are stored; a key without a label here shows as itself.

/// The Japanese name of an action.
pub fn action(key: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, label)| label)
}

pub fn actor_kind(kind: &str) -> &str {
    match kind {
        "staff" => "職員",
        "service" => "サービスアカウント",
        "resident" => "住民",
        "system" => "システム",
        "anonymous" => "未サインイン",
        other => other,
    }
}

pub fn result(result: &str) -> &str {
    match result {
        "success" => "成功",
        "failure" => "失敗",
        "denied" => "拒否",
        other => other,
    }
}

/// What kind of thing an entry is about, in Japanese.
pub fn target_kind(kind: &str) -> &str {
    match kind {
        "attribute" => "属性",
        "attribute_option" => "選択肢",
        "card_holder" => "カード利用者",
        "card_settings" => "カード設定",
        "category_node" => "受信項目",
        "delivery" => "配信",
        "faq_entry" => "FAQ",
        "faq_synonyms" => "同義語",
        "friend" => "友だち",
        "kek" => "鍵暗号化鍵",
        "media" => "画像・動画",
        "pass_version" => "まいたまパスの版",
        "registration_form" => "登録フォーム",
        "segment" => "セグメント",
        "service_account" => "サービスアカウント",
        "setting" => "設定",
        "staff_account" => "職員アカウント",
        "team" => "チーム",
        other => other,
    }
}

/// The details of an entry in Japanese: 「理由：防災訓練の案内、件数：12」.
/// Keys without a label show as themselves; nested values in brackets.
pub fn details(summary: &serde_json::Value) -> String {
    use serde_json::Value;
    fn value(v: &Value) -> String {
        match v {
            Value::Null => "なし".into(),
            Value::Bool(true) => "はい".into(),
            Value::Bool(false) => "いいえ".into(),
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) => items.iter().map(value).collect::<Vec<_>>().join("・"),
            Value::Object(_) => format!("（{}）", details(v)),
        }
    }
    match summary {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
            .map(|(k, v)| format!("{}：{}", detail_key(k), value(v)))
            .collect::<Vec<_>>()
            .join("、"),
        Value::Null => String::new(),
        other => value(other),
    }
}

fn detail_key(key: &str) -> &str {
    DETAIL_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, label)| label)
}

const DETAIL_KEYS: &[(&str, &str)] = &[
    ("name", "名前"),
    ("label", "選択肢名"),
    ("title", "タイトル"),
    ("question", "質問"),
    ("terms", "同義語"),
    ("category", "カテゴリ"),
    ("enabled", "公開"),
    ("reason", "理由"),
    ("loginId", "ログインID"),
    ("displayName", "氏名"),
    ("before", "変更前"),
    ("after", "変更後"),
    ("rows", "件数"),
    ("total", "合計"),
    ("count", "件数"),
    ("kind", "種類"),
    ("type", "種類"),
    ("options", "選択肢の数"),
    ("nodes", "受信項目の数"),
    ("birthYear", "生まれ年の登録"),
    ("permissions", "権限"),
    ("granted", "付与した権限"),
    ("team", "チーム"),
    ("teamId", "チーム"),
    ("description", "説明"),
    ("archived", "アーカイブ"),
    ("deleted", "削除"),
    ("flaggedSegments", "要確認になったセグメント"),
    ("sessionsEnded", "終了したセッション"),
    ("otherSessionsEnded", "終了したほかのセッション"),
    ("sessionId", "セッション"),
    ("secondFactor", "二要素認証"),
    ("wasEnrolled", "設定済みだった"),
    ("status", "状態"),
    ("scheduledAt", "予約日時"),
    ("immediate", "すぐに配信"),
    ("segmentId", "セグメント"),
    ("target", "配信対象"),
    ("expression", "条件"),
    ("messages", "メッセージ数"),
    ("recipients", "配信数"),
    ("holders", "利用者数"),
    ("children", "お子さまの数"),
    ("pregnancy", "出産予定"),
    ("images", "画像の数"),
    ("barcode", "バーコード"),
    ("pregnancyGraceDays", "出産予定日後の猶予日数"),
    ("categoryRootIds", "受信項目"),
    ("items", "項目"),
    ("required", "必須"),
    ("parentId", "親の受信項目"),
    ("level", "階層"),
    ("order", "並び順"),
    ("accounts", "アカウント数"),
    ("newTeams", "新しいチーム"),
    ("byName", "氏名で検索"),
    ("shown", "表示件数"),
    ("offset", "開始位置"),
    ("limit", "件数の上限"),
    ("friends", "友だち数"),
    ("fileName", "ファイル名"),
    ("contentType", "形式"),
    ("size", "サイズ（バイト）"),
    ("error", "エラー"),
    ("code", "コード"),
    ("message", "メッセージ"),
    ("version", "版"),
    ("attributeId", "属性"),
];

const ACTIONS: &[(&str, &str)] = &[
    ("staff.login", "サインイン"),
    ("staff.login.password", "サインイン（パスワード確認）"),
    ("staff.logout", "サインアウト"),
    ("staff.password.change", "パスワード変更"),
    ("staff.totp.enrol", "二要素認証の設定"),
    ("staff.account.create", "職員アカウントの作成"),
    ("staff.account.update", "職員アカウントの変更"),
    ("staff.account.enable", "職員アカウントの有効化"),
    ("staff.account.disable", "職員アカウントの無効化"),
    ("staff.account.reset_password", "パスワードの再発行"),
    ("staff.account.reset_totp", "二要素認証のリセット"),
    ("staff.account.import", "職員アカウントのCSV一括登録"),
    (
        "staff.permission.grant_personal_data",
        "個人情報に関わる権限の付与",
    ),
    ("staff.team.create", "チームの作成"),
    ("staff.team.update", "チームの変更"),
    ("staff.team.delete", "チームの削除"),
    ("staff.service_account.create", "サービスアカウントの作成"),
    ("staff.service_account.revoke", "サービスアカウントの失効"),
    ("audit.export", "操作ログのCSV出力"),
    ("friends.welcome_message.update", "あいさつメッセージの変更"),
    ("friends.segment.list", "セグメントの友だち一覧の閲覧"),
    ("friends.settings.export", "受信設定のCSV出力"),
    ("audience.attribute.create", "属性の作成"),
    ("audience.attribute.update", "属性の変更"),
    ("audience.attribute.reorder", "属性の並べ替え"),
    ("audience.attribute.delete", "属性の削除"),
    ("audience.option.create", "選択肢の追加"),
    ("audience.option.update", "選択肢の変更"),
    ("audience.option.reorder", "選択肢の並べ替え"),
    ("audience.option.delete", "選択肢の削除"),
    ("audience.category.create", "受信項目の追加"),
    ("audience.category.update", "受信項目の変更"),
    ("audience.category.delete", "受信項目の削除"),
    ("audience.form.publish", "登録フォームの公開"),
    ("audience.segment.create", "セグメントの作成"),
    ("audience.segment.update", "セグメントの変更"),
    ("audience.segment.delete", "セグメントの削除"),
    ("audience.settings.save", "住民による受信設定の登録"),
    ("audience.settings.chat", "住民がチャットで答えた属性の保存"),
    ("audience.settings.withdraw", "住民による受信設定の削除"),
    ("delivery.create", "配信の作成"),
    ("delivery.update", "配信の変更"),
    ("delivery.delete", "配信の削除"),
    ("delivery.approve", "配信の承認"),
    ("delivery.schedule", "配信の予約・開始"),
    ("delivery.cancel", "配信の取り消し"),
    ("delivery.start_refused", "承認のない配信の開始を中止"),
    ("delivery.test_send", "テスト送信"),
    ("delivery.tester.code", "テスト送信先の登録コード発行"),
    ("delivery.tester.unlink", "テスト送信先の登録解除"),
    ("delivery.team_approval", "チームの配信承認の設定"),
    ("delivery.export", "配信実績のCSV出力"),
    ("media.upload", "画像・動画のアップロード"),
    ("pass.publish", "まいたまパスの公開"),
    ("card.settings.update", "パパママカード設定の変更"),
    ("card.register", "住民によるカード登録"),
    ("card.update", "住民によるカード登録の変更"),
    ("card.erase", "カード登録の消去"),
    ("card.pii.search", "カード利用者の検索"),
    ("card.pii.view", "カード利用者の閲覧"),
    ("card.pii.export", "カード利用者のCSV出力"),
    ("card.push", "カード利用者へのプッシュ配信"),
    ("kek.erase", "鍵暗号化鍵の破棄（全データの消去）"),
    ("chatbot.faq.create", "FAQの作成"),
    ("chatbot.faq.update", "FAQの変更"),
    ("chatbot.faq.delete", "FAQの削除"),
    ("chatbot.faq.import", "FAQの一括取り込み"),
    ("chatbot.scenario.create", "シナリオの作成"),
    ("chatbot.scenario.save", "シナリオの下書き保存"),
    ("chatbot.scenario.publish", "シナリオの公開"),
    ("chatbot.scenario.rollback", "シナリオを以前の版に戻す"),
    ("chatbot.scenario.unpublish", "シナリオの公開停止"),
    ("chatbot.scenario.delete", "シナリオの削除"),
    (
        "chatbot.handover.close",
        "担当者への引き継ぎを対応済みにする",
    ),
    ("chatbot.synonyms.save", "同義語の保存"),
    ("chatbot.synonyms.delete", "同義語の削除"),
    ("richmenu.create", "リッチメニューの作成"),
    ("richmenu.save", "リッチメニューの下書き保存"),
    (
        "richmenu.publish",
        "リッチメニューの公開（以前の版に戻すときも）",
    ),
    ("richmenu.disaster", "災害モードの切り替え"),
    (
        "richmenu.image",
        "リッチメニュー画像の作成（テンプレートから）",
    ),
    ("mailin.rule_create", "メール配信ルールの作成"),
    ("mailin.rule_update", "メール配信ルールの変更"),
    ("mailin.rule_delete", "メール配信ルールの削除"),
    ("mailin.sender_add", "メール送信元の許可"),
    ("mailin.sender_remove", "メール送信元の許可の取り消し"),
    ("mailin.retention", "受信メールの保存期間の変更"),
    (
        "mailin.deliver",
        "受信メールからの配信（即時または承認待ち）",
    ),
    (
        "mailin.decision",
        "受信メールの判定（一致したルールと結果）",
    ),
    ("survey.create", "アンケートの作成"),
    ("survey.update", "アンケートの編集（下書き・設定）"),
    ("survey.publish", "アンケートの公開（新しい版）"),
    ("survey.close", "アンケートの受付終了"),
    ("survey.reopen", "アンケートの受付再開"),
    ("survey.delete", "アンケートと回答の削除"),
    ("survey.grant", "アンケート結果の閲覧許可"),
    ("survey.revoke", "アンケート結果の閲覧許可の取り消し"),
    ("survey.send", "アンケートの配信（即時または承認待ち）"),
    ("survey.texts_read", "アンケートの自由記述の閲覧"),
    ("survey.answers_read", "アンケート回答の閲覧（API）"),
    ("survey.export", "アンケート回答のCSV出力"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn details_read_in_japanese() {
        let summary = serde_json::json!({"reason": "防災訓練の案内", "rows": 12, "archived": true, "before": {"name": "防災"}, "empty": null});
        assert_eq!(
            super::details(&summary),
            "アーカイブ：はい、変更前：（名前：防災）、理由：防災訓練の案内、件数：12"
        );
        assert_eq!(super::details(&serde_json::Value::Null), "");
        assert_eq!(super::target_kind("staff_account"), "職員アカウント");
    }

    #[test]
    fn every_action_the_code_writes_has_a_label() {
        // The actions written by `audited`/`record` calls in the sources.
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.ends_with("labels.rs") {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for window in text
                    .split("audited(")
                    .skip(1)
                    .chain(text.split("record_now(").skip(1))
                    .chain(text.split("audit::record(").skip(1))
                {
                    if let Some(key) = window
                        .split('"')
                        .nth(1)
                        .filter(|k| k.contains('.') && !k.contains(' '))
                        && super::action(key) == key
                    {
                        missing.push(key.to_string());
                    }
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "actions without a Japanese label: {missing:?}"
        );
    }
}
