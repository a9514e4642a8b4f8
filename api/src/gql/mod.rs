//! GraphQL infrastructure shared by both schemas: what every schema gets
//! (limits, no introspection outside development), access to the
//! application and the caller from a resolver, and GraphQL over HTTP.

pub mod http;

use async_graphql::{Context, ObjectType, Schema, SchemaBuilder, SubscriptionType};

use crate::app::App;
use crate::auth::Caller;

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
