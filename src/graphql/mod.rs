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
pub mod variables;

use async_graphql::{EmptyMutation, EmptySubscription, Schema, SchemaBuilder, ValidationMode};
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

/// The schema, reading from `db`; it validates every document in full.
pub fn schema(db: DatabaseConnection) -> AppSchema {
    builder().data(db).finish()
}

/// The schema, reading from `db`, for documents that [`schema`] has validated before:
/// it runs only async-graphql's cheap checks. Full validation does not depend on a
/// request but for its variables' values, which [`variables`] checks on every request;
/// for a query of one node and six fields it was a sixth of the server's instructions.
pub fn schema_for_valid_documents(db: DatabaseConnection) -> AppSchema {
    builder()
        .validation_mode(ValidationMode::Fast)
        .data(db)
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
