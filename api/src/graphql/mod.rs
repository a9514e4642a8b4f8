//! The staff and integration schema (`/graphql`): domain roots merged into
//! one Query and one Mutation, with depth, complexity and size limits.

pub mod http;
pub mod liff;

use async_graphql::{
    Context, EmptySubscription, MergedObject, ObjectType, Schema, SchemaBuilder, SubscriptionType,
};

use crate::app::App;
use crate::auth::Caller;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    crate::staff::graphql::StaffQuery,
    crate::audit::graphql::AuditQuery,
    crate::friends::graphql::FriendsQuery,
    crate::audience::graphql::AudienceQuery,
    crate::delivery::graphql::DeliveryQuery,
    crate::card::graphql::CardQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    crate::staff::graphql::StaffMutation,
    crate::friends::graphql::FriendsMutation,
    crate::audience::graphql::AudienceMutation,
    crate::delivery::graphql::DeliveryMutation,
    crate::card::graphql::CardMutation,
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

/// What every schema gets: the application, depth, complexity and directive
/// limits, and no introspection outside development.
pub fn configured<Q, M, S>(builder: SchemaBuilder<Q, M, S>, app: &App) -> Schema<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let cfg = &app.config;
    let mut builder = builder
        .data(app.clone())
        .limit_depth(cfg.graphql_max_depth)
        .limit_complexity(cfg.graphql_max_complexity)
        .limit_recursive_depth(32)
        .limit_directives(16);
    if !cfg.is_development() {
        // "Did you mean …" hints map the schema for whoever guesses.
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
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

/// Access to the application and the caller from a resolver.
pub trait ContextExt {
    fn app(&self) -> &App;
    fn caller(&self) -> &Caller;
}

impl ContextExt for Context<'_> {
    fn app(&self) -> &App {
        self.data_unchecked::<App>()
    }
    fn caller(&self) -> &Caller {
        self.data_unchecked::<Caller>()
    }
}
