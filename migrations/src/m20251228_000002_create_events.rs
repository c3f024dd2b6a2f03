//! The timeline: events with their kind-specific tables, participants and relations.
//!
//! Every meeting, statement and military event is one row of `events`, so a timeline
//! over all kinds is one ordered index scan; what is particular to a kind lives in a
//! table keyed by the event's id.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::builders::{create_index, drop_tables, foreign_key, id, optional_reference, reference};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The primary key of a kind table: the id of its event, deleted with it.
fn event_key(table: &'static str) -> (ColumnDef, ForeignKeyCreateStatement) {
    (
        ColumnDef::new("event_id")
            .big_integer()
            .not_null()
            .primary_key()
            .take(),
        foreign_key(table, "event_id", "events", ForeignKeyAction::Cascade),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("events")
                    .col(id())
                    .col(string_uniq("slug"))
                    .col(string("kind"))
                    .col(text("title"))
                    .col(text_null("summary"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(timestamp_with_time_zone_null("occurred_until"))
                    .col(string("time_precision"))
                    .col(text_null("time_text"))
                    .col(boolean("time_inferred").default(false))
                    .col(text_null("time_note"))
                    .col(optional_reference("place_id"))
                    .col(string("certainty"))
                    .col(string_len_null("cameo_code", 4))
                    .foreign_key(&mut foreign_key(
                        "events",
                        "place_id",
                        "places",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        create_index(manager, "events", &["occurred_at", "id"], false).await?;
        create_index(manager, "events", &["kind", "occurred_at", "id"], false).await?;
        create_index(manager, "events", &["place_id"], false).await?;

        let (key, key_fk) = event_key("meetings");
        manager
            .create_table(
                Table::create()
                    .table("meetings")
                    .col(key)
                    .col(string("format"))
                    .col(string("status"))
                    .col(integer_null("expected_duration_minutes"))
                    .col(boolean_null("open_to_press"))
                    .foreign_key(&mut key_fk.clone())
                    .take(),
            )
            .await?;

        let (key, key_fk) = event_key("statements");
        manager
            .create_table(
                Table::create()
                    .table("statements")
                    .col(key)
                    .col(reference("speaker_id"))
                    .col(string("kind"))
                    .col(text("text"))
                    .col(string("channel"))
                    .col(text_null("channel_name"))
                    .col(optional_reference("outlet_id"))
                    .foreign_key(&mut key_fk.clone())
                    .foreign_key(&mut foreign_key(
                        "statements",
                        "speaker_id",
                        "actors",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "statements",
                        "outlet_id",
                        "actors",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        create_index(manager, "statements", &["speaker_id"], false).await?;
        create_index(manager, "statements", &["outlet_id"], false).await?;

        let (key, key_fk) = event_key("military_events");
        manager
            .create_table(
                Table::create()
                    .table("military_events")
                    .col(key)
                    .col(string("kind"))
                    .col(text_null("weapons"))
                    .col(text_null("effects"))
                    .col(text_null("casualties"))
                    .foreign_key(&mut key_fk.clone())
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("event_participants")
                    .col(id())
                    .col(reference("event_id"))
                    .col(reference("actor_id"))
                    .col(string("role"))
                    .foreign_key(&mut foreign_key(
                        "event_participants",
                        "event_id",
                        "events",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "event_participants",
                        "actor_id",
                        "actors",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        create_index(
            manager,
            "event_participants",
            &["event_id", "actor_id", "role"],
            true,
        )
        .await?;
        create_index(manager, "event_participants", &["actor_id", "role"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("event_relations")
                    .col(id())
                    .col(reference("event_id"))
                    .col(reference("related_event_id"))
                    .col(string("kind"))
                    .foreign_key(&mut foreign_key(
                        "event_relations",
                        "event_id",
                        "events",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "event_relations",
                        "related_event_id",
                        "events",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_index(
            manager,
            "event_relations",
            &["event_id", "related_event_id", "kind"],
            true,
        )
        .await?;
        create_index(manager, "event_relations", &["related_event_id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "event_relations",
                "event_participants",
                "military_events",
                "statements",
                "meetings",
                "events",
            ],
        )
        .await
    }
}
