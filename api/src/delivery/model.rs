//! What a delivery is: its content (messages), whom it reaches (target), and
//! the rows that record it in PostgreSQL.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audience::expr::Expr;
use crate::db::schema::{deliveries, delivery_runs};
use crate::error::FieldError;
use crate::line::messages;

/// LINE's limit per request, and ours per delivery.
pub const MAX_MESSAGES: usize = 5;
/// Recipients per multicast request (LINE's limit).
pub const BATCH_SIZE: usize = 500;
/// An explicit recipient list is for small, hand-picked audiences.
pub const MAX_FRIEND_LIST: usize = 10_000;

/// One message as staff compose it. Media are referenced by id and turned into
/// LINE's HTTPS URLs when sent, so a stored delivery never holds a stale host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Message {
    Text {
        text: String,
    },
    #[serde(rename_all = "camelCase")]
    Image {
        media_id: Uuid,
    },
    #[serde(rename_all = "camelCase")]
    Video {
        media_id: Uuid,
        preview_media_id: Uuid,
    },
    /// Text with up to four buttons (LINE's buttons template): a link to
    /// open or a postback for the bot. Built by capabilities (a survey's
    /// invitation), not composed by staff.
    Buttons {
        text: String,
        buttons: Vec<Button>,
    },
}

/// One button of a [`Message::Buttons`]: opens `uri`, or posts `data` back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub uri: Option<String>,
    pub data: Option<String>,
}

/// Whom a delivery reaches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    /// Every friend following the account.
    All,
    /// A saved segment, resolved at send time.
    Segment(i32),
    /// An ad-hoc segment expression.
    Expression(Expr),
    /// Hand-picked friends (internal ids).
    Friends(Vec<i64>),
}

/// The LINE message objects for `messages`; `media_url` names a stored file.
pub fn to_line(list: &[Message], media_url: &dyn Fn(Uuid, bool) -> String) -> Vec<Value> {
    list.iter()
        .map(|m| match m {
            Message::Text { text } => json!({ "type": "text", "text": text }),
            Message::Image { media_id } => json!({
                "type": "image",
                "originalContentUrl": media_url(*media_id, false),
                "previewImageUrl": media_url(*media_id, true),
            }),
            Message::Video {
                media_id,
                preview_media_id,
            } => json!({
                "type": "video",
                "originalContentUrl": media_url(*media_id, false),
                "previewImageUrl": media_url(*preview_media_id, true),
            }),
            Message::Buttons { text, buttons } => json!({
                "type": "template",
                "altText": text.chars().take(400).collect::<String>(),
                "template": {
                    "type": "buttons",
                    "text": text,
                    "actions": buttons.iter().map(|b| match (&b.uri, &b.data) {
                        (Some(uri), _) => json!({ "type": "uri", "label": b.label, "uri": uri }),
                        (None, data) => json!({
                            "type": "postback",
                            "label": b.label,
                            "data": data.clone().unwrap_or_default(),
                            "displayText": b.label,
                        }),
                    }).collect::<Vec<_>>(),
                },
            }),
        })
        .collect()
}

/// LINE's own rules on the messages as they will be sent (text length in
/// UTF-16 units, HTTPS URLs, count), with paths like `messages[1].text`.
pub fn validate_messages(
    list: &[Message],
    media_url: &dyn Fn(Uuid, bool) -> String,
) -> Vec<FieldError> {
    if list.is_empty() || list.len() > MAX_MESSAGES {
        return vec![FieldError::new(
            "messages",
            format!("メッセージは1〜{MAX_MESSAGES}件です"),
        )];
    }
    messages::validate(&to_line(list, media_url))
        .into_iter()
        .map(|e| {
            // LINE's URL fields are ours to fill: point staff at the media they chose.
            let field = e
                .field
                .replace(".originalContentUrl", ".mediaId")
                .replace(".previewImageUrl", ".mediaId");
            FieldError::new(field, e.message)
        })
        .collect()
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: i64,
    pub title: String,
    pub messages: Value,
    pub target: Value,
    pub status: String,
    pub team_id: Option<Uuid>,
    pub requires_approval: bool,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub created_by_label: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub aggregation_unit: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub approved_digest: Option<Vec<u8>>,
}

impl Delivery {
    /// What an approval covers: the title, messages and target as stored
    /// (keys in a fixed order, so the same content always gives the same digest).
    pub fn content_digest(&self) -> Vec<u8> {
        use sha2::{Digest, Sha256};
        let content = canonical(&json!([self.title, self.messages, self.target]));
        Sha256::digest(content.to_string().as_bytes()).to_vec()
    }

    /// The delivery may go out as it is now: it needs no approval, or its
    /// approval was given for exactly this content.
    pub fn approval_is_current(&self) -> bool {
        !self.requires_approval
            || (self.approved_by.is_some()
                && self.approved_digest.as_deref() == Some(self.content_digest().as_slice()))
    }

    pub fn message_list(&self) -> Vec<Message> {
        serde_json::from_value(self.messages.clone()).unwrap_or_default()
    }

    pub fn target_value(&self) -> Option<Target> {
        serde_json::from_value(self.target.clone()).ok()
    }

    /// Draft or scheduled: content and time may still change.
    pub fn editable(&self) -> bool {
        matches!(self.status.as_str(), "draft" | "scheduled")
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = delivery_runs)]
pub struct Run {
    pub delivery_id: i64,
    pub started_at: DateTime<Utc>,
    pub recipients: i32,
    pub batches_total: i32,
    pub batches_written: i32,
    pub batches_done: i32,
    pub accepted: i32,
    pub failed: i32,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// `v` with every object's keys in sorted order, whatever order they were read in.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The retry key of a batch: the same (delivery, seq) always gives the same
/// key, so a repeat after a crash is a 409 at LINE, not a second message.
pub fn retry_key(delivery: i64, seq: i32) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("tenohira:delivery:{delivery}:{seq}").as_bytes(),
    )
}

/// The key for a batch resent with fewer recipients (after LINE refused some
/// ids): new content needs a new key, derived so that a repeat is stable too.
pub fn next_key(previous: Uuid) -> Uuid {
    Uuid::new_v5(&previous, b"resend")
}

/// The statistics unit name LINE accepts (`^[a-zA-Z0-9_]{1,30}$`).
pub fn aggregation_unit(id_hint: Uuid) -> String {
    format!("d_{}", &id_hint.simple().to_string()[..20])
}
