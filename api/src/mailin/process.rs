//! What becomes of a kept mail: the enabled rules are tried in order; the
//! first that matches acts (its rewrites, the municipalities the rewritten
//! text names, its audience, its template), sending or drafting one
//! delivery through delivery's entry point, and switching the rich menu to
//! disaster mode when the rule says so. Every rule that matched is
//! recorded with its reasons; a mail no rule matches reaches nobody.
//!
//! Once only: the job is staged with the mail (outbox), and a mail is
//! claimed by writing its `mail_outcomes` row (`processing`) before
//! anything is sent. A worker that dies after sending leaves the row
//! `processing`; the sweep then finds the delivery through its audit row
//! (written in the delivery's own transaction) instead of sending again.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};

use super::places::{self, Found};
use super::rulebook::{self, MailRule};
use super::rules::{self, MailText, Matcher};
use super::target;
use crate::app::App;
use crate::auth::Caller;
use crate::db::schema::{audit_log, inbound_mails as mails, mail_outcomes as outcomes};
use crate::delivery::model::{Message, Target};
use crate::jobs::JobError;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Process {
    pub mail: i64,
}

impl crate::registry::Task for Process {
    const QUEUE: &'static str = "mailin.process";
}

/// The audit action of a delivery a mail rule made (its summary names the mail).
pub const DELIVER_ACTION: &str = "mailin.deliver";
/// A claim older than this is a worker that died mid-way.
const CLAIM_STALE_SECS: i64 = 60;

struct Mail {
    id: i64,
    sender: String,
    subject: String,
    body: String,
}

/// The delivery an earlier, interrupted run made for this mail, if any.
async fn delivery_made_for(conn: &mut AsyncPgConnection, mail: i64) -> QueryResult<Option<i64>> {
    let target: Option<Option<String>> = audit_log::table
        .filter(audit_log::action.eq(DELIVER_ACTION))
        // Few rows: audit_log_action_idx narrows to this action's.
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("summary->>'mail' = ")
                .bind::<diesel::sql_types::Text, _>(mail.to_string()),
        )
        .select(audit_log::target_id)
        .first(conn)
        .await
        .optional()?;
    Ok(target.flatten().and_then(|t| t.parse().ok()))
}

enum Claim {
    Mine(Mail),
    /// Recovered: an interrupted run had already made this delivery.
    Recovered(i64),
    Taken,
}

/// The `processing` row that claims a mail (its outcome is written over it).
async fn claim_row(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::insert_into(outcomes::table)
        .values((
            outcomes::mail_id.eq(id),
            outcomes::outcome.eq("processing"),
            outcomes::decision.eq(json!({})),
        ))
        .execute(conn)
        .await
}

async fn claim(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Claim> {
    conn.transaction(async move |conn| {
        let row: Option<(String, Option<String>, String, String)> = mails::table
            .find(id)
            .filter(mails::status.eq("received"))
            .select((
                mails::envelope_from,
                mails::from_header,
                mails::subject,
                mails::body,
            ))
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some((envelope, header, subject, body)) = row else {
            return Ok(Claim::Taken);
        };
        let earlier: Option<(String, chrono::DateTime<Utc>)> = outcomes::table
            .find(id)
            .select((outcomes::outcome, outcomes::processed_at))
            .first(conn)
            .await
            .optional()?;
        match earlier {
            None => {
                claim_row(conn, id).await?;
            }
            Some((o, at))
                if o == "processing" && at < Utc::now() - Duration::seconds(CLAIM_STALE_SECS) =>
            {
                if let Some(d) = delivery_made_for(conn, id).await? {
                    return Ok(Claim::Recovered(d));
                }
                diesel::update(outcomes::table.find(id))
                    .set(outcomes::processed_at.eq(diesel::dsl::now))
                    .execute(conn)
                    .await?;
            }
            Some(_) => return Ok(Claim::Taken),
        }
        Ok(Claim::Mine(Mail {
            id,
            sender: sender_of(envelope, header),
            subject,
            body,
        }))
    })
    .await
}

/// What sender conditions are tried on: the envelope sender, and the
/// From header when it differs.
pub fn sender_of(envelope: String, header: Option<String>) -> String {
    match header {
        Some(h) if h != envelope => format!("{envelope} {h}"),
        _ => envelope,
    }
}

/// Settles, inside the transaction that keeps it, a mail no rule matches:
/// it is recorded `no_rule` (and audited) at once and needs no job, so a
/// flood of routine mails never queues ahead of an alert. False when a rule
/// matches: the mail's job does the rest.
pub async fn settle_if_unmatched(
    conn: &mut AsyncPgConnection,
    id: i64,
    sender: &str,
    subject: &str,
    body: &str,
) -> QueryResult<bool> {
    let rules = rulebook::in_order(conn, true).await?;
    let decision = decide(&rules, sender, subject, body);
    if decision.acting.is_some() {
        return Ok(false);
    }
    claim_row(conn, id).await?;
    let d = json!({ "rules": decision.rules, "note": NO_RULE_NOTE });
    record_outcome(conn, id, "no_rule", d, None, None)
        .await
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    Ok(true)
}

const NO_RULE_NOTE: &str = "どのルールにも一致しないため配信しません";

/// The decision, before anything is sent.
pub struct Decision {
    pub rules: Vec<Value>,
    pub acting: Option<Acting>,
}

pub struct Acting {
    pub rule: MailRule,
    pub body: String,
    pub rewrites: Vec<String>,
    pub found: Vec<Found>,
    pub text: String,
}

/// Tries `rules` on a mail (also what the console's rule test shows).
pub fn decide(rules: &[MailRule], sender: &str, subject: &str, body: &str) -> Decision {
    let mail = MailText {
        sender,
        subject,
        body,
    };
    let mut out = Vec::new();
    let mut acting = None;
    for r in rules {
        let (matched, reasons) = match Matcher::compile(&r.match_mode, &r.conditions(), "") {
            Ok(m) => m.test(&mail),
            // Saved rules were checked; one that no longer compiles acts on nothing.
            Err(_) => (false, vec![]),
        };
        let acts = matched && acting.is_none();
        out.push(json!({
            "id": r.id, "name": r.name, "matched": matched, "acted": acts,
            "reasons": reasons,
        }));
        if acts {
            acting = Some(act(r, subject, body));
        }
    }
    Decision { rules: out, acting }
}

/// The rewritten body, the municipalities it and the subject name (after
/// rewriting, so the sender's own address in a cut signature names none),
/// and the message text.
pub fn act(r: &MailRule, subject: &str, body: &str) -> Acting {
    let (body, rewrites) = rules::rewrite(body, &r.rewrites());
    let found = if r.extract_municipalities {
        places::municipalities_in(&format!("{subject}\n{body}"))
    } else {
        vec![]
    };
    let names = found
        .iter()
        .map(|f| f.municipality)
        .collect::<Vec<_>>()
        .join("・");
    let text = rules::fill(&r.template, subject, &body, &names);
    Acting {
        rule: r.clone(),
        body,
        rewrites,
        found,
        text,
    }
}

/// Processes one kept mail (the job).
pub async fn process(app: &App, id: i64) -> Result<(), JobError> {
    let started = std::time::Instant::now();
    let mut conn = app.db.get().await.map_err(anyhow::Error::from)?;
    let mail = match claim(&mut conn, id).await.map_err(anyhow::Error::from)? {
        Claim::Taken => return Ok(()),
        Claim::Recovered(delivery) => {
            finish(
                &mut conn,
                id,
                "sent",
                json!({"note": "中断した処理の配信を引き継ぎました"}),
                None,
                Some(delivery),
            )
            .await?;
            return Ok(());
        }
        Claim::Mine(m) => m,
    };
    let rules = rulebook::in_order(&mut conn, true)
        .await
        .map_err(anyhow::Error::from)?;
    let decision = decide(&rules, &mail.sender, &mail.subject, &mail.body);
    let Some(a) = decision.acting else {
        let d = json!({ "rules": decision.rules, "note": NO_RULE_NOTE });
        finish(&mut conn, mail.id, "no_rule", d, None, None).await?;
        return Ok(());
    };
    let built = target::build(&mut conn, &a.rule.audience(), &a.found)
        .await
        .map_err(anyhow::Error::from)?;
    drop(conn);
    let mut record = json!({
        "rules": decision.rules,
        "municipalities": a.found,
        "rewrites": a.rewrites,
        "text": a.text,
    });
    let (outcome, delivery) = match built {
        Err(why) => {
            record["note"] = json!(why);
            ("skipped", None)
        }
        Ok(expr) => match deliver(app, &mail, &a, expr).await {
            Ok(d) => (
                if a.rule.mode == "draft" {
                    "drafted"
                } else {
                    "sent"
                },
                Some(d),
            ),
            Err(why) => {
                record["note"] = json!(why);
                ("failed", None)
            }
        },
    };
    if a.rule.disaster_mode {
        record["disasterMode"] = json!(to_disaster_mode(app).await);
    }
    let mut conn = app.db.get().await.map_err(anyhow::Error::from)?;
    finish(
        &mut conn,
        mail.id,
        outcome,
        record,
        Some(a.rule.id),
        delivery,
    )
    .await?;
    metrics::histogram!("tenohira_mailin_process_seconds").record(started.elapsed().as_secs_f64());
    Ok(())
}

/// Switches the rich menu to disaster mode unless it is on or a switch is
/// under way already (a storm of alerts asks once, not once per mail); what
/// happened, in words for the mail's record.
async fn to_disaster_mode(app: &App) -> String {
    use crate::richmenu::disaster;
    let state = match app.db.get().await {
        Ok(mut conn) => match disaster::is_on(&mut conn).await {
            Ok(true) => Ok(Some("既に災害時メニューです")),
            Ok(false) => match disaster::switching(&mut conn).await {
                Ok(true) => Ok(Some("切り替えが処理中のため、新たな切り替えはしていません")),
                Ok(false) => Ok(None),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    match state {
        Ok(Some(already)) => already.to_string(),
        Ok(None) => match disaster::start(app, &Caller::system(), true).await {
            Ok(_) => "災害時メニューに切り替えました".to_string(),
            Err(e) => format!("災害時メニューに切り替えられませんでした: {e}"),
        },
        Err(e) => {
            tracing::warn!(error = %e, "mail-in: the disaster mode could not be read");
            "災害時メニューの状態を確認できず、切り替えていません".to_string()
        }
    }
}

async fn deliver(
    app: &App,
    mail: &Mail,
    a: &Acting,
    expr: crate::audience::expr::Expr,
) -> Result<i64, String> {
    let title: String = format!("【メール】{}", mail.subject)
        .chars()
        .take(100)
        .collect();
    let names: Vec<&str> = a.found.iter().map(|f| f.municipality).collect();
    crate::delivery::service::send_on_behalf(
        app,
        &Caller::system(),
        crate::delivery::service::OnBehalf {
            title,
            messages: vec![Message::Text { text: a.text.clone() }],
            target: Target::Expression(expr),
            audit_action: DELIVER_ACTION,
            audit_summary: json!({ "mail": mail.id.to_string(), "rule": a.rule.name, "municipalities": names }),
            awaiting_approval: a.rule.mode == "draft",
        },
    )
    .await
    .map_err(|e| {
        tracing::warn!(mail = mail.id, error = %e, "a mail rule's delivery was refused");
        format!("配信を作成できませんでした: {}", e)
    })
}

/// Records the outcome and its audit row in one transaction.
async fn finish(
    conn: &mut AsyncPgConnection,
    id: i64,
    outcome: &'static str,
    decision: Value,
    rule: Option<i32>,
    delivery: Option<i64>,
) -> Result<(), JobError> {
    conn.transaction::<(), anyhow::Error, _>(async move |conn| {
        record_outcome(conn, id, outcome, decision, rule, delivery).await
    })
    .await?;
    Ok(())
}

/// Writes the outcome over the claim and its audit row (in the caller's transaction).
async fn record_outcome(
    conn: &mut AsyncPgConnection,
    id: i64,
    outcome: &'static str,
    decision: Value,
    rule: Option<i32>,
    delivery: Option<i64>,
) -> anyhow::Result<()> {
    let summary = json!({ "outcome": outcome, "rule": rule, "delivery": delivery, "note": decision.get("note") });
    diesel::update(outcomes::table.find(id))
        .set((
            outcomes::outcome.eq(outcome),
            outcomes::decision.eq(&decision),
            outcomes::rule_id.eq(rule),
            outcomes::delivery_id.eq(delivery),
            outcomes::processed_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    crate::audit::record(
        conn,
        &Caller::system(),
        "mailin.decision",
        Some(crate::audit::Target::new("inbound_mail", id)),
        summary,
        crate::audit::Outcome::Success,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    metrics::counter!("tenohira_mailin_processed_total", "outcome" => outcome).increment(1);
    tracing::info!(mail = id, outcome, ?delivery, "mail processed");
    Ok(())
}

/// Mails whose job was lost (or whose worker died): received a while ago
/// and not processed. Run every few seconds by the workers.
pub async fn sweep(app: &App) -> anyhow::Result<usize> {
    let mut conn = app.db.get().await?;
    let quiet = Utc::now() - Duration::seconds(5);
    let stale = Utc::now() - Duration::seconds(CLAIM_STALE_SECS);
    let ids: Vec<i64> = mails::table
        .left_join(outcomes::table)
        .filter(mails::status.eq("received"))
        .filter(mails::received_at.lt(quiet))
        // A day back is the recovery window; older mails are history.
        .filter(mails::received_at.gt(Utc::now() - Duration::days(1)))
        .filter(
            outcomes::mail_id.is_null().or(outcomes::outcome
                .eq("processing")
                .and(outcomes::processed_at.lt(stale))),
        )
        .order(mails::id)
        .limit(100)
        .select(mails::id)
        .load(&mut conn)
        .await?;
    drop(conn);
    for id in &ids {
        if let Err(e) = process(app, *id).await {
            tracing::warn!(mail = id, error = %e, "a swept mail could not be processed");
        }
    }
    Ok(ids.len())
}
