//! Rich menus over GraphQL (staff console and integrations with
//! `richmenu.manage`): list, read, create and save drafts, publish (a job
//! whose progress is read back) and roll back (a publish of an earlier version).

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::model::Definition;
use super::store::{self, Draft};
use crate::gql::ContextExt;

/// Who sees a menu once it is live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "RichMenuAudience")]
pub enum Audience {
    /// Nobody until chosen (a proposal, a spare).
    None,
    /// Every friend without a menu of their own (LINE's default menu).
    Default,
    /// The friends in a saved segment (linked per resident).
    Segment,
    /// Everyone while disaster mode is on.
    Disaster,
}

impl Audience {
    fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Default => "default",
            Self::Segment => "segment",
            Self::Disaster => "disaster",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "default" => Self::Default,
            "segment" => Self::Segment,
            "disaster" => Self::Disaster,
            _ => Self::None,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct RichMenu {
    pub id: i32,
    pub name: String,
    pub audience: Audience,
    pub segment_id: Option<i32>,
    /// The version residents see; none: not on LINE.
    pub live_version: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Menu> for RichMenu {
    fn from(m: store::Menu) -> Self {
        Self {
            id: m.id,
            audience: Audience::parse(&m.audience),
            name: m.name,
            segment_id: m.segment_id,
            live_version: m.live_version,
            updated_at: m.updated_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct RichMenuVersion {
    pub version: i32,
    pub definition: Definition,
    pub created_at: DateTime<Utc>,
    /// When it first went live; a version that has been live is never edited.
    pub published_at: Option<DateTime<Utc>>,
    pub live: bool,
}

#[ComplexObject]
impl RichMenu {
    /// Residents linked to it on LINE now (a segment menu's residents).
    async fn linked_residents(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(super::links::count_for(ctx.app(), ctx.caller(), self.id).await?)
    }

    /// Every version, newest first.
    async fn versions(&self, ctx: &Context<'_>) -> Result<Vec<RichMenuVersion>> {
        let mut out = Vec::new();
        for v in store::versions_for(ctx.app(), ctx.caller(), self.id).await? {
            out.push(RichMenuVersion {
                definition: v.definition()?,
                live: self.live_version == Some(v.version),
                version: v.version,
                created_at: v.created_at,
                published_at: v.published_at,
            });
        }
        Ok(out)
    }
}

#[derive(InputObject)]
pub struct RichMenuInput {
    pub name: String,
    #[graphql(default_with = "Audience::None")]
    pub audience: Audience,
    /// For `SEGMENT` only.
    pub segment_id: Option<i32>,
    pub definition: Definition,
}

impl From<RichMenuInput> for Draft {
    fn from(i: RichMenuInput) -> Self {
        Self {
            name: i.name,
            audience: i.audience.as_str().to_string(),
            segment_id: i.segment_id,
            definition: i.definition,
        }
    }
}

#[derive(SimpleObject)]
pub struct SavedRichMenu {
    pub menu: RichMenu,
    /// The draft's version number.
    pub version: i32,
    /// What staff should know (an oversize PNG re-encoded to fit, say).
    pub notices: Vec<String>,
}

/// A publish (or rollback) of one version, run as a job.
#[derive(SimpleObject)]
pub struct RichMenuPublish {
    pub id: i64,
    pub menu_id: i32,
    pub version: i32,
    /// QUEUED | RUNNING | DONE | FAILED
    pub state: String,
    /// What it is doing now.
    pub step: String,
    /// LINE's refusals (or ours), field by field.
    pub problems: Vec<PublishProblem>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject, serde::Deserialize)]
#[graphql(name = "RichMenuPublishProblem")]
pub struct PublishProblem {
    pub field: String,
    pub message: String,
}

impl From<super::publish::Publish> for RichMenuPublish {
    fn from(p: super::publish::Publish) -> Self {
        Self {
            id: p.id,
            menu_id: p.menu_id,
            version: p.version,
            state: p.state.to_uppercase(),
            step: p.step,
            problems: serde_json::from_value(p.problems).unwrap_or_default(),
            created_at: p.created_at,
            finished_at: p.finished_at,
        }
    }
}

/// A switch of disaster mode, on or off (a job).
#[derive(SimpleObject)]
pub struct RichMenuDisasterSwitch {
    pub id: i64,
    pub on: bool,
    /// QUEUED | RUNNING | DONE | FAILED
    pub state: String,
    pub step: String,
    /// Residents with menus of their own moved so far, of how many.
    pub residents_moved: i32,
    pub residents_total: i32,
    pub problem: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<super::disaster::Switch> for RichMenuDisasterSwitch {
    fn from(s: super::disaster::Switch) -> Self {
        Self {
            id: s.id,
            on: s.turn_on,
            state: s.state.to_uppercase(),
            step: s.step,
            residents_moved: s.residents_moved,
            residents_total: s.residents_total,
            problem: s.problem,
            created_at: s.created_at,
            finished_at: s.finished_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct RichMenuDisasterMode {
    /// Whether every resident is shown the disaster menu now.
    pub on: bool,
    /// The newest switch (under way, or the one that set the mode).
    pub last_switch: Option<RichMenuDisasterSwitch>,
}

/// An image drawn from a template.
#[derive(SimpleObject)]
#[graphql(name = "RichMenuDrawnImage")]
pub struct DrawnImage {
    pub image: uuid::Uuid,
    /// Where to see or download it.
    pub url: String,
}

#[derive(Default)]
pub struct RichMenuQuery;

#[Object]
impl RichMenuQuery {
    /// Every rich menu (one page or a tab set), oldest first.
    async fn rich_menus(&self, ctx: &Context<'_>) -> Result<Vec<RichMenu>> {
        Ok(store::list(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn rich_menu(&self, ctx: &Context<'_>, id: i32) -> Result<Option<RichMenu>> {
        Ok(store::get(ctx.app(), ctx.caller(), id)
            .await?
            .map(Into::into))
    }

    /// Whether disaster mode is on, and the newest switch's progress.
    async fn rich_menu_disaster_mode(&self, ctx: &Context<'_>) -> Result<RichMenuDisasterMode> {
        let (on, last) = super::disaster::latest(ctx.app(), ctx.caller()).await?;
        Ok(RichMenuDisasterMode {
            on,
            last_switch: last.map(Into::into),
        })
    }

    /// Taps per area and JST day (`from`–`to` inclusive, ≤ 400 days), all versions.
    async fn rich_menu_taps(
        &self,
        ctx: &Context<'_>,
        menu_id: i32,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<super::taps::TapCount>> {
        Ok(super::taps::counts(ctx.app(), ctx.caller(), menu_id, from, to).await?)
    }

    /// A publish's progress and outcome.
    async fn rich_menu_publish(
        &self,
        ctx: &Context<'_>,
        id: i64,
    ) -> Result<Option<RichMenuPublish>> {
        Ok(super::publish::get(ctx.app(), ctx.caller(), id)
            .await?
            .map(Into::into))
    }
}

#[derive(Default)]
pub struct RichMenuMutation;

#[Object]
impl RichMenuMutation {
    /// A new menu; its first version is a draft.
    async fn create_rich_menu(
        &self,
        ctx: &Context<'_>,
        input: RichMenuInput,
    ) -> Result<SavedRichMenu> {
        let (menu, notices) = store::create(ctx.app(), ctx.caller(), input.into()).await?;
        Ok(SavedRichMenu {
            menu: menu.into(),
            version: 1,
            notices,
        })
    }

    /// A new menu started from the release proposals' templates (with three
    /// tabs, or one page without), its images drawn; its first version is a draft.
    async fn create_rich_menu_from_template(
        &self,
        ctx: &Context<'_>,
        name: String,
        with_tabs: bool,
    ) -> Result<SavedRichMenu> {
        ctx.caller()
            .require(crate::auth::Permission::RichmenuManage)?;
        store::check_new_name(ctx.app(), &name, "name").await?;
        let definition = super::demo::starter(ctx.app(), with_tabs)
            .await
            .map_err(|e| crate::error::AppError::bad_input("withTabs", format!("{e:#}")))?;
        let draft = Draft {
            name,
            audience: "none".into(),
            segment_id: None,
            definition,
        };
        let (menu, notices) = store::create(ctx.app(), ctx.caller(), draft).await?;
        Ok(SavedRichMenu {
            menu: menu.into(),
            version: 1,
            notices,
        })
    }

    /// Saves the draft (a new version once the newest has been live).
    async fn save_rich_menu_draft(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: RichMenuInput,
    ) -> Result<SavedRichMenu> {
        let (menu, version, notices) =
            store::save_draft(ctx.app(), ctx.caller(), id, input.into()).await?;
        Ok(SavedRichMenu {
            menu: menu.into(),
            version,
            notices,
        })
    }

    /// Draws a page's image from a template (Japanese labels in Noto Sans
    /// CJK, the colour-blind-safe palette) and stores it; put the answer's
    /// `image` on the page. The picture is at `/media/<image>` to download.
    async fn draw_rich_menu_image(
        &self,
        ctx: &Context<'_>,
        template: super::template::Template,
        width: i32,
        height: i32,
    ) -> Result<DrawnImage> {
        let image = super::template::draw(ctx.app(), ctx.caller(), template, width, height).await?;
        Ok(DrawnImage {
            url: format!("/media/{image}"),
            image,
        })
    }

    /// Shows every resident the disaster menu (`on: true`), or gives each
    /// their own menu back (a job; follow it with `richMenuDisasterMode`).
    async fn set_rich_menu_disaster_mode(
        &self,
        ctx: &Context<'_>,
        on: bool,
    ) -> Result<RichMenuDisasterSwitch> {
        Ok(super::disaster::start(ctx.app(), ctx.caller(), on)
            .await?
            .into())
    }

    /// Publishes a version to LINE (a job; follow it with `richMenuPublish`).
    /// Publishing an earlier version is the rollback.
    async fn publish_rich_menu(
        &self,
        ctx: &Context<'_>,
        id: i32,
        version: i32,
    ) -> Result<RichMenuPublish> {
        Ok(super::publish::start(ctx.app(), ctx.caller(), id, version)
            .await?
            .into())
    }
}
