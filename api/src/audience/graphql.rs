use async_graphql::{Context, Enum, InputObject, Json, Object, OneofObject, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::expr::Expr;
use super::resident::{self, Settings};
use super::service::{self, AttrOption, Attribute as AttrRow, Node, Segment as SegmentRow};
use crate::friends::graphql::{FriendPage, FriendStatus};
use crate::gql::ContextExt;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum AttributeKind {
    /// 単一選択
    Single,
    /// 複数選択
    Multiple,
    /// 生まれ年（西暦4桁）
    BirthYear,
    /// 性別
    Gender,
    /// 居住地域（市区町村）
    Municipality,
    /// 配信希望地域（複数の市区町村）
    Regions,
    /// 自由記述（セグメント条件には使えません）
    FreeText,
}

/// How the residents' form asks an item: one rule for the LIFF page and the
/// console's preview of it, so the preview cannot draw what the page does not.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum FormControl {
    /// ラジオボタン（1つ選ぶ）
    Radio,
    /// プルダウン（1つ選ぶ、選択肢が多いとき）
    Select,
    /// チェックボックス（いくつでも）
    Checkboxes,
    /// 西暦4桁の入力欄
    Year,
    /// 文章の入力欄
    Text,
}

/// More one-of choices than this are a dropdown: 63 radio buttons fill a phone.
const MAX_RADIO_OPTIONS: usize = 8;

impl FormControl {
    fn of(kind: AttributeKind, live_options: usize) -> Self {
        match kind {
            AttributeKind::Single | AttributeKind::Gender | AttributeKind::Municipality => {
                if live_options > MAX_RADIO_OPTIONS {
                    Self::Select
                } else {
                    Self::Radio
                }
            }
            AttributeKind::Multiple | AttributeKind::Regions => Self::Checkboxes,
            AttributeKind::BirthYear => Self::Year,
            AttributeKind::FreeText => Self::Text,
        }
    }
}

impl AttributeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Multiple => "multiple",
            Self::BirthYear => "birth_year",
            Self::Gender => "gender",
            Self::Municipality => "municipality",
            Self::Regions => "regions",
            Self::FreeText => "free_text",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "single" => Self::Single,
            "multiple" => Self::Multiple,
            "birth_year" => Self::BirthYear,
            "gender" => Self::Gender,
            "municipality" => Self::Municipality,
            "regions" => Self::Regions,
            _ => Self::FreeText,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct AttributeOption {
    pub id: i32,
    pub label: String,
    pub position: i32,
    pub archived: bool,
}

impl From<AttrOption> for AttributeOption {
    fn from(o: AttrOption) -> Self {
        Self {
            id: o.id,
            label: o.label,
            position: o.position,
            archived: o.archived_at.is_some(),
        }
    }
}

#[derive(SimpleObject)]
pub struct Attribute {
    pub id: i32,
    pub name: String,
    pub kind: AttributeKind,
    pub help_text: String,
    pub position: i32,
    /// Archived items are hidden from registration forms; answers and segments keep working.
    pub archived: bool,
    pub options: Vec<AttributeOption>,
    /// How the residents' form asks it (from its live options).
    pub control: FormControl,
}

fn attribute(a: AttrRow, options: Vec<AttrOption>) -> Attribute {
    let kind = AttributeKind::parse(&a.kind);
    let options: Vec<AttributeOption> = options.into_iter().map(Into::into).collect();
    Attribute {
        id: a.id,
        name: a.name,
        control: FormControl::of(kind, options.iter().filter(|o| !o.archived).count()),
        kind,
        help_text: a.help_text,
        position: a.position,
        archived: a.archived_at.is_some(),
        options,
    }
}

/// A receive item: level 1 field, 2 subfield, 3 region.
#[derive(SimpleObject)]
pub struct CategoryNode {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub name: String,
    pub level: i32,
    pub position: i32,
}

impl From<Node> for CategoryNode {
    fn from(n: Node) -> Self {
        Self {
            id: n.id,
            parent_id: n.parent_id,
            name: n.name,
            level: n.level,
            position: n.position,
        }
    }
}

#[derive(InputObject)]
pub struct YearRange {
    pub from: Option<i32>,
    pub to: Option<i32>,
}

/// A segment condition: exactly one of the fields.
#[derive(OneofObject)]
pub enum SegmentExpr {
    And(Vec<SegmentExpr>),
    Or(Vec<SegmentExpr>),
    Not(Box<SegmentExpr>),
    /// Chose at least one of these options.
    AnyOf(Vec<i32>),
    /// Chose every one of these options.
    AllOf(Vec<i32>),
    BirthYear(YearRange),
    GenderIn(Vec<i32>),
    ResidenceIn(Vec<i32>),
    RegionsOverlap(Vec<i32>),
    /// Subscribed to this receive item, an item above it or an item below it.
    SubscribedTo(i32),
    Registered(bool),
    /// Following since (JST day).
    FriendSince(DateTime<Utc>),
}

impl From<SegmentExpr> for Expr {
    fn from(e: SegmentExpr) -> Self {
        match e {
            SegmentExpr::And(v) => Expr::And(v.into_iter().map(Into::into).collect()),
            SegmentExpr::Or(v) => Expr::Or(v.into_iter().map(Into::into).collect()),
            SegmentExpr::Not(b) => Expr::Not(Box::new((*b).into())),
            SegmentExpr::AnyOf(v) => Expr::AnyOf(v),
            SegmentExpr::AllOf(v) => Expr::AllOf(v),
            SegmentExpr::BirthYear(r) => Expr::BirthYear {
                from: r.from,
                to: r.to,
            },
            SegmentExpr::GenderIn(v) => Expr::GenderIn(v),
            SegmentExpr::ResidenceIn(v) => Expr::ResidenceIn(v),
            SegmentExpr::RegionsOverlap(v) => Expr::RegionsOverlap(v),
            SegmentExpr::SubscribedTo(n) => Expr::SubscribedTo(n),
            SegmentExpr::Registered(b) => Expr::Registered(b),
            SegmentExpr::FriendSince(t) => Expr::FriendSince(t),
        }
    }
}

pub struct Segment(SegmentRow);

/// The catalogue's names, read once per request.
async fn names(ctx: &Context<'_>) -> Result<std::sync::Arc<super::describe::Names>> {
    let app = ctx.app();
    Ok(ctx
        .request_cache()
        .get_or_load(|| async {
            let mut conn = app.db.get().await?;
            crate::error::AppResult::Ok(super::describe::Names::load(&mut conn).await?)
        })
        .await?)
}

#[Object]
impl Segment {
    async fn id(&self) -> i32 {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The condition, in the shape of `SegmentExpr`.
    async fn expression(&self) -> Json<serde_json::Value> {
        Json(self.0.expression.clone())
    }
    /// Something the condition names was deleted: whom it reaches has changed.
    async fn needs_review(&self) -> bool {
        self.0.needs_review
    }
    async fn review_reason(&self) -> Option<&str> {
        self.0.review_reason.as_deref()
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The condition in words (「居住地域が 川口市 かつ …」).
    async fn description(&self, ctx: &Context<'_>) -> Result<String> {
        let names = names(ctx).await?;
        Ok(super::describe::describe(&self.0.expr()?, &names))
    }
    /// Following friends the segment reaches now.
    async fn count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(service::count_saved(ctx.app(), ctx.caller(), &self.0.expr()?).await?)
    }
}

#[derive(InputObject)]
pub struct AttributeInput {
    pub name: String,
    pub kind: AttributeKind,
    #[graphql(default)]
    pub help_text: String,
    /// Option labels (gender gets 男性・女性・その他・回答しない when empty).
    #[graphql(default)]
    pub options: Vec<String>,
}

#[derive(InputObject)]
pub struct AttributeChange {
    pub name: Option<String>,
    pub help_text: Option<String>,
    pub archived: Option<bool>,
}

#[derive(InputObject)]
pub struct OptionChange {
    pub label: Option<String>,
    pub archived: Option<bool>,
}

#[derive(InputObject)]
pub struct SegmentInput {
    pub name: String,
    pub expression: SegmentExpr,
}

#[derive(Default)]
pub struct AudienceQuery;

#[Object]
impl AudienceQuery {
    /// Attributes with their options, in form order. Needs `segment.manage` or `delivery.create` (reading).
    async fn attributes(&self, ctx: &Context<'_>) -> Result<Vec<Attribute>> {
        Ok(service::list_attributes(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(|(a, o)| attribute(a, o))
            .collect())
    }

    /// The receive-item tree, level by level. Needs `segment.manage` or `delivery.create` (reading).
    async fn category_tree(&self, ctx: &Context<'_>) -> Result<Vec<CategoryNode>> {
        Ok(service::list_nodes(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Saved segments. Needs `segment.manage` or `delivery.create` (reading).
    async fn segments(&self, ctx: &Context<'_>) -> Result<Vec<Segment>> {
        Ok(service::list_segments(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(Segment)
            .collect())
    }

    /// Needs `segment.manage` or `delivery.create` (reading).
    async fn segment(&self, ctx: &Context<'_>, id: i32) -> Result<Segment> {
        Ok(Segment(
            service::get_segment(ctx.app(), ctx.caller(), id).await?,
        ))
    }

    /// Published registration forms, newest first. Needs `segment.manage`.
    async fn registration_forms(&self, ctx: &Context<'_>) -> Result<Vec<RegistrationFormVersion>> {
        Ok(super::forms::versions(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Live count of following friends an ad-hoc condition reaches. Needs `segment.manage`.
    async fn audience_count(&self, ctx: &Context<'_>, expression: SegmentExpr) -> Result<u64> {
        Ok(service::count(ctx.app(), ctx.caller(), &expression.into(), "expression").await?)
    }
}

#[derive(Default)]
pub struct AudienceMutation;

#[Object]
impl AudienceMutation {
    /// Needs `segment.manage`.
    async fn create_attribute(
        &self,
        ctx: &Context<'_>,
        input: AttributeInput,
    ) -> Result<Attribute> {
        let a = service::create_attribute(
            ctx.app(),
            ctx.caller(),
            service::NewAttribute {
                name: input.name,
                kind: input.kind.as_str().into(),
                help_text: input.help_text,
                options: input.options,
            },
        )
        .await
        .map_err(|e| e.under("input"))?;
        let options = service::list_attributes(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .find(|(x, _)| x.id == a.id)
            .map(|(_, o)| o)
            .unwrap_or_default();
        Ok(attribute(a, options))
    }

    /// Renames, re-describes, archives or restores. Needs `segment.manage`.
    async fn update_attribute(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: AttributeChange,
    ) -> Result<bool> {
        service::update_attribute(
            ctx.app(),
            ctx.caller(),
            id,
            input.name,
            input.help_text,
            input.archived,
        )
        .await
        .map_err(|e| e.under("input"))?;
        Ok(true)
    }

    /// Puts the attributes in this order. Needs `segment.manage`.
    async fn reorder_attributes(&self, ctx: &Context<'_>, ids: Vec<i32>) -> Result<bool> {
        service::reorder(ctx.app(), ctx.caller(), None, ids).await?;
        Ok(true)
    }

    /// Deletes an attribute and residents' answers to it; returns the ids of saved segments flagged for review. Needs `segment.manage`.
    async fn delete_attribute(&self, ctx: &Context<'_>, id: i32) -> Result<Vec<i32>> {
        Ok(service::delete_attribute(ctx.app(), ctx.caller(), id).await?)
    }

    /// Needs `segment.manage`.
    async fn add_attribute_option(
        &self,
        ctx: &Context<'_>,
        attribute_id: i32,
        label: String,
    ) -> Result<AttributeOption> {
        Ok(
            service::add_option(ctx.app(), ctx.caller(), attribute_id, label)
                .await?
                .into(),
        )
    }

    /// Renames, archives or restores an option. Needs `segment.manage`.
    async fn update_attribute_option(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: OptionChange,
    ) -> Result<AttributeOption> {
        Ok(
            service::update_option(ctx.app(), ctx.caller(), id, input.label, input.archived)
                .await
                .map_err(|e| e.under("input"))?
                .into(),
        )
    }

    /// Needs `segment.manage`.
    async fn reorder_attribute_options(
        &self,
        ctx: &Context<'_>,
        attribute_id: i32,
        ids: Vec<i32>,
    ) -> Result<bool> {
        service::reorder(ctx.app(), ctx.caller(), Some(attribute_id), ids).await?;
        Ok(true)
    }

    /// Deletes an option; returns the ids of saved segments flagged for review. Needs `segment.manage`.
    async fn delete_attribute_option(&self, ctx: &Context<'_>, id: i32) -> Result<Vec<i32>> {
        Ok(service::delete_option(ctx.app(), ctx.caller(), id).await?)
    }

    /// Adds a receive item under `parentId` (none: a new field). Needs `segment.manage`.
    async fn create_category_node(
        &self,
        ctx: &Context<'_>,
        parent_id: Option<i32>,
        name: String,
    ) -> Result<CategoryNode> {
        Ok(
            service::create_node(ctx.app(), ctx.caller(), parent_id, name)
                .await?
                .into(),
        )
    }

    /// Needs `segment.manage`.
    async fn rename_category_node(
        &self,
        ctx: &Context<'_>,
        id: i32,
        name: String,
    ) -> Result<CategoryNode> {
        Ok(service::rename_node(ctx.app(), ctx.caller(), id, name)
            .await?
            .into())
    }

    /// Deletes an item and everything under it; returns flagged segment ids. Needs `segment.manage`.
    async fn delete_category_node(&self, ctx: &Context<'_>, id: i32) -> Result<Vec<i32>> {
        Ok(service::delete_node(ctx.app(), ctx.caller(), id).await?)
    }

    /// Publishes a new version of the registration form. Needs `segment.manage`.
    async fn publish_registration_form(
        &self,
        ctx: &Context<'_>,
        input: RegistrationFormInput,
    ) -> Result<RegistrationFormVersion> {
        let items = input
            .items
            .into_iter()
            .map(|i| super::forms::FormItem {
                attribute_id: i.attribute_id,
                required: i.required,
                help_text: i.help_text,
            })
            .collect();
        Ok(
            super::forms::publish(ctx.app(), ctx.caller(), items, input.category_root_ids)
                .await
                .map_err(|e| e.under("input"))?
                .into(),
        )
    }

    /// Creates (no id) or replaces a saved segment; saving clears a review flag. Needs `segment.manage`.
    async fn save_segment(
        &self,
        ctx: &Context<'_>,
        id: Option<i32>,
        input: SegmentInput,
    ) -> Result<Segment> {
        Ok(Segment(
            service::save_segment(
                ctx.app(),
                ctx.caller(),
                id,
                input.name,
                input.expression.into(),
            )
            .await
            .map_err(|e| e.under("input"))?,
        ))
    }

    /// Needs `segment.manage`.
    async fn delete_segment(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        service::delete_segment(ctx.app(), ctx.caller(), id).await?;
        Ok(true)
    }
}

// The residents' side (`/liff/graphql`).

#[derive(SimpleObject)]
pub struct FormAttribute {
    pub id: i32,
    pub name: String,
    pub kind: AttributeKind,
    pub help_text: String,
    pub required: bool,
    pub options: Vec<AttributeOption>,
    /// How to ask it: radio buttons, a dropdown, checkboxes, a year or a text.
    pub control: FormControl,
}

#[derive(SimpleObject)]
pub struct RegistrationForm {
    /// The published form version (null: no form published, every live item is shown).
    pub version: Option<i32>,
    pub attributes: Vec<FormAttribute>,
    pub categories: Vec<CategoryNode>,
}

#[derive(SimpleObject)]
pub struct FormItem {
    pub attribute_id: i32,
    pub required: bool,
    pub help_text: Option<String>,
}

#[derive(InputObject)]
pub struct FormItemInput {
    pub attribute_id: i32,
    #[graphql(default)]
    pub required: bool,
    pub help_text: Option<String>,
}

#[derive(InputObject)]
pub struct RegistrationFormInput {
    /// The items in display order.
    pub items: Vec<FormItemInput>,
    /// Receive-item subtrees to include (their roots).
    #[graphql(default)]
    pub category_root_ids: Vec<i32>,
}

#[derive(SimpleObject)]
pub struct RegistrationFormVersion {
    pub version: i32,
    pub items: Vec<FormItem>,
    pub category_root_ids: Vec<i32>,
    pub created_at: DateTime<Utc>,
}

impl From<super::forms::FormVersion> for RegistrationFormVersion {
    fn from(f: super::forms::FormVersion) -> Self {
        Self {
            version: f.version,
            items: f
                .items
                .into_iter()
                .map(|i| FormItem {
                    attribute_id: i.attribute_id,
                    required: i.required,
                    help_text: i.help_text,
                })
                .collect(),
            category_root_ids: f.category_root_ids,
            created_at: f.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct FreeTextAnswer {
    pub attribute_id: i32,
    pub text: String,
}

#[derive(InputObject)]
pub struct FreeTextInput {
    pub attribute_id: i32,
    pub text: String,
}

#[derive(SimpleObject)]
pub struct MySettings {
    /// The resident has registered settings.
    pub registered: bool,
    pub option_ids: Vec<i32>,
    pub node_ids: Vec<i32>,
    pub birth_year: Option<i32>,
    pub free_text: Vec<FreeTextAnswer>,
}

impl From<Settings> for MySettings {
    fn from(s: Settings) -> Self {
        let mut free_text: Vec<FreeTextAnswer> = s
            .free_text
            .into_iter()
            .map(|(attribute_id, text)| FreeTextAnswer { attribute_id, text })
            .collect();
        free_text.sort_by_key(|f| f.attribute_id);
        Self {
            registered: s.registered,
            option_ids: s.option_ids,
            node_ids: s.node_ids,
            birth_year: s.birth_year,
            free_text,
        }
    }
}

#[derive(InputObject)]
pub struct MySettingsInput {
    #[graphql(default)]
    pub option_ids: Vec<i32>,
    #[graphql(default)]
    pub node_ids: Vec<i32>,
    pub birth_year: Option<i32>,
    #[graphql(default)]
    pub free_text: Vec<FreeTextInput>,
}

#[derive(Default)]
pub struct ResidentAudienceQuery;

#[Object]
impl ResidentAudienceQuery {
    /// What the registration page (受信設定) asks.
    async fn registration_form(&self, ctx: &Context<'_>) -> Result<RegistrationForm> {
        ctx.caller().resident()?;
        let (version, entries, nodes) = resident::form(ctx.app()).await?;
        Ok(RegistrationForm {
            version,
            attributes: entries
                .into_iter()
                .map(|e| {
                    let kind = AttributeKind::parse(&e.attribute.kind);
                    FormAttribute {
                        id: e.attribute.id,
                        name: e.attribute.name,
                        control: FormControl::of(kind, e.options.len()),
                        kind,
                        help_text: e.attribute.help_text,
                        required: e.required,
                        options: e.options.into_iter().map(Into::into).collect(),
                    }
                })
                .collect(),
            categories: nodes.into_iter().map(Into::into).collect(),
        })
    }

    /// The caller's own settings.
    async fn my_settings(&self, ctx: &Context<'_>) -> Result<MySettings> {
        Ok(resident::get(ctx.app(), ctx.caller()).await?.into())
    }
}

#[derive(Default)]
pub struct ResidentAudienceMutation;

#[Object]
impl ResidentAudienceMutation {
    /// Registers or changes the caller's settings (all of them at once).
    async fn save_my_settings(
        &self,
        ctx: &Context<'_>,
        input: MySettingsInput,
    ) -> Result<MySettings> {
        let s = Settings {
            registered: true,
            option_ids: input.option_ids,
            node_ids: input.node_ids,
            birth_year: input.birth_year,
            free_text: input
                .free_text
                .into_iter()
                .map(|f| (f.attribute_id, f.text))
                .collect(),
        };
        Ok(resident::save(ctx.app(), ctx.caller(), s)
            .await
            .map_err(|e| e.under("input"))?
            .into())
    }

    /// Deletes all of the caller's attributes and subscriptions.
    async fn withdraw_my_settings(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(resident::withdraw(ctx.app(), ctx.caller()).await?)
    }
}

/// The friend list, optionally narrowed by a saved segment (the narrowing
/// is the audience's; the list itself is friends').
#[derive(Default)]
pub struct FriendListQuery;

#[Object]
impl FriendListQuery {
    /// Friends, newest first, without personal data. Needs `friends.read`.
    /// Narrowed by a saved segment it also needs `segment.manage`, is audited,
    /// and shows no audience under 5 friends without `friend.export`.
    async fn friends(
        &self,
        ctx: &Context<'_>,
        status: Option<FriendStatus>,
        #[graphql(desc = "Only the (following) friends a saved segment reaches.")]
        segment_id: Option<i32>,
        #[graphql(default = 0)] offset: i64,
        #[graphql(default = 50)] limit: i64,
    ) -> Result<FriendPage> {
        let status = status.map(FriendStatus::as_str);
        let (rows, total) = match segment_id {
            Some(segment) => {
                service::friends_in_segment(ctx.app(), ctx.caller(), segment, status, offset, limit)
                    .await?
            }
            None => {
                crate::friends::service::list(ctx.app(), ctx.caller(), status, offset, limit)
                    .await?
            }
        };
        Ok(FriendPage::of(rows, total))
    }

    /// Following friends with registered settings, and registrations in the
    /// last 7 days (numbers only). Needs `friends.read`.
    async fn registration_counts(&self, ctx: &Context<'_>) -> Result<RegistrationCounts> {
        let c = service::registration_counts(ctx.app(), ctx.caller()).await?;
        Ok(RegistrationCounts {
            registered: c.registered,
            registered_last_7_days: c.registered_last_7_days,
        })
    }
}

#[derive(SimpleObject)]
pub struct RegistrationCounts {
    /// Following friends who have registered their settings.
    pub registered: u64,
    /// Settings registered for the first time in the last 7 days.
    pub registered_last_7_days: i64,
}

#[cfg(test)]
mod form_control_tests {
    use super::{AttributeKind, FormControl, MAX_RADIO_OPTIONS};

    #[test]
    fn many_one_of_choices_are_a_dropdown() {
        assert!(FormControl::of(AttributeKind::Gender, 3) == FormControl::Radio);
        assert!(FormControl::of(AttributeKind::Single, MAX_RADIO_OPTIONS) == FormControl::Radio);
        assert!(FormControl::of(AttributeKind::Municipality, 63) == FormControl::Select);
        assert!(FormControl::of(AttributeKind::Regions, 63) == FormControl::Checkboxes);
        assert!(FormControl::of(AttributeKind::BirthYear, 0) == FormControl::Year);
        assert!(FormControl::of(AttributeKind::FreeText, 0) == FormControl::Text);
    }
}
