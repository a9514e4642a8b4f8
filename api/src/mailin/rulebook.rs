//! The mail rules staff keep (console メール配信ルール) and the sender
//! allow-list: checked whole before anything is written, every change
//! audited. Permission `mailin.manage`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use super::rules::{self, Condition, Matcher, Rewrite};
use super::target::Audience;
use crate::app::App;
use crate::audit::{self, Target as AuditTarget};
use crate::auth::{Caller, Permission};
use crate::db::schema::{category_nodes, mail_rules, mail_senders};
use crate::error::{AppError, AppResult, FieldError, Problems};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = mail_rules)]
pub struct MailRule {
    pub id: i32,
    pub name: String,
    pub enabled: bool,
    pub position: i32,
    pub match_mode: String,
    pub conditions: serde_json::Value,
    pub rewrites: serde_json::Value,
    pub extract_municipalities: bool,
    pub fallback: String,
    pub base_segment_id: Option<i32>,
    pub combine: String,
    pub receive_node_id: Option<i32>,
    pub template: String,
    pub mode: String,
    pub disaster_mode: bool,
    pub updated_at: DateTime<Utc>,
}

/// A rule as staff write it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RuleDraft {
    pub name: String,
    pub enabled: bool,
    pub position: i32,
    pub match_mode: String,
    pub conditions: Vec<Condition>,
    pub rewrites: Vec<Rewrite>,
    pub extract_municipalities: bool,
    pub fallback: String,
    pub base_segment_id: Option<i32>,
    pub combine: String,
    pub receive_node_id: Option<i32>,
    pub template: String,
    pub mode: String,
    pub disaster_mode: bool,
}

impl MailRule {
    pub fn conditions(&self) -> Vec<Condition> {
        serde_json::from_value(self.conditions.clone()).unwrap_or_default()
    }
    pub fn rewrites(&self) -> Vec<Rewrite> {
        serde_json::from_value(self.rewrites.clone()).unwrap_or_default()
    }
    pub fn audience(&self) -> Audience {
        Audience {
            extract_municipalities: self.extract_municipalities,
            fallback: self.fallback.clone(),
            base_segment_id: self.base_segment_id,
            combine: self.combine.clone(),
            receive_node_id: self.receive_node_id,
        }
    }
    pub fn draft(&self) -> RuleDraft {
        RuleDraft {
            name: self.name.clone(),
            enabled: self.enabled,
            position: self.position,
            match_mode: self.match_mode.clone(),
            conditions: self.conditions(),
            rewrites: self.rewrites(),
            extract_municipalities: self.extract_municipalities,
            fallback: self.fallback.clone(),
            base_segment_id: self.base_segment_id,
            combine: self.combine.clone(),
            receive_node_id: self.receive_node_id,
            template: self.template.clone(),
            mode: self.mode.clone(),
            disaster_mode: self.disaster_mode,
        }
    }
}

impl RuleDraft {
    /// The draft as an unsaved rule (id 0), for trying it on a mail.
    pub fn as_rule(&self) -> AppResult<MailRule> {
        Ok(MailRule {
            id: 0,
            name: self.name.clone(),
            enabled: true,
            position: 0,
            match_mode: self.match_mode.clone(),
            conditions: serde_json::to_value(&self.conditions).map_err(AppError::internal)?,
            rewrites: serde_json::to_value(&self.rewrites).map_err(AppError::internal)?,
            extract_municipalities: self.extract_municipalities,
            fallback: self.fallback.clone(),
            base_segment_id: self.base_segment_id,
            combine: self.combine.clone(),
            receive_node_id: self.receive_node_id,
            template: self.template.clone(),
            mode: self.mode.clone(),
            disaster_mode: self.disaster_mode,
            updated_at: chrono::Utc::now(),
        })
    }
}

/// Everything wrong with a draft that needs no database, at its field.
pub fn check_shape(d: &RuleDraft) -> Vec<FieldError> {
    let mut p: Vec<FieldError> = Vec::new();
    let name = d.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        p.push(FieldError::new(
            "name",
            "ルール名は1〜100文字で入力してください",
        ));
    }
    if let Err(e) = Matcher::compile(&d.match_mode, &d.conditions, "") {
        p.extend(e);
    }
    p.extend(rules::check_rewrites(&d.rewrites, ""));
    p.extend(rules::check_template(&d.template, "template"));
    if !matches!(d.fallback.as_str(), "skip" | "base") {
        p.push(FieldError::new(
            "fallback",
            "市町村が見つからないときの扱いを選んでください",
        ));
    }
    if d.fallback == "base" && d.base_segment_id.is_none() {
        p.push(FieldError::new(
            "fallback",
            "基本セグメントがないため「基本セグメントに配信」は選べません",
        ));
    }
    if !matches!(d.combine.as_str(), "and" | "or") {
        p.push(FieldError::new(
            "combine",
            "「かつ」か「または」を選んでください",
        ));
    }
    if !matches!(d.mode.as_str(), "send" | "draft") {
        p.push(FieldError::new(
            "mode",
            "「すぐに配信」か「承認待ちの下書き」を選んでください",
        ));
    }
    // Never "every friend" by accident: something must narrow the audience.
    if d.base_segment_id.is_none() && d.receive_node_id.is_none() && !d.extract_municipalities {
        p.push(FieldError::new(
            "baseSegmentId",
            "配信先を決める条件（基本セグメント・受信項目・市町村の抽出）を1つ以上指定してください",
        ));
    }
    p
}

async fn check(conn: &mut AsyncPgConnection, d: &RuleDraft, id: Option<i32>) -> AppResult<()> {
    let mut p = Problems::new();
    for e in check_shape(d) {
        p.add(e.field, e.message);
    }
    let clash: Option<i32> = mail_rules::table
        .filter(mail_rules::name.eq(d.name.trim()))
        .select(mail_rules::id)
        .first(conn)
        .await
        .optional()?;
    p.check(
        clash.is_none() || clash == id,
        "name",
        "同じ名前のルールがあります",
    );
    if let Some(s) = d.base_segment_id {
        let ok = crate::audience::service::segment_exists(conn, s).await?;
        p.check(ok, "baseSegmentId", "セグメントが見つかりません");
    }
    if let Some(n) = d.receive_node_id {
        let ok: bool = diesel::select(diesel::dsl::exists(
            category_nodes::table
                .find(n)
                .filter(category_nodes::archived_at.is_null()),
        ))
        .get_result(conn)
        .await?;
        p.check(ok, "receiveNodeId", "受信項目が見つかりません");
    }
    p.into_result()
}

fn to_json<T: serde::Serialize>(v: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(AppError::internal)
}

pub async fn list(app: &App, caller: &Caller) -> AppResult<Vec<MailRule>> {
    caller.require(Permission::MailinManage)?;
    let mut conn = app.db.get().await?;
    Ok(in_order(&mut conn, false).await?)
}

/// Rules in the order they are tried (`only_enabled` for processing).
pub async fn in_order(
    conn: &mut AsyncPgConnection,
    only_enabled: bool,
) -> QueryResult<Vec<MailRule>> {
    let mut q = mail_rules::table
        .order((mail_rules::position, mail_rules::id))
        .select(MailRule::as_select())
        .into_boxed();
    if only_enabled {
        q = q.filter(mail_rules::enabled.eq(true));
    }
    q.load(conn).await
}

pub async fn get(app: &App, caller: &Caller, id: i32) -> AppResult<MailRule> {
    caller.require(Permission::MailinManage)?;
    let mut conn = app.db.get().await?;
    mail_rules::table
        .find(id)
        .select(MailRule::as_select())
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::NotFound("mail rule".into()))
}

pub async fn save(
    app: &App,
    caller: &Caller,
    id: Option<i32>,
    d: RuleDraft,
) -> AppResult<MailRule> {
    caller.require(Permission::MailinManage)?;
    let mut conn = app.db.get().await?;
    check(&mut conn, &d, id).await?;
    drop(conn);
    let (conditions, rewrites) = (to_json(&d.conditions)?, to_json(&d.rewrites)?);
    let summary = to_json(&d)?;
    let action = if id.is_some() {
        "mailin.rule_update"
    } else {
        "mailin.rule_create"
    };
    audit::audited(app, caller, action, move |conn| {
        Box::pin(async move {
            let values = (
                mail_rules::name.eq(d.name.trim().to_string()),
                mail_rules::enabled.eq(d.enabled),
                mail_rules::position.eq(d.position),
                mail_rules::match_mode.eq(&d.match_mode),
                mail_rules::conditions.eq(&conditions),
                mail_rules::rewrites.eq(&rewrites),
                mail_rules::extract_municipalities.eq(d.extract_municipalities),
                mail_rules::fallback.eq(&d.fallback),
                mail_rules::base_segment_id.eq(d.base_segment_id),
                mail_rules::combine.eq(&d.combine),
                mail_rules::receive_node_id.eq(d.receive_node_id),
                mail_rules::template.eq(&d.template),
                mail_rules::mode.eq(&d.mode),
                mail_rules::disaster_mode.eq(d.disaster_mode),
                mail_rules::updated_at.eq(diesel::dsl::now),
            );
            let rule: MailRule = match id {
                Some(id) => diesel::update(mail_rules::table.find(id))
                    .set(values)
                    .returning(MailRule::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?
                    .ok_or_else(|| AppError::NotFound("mail rule".into()))?,
                None => {
                    diesel::insert_into(mail_rules::table)
                        .values(values)
                        .returning(MailRule::as_returning())
                        .get_result(conn)
                        .await?
                }
            };
            Ok((
                rule.clone(),
                AuditTarget::new("mail_rule", rule.id),
                summary,
            ))
        })
    })
    .await
}

pub async fn delete(app: &App, caller: &Caller, id: i32) -> AppResult<bool> {
    caller.require(Permission::MailinManage)?;
    audit::audited(app, caller, "mailin.rule_delete", move |conn| {
        Box::pin(async move {
            let name: Option<String> = diesel::delete(mail_rules::table.find(id))
                .returning(mail_rules::name)
                .get_result(conn)
                .await
                .optional()?;
            let name = name.ok_or_else(|| AppError::NotFound("mail rule".into()))?;
            Ok((
                true,
                AuditTarget::new("mail_rule", id),
                json!({ "name": name }),
            ))
        })
    })
    .await
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = mail_senders)]
pub struct Sender {
    pub id: i32,
    pub kind: String,
    pub pattern: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

pub async fn senders(app: &App, caller: &Caller) -> AppResult<Vec<Sender>> {
    caller.require(Permission::MailinManage)?;
    let mut conn = app.db.get().await?;
    Ok(mail_senders::table
        .order(mail_senders::pattern)
        .select(Sender::as_select())
        .load(&mut conn)
        .await?)
}

/// `bousai@pref.example.jp` (an address) or `pref.example.jp` (a domain), lowercased.
fn sender_pattern(pattern: &str) -> Result<(&'static str, String), FieldError> {
    let p = pattern.trim().to_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
    };
    let domain_ok = |d: &str| d.contains('.') && d.len() <= 253 && d.split('.').all(label_ok);
    let kind = match p.rsplit_once('@') {
        Some((local, domain)) => {
            let local_ok = !local.is_empty()
                && local.len() <= 64
                && local
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"@".contains(c));
            (local_ok && domain_ok(domain)).then_some("address")
        }
        None => domain_ok(&p).then_some("domain"),
    };
    match kind {
        Some(k) => Ok((k, p)),
        None => Err(FieldError::new(
            "pattern",
            "メールアドレス（bousai@pref.example.jp）かドメイン（pref.example.jp）を入力してください",
        )),
    }
}

pub async fn add_sender(
    app: &App,
    caller: &Caller,
    pattern: &str,
    note: &str,
) -> AppResult<Sender> {
    caller.require(Permission::MailinManage)?;
    let (kind, pattern) = sender_pattern(pattern).map_err(|e| AppError::BadInput(vec![e]))?;
    if note.chars().count() > 200 {
        return Err(AppError::bad_input("note", "メモは200文字までです"));
    }
    let note = note.trim().to_string();
    let by = caller.actor().1;
    audit::audited(app, caller, "mailin.sender_add", move |conn| {
        Box::pin(async move {
            let added: Option<Sender> = diesel::insert_into(mail_senders::table)
                .values((
                    mail_senders::kind.eq(kind),
                    mail_senders::pattern.eq(&pattern),
                    mail_senders::note.eq(&note),
                    mail_senders::created_by.eq(by),
                ))
                .on_conflict_do_nothing()
                .returning(Sender::as_returning())
                .get_result(conn)
                .await
                .optional()?;
            let added = added.ok_or_else(|| {
                AppError::bad_input("pattern", "この送信元はすでに登録されています")
            })?;
            Ok((
                added.clone(),
                AuditTarget::new("mail_sender", added.id),
                json!({ "kind": kind, "pattern": pattern }),
            ))
        })
    })
    .await
}

pub async fn remove_sender(app: &App, caller: &Caller, id: i32) -> AppResult<bool> {
    caller.require(Permission::MailinManage)?;
    audit::audited(app, caller, "mailin.sender_remove", move |conn| {
        Box::pin(async move {
            let pattern: Option<String> = diesel::delete(mail_senders::table.find(id))
                .returning(mail_senders::pattern)
                .get_result(conn)
                .await
                .optional()?;
            let pattern = pattern.ok_or_else(|| AppError::NotFound("mail sender".into()))?;
            Ok((
                true,
                AuditTarget::new("mail_sender", id),
                json!({ "pattern": pattern }),
            ))
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::sender_pattern;

    #[test]
    fn sender_patterns_are_addresses_or_domains() {
        assert_eq!(
            sender_pattern(" Bousai@Pref.Example.JP ").unwrap(),
            ("address", "bousai@pref.example.jp".into())
        );
        assert_eq!(
            sender_pattern("jma.example.jp").unwrap(),
            ("domain", "jma.example.jp".into())
        );
        for bad in [
            "",
            "localhost",
            "a@b",
            "@pref.example.jp",
            "x y@pref.jp",
            "-a.jp",
            "a<b>@c.jp",
        ] {
            assert!(sender_pattern(bad).is_err(), "{bad}");
        }
    }
}
