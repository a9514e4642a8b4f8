//! The staff and integration schema (`/graphql`): every capability's roots
//! merged into one Query and one Mutation (assembly: with `router` and
//! `worker`, the only place that names every capability). Limits and the
//! resolver context are `crate::gql`.

pub mod liff;

use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::app::App;
use crate::gql::configured;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    crate::staff::graphql::StaffQuery,
    crate::audit::graphql::AuditQuery,
    crate::friends::graphql::FriendsQuery,
    crate::audience::graphql::FriendListQuery,
    crate::friends::graphql::WelcomeQuery,
    crate::audience::graphql::AudienceQuery,
    crate::delivery::graphql::DeliveryQuery,
    crate::card::graphql::CardQuery,
    crate::chatbot::graphql::ChatbotQuery,
    crate::chatbot::scenario::graphql::ScenarioQuery,
    crate::chatbot::graphql::ChatbotStatsQuery,
    crate::richmenu::graphql::RichMenuQuery,
    crate::mailin::graphql::MailinQuery,
    crate::survey::graphql::SurveyQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    crate::staff::graphql::StaffMutation,
    crate::friends::graphql::FriendsMutation,
    crate::audience::graphql::AudienceMutation,
    crate::delivery::graphql::DeliveryMutation,
    crate::card::graphql::CardMutation,
    crate::chatbot::graphql::ChatbotMutation,
    crate::chatbot::scenario::graphql::ScenarioMutation,
    crate::chatbot::graphql::FaqImportMutation,
    crate::richmenu::graphql::RichMenuMutation,
    crate::mailin::graphql::MailinMutation,
    crate::survey::graphql::SurveyMutation,
);

pub type StaffSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

pub fn build(app: &App) -> StaffSchema {
    configured(
        Schema::build(
            QueryRoot::default(),
            MutationRoot::default(),
            EmptySubscription,
        ),
        app,
    )
}

/// The schema's SDL as committed in `schema.graphql`.
pub fn sdl() -> String {
    let schema = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .finish();
    schema.sdl()
}
