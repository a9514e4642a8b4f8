//! The residents' schema (`/liff/graphql`), contract `liff/schema.graphql`.
//! The caller is whoever the verified LIFF ID token says; no operation takes
//! a resident's identifier as an argument.

use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::app::App;

#[derive(MergedObject, Default)]
pub struct LiffQueryRoot(
    crate::friends::graphql::ResidentQuery,
    crate::audience::graphql::ResidentAudienceQuery,
    crate::card::graphql::ResidentCardQuery,
    crate::survey::graphql::ResidentSurveyQuery,
);

#[derive(MergedObject, Default)]
pub struct LiffMutationRoot(
    crate::audience::graphql::ResidentAudienceMutation,
    crate::card::graphql::ResidentCardMutation,
    crate::survey::graphql::ResidentSurveyMutation,
);

pub type LiffSchema = Schema<LiffQueryRoot, LiffMutationRoot, EmptySubscription>;

pub fn build(app: &App) -> LiffSchema {
    crate::gql::configured(
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
