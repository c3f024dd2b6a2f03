//! Citations: the exact words of a source that support any record.
//!
//! A citation points at its record by kind and id rather than by a foreign key per
//! record table, so every kind of record can be cited without a join table each.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::builders::{create_index, drop_tables, foreign_key, id, reference};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("citations")
                    .col(id())
                    .col(reference("source_id"))
                    .col(string("record_kind"))
                    .col(reference("record_id"))
                    .col(text("excerpt"))
                    .col(integer_null("start_offset"))
                    .col(integer_null("end_offset"))
                    .col(text_null("note"))
                    .foreign_key(&mut foreign_key(
                        "citations",
                        "source_id",
                        "sources",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_index(manager, "citations", &["record_id", "record_kind"], false).await?;
        create_index(manager, "citations", &["source_id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["citations"]).await
    }
}
