//! Mail-triggered delivery over GraphQL (console メール配信ルール and
//! integrations with `mailin.manage`): the sender allow-list, the rules,
//! trying a rule on a stored or pasted mail, the kept mails with what
//! became of them, and the retention setting.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::history::{self, Sample};
use super::rulebook::{self, MailRule as Row, RuleDraft};
use super::rules::{Condition, Rewrite};
use crate::gql::ContextExt;

/// A GraphQL enum stored as its lowercase name.
macro_rules! stored_enum {
    ($name:ident, $gql:literal, { $($item:ident => $s:literal),+ $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
        #[graphql(name = $gql)]
        pub enum $name { $($item),+ }
        impl $name {
            fn as_str(self) -> &'static str {
                match self { $(Self::$item => $s),+ }
            }
            fn parse(s: &str) -> Self {
                $(if s == $s { return Self::$item; })+
                stored_enum!(@first $($item),+)
            }
        }
    };
    (@first $first:ident $(, $rest:ident)*) => { Self::$first };
}

stored_enum!(MatchMode, "MailMatchMode", { All => "all", Any => "any" });
stored_enum!(MailField, "MailField", { Sender => "sender", Subject => "subject", Body => "body" });
stored_enum!(ConditionKind, "MailConditionKind", { Keywords => "keywords", Regex => "regex" });
stored_enum!(RewriteKind, "MailRewriteKind", {
    StripSignature => "strip_signature", CutFrom => "cut_from",
    DropLines => "drop_lines", KeepSection => "keep_section",
});
stored_enum!(Fallback, "MailFallback", { Skip => "skip", Base => "base" });
stored_enum!(Combine, "MailCombine", { And => "and", Or => "or" });
stored_enum!(RuleMode, "MailRuleMode", { Send => "send", Draft => "draft" });

/// One condition on the sender, the subject or the body.
#[derive(Clone, SimpleObject, InputObject)]
#[graphql(input_name = "MailConditionInput")]
pub struct MailCondition {
    pub field: MailField,
    pub kind: ConditionKind,
    /// Keywords (kind KEYWORDS), compared ignoring width and case.
    #[graphql(default)]
    pub words: Vec<String>,
    /// ALL: every keyword; ANY: one of them.
    #[graphql(default_with = "MatchMode::Any")]
    pub mode: MatchMode,
    /// A regular expression (kind REGEX; no look-around or back-references).
    #[graphql(default)]
    pub pattern: String,
}

/// One step of rewriting the body before it is sent.
#[derive(Clone, SimpleObject, InputObject)]
#[graphql(input_name = "MailRewriteInput")]
pub struct MailRewrite {
    pub kind: RewriteKind,
    /// The marker: cut from this line, drop lines with it, the section's first line.
    #[graphql(default)]
    pub text: String,
    /// KEEP_SECTION: the line that ends the section (empty: to the end).
    #[graphql(default)]
    pub end: String,
}

#[derive(SimpleObject)]
pub struct MailRule {
    pub id: i32,
    pub name: String,
    pub enabled: bool,
    /// Rules are tried in this order; the first that matches acts.
    pub position: i32,
    pub match_mode: MatchMode,
    pub conditions: Vec<MailCondition>,
    pub rewrites: Vec<MailRewrite>,
    pub extract_municipalities: bool,
    pub fallback: Fallback,
    pub base_segment_id: Option<i32>,
    pub combine: Combine,
    pub receive_node_id: Option<i32>,
    /// With {件名}, {本文} and {市町村}.
    pub template: String,
    pub mode: RuleMode,
    pub disaster_mode: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<Row> for MailRule {
    fn from(r: Row) -> Self {
        let conditions = r
            .conditions()
            .into_iter()
            .map(|c| MailCondition {
                field: MailField::parse(&c.field),
                kind: ConditionKind::parse(&c.kind),
                words: c.words,
                mode: MatchMode::parse(&c.mode),
                pattern: c.pattern,
            })
            .collect();
        let rewrites = r
            .rewrites()
            .into_iter()
            .map(|w| MailRewrite {
                kind: RewriteKind::parse(&w.kind),
                text: w.text,
                end: w.end,
            })
            .collect();
        Self {
            id: r.id,
            match_mode: MatchMode::parse(&r.match_mode),
            fallback: Fallback::parse(&r.fallback),
            combine: Combine::parse(&r.combine),
            mode: RuleMode::parse(&r.mode),
            name: r.name,
            enabled: r.enabled,
            position: r.position,
            conditions,
            rewrites,
            extract_municipalities: r.extract_municipalities,
            base_segment_id: r.base_segment_id,
            receive_node_id: r.receive_node_id,
            template: r.template,
            disaster_mode: r.disaster_mode,
            updated_at: r.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct MailRuleInput {
    pub name: String,
    #[graphql(default = true)]
    pub enabled: bool,
    #[graphql(default)]
    pub position: i32,
    pub match_mode: MatchMode,
    pub conditions: Vec<MailCondition>,
    #[graphql(default)]
    pub rewrites: Vec<MailRewrite>,
    #[graphql(default = true)]
    pub extract_municipalities: bool,
    #[graphql(default_with = "Fallback::Skip")]
    pub fallback: Fallback,
    pub base_segment_id: Option<i32>,
    #[graphql(default_with = "Combine::And")]
    pub combine: Combine,
    pub receive_node_id: Option<i32>,
    pub template: String,
    #[graphql(default_with = "RuleMode::Send")]
    pub mode: RuleMode,
    #[graphql(default)]
    pub disaster_mode: bool,
}

impl From<MailRuleInput> for RuleDraft {
    fn from(i: MailRuleInput) -> Self {
        Self {
            name: i.name,
            enabled: i.enabled,
            position: i.position,
            match_mode: i.match_mode.as_str().into(),
            conditions: i
                .conditions
                .into_iter()
                .map(|c| Condition {
                    field: c.field.as_str().into(),
                    kind: c.kind.as_str().into(),
                    words: c.words,
                    mode: c.mode.as_str().into(),
                    pattern: c.pattern,
                })
                .collect(),
            rewrites: i
                .rewrites
                .into_iter()
                .map(|w| Rewrite {
                    kind: w.kind.as_str().into(),
                    text: w.text,
                    end: w.end,
                })
                .collect(),
            extract_municipalities: i.extract_municipalities,
            fallback: i.fallback.as_str().into(),
            base_segment_id: i.base_segment_id,
            combine: i.combine.as_str().into(),
            receive_node_id: i.receive_node_id,
            template: i.template,
            mode: i.mode.as_str().into(),
            disaster_mode: i.disaster_mode,
        }
    }
}

#[derive(SimpleObject)]
pub struct MailSender {
    pub id: i32,
    /// address | domain
    pub kind: String,
    pub pattern: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// Why one condition held or not.
#[derive(SimpleObject, Clone)]
pub struct MailReason {
    pub index: i32,
    pub matched: bool,
    pub detail: String,
}

/// A rule tried on a mail.
#[derive(SimpleObject, Clone)]
pub struct MailRuleMatch {
    pub rule_id: Option<i32>,
    pub name: String,
    pub matched: bool,
    /// The first rule that matched acts; later ones are only recorded.
    pub acted: bool,
    pub reasons: Vec<MailReason>,
}

#[derive(SimpleObject, Clone)]
pub struct FoundMunicipality {
    pub municipality: String,
    /// The words the mail used (さいたま市浦和区).
    pub said: String,
}

fn reasons(v: &Value) -> Vec<MailReason> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|r| MailReason {
            index: r["index"].as_i64().unwrap_or(0) as i32,
            matched: r["matched"].as_bool().unwrap_or(false),
            detail: r["detail"].as_str().unwrap_or("").into(),
        })
        .collect()
}

fn found(v: &Value) -> Vec<FoundMunicipality> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|f| FoundMunicipality {
            municipality: f["municipality"].as_str().unwrap_or("").into(),
            said: f["said"].as_str().unwrap_or("").into(),
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(String::from))
        .collect()
}

/// The delivery a mail became, with its figures so far.
#[derive(SimpleObject)]
pub struct MailDelivery {
    pub id: i64,
    pub title: String,
    /// DRAFT (awaiting approval), SCHEDULED, SENDING, COMPLETED …
    pub status: String,
    pub recipients: Option<i32>,
    pub accepted: Option<i32>,
    pub failed: Option<i32>,
}

#[derive(SimpleObject)]
pub struct InboundMail {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    /// SMTP | HTTP
    pub via: String,
    pub envelope_from: String,
    pub from_header: Option<String>,
    pub message_id: Option<String>,
    pub subject: String,
    /// The decoded text as it came.
    pub body: String,
    pub headers: String,
    pub spf: Option<String>,
    pub dkim: Option<String>,
    pub attachments: i32,
    pub size_bytes: i32,
    /// received | duplicate
    pub status: String,
    pub duplicate_of: Option<i64>,
    /// null while waiting; no_rule | sent | drafted | skipped | failed | processing
    pub outcome: Option<String>,
    pub processed_at: Option<DateTime<Utc>>,
    pub rules: Vec<MailRuleMatch>,
    pub municipalities: Vec<FoundMunicipality>,
    pub rewrites: Vec<String>,
    /// The message text sent (or drafted).
    pub text: Option<String>,
    /// Why nothing was sent, or what else happened (disaster mode).
    pub note: Option<String>,
    pub rule_id: Option<i32>,
    #[graphql(skip)]
    pub delivery_id: Option<i64>,
    /// The delivery the mail became (its figures once started).
    pub delivery: Option<MailDelivery>,
}

/// The page's mails with their deliveries, read in one query (not one per mail).
async fn with_deliveries(
    app: &crate::app::App,
    mut mails: Vec<InboundMail>,
) -> Result<Vec<InboundMail>> {
    let ids: Vec<i64> = mails.iter().filter_map(|m| m.delivery_id).collect();
    let mut found = history::delivery_summaries(app, &ids).await?;
    for m in &mut mails {
        m.delivery =
            m.delivery_id
                .and_then(|id| found.remove(&id))
                .map(|(id, title, status, run)| MailDelivery {
                    id,
                    title,
                    status: status.to_uppercase(),
                    recipients: run.map(|r| r.0),
                    accepted: run.map(|r| r.1),
                    failed: run.map(|r| r.2),
                });
    }
    Ok(mails)
}

impl From<(history::Mail, Option<history::Outcome>)> for InboundMail {
    fn from((m, o): (history::Mail, Option<history::Outcome>)) -> Self {
        let d = o
            .as_ref()
            .map(|o| o.decision.clone())
            .unwrap_or(Value::Null);
        let rules = d["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| MailRuleMatch {
                rule_id: r["id"].as_i64().map(|i| i as i32),
                name: r["name"].as_str().unwrap_or("").into(),
                matched: r["matched"].as_bool().unwrap_or(false),
                acted: r["acted"].as_bool().unwrap_or(false),
                reasons: reasons(&r["reasons"]),
            })
            .collect();
        let note = [d["note"].as_str(), d["disasterMode"].as_str()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
        Self {
            id: m.id,
            received_at: m.received_at,
            via: m.via.to_uppercase(),
            envelope_from: m.envelope_from,
            from_header: m.from_header,
            message_id: m.message_id,
            subject: m.subject,
            body: m.body,
            headers: m.headers,
            spf: m.auth["spf"].as_str().map(String::from),
            dkim: m.auth["dkim"].as_str().map(String::from),
            attachments: m.attachments,
            size_bytes: m.size_bytes,
            status: m.status,
            duplicate_of: m.duplicate_of,
            outcome: o.as_ref().map(|o| o.outcome.clone()),
            processed_at: o.as_ref().map(|o| o.processed_at),
            rules,
            municipalities: found(&d["municipalities"]),
            rewrites: strings(&d["rewrites"]),
            text: d["text"].as_str().map(String::from),
            note: (!note.is_empty()).then_some(note),
            rule_id: o.as_ref().and_then(|o| o.rule_id),
            delivery_id: o.and_then(|o| o.delivery_id),
            delivery: None,
        }
    }
}

/// A mail pasted into the rule test.
#[derive(InputObject)]
pub struct PastedMailInput {
    #[graphql(default)]
    pub from: String,
    #[graphql(default)]
    pub subject: String,
    #[graphql(default)]
    pub body: String,
}

/// What a rule would do with a mail (nothing is sent).
#[derive(SimpleObject)]
pub struct MailRuleTest {
    pub matched: bool,
    pub reasons: Vec<MailReason>,
    /// The body after the rule's rewrites.
    pub body: Option<String>,
    pub rewrites: Vec<String>,
    pub municipalities: Vec<FoundMunicipality>,
    /// The message residents would get.
    pub text: Option<String>,
    /// Whom it would reach, in words, and how many friends that is now.
    pub target: Option<String>,
    pub recipients: Option<i32>,
    /// Why it would not be sent.
    pub note: Option<String>,
}

/// A segment or receive item a rule can narrow by.
#[derive(SimpleObject)]
pub struct MailChoice {
    pub id: i32,
    /// The segment's name, or the item's path (防災 › 避難情報).
    pub name: String,
}

#[derive(SimpleObject)]
pub struct MailRuleChoices {
    pub segments: Vec<MailChoice>,
    pub receive_items: Vec<MailChoice>,
}

#[derive(Default)]
pub struct MailinQuery;

#[Object]
impl MailinQuery {
    /// Who may send alert mails (addresses and domains).
    async fn mail_senders(&self, ctx: &Context<'_>) -> Result<Vec<MailSender>> {
        Ok(rulebook::senders(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(|s| MailSender {
                id: s.id,
                kind: s.kind,
                pattern: s.pattern,
                note: s.note,
                created_at: s.created_at,
            })
            .collect())
    }

    /// The rules in the order they are tried.
    async fn mail_rules(&self, ctx: &Context<'_>) -> Result<Vec<MailRule>> {
        Ok(rulebook::list(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn mail_rule(&self, ctx: &Context<'_>, id: i32) -> Result<MailRule> {
        Ok(rulebook::get(ctx.app(), ctx.caller(), id).await?.into())
    }

    /// Kept mails, newest first (`before`: an id, to page back).
    async fn inbound_mails(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i64,
        before: Option<i64>,
    ) -> Result<Vec<InboundMail>> {
        let mails = history::list(ctx.app(), ctx.caller(), first, before).await?;
        with_deliveries(ctx.app(), mails.into_iter().map(Into::into).collect()).await
    }

    async fn inbound_mail(&self, ctx: &Context<'_>, id: i64) -> Result<Option<InboundMail>> {
        let Some(mail) = history::get(ctx.app(), ctx.caller(), id).await? else {
            return Ok(None);
        };
        Ok(with_deliveries(ctx.app(), vec![mail.into()]).await?.pop())
    }

    /// Tries a rule (as written, saved or not) on a stored mail or a pasted one.
    async fn test_mail_rule(
        &self,
        ctx: &Context<'_>,
        rule: MailRuleInput,
        mail_id: Option<i64>,
        mail: Option<PastedMailInput>,
    ) -> Result<MailRuleTest> {
        let sample = match (mail_id, mail) {
            (Some(id), None) => Sample::Stored(id),
            (None, Some(p)) => Sample::Pasted {
                from: p.from,
                subject: p.subject,
                body: p.body,
            },
            _ => {
                return Err(crate::error::AppError::bad_input(
                    "mail",
                    "保存されたメールか貼り付けたメールのどちらかを指定してください",
                )
                .into());
            }
        };
        let t = history::try_rule(ctx.app(), ctx.caller(), rule.into(), sample).await?;
        let d = &t.decision;
        Ok(MailRuleTest {
            matched: t.matched,
            reasons: reasons(&d["reasons"]),
            body: d["body"].as_str().map(String::from),
            rewrites: strings(&d["rewrites"]),
            municipalities: found(&d["municipalities"]),
            text: d["text"].as_str().map(String::from),
            target: t.target,
            recipients: t.recipients.map(|n| n as i32),
            note: d["note"].as_str().map(String::from),
        })
    }

    /// Saved segments and receive items a rule can narrow by (names only).
    async fn mail_rule_choices(&self, ctx: &Context<'_>) -> Result<MailRuleChoices> {
        let (segments, items) = history::choices(ctx.app(), ctx.caller()).await?;
        let to = |v: Vec<(i32, String)>| {
            v.into_iter()
                .map(|(id, name)| MailChoice { id, name })
                .collect()
        };
        Ok(MailRuleChoices {
            segments: to(segments),
            receive_items: to(items),
        })
    }

    /// How many days kept mails are kept.
    async fn mail_retention_days(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(history::retention(ctx.app(), ctx.caller()).await?)
    }
}

#[derive(Default)]
pub struct MailinMutation;

#[Object]
impl MailinMutation {
    async fn add_mail_sender(
        &self,
        ctx: &Context<'_>,
        pattern: String,
        #[graphql(default)] note: String,
    ) -> Result<MailSender> {
        let s = rulebook::add_sender(ctx.app(), ctx.caller(), &pattern, &note).await?;
        Ok(MailSender {
            id: s.id,
            kind: s.kind,
            pattern: s.pattern,
            note: s.note,
            created_at: s.created_at,
        })
    }

    async fn remove_mail_sender(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        Ok(rulebook::remove_sender(ctx.app(), ctx.caller(), id).await?)
    }

    async fn create_mail_rule(&self, ctx: &Context<'_>, input: MailRuleInput) -> Result<MailRule> {
        Ok(rulebook::save(ctx.app(), ctx.caller(), None, input.into())
            .await?
            .into())
    }

    async fn update_mail_rule(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: MailRuleInput,
    ) -> Result<MailRule> {
        Ok(
            rulebook::save(ctx.app(), ctx.caller(), Some(id), input.into())
                .await?
                .into(),
        )
    }

    async fn delete_mail_rule(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        Ok(rulebook::delete(ctx.app(), ctx.caller(), id).await?)
    }

    /// Days kept mails are kept (7–3650); older ones are removed daily.
    async fn set_mail_retention_days(&self, ctx: &Context<'_>, days: i64) -> Result<i64> {
        Ok(history::set_retention(ctx.app(), ctx.caller(), days).await?)
    }
}
