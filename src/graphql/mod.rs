//! The GraphQL schema: types, the root query, loaders, ids and errors.

pub mod cost;
pub mod error;
pub mod ids;
pub mod inputs;
pub mod loaders;
pub mod pagination;
mod query;
pub mod response;
pub mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

pub use self::query::{EventFilter, Query};

/// The schema served over HTTP.
pub type AppSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Deepest nesting of fields accepted (see [`cost`]). The standard introspection query
/// that code generators send needs about 13 levels.
pub const MAX_DEPTH: usize = cost::Limits::DEFAULT.depth;

/// The schema's builder. Depth and cost are checked before validation, by [`cost`],
/// which counts pages and does not expand fragments; async-graphql's own limits would
/// count neither.
fn builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query, EmptyMutation, EmptySubscription)
}

/// The schema, reading from `db`.
pub fn schema(db: DatabaseConnection) -> AppSchema {
    builder().data(db).finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
