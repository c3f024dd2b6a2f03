//! Small builders shared by the migrations: id columns, foreign keys and indexes.

use sea_orm_migration::prelude::*;

/// The primary key column: a 64-bit id assigned by the importer.
pub fn id() -> ColumnDef {
    ColumnDef::new("id")
        .big_integer()
        .not_null()
        .primary_key()
        .take()
}

/// A non-null reference column.
pub fn reference(column: &'static str) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().take()
}

/// A nullable reference column.
pub fn optional_reference(column: &'static str) -> ColumnDef {
    ColumnDef::new(column).big_integer().null().take()
}

/// A foreign key from `table.column` to `target.id`.
pub fn foreign_key(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .take()
}

/// Creates an index named after its table and columns.
pub async fn create_index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index
        .name(format!("idx_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        index.col(*column);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index).await
}

/// Drops the index [`create_index`] named after `table` and `columns`.
pub async fn drop_index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: &[&str],
) -> Result<(), DbErr> {
    let name = format!("idx_{table}_{}", columns.join("_"));
    manager
        .drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

/// Drops tables in the order given (children before parents).
pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).to_owned())
            .await?;
    }
    Ok(())
}
