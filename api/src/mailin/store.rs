//! Who may send alert mails, and each received mail kept as text. A mail
//! with a Message-ID or a digest seen in the last day is kept as a
//! duplicate of the first (shown, never acted on).

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::decode::Decoded;
use crate::db::schema::{inbound_mails as mails, mail_senders as senders};

/// Whether `address` (an envelope sender) is on the allow-list, by address or domain.
pub async fn sender_allowed(conn: &mut AsyncPgConnection, address: &str) -> QueryResult<bool> {
    let address = address.trim().to_lowercase();
    let Some((_, domain)) = address.rsplit_once('@') else {
        return Ok(false);
    };
    diesel::select(diesel::dsl::exists(
        senders::table.filter(
            senders::kind
                .eq("address")
                .and(senders::pattern.eq(&address))
                .or(senders::kind.eq("domain").and(senders::pattern.eq(domain))),
        ),
    ))
    .get_result(conn)
    .await
}

/// A mail as the listener took it.
pub struct Received<'a> {
    pub via: &'a str,
    pub envelope_from: &'a str,
    pub recipients: &'a [String],
    pub size: usize,
    pub decoded: Decoded,
}

/// A kept mail: its id, whether it repeats an earlier one, and whether a
/// job was staged for it (a rule matched).
pub struct Kept {
    pub id: i64,
    pub duplicate: bool,
    pub queued: bool,
}

/// Keeps the mail; answers its id and whether it repeats one seen in the
/// last day. Two copies arriving at once are serialised by advisory locks
/// on the digest and the Message-ID (always taken in that order), so one
/// of them is the duplicate.
pub async fn keep(conn: &mut AsyncPgConnection, m: Received<'_>) -> QueryResult<Kept> {
    use diesel_async::AsyncConnection;
    conn.transaction(async move |conn| keep_locked(conn, m).await)
        .await
}

/// After a mail is kept: its processing job to Redis now rather than at
/// the next outbox flush (the alert's seconds count). The connection the
/// mail was kept on is given back first: the flush takes one of its own,
/// and fifty clients each holding one while waiting for another starve the
/// pool (measured: 6 mails/s and 5 s per mail before this).
pub async fn hand_on<C>(app: &crate::app::App, kept_on: C, kept: &Kept) {
    drop(kept_on);
    if !kept.queued {
        return;
    }
    if let Err(e) = app.outbox.flush().await {
        tracing::warn!(error = %e, "a kept mail waits for the next outbox flush");
    }
}

/// Advisory-lock namespaces (the first key of the two-key form).
const LOCK_DIGEST: i32 = 0x6d61_696c;
const LOCK_MESSAGE_ID: i32 = 0x6d61_6964;

async fn keep_locked(conn: &mut AsyncPgConnection, m: Received<'_>) -> QueryResult<Kept> {
    let since = Utc::now() - Duration::days(1);
    let d = &m.decoded;
    let lock = "SELECT pg_advisory_xact_lock($1, hashtext($2))";
    diesel::sql_query(lock)
        .bind::<diesel::sql_types::Integer, _>(LOCK_DIGEST)
        .bind::<diesel::sql_types::Text, _>(&d.digest)
        .execute(conn)
        .await?;
    if let Some(id) = &d.message_id {
        diesel::sql_query(lock)
            .bind::<diesel::sql_types::Integer, _>(LOCK_MESSAGE_ID)
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(conn)
            .await?;
    }
    let earlier: Option<i64> = mails::table
        .filter(mails::status.eq("received"))
        .filter(mails::received_at.gt(since))
        .filter(
            mails::digest.eq(&d.digest).or(mails::message_id
                .is_not_null()
                .and(mails::message_id.eq(&d.message_id))),
        )
        .order(mails::id)
        .select(mails::id)
        .first(conn)
        .await
        .optional()?;
    let id: i64 = diesel::insert_into(mails::table)
        .values((
            mails::via.eq(m.via),
            mails::envelope_from.eq(m.envelope_from.to_lowercase()),
            mails::recipients.eq(m.recipients),
            mails::message_id.eq(&d.message_id),
            mails::digest.eq(&d.digest),
            mails::from_header.eq(&d.from),
            mails::subject.eq(&d.subject),
            mails::body.eq(&d.body),
            mails::attachments.eq(d.attachments as i32),
            mails::size_bytes.eq(m.size as i32),
            mails::status.eq(if earlier.is_some() {
                "duplicate"
            } else {
                "received"
            }),
            mails::duplicate_of.eq(earlier),
            mails::headers.eq(&d.headers),
            mails::auth.eq(serde_json::json!({ "spf": d.spf, "dkim": d.dkim })),
        ))
        .returning(mails::id)
        .get_result(conn)
        .await?;
    let sender = super::process::sender_of(m.envelope_from.to_lowercase(), d.from.clone());
    let queued = earlier.is_none()
        && !super::process::settle_if_unmatched(conn, id, &sender, &d.subject, &d.body).await?;
    if queued {
        crate::registry::stage(conn, &super::process::Process { mail: id })
            .await
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
    }
    Ok(Kept {
        id,
        duplicate: earlier.is_some(),
        queued,
    })
}
