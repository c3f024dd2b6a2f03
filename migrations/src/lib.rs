//! Schema migrations of communique; each runs on SQLite and PostgreSQL alike.
//!
//! Primary keys are 64-bit integers assigned by the importer (derived from slugs), not
//! by the database, so a seeded record keeps its id across databases and re-imports.

pub use sea_orm_migration::prelude::*;

mod builders;
mod m20251228_000001_create_sources_actors_places;
mod m20251228_000002_create_events;
mod m20251228_000003_create_proposals;
mod m20251228_000004_create_citations;
mod m20251228_000005_create_search_documents;
mod m20251229_000006_event_time_on_actor_links;
mod m20251229_000007_name_order_indexes;
mod m20261201_000008_claims_and_history;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20251228_000001_create_sources_actors_places::Migration),
            Box::new(m20251228_000002_create_events::Migration),
            Box::new(m20251228_000003_create_proposals::Migration),
            Box::new(m20251228_000004_create_citations::Migration),
            Box::new(m20251228_000005_create_search_documents::Migration),
            Box::new(m20251229_000006_event_time_on_actor_links::Migration),
            Box::new(m20251229_000007_name_order_indexes::Migration),
            Box::new(m20261201_000008_claims_and_history::Migration),
        ]
    }
}
