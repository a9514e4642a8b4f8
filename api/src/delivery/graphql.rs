//! The delivery API for the console and for other prefecture systems (a
//! service token with `delivery.create` / `delivery.send`).

use async_graphql::{Context, Enum, InputObject, Json, Object, OneofObject, Result, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::model::{self, Message, Run, Target};
use super::{service, testers};
use crate::audience::graphql::SegmentExpr;
use crate::error::{AppError, FieldError};
use crate::gql::ContextExt;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum DeliveryStatus {
    /// 下書き
    Draft,
    /// 配信予約済み
    Scheduled,
    /// 配信中
    Sending,
    /// 配信完了
    Completed,
    /// 取り消し
    Cancelled,
}

impl DeliveryStatus {
    fn parse(s: &str) -> Self {
        match s {
            "scheduled" => Self::Scheduled,
            "sending" => Self::Sending,
            "completed" => Self::Completed,
            "cancelled" => Self::Cancelled,
            _ => Self::Draft,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Sending => "sending",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One message: `type` is text, image, video or buttons (a capability's invitation, e.g. a survey's).
#[derive(SimpleObject)]
pub struct DeliveryMessage {
    r#type: String,
    text: Option<String>,
    media_id: Option<Uuid>,
    preview_media_id: Option<Uuid>,
}

impl From<Message> for DeliveryMessage {
    fn from(m: Message) -> Self {
        match m {
            Message::Text { text } => Self {
                r#type: "text".into(),
                text: Some(text),
                media_id: None,
                preview_media_id: None,
            },
            Message::Image { media_id } => Self {
                r#type: "image".into(),
                text: None,
                media_id: Some(media_id),
                preview_media_id: None,
            },
            Message::Video {
                media_id,
                preview_media_id,
            } => Self {
                r#type: "video".into(),
                text: None,
                media_id: Some(media_id),
                preview_media_id: Some(preview_media_id),
            },
            Message::Buttons { text, .. } => Self {
                r#type: "buttons".into(),
                text: Some(text),
                media_id: None,
                preview_media_id: None,
            },
        }
    }
}

/// Whom a delivery reaches: `kind` is all, segment, expression or friends.
#[derive(SimpleObject)]
pub struct DeliveryTarget {
    kind: String,
    segment_id: Option<i32>,
    expression: Option<Json<serde_json::Value>>,
    friend_ids: Option<Vec<String>>,
}

impl From<Target> for DeliveryTarget {
    fn from(t: Target) -> Self {
        let mut out = Self {
            kind: String::new(),
            segment_id: None,
            expression: None,
            friend_ids: None,
        };
        match t {
            Target::All => out.kind = "all".into(),
            Target::Segment(s) => {
                out.kind = "segment".into();
                out.segment_id = Some(s);
            }
            Target::Expression(e) => {
                out.kind = "expression".into();
                out.expression = serde_json::to_value(e).ok().map(Json);
            }
            Target::Friends(ids) => {
                out.kind = "friends".into();
                out.friend_ids = Some(ids.iter().map(i64::to_string).collect());
            }
        }
        out
    }
}

pub struct Delivery(model::Delivery, Option<Run>);

#[Object]
impl Delivery {
    async fn id(&self) -> i64 {
        self.0.id
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn messages(&self) -> Vec<DeliveryMessage> {
        self.0.message_list().into_iter().map(Into::into).collect()
    }
    async fn target(&self) -> Option<DeliveryTarget> {
        self.0.target_value().map(Into::into)
    }
    /// Whom it reaches, in words: all friends, a saved segment's name and
    /// conditions, the conditions built for it, or the chosen friends.
    async fn target_description(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(service::describe_target(ctx.app(), &self.0).await?)
    }
    /// How many following friends it would reach if sent now (drafts and
    /// scheduled deliveries); the recipients fixed at its start afterwards.
    async fn expected_recipients(&self, ctx: &Context<'_>) -> Result<i64> {
        match &self.1 {
            Some(run) => Ok(i64::from(run.recipients)),
            None => Ok(service::expected_recipients(ctx.app(), &self.0).await? as i64),
        }
    }
    async fn status(&self) -> DeliveryStatus {
        DeliveryStatus::parse(&self.0.status)
    }
    /// The author's team requires a second person's approval.
    async fn requires_approval(&self) -> bool {
        self.0.requires_approval
    }
    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at
    }
    /// Login id or service name of the author.
    async fn created_by(&self) -> &str {
        &self.0.created_by_label
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn scheduled_at(&self) -> Option<DateTime<Utc>> {
        self.0.scheduled_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.1.as_ref().map(|r| r.started_at)
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.1.as_ref().and_then(|r| r.finished_at)
    }
    /// Friends fixed as recipients when sending started.
    async fn recipients(&self) -> i32 {
        self.1.as_ref().map_or(0, |r| r.recipients)
    }
    /// Recipients LINE accepted.
    async fn accepted(&self) -> i32 {
        self.1.as_ref().map_or(0, |r| r.accepted)
    }
    /// Recipients that could not be sent to.
    async fn failed(&self) -> i32 {
        self.1.as_ref().map_or(0, |r| r.failed)
    }
    async fn batches_total(&self) -> i32 {
        self.1.as_ref().map_or(0, |r| r.batches_total)
    }
    async fn batches_done(&self) -> i32 {
        self.1.as_ref().map_or(0, |r| r.batches_done)
    }
    /// Seconds from start to the last batch's result.
    async fn duration_seconds(&self) -> Option<f64> {
        let r = self.1.as_ref()?;
        Some((r.finished_at? - r.started_at).num_milliseconds() as f64 / 1000.0)
    }
    /// The `customAggregationUnits` name, to join LINE's own insight.
    async fn aggregation_unit(&self) -> &str {
        &self.0.aggregation_unit
    }
}

#[derive(SimpleObject)]
pub struct DeliveryPage {
    items: Vec<Delivery>,
    total_count: i64,
}

#[derive(SimpleObject)]
pub struct DeliveryTotals {
    deliveries: i64,
    recipients: i64,
    accepted: i64,
    failed: i64,
}

#[derive(SimpleObject)]
pub struct TesterLinkCode {
    /// Send this text to the official account from your own LINE.
    code: String,
    expires_at: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct VideoInput {
    media_id: Uuid,
    preview_media_id: Uuid,
}

/// One message: exactly one of the fields.
#[derive(OneofObject)]
pub enum DeliveryMessageInput {
    /// Text (≤ 5,000 UTF-16 units).
    Text(String),
    /// An uploaded image's media id.
    Image(Uuid),
    Video(VideoInput),
}

/// Whom to reach: exactly one of the fields.
#[derive(OneofObject)]
pub enum DeliveryTargetInput {
    /// Every following friend (give `true`).
    All(bool),
    SegmentId(i32),
    Expression(SegmentExpr),
    /// Internal friend ids (as in `Friend.id`).
    FriendIds(Vec<String>),
}

#[derive(InputObject)]
pub struct DeliveryInput {
    title: String,
    messages: Vec<DeliveryMessageInput>,
    target: DeliveryTargetInput,
}

#[derive(InputObject, Default)]
pub struct DeliveryFilter {
    status: Option<DeliveryStatus>,
    /// Part of the title.
    title: Option<String>,
    /// Created at or after.
    from: Option<DateTime<Utc>>,
    /// Created before.
    to: Option<DateTime<Utc>>,
}

impl From<DeliveryFilter> for service::ListFilter {
    fn from(f: DeliveryFilter) -> Self {
        Self {
            status: f.status.map(|s| s.as_str().to_string()),
            title: f.title,
            from: f.from,
            to: f.to,
        }
    }
}

fn target(t: DeliveryTargetInput) -> Result<Target, AppError> {
    Ok(match t {
        DeliveryTargetInput::All(true) => Target::All,
        DeliveryTargetInput::All(false) => {
            return Err(AppError::bad_input(
                "target.all",
                "全員に送る場合は true を指定してください",
            ));
        }
        DeliveryTargetInput::SegmentId(s) => Target::Segment(s),
        DeliveryTargetInput::Expression(e) => Target::Expression(e.into()),
        DeliveryTargetInput::FriendIds(ids) => {
            let mut out = Vec::with_capacity(ids.len());
            for (i, id) in ids.iter().enumerate() {
                match id.parse::<i64>() {
                    Ok(n) if n > 0 => out.push(n),
                    _ => {
                        return Err(AppError::BadInput(vec![FieldError::new(
                            format!("target.friendIds[{i}]"),
                            "友だちIDが正しくありません",
                        )]));
                    }
                }
            }
            Target::Friends(out)
        }
    })
}

fn draft(input: DeliveryInput) -> Result<service::Draft, AppError> {
    Ok(service::Draft {
        title: input.title,
        messages: input
            .messages
            .into_iter()
            .map(|m| match m {
                DeliveryMessageInput::Text(text) => Message::Text { text },
                DeliveryMessageInput::Image(media_id) => Message::Image { media_id },
                DeliveryMessageInput::Video(v) => Message::Video {
                    media_id: v.media_id,
                    preview_media_id: v.preview_media_id,
                },
            })
            .collect(),
        target: target(input.target)?,
    })
}

#[derive(Default)]
pub struct DeliveryQuery;

#[Object]
impl DeliveryQuery {
    /// Deliveries, newest first, with their statistics. Needs `delivery.create`, `delivery.send` or `delivery.approve`.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        filter: Option<DeliveryFilter>,
        #[graphql(default = 0)] offset: i64,
        #[graphql(default = 50)] limit: i64,
    ) -> Result<DeliveryPage> {
        let (rows, total) = service::list(
            ctx.app(),
            ctx.caller(),
            filter.unwrap_or_default().into(),
            offset,
            limit,
        )
        .await?;
        Ok(DeliveryPage {
            items: rows.into_iter().map(|(d, r)| Delivery(d, r)).collect(),
            total_count: total,
        })
    }

    /// Needs `delivery.create`, `delivery.send` or `delivery.approve`.
    async fn delivery(&self, ctx: &Context<'_>, id: i64) -> Result<Delivery> {
        let (d, r) = service::get(ctx.app(), ctx.caller(), id).await?;
        Ok(Delivery(d, r))
    }

    /// Totals over deliveries created in a period (JST bounds chosen by the client). Same permissions as `deliveries`.
    async fn delivery_totals(
        &self,
        ctx: &Context<'_>,
        filter: Option<DeliveryFilter>,
    ) -> Result<DeliveryTotals> {
        let t = super::stats::totals(ctx.app(), ctx.caller(), filter.unwrap_or_default().into())
            .await?;
        Ok(DeliveryTotals {
            deliveries: t.deliveries,
            recipients: t.recipients,
            accepted: t.accepted,
            failed: t.failed,
        })
    }

    /// How many following friends a target reaches now. Needs `delivery.create`.
    async fn delivery_target_count(
        &self,
        ctx: &Context<'_>,
        target: DeliveryTargetInput,
    ) -> Result<u64> {
        // Field paths already start at `target`.
        let t = self::target(target)?;
        Ok(super::stats::target_count(ctx.app(), ctx.caller(), &t).await?)
    }

    /// When the caller linked a tester LINE account (null: none). Same permissions as `deliveries`.
    async fn my_tester_linked_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        Ok(testers::my_tester(ctx.app(), ctx.caller()).await?)
    }
}

#[derive(Default)]
pub struct DeliveryMutation;

#[Object]
impl DeliveryMutation {
    /// A new draft. Needs `delivery.create`.
    async fn create_delivery(&self, ctx: &Context<'_>, input: DeliveryInput) -> Result<Delivery> {
        let d = draft(input).map_err(|e| e.under("input"))?;
        let created = service::create(ctx.app(), ctx.caller(), d)
            .await
            .map_err(|e| e.under("input"))?;
        Ok(Delivery(created, None))
    }

    /// Changes a draft or scheduled delivery: it becomes a draft again, to be
    /// approved (where required) and scheduled again. Needs `delivery.create`;
    /// another person's delivery only in the author's team or with `delivery.approve`.
    async fn update_delivery(
        &self,
        ctx: &Context<'_>,
        id: i64,
        input: DeliveryInput,
    ) -> Result<Delivery> {
        let d = draft(input).map_err(|e| e.under("input"))?;
        let updated = service::update(ctx.app(), ctx.caller(), id, d)
            .await
            .map_err(|e| e.under("input"))?;
        Ok(Delivery(updated, None))
    }

    /// A new draft with the same content. Needs `delivery.create`.
    async fn duplicate_delivery(&self, ctx: &Context<'_>, id: i64) -> Result<Delivery> {
        Ok(Delivery(
            service::duplicate(ctx.app(), ctx.caller(), id).await?,
            None,
        ))
    }

    /// Deletes a draft or cancelled delivery. Needs `delivery.create`.
    async fn delete_delivery(&self, ctx: &Context<'_>, id: i64) -> Result<bool> {
        Ok(service::delete(ctx.app(), ctx.caller(), id).await?)
    }

    /// Approves another person's delivery. Needs `delivery.approve`.
    async fn approve_delivery(&self, ctx: &Context<'_>, id: i64) -> Result<Delivery> {
        Ok(Delivery(
            service::approve(ctx.app(), ctx.caller(), id).await?,
            None,
        ))
    }

    /// Sends now (no `at`, or a past time) or at `at`. Needs `delivery.send`.
    async fn schedule_delivery(
        &self,
        ctx: &Context<'_>,
        id: i64,
        at: Option<DateTime<Utc>>,
    ) -> Result<Delivery> {
        service::schedule(ctx.app(), ctx.caller(), id, at).await?;
        // Read once more: sending now may already have moved it on.
        let (d, r) = service::get(ctx.app(), ctx.caller(), id).await?;
        Ok(Delivery(d, r))
    }

    /// Cancels a draft or scheduled delivery. Needs `delivery.send` or `delivery.create`.
    async fn cancel_delivery(&self, ctx: &Context<'_>, id: i64) -> Result<Delivery> {
        Ok(Delivery(
            service::cancel(ctx.app(), ctx.caller(), id).await?,
            None,
        ))
    }

    /// Sends the messages to the caller's linked tester LINE account only. Needs `delivery.create`.
    async fn test_send_delivery(&self, ctx: &Context<'_>, id: i64) -> Result<bool> {
        Ok(testers::test_send(ctx.app(), ctx.caller(), id).await?)
    }

    /// A one-time code (10 minutes) to send from your own LINE to link it as your tester account.
    async fn create_tester_link_code(&self, ctx: &Context<'_>) -> Result<TesterLinkCode> {
        let c = testers::create_link_code(ctx.app(), ctx.caller()).await?;
        Ok(TesterLinkCode {
            code: c.code,
            expires_at: c.expires_at,
        })
    }

    /// Removes the caller's tester account.
    async fn unlink_tester(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(testers::unlink(ctx.app(), ctx.caller()).await?)
    }

    /// Whether a team's deliveries need approval by another person. Needs `staff.manage`.
    async fn set_team_delivery_approval(
        &self,
        ctx: &Context<'_>,
        team_id: Uuid,
        required: bool,
    ) -> Result<bool> {
        Ok(
            crate::staff::teams::set_delivery_approval(ctx.app(), ctx.caller(), team_id, required)
                .await?,
        )
    }
}
