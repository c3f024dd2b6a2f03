//! The GraphQL schema: types, the root query, loaders, ids and errors.

pub mod error;
pub mod ids;
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

/// Deepest query accepted. The standard introspection query that code generators send
/// needs about 13 levels.
pub const MAX_DEPTH: usize = 16;
/// Highest complexity accepted (one per field, more for lists); introspection needs ~230.
pub const MAX_COMPLEXITY: usize = 1000;

fn builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema, reading from `db`.
pub fn schema(db: DatabaseConnection) -> AppSchema {
    builder().data(db).finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
