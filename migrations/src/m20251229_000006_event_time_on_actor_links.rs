//! An actor's events in time order straight from an index.
//!
//! `event_participants` and `statements` get a copy of their event's `occurred_at`, so
//! one page of an actor's events (or statements) is a range scan of an index on
//! (actor, time, event) cut at the page size, whatever the actor's history holds. The
//! importer writes the copy with the event; this migration fills it for rows already
//! there.

use sea_orm_migration::prelude::*;

use crate::builders::{create_index, drop_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A table that gets the copy: the index on its actor column that the new index
/// replaces, and the new index's columns.
struct Link {
    table: &'static str,
    old: &'static [&'static str],
    new: &'static [&'static str],
}

const LINKS: [Link; 2] = [
    Link {
        table: "event_participants",
        old: &["actor_id", "role"],
        new: &["actor_id", "occurred_at", "event_id", "role"],
    },
    Link {
        table: "statements",
        old: &["speaker_id"],
        new: &["speaker_id", "occurred_at", "event_id"],
    },
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for Link { table, old, new } in LINKS {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(
                            ColumnDef::new("occurred_at")
                                .timestamp_with_time_zone()
                                .null(),
                        )
                        .take(),
                )
                .await?;
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "UPDATE {table} SET occurred_at = \
                     (SELECT e.occurred_at FROM events e WHERE e.id = {table}.event_id)"
                ))
                .await?;
            drop_index(manager, table, old).await?;
            create_index(manager, table, new, false).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for Link { table, old, new } in LINKS {
            drop_index(manager, table, new).await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("occurred_at")
                        .take(),
                )
                .await?;
            create_index(manager, table, old, false).await?;
        }
        Ok(())
    }
}
