//! The residents' schema (`/liff/graphql`), contract `liff/schema.graphql`.
//! The caller is whoever the verified LIFF ID token says; no operation takes
//! a resident's identifier as an argument.

use async_graphql::{
    Context, EmptySubscription, MergedObject, Object, Result, Schema, SimpleObject,
};

use crate::app::App;
use crate::friends::graphql::FriendStatus;
use crate::graphql::ContextExt;

#[derive(SimpleObject)]
pub struct Me {
    /// The resident's LINE user id, from the verified ID token.
    pub line_user_id: String,
    /// Null when the resident has never added the account as a friend.
    pub friend_status: Option<FriendStatus>,
    /// The LINE display name (fetched from LINE when needed; never stored).
    pub display_name: Option<String>,
}

#[derive(Default)]
pub struct ResidentQuery;

#[Object]
impl ResidentQuery {
    /// The signed-in resident.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let user = ctx.caller().resident()?.line_user_id.clone();
        let app = ctx.app();
        let status = crate::friends::service::status_of(app, &user).await?;
        let wants_name = ctx.look_ahead().field("displayName").exists();
        let display_name = if wants_name && status.as_deref() == Some("following") {
            crate::friends::service::profile(app, &user)
                .await?
                .and_then(|p| p["displayName"].as_str().map(str::to_string))
        } else {
            None
        };
        Ok(Me {
            line_user_id: user,
            friend_status: status.as_deref().map(FriendStatus::parse),
            display_name,
        })
    }
}

#[derive(MergedObject, Default)]
pub struct LiffQueryRoot(
    ResidentQuery,
    crate::audience::graphql::ResidentAudienceQuery,
    crate::card::graphql::ResidentCardQuery,
);

#[derive(MergedObject, Default)]
pub struct LiffMutationRoot(
    crate::audience::graphql::ResidentAudienceMutation,
    crate::card::graphql::ResidentCardMutation,
);

pub type LiffSchema = Schema<LiffQueryRoot, LiffMutationRoot, EmptySubscription>;

pub fn build(app: &App) -> LiffSchema {
    super::configured(
        Schema::build(
            LiffQueryRoot::default(),
            LiffMutationRoot::default(),
            EmptySubscription,
        ),
        app,
    )
}

pub fn sdl() -> String {
    Schema::build(
        LiffQueryRoot::default(),
        LiffMutationRoot::default(),
        EmptySubscription,
    )
    .finish()
    .sdl()
}
