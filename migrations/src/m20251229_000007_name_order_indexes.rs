//! Lists ordered by name page from an index: `actors` and `places` are listed by
//! (name, id) by default, which otherwise sorts the whole table for every page.

use sea_orm_migration::prelude::*;

use crate::builders::{create_index, drop_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables listed by name.
const TABLES: [&str; 2] = ["actors", "places"];

/// The columns of their list order.
const ORDER: [&str; 2] = ["name", "id"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            create_index(manager, table, &ORDER, false).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            drop_index(manager, table, &ORDER).await?;
        }
        Ok(())
    }
}
