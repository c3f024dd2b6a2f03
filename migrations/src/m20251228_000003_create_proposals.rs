//! Proposals with their parties, provisions and the positions actors take on them.

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
                    .table("proposals")
                    .col(id())
                    .col(string_uniq("slug"))
                    .col(string("kind"))
                    .col(text("title"))
                    .col(text_null("summary"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone_null("proposed_at"))
                    .col(string_null("time_precision"))
                    .col(text_null("time_text"))
                    .col(boolean("time_inferred").default(false))
                    .col(text_null("time_note"))
                    .take(),
            )
            .await?;
        create_index(manager, "proposals", &["proposed_at", "id"], false).await?;
        create_index(manager, "proposals", &["status"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("proposal_parties")
                    .col(id())
                    .col(reference("proposal_id"))
                    .col(reference("actor_id"))
                    .col(string("role"))
                    .foreign_key(&mut foreign_key(
                        "proposal_parties",
                        "proposal_id",
                        "proposals",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "proposal_parties",
                        "actor_id",
                        "actors",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        create_index(
            manager,
            "proposal_parties",
            &["proposal_id", "actor_id", "role"],
            true,
        )
        .await?;
        create_index(manager, "proposal_parties", &["actor_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("provisions")
                    .col(id())
                    .col(reference("proposal_id"))
                    .col(string("slug"))
                    .col(integer("ordinal"))
                    .col(text("text"))
                    .col(string("inclusion"))
                    .foreign_key(&mut foreign_key(
                        "provisions",
                        "proposal_id",
                        "proposals",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_index(manager, "provisions", &["proposal_id", "slug"], true).await?;
        create_index(manager, "provisions", &["proposal_id", "ordinal"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("positions")
                    .col(id())
                    .col(reference("actor_id"))
                    .col(reference("proposal_id"))
                    .col(optional_reference("provision_id"))
                    .col(string("stance"))
                    .col(optional_reference("statement_id"))
                    .col(text_null("summary"))
                    .foreign_key(&mut foreign_key(
                        "positions",
                        "actor_id",
                        "actors",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "positions",
                        "proposal_id",
                        "proposals",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "positions",
                        "provision_id",
                        "provisions",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "positions",
                        "statement_id",
                        "events",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        create_index(manager, "positions", &["actor_id"], false).await?;
        create_index(manager, "positions", &["proposal_id"], false).await?;
        create_index(manager, "positions", &["provision_id"], false).await?;
        create_index(manager, "positions", &["statement_id"], false).await?;

        // Links from events to proposals belong here: they need both tables.
        manager
            .create_table(
                Table::create()
                    .table("event_proposals")
                    .col(id())
                    .col(reference("event_id"))
                    .col(reference("proposal_id"))
                    .col(string("kind"))
                    .foreign_key(&mut foreign_key(
                        "event_proposals",
                        "event_id",
                        "events",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "event_proposals",
                        "proposal_id",
                        "proposals",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_index(
            manager,
            "event_proposals",
            &["event_id", "proposal_id", "kind"],
            true,
        )
        .await?;
        create_index(manager, "event_proposals", &["proposal_id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "event_proposals",
                "positions",
                "provisions",
                "proposal_parties",
                "proposals",
            ],
        )
        .await
    }
}
