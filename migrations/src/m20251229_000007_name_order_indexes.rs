//! Lists ordered by name page from an index: `actors` and `places` are listed by
//! (name, id) by default, which otherwise sorts the whole table for every page.

use sea_orm_migration::prelude::*;

use crate::builders::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables listed by name.
const TABLES: [&str; 2] = ["actors", "places"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            create_index(manager, table, &["name", "id"], false).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_name_id"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
