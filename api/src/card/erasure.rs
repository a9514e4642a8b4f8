//! Erasure by key destruction (seed 2.3(4)) and its certificate.
//!
//! A resident's data key is destroyed (its wrapped bytes set to NULL in the
//! keyring) and their sealed rows deleted: every copy of those rows — replicas,
//! backups of the application data — is unreadable from then on. Destroying the
//! KEK makes every data key it wrapped unreadable. Either way a certificate is
//! stored and can be printed: what was erased, the key ids, when, by whom.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::holders;
use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::Caller;
use crate::db::schema::{card_holders, erasure_certificates};
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    pub id: Uuid,
    pub kind: String,
    pub subject: String,
    pub key_ids: Vec<String>,
    pub kek_ids: Vec<String>,
    pub method: String,
    pub data: Vec<String>,
    pub operator: String,
    pub erased_at: DateTime<Utc>,
}

async fn store(conn: &mut diesel_async::AsyncPgConnection, c: &Certificate) -> AppResult<()> {
    diesel::insert_into(erasure_certificates::table)
        .values((
            erasure_certificates::id.eq(c.id),
            erasure_certificates::kind.eq(&c.kind),
            erasure_certificates::key_ids.eq(&c.key_ids),
            erasure_certificates::operator.eq(&c.operator),
            erasure_certificates::erased_at.eq(c.erased_at),
            erasure_certificates::certificate
                .eq(serde_json::to_value(c).map_err(AppError::internal)?),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Destroys the resident's data key and deletes their card data, in one transaction.
pub async fn erase_resident(
    app: &App,
    caller: &Caller,
    line_user_id: &str,
    operator: &str,
) -> AppResult<Certificate> {
    let mut conn = app.db.get().await?;
    let user = line_user_id.to_string();
    let owner = holders::owner(line_user_id);
    let operator = operator.to_string();
    let app2 = app.clone();
    let caller = caller.clone();
    let cert = conn.transaction::<_, AppError, _>(async move |conn| {
        let key = app2.keyring.live_key_of(conn, &owner).await?;
        let Some((key_id, kek_id)) = key else {
            return Err(AppError::NotFound("card registration".into()));
        };
        diesel::delete(card_holders::table.find(&user)).execute(conn).await?;
        // What other capabilities keep of the resident (the chatbot's talk log) goes too.
        crate::erasure::erase(conn, &user).await?;
        app2.keyring.destroy(conn, key_id).await?;
        super::cache::notify(conn, &user).await?;
        // The row keeps its id for the certificate but no longer belongs to the LINE user.
        app2.keyring.disown(conn, key_id).await?;
        let cert = Certificate {
            id: Uuid::new_v4(),
            kind: "resident".into(),
            subject: format!("LINEユーザー {user}"),
            key_ids: vec![key_id.to_string()],
            kek_ids: vec![kek_id],
            method: "データ鍵の破棄（暗号学的消去）：鍵の保管値を消去し、暗号化された登録データを削除しました。バックアップ等に残る暗号文も復号できません。".into(),
            data: vec![
                "カード対象者氏名".into(),
                "続柄".into(),
                "対象子の氏名・生年月日".into(),
                "出産予定日・祖父母の区分".into(),
                "氏名検索用索引".into(),
                "チャットボットの会話記録".into(),
            ],
            operator: operator.clone(),
            erased_at: Utc::now(),
        };
        store(conn, &cert).await?;
        audit::record(
            conn,
            &caller,
            "card.erase",
            Some(Target::new("card_holder", key_id)),
            json!({ "certificate": cert.id, "operator": operator }),
            Outcome::Success,
        )
        .await?;
        Ok(cert)
    })
    .await?;
    // This process forgets at once; the others on the notification.
    super::cache::of(app).evict(line_user_id);
    Ok(cert)
}

/// Destroys the current KEK (every data key it wrapped becomes unreadable)
/// and marks those keys destroyed.
pub async fn erase_kek(app: &App, operator: &str) -> anyhow::Result<Certificate> {
    let kek = app.keyring.kek().current().clone();
    let mut conn = app.db.get().await?;
    let ids = app
        .keyring
        .live_keys_wrapped_by(&mut conn, kek.id())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let done = kek.destroy().await?;
    app.keyring
        .destroy_all_wrapped_by(&mut conn, kek.id())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    super::cache::notify(&mut conn, super::cache::ALL).await?;
    let cert = Certificate {
        id: Uuid::new_v4(),
        kind: "kek".into(),
        subject: format!(
            "鍵暗号化鍵 {}（これで保護されたデータ鍵 {} 件）",
            kek.id(),
            ids.len()
        ),
        key_ids: std::iter::once(kek.id().to_string())
            .chain(ids.iter().map(Uuid::to_string))
            .collect(),
        kek_ids: vec![kek.id().to_string()],
        method: format!(
            "鍵暗号化鍵の破棄：{done}。この鍵で保護されたすべてのデータ鍵と暗号化データは復号できません。"
        ),
        data: vec!["この鍵暗号化鍵で保護されたすべての個人情報".into()],
        operator: operator.to_string(),
        erased_at: Utc::now(),
    };
    store(&mut conn, &cert).await?;
    audit::record(
        &mut conn,
        &Caller::system(),
        "kek.erase",
        Some(Target::new("kek", kek.id())),
        json!({ "certificate": cert.id, "operator": operator, "dataKeys": ids.len() }),
        Outcome::Success,
    )
    .await?;
    Ok(cert)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A printable page (A4, Japanese) of the certificate.
pub fn html(c: &Certificate) -> String {
    let jst = crate::csv::jst(c.erased_at);
    let keys: String = c
        .key_ids
        .iter()
        .map(|k| format!("<li><code>{}</code></li>", esc(k)))
        .collect();
    let data: String = c
        .data
        .iter()
        .map(|d| format!("<li>{}</li>", esc(d)))
        .collect();
    format!(
        r#"<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>データ消去証明書 {id}</title>
<style>@page {{ size: A4; margin: 20mm }} body {{ font-family: sans-serif; line-height: 1.7 }} h1 {{ text-align: center; letter-spacing: .3em }} th {{ text-align: left; width: 10em; vertical-align: top }} td, th {{ border-bottom: 1px solid #ccc; padding: .4em }} table {{ border-collapse: collapse; width: 100% }}</style>
</head><body>
<h1>データ消去証明書</h1>
<p>下記のとおり、個人情報を復号できない状態にしたことを証明します。</p>
<table>
<tr><th>証明書番号</th><td><code>{id}</code></td></tr>
<tr><th>消去の種類</th><td>{kind}</td></tr>
<tr><th>対象</th><td>{subject}</td></tr>
<tr><th>消去したデータ</th><td><ul>{data}</ul></td></tr>
<tr><th>破棄した鍵</th><td><ul>{keys}</ul></td></tr>
<tr><th>鍵暗号化鍵</th><td>{keks}</td></tr>
<tr><th>方法</th><td>{method}</td></tr>
<tr><th>消去日時（日本時間）</th><td>{jst}</td></tr>
<tr><th>実施者</th><td>{operator}</td></tr>
</table>
</body></html>
"#,
        id = c.id,
        kind = if c.kind == "kek" {
            "鍵暗号化鍵の破棄"
        } else {
            "利用者のデータ鍵の破棄"
        },
        subject = esc(&c.subject),
        keks = esc(&c.kek_ids.join(", ")),
        method = esc(&c.method),
        operator = esc(&c.operator),
    )
}

/// Writes `<dir>/erasure-<id>.json` and `.html`; returns their paths.
pub fn write_files(
    c: &Certificate,
    dir: &std::path::Path,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let json_path = dir.join(format!("erasure-{}.json", c.id));
    let html_path = dir.join(format!("erasure-{}.html", c.id));
    std::fs::write(&json_path, serde_json::to_vec_pretty(c)?)?;
    std::fs::write(&html_path, html(c))?;
    Ok((json_path, html_path))
}
