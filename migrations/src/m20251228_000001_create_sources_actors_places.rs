//! Sources, actors with their aliases and affiliations, and places.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::builders::{create_index, drop_tables, foreign_key, id, optional_reference, reference};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("sources")
                    .col(id())
                    .col(string_uniq("slug"))
                    .col(text("title"))
                    .col(text_null("publisher"))
                    .col(text_null("url"))
                    .col(string_null("language"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(string_null("published_precision"))
                    .col(text_null("published_text"))
                    .col(boolean("published_inferred").default(false))
                    .col(string_null("content_sha256"))
                    .col(text_null("body"))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("actors")
                    .col(id())
                    .col(string_uniq("slug"))
                    .col(text("name"))
                    .col(string("kind"))
                    .col(string_len_null("country", 3))
                    .col(text_null("description"))
                    .take(),
            )
            .await?;
        create_index(manager, "actors", &["kind", "name"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("actor_aliases")
                    .col(id())
                    .col(reference("actor_id"))
                    .col(text("alias"))
                    .foreign_key(&mut foreign_key(
                        "actor_aliases",
                        "actor_id",
                        "actors",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_index(manager, "actor_aliases", &["actor_id", "alias"], true).await?;
        create_index(manager, "actor_aliases", &["alias"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("affiliations")
                    .col(id())
                    .col(reference("actor_id"))
                    .col(reference("target_actor_id"))
                    .col(string("kind"))
                    .col(text_null("role"))
                    .foreign_key(&mut foreign_key(
                        "affiliations",
                        "actor_id",
                        "actors",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "affiliations",
                        "target_actor_id",
                        "actors",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_index(manager, "affiliations", &["actor_id"], false).await?;
        create_index(manager, "affiliations", &["target_actor_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("places")
                    .col(id())
                    .col(string_uniq("slug"))
                    .col(text("name"))
                    .col(string("kind"))
                    .col(optional_reference("parent_id"))
                    .col(double_null("latitude"))
                    .col(double_null("longitude"))
                    .col(string_len_null("country", 3))
                    .foreign_key(&mut foreign_key(
                        "places",
                        "parent_id",
                        "places",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        create_index(manager, "places", &["parent_id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "places",
                "affiliations",
                "actor_aliases",
                "actors",
                "sources",
            ],
        )
        .await
    }
}
