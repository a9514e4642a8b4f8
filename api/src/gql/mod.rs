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
    fn request_cache(&self) -> &RequestCache;
}

impl ContextExt for Context<'_> {
    fn app(&self) -> &App {
        self.data_unchecked::<App>()
    }
    fn caller(&self) -> &Caller {
        self.data_unchecked::<Caller>()
    }
    fn request_cache(&self) -> &RequestCache {
        self.data_unchecked::<RequestCache>()
    }
}

/// What resolvers of one request share (say the names a segment's words
/// need, read once for a list of segments rather than once per segment).
#[derive(Default)]
pub struct RequestCache(
    std::sync::Mutex<
        std::collections::HashMap<
            std::any::TypeId,
            std::sync::Arc<dyn std::any::Any + Send + Sync>,
        >,
    >,
);

impl RequestCache {
    /// This request's `T`, loaded by `load` the first time it is asked for.
    pub async fn get_or_load<T, E, Fut>(
        &self,
        load: impl FnOnce() -> Fut,
    ) -> Result<std::sync::Arc<T>, E>
    where
        T: Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        use crate::sync::Lock;
        let id = std::any::TypeId::of::<T>();
        if let Some(found) = self.0.locked().get(&id).cloned()
            && let Ok(value) = found.downcast::<T>()
        {
            return Ok(value);
        }
        let value = std::sync::Arc::new(load().await?);
        self.0.locked().insert(id, value.clone());
        Ok(value)
    }
}
