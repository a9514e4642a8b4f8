//! GraphQL for the pass and the card: the resident's own card on
//! `/liff/graphql`; settings and holder access on `/graphql`.

use async_graphql::{Context, Object, Result, SimpleObject};
use uuid::Uuid;

use super::model::CardInput;
use super::resident::{self, ErasureReceipt, PapaMamaCard};
use super::settings::{self, CardSettings, CardSettingsInput, PassInput, PassVersion};
use super::staff::{self, CardHolder, CardHolderPage};
use crate::gql::ContextExt;

/// The pass as residents see it.
#[derive(SimpleObject)]
pub struct MaitamaPass {
    /// Image paths on this server, in order.
    pub image_urls: Vec<String>,
    pub body: String,
    pub link_url: Option<String>,
    pub version: i64,
}

#[derive(Default)]
pub struct ResidentCardQuery;

#[Object]
impl ResidentCardQuery {
    /// The current Maitama pass (null until staff publish one). Anyone signed in with LINE may show it.
    async fn maitama_pass(&self, ctx: &Context<'_>) -> Result<Option<MaitamaPass>> {
        ctx.caller().resident()?;
        let mut conn = ctx
            .app()
            .db
            .get()
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(settings::current_pass(&mut conn)
            .await?
            .map(|p| MaitamaPass {
                image_urls: p
                    .image_ids
                    .iter()
                    .map(|id| format!("/media/{id}"))
                    .collect(),
                body: p.body,
                link_url: p.link_url,
                version: p.id,
            }))
    }

    /// The signed-in resident's own Papa-Mama card.
    async fn papa_mama_card(&self, ctx: &Context<'_>) -> Result<PapaMamaCard> {
        Ok(resident::view(ctx.app(), ctx.caller()).await?)
    }
}

#[derive(Default)]
pub struct ResidentCardMutation;

#[Object]
impl ResidentCardMutation {
    /// Registers or changes the resident's own card data.
    async fn save_papa_mama_card(
        &self,
        ctx: &Context<'_>,
        input: CardInput,
    ) -> Result<PapaMamaCard> {
        Ok(resident::save(ctx.app(), ctx.caller(), input).await?)
    }

    /// Deletes everything the resident registered (its data key is destroyed).
    async fn delete_papa_mama_card(&self, ctx: &Context<'_>) -> Result<ErasureReceipt> {
        Ok(resident::delete(ctx.app(), ctx.caller()).await?)
    }
}

#[derive(Default)]
pub struct CardQuery;

#[Object]
impl CardQuery {
    /// Published Maitama pass versions, newest first (`pass.manage`).
    async fn maitama_pass_versions(&self, ctx: &Context<'_>) -> Result<Vec<PassVersion>> {
        Ok(settings::pass_history(ctx.app(), ctx.caller()).await?)
    }

    /// The card's current image, notice, barcode and rules (`card.settings`).
    async fn card_settings(&self, ctx: &Context<'_>) -> Result<Option<CardSettings>> {
        Ok(settings::card_settings(ctx.app(), ctx.caller()).await?)
    }

    /// Card holders, by exact name or name part of the holder or a child
    /// (`card.pii.read`, second factor; audited).
    async fn card_holders(
        &self,
        ctx: &Context<'_>,
        name: Option<String>,
        #[graphql(default = 20)] first: i64,
        #[graphql(default = 0)] offset: i64,
    ) -> Result<CardHolderPage> {
        Ok(staff::search(ctx.app(), ctx.caller(), name, first, offset).await?)
    }

    /// One holder (`card.pii.read`, second factor; audited).
    async fn card_holder(&self, ctx: &Context<'_>, id: Uuid) -> Result<CardHolder> {
        Ok(staff::holder(ctx.app(), ctx.caller(), id).await?)
    }
}

#[derive(Default)]
pub struct CardMutation;

#[Object]
impl CardMutation {
    /// Publishes a new version of the Maitama pass (`pass.manage`).
    async fn publish_maitama_pass(
        &self,
        ctx: &Context<'_>,
        input: PassInput,
    ) -> Result<PassVersion> {
        Ok(settings::publish_pass(ctx.app(), ctx.caller(), input)
            .await
            .map_err(|e| e.under("input"))?)
    }

    /// Saves a new version of the card settings (`card.settings`).
    async fn update_card_settings(
        &self,
        ctx: &Context<'_>,
        input: CardSettingsInput,
    ) -> Result<CardSettings> {
        Ok(
            settings::update_card_settings(ctx.app(), ctx.caller(), input)
                .await
                .map_err(|e| e.under("input"))?,
        )
    }

    /// Pushes a text to chosen holders through the delivery pipeline
    /// (`card.push`, second factor); returns the delivery's id.
    async fn push_to_card_holders(
        &self,
        ctx: &Context<'_>,
        holder_ids: Vec<Uuid>,
        title: String,
        text: String,
    ) -> Result<i64> {
        Ok(staff::push(ctx.app(), ctx.caller(), holder_ids, title, text).await?)
    }
}
