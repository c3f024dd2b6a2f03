//! Schema migrations of communique; each runs on SQLite and PostgreSQL alike.
//!
//! Primary keys are 64-bit integers assigned by the importer (derived from slugs), not
//! by the database, so a seeded record keeps its id across databases and re-imports.
//!
//! On SQLite each command runs in one transaction on one connection, so no pooled
//! connection meets a schema half-migrated or changed behind its back (see [`Migrator`]).

pub use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    DatabaseExecutor, DatabaseTransaction, DbBackend, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};

mod builders;
mod m20251228_000001_create_sources_actors_places;
mod m20251228_000002_create_events;
mod m20251228_000003_create_proposals;
mod m20251228_000004_create_citations;
mod m20251228_000005_create_search_documents;
mod m20251229_000006_event_time_on_actor_links;
mod m20251229_000007_name_order_indexes;
mod m20261201_000008_claims_and_history;

pub use m20261201_000008_claims_and_history::FOREIGN_KEYS;

/// Every migration, oldest first, run by sea-orm-migration's own driver.
struct Steps;

#[async_trait::async_trait]
impl MigratorTrait for Steps {
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

/// The migrations, applied and rolled back as one unit on one connection.
///
/// On SQLite every command that changes the schema (`up`, `down`, `fresh`, `refresh`,
/// `reset`) runs in one `BEGIN IMMEDIATE` transaction. Left to the pool, each
/// statement took whichever connection was free, and a connection that had run
/// nothing since another one dropped a table still held the old schema in memory:
/// SQLite checks that copy when a statement runs but not when `CREATE INDEX` is
/// parsed, so it answered "index … already exists" for an index already dropped (one
/// full test run in two). In one transaction every statement shares one connection,
/// whose first read of `seaql_migrations` loads the current schema, and the write lock
/// keeps anyone else from changing it meanwhile; a failed command also leaves the
/// schema as it found it. Foreign keys are checked at commit. PostgreSQL runs each migration in a transaction of its own, as
/// sea-orm-migration does by default.
pub struct Migrator;

/// Begins the one transaction of a SQLite command; `None` on PostgreSQL.
async fn pinned(db: &DatabaseExecutor<'_>) -> Result<Option<DatabaseTransaction>, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
        .await?;
    Ok(Some(txn))
}

/// Drops every table of a SQLite database, newest first, so that each goes before the
/// older tables it refers to: sea-orm-migration's `fresh` turns foreign keys off
/// instead, which cannot be done inside the transaction (and, done on one pooled
/// connection, did not hold for the others: `fresh` failed on a seeded store). A
/// full-text table takes its shadow tables with it.
async fn drop_sqlite_tables(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    let tables = txn
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT m.name AS name FROM sqlite_master m \
             JOIN pragma_table_list t ON t.schema = 'main' AND t.name = m.name \
             WHERE t.type IN ('table', 'virtual') AND m.name NOT LIKE 'sqlite%' \
             ORDER BY m.rowid DESC",
        ))
        .await?;
    for table in tables {
        let name: String = table.try_get("", "name")?;
        txn.execute_unprepared(&format!("DROP TABLE \"{}\"", name.replace('"', "\"\"")))
            .await?;
    }
    Ok(())
}

/// Runs one of [`Steps`]' commands on `db`, in [`pinned`]'s transaction on SQLite.
macro_rules! on_one_connection {
    ($db:expr, $command:ident $(, $arg:expr)*) => {{
        let db = $db.into_database_executor();
        match pinned(&db).await? {
            Some(txn) => {
                Steps::$command(&txn $(, $arg)*).await?;
                txn.commit().await
            }
            None => Steps::$command(db $(, $arg)*).await,
        }
    }};
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        Steps::migrations()
    }

    async fn up<'c, C>(db: C, steps: Option<u32>) -> Result<(), DbErr>
    where
        C: IntoSchemaManagerConnection<'c>,
    {
        on_one_connection!(db, up, steps)
    }

    async fn down<'c, C>(db: C, steps: Option<u32>) -> Result<(), DbErr>
    where
        C: IntoSchemaManagerConnection<'c>,
    {
        on_one_connection!(db, down, steps)
    }

    async fn fresh<'c, C>(db: C) -> Result<(), DbErr>
    where
        C: IntoSchemaManagerConnection<'c>,
    {
        let db = db.into_database_executor();
        match pinned(&db).await? {
            Some(txn) => {
                drop_sqlite_tables(&txn).await?;
                Steps::up(&txn, None).await?;
                txn.commit().await
            }
            None => Steps::fresh(db).await,
        }
    }

    async fn refresh<'c, C>(db: C) -> Result<(), DbErr>
    where
        C: IntoSchemaManagerConnection<'c>,
    {
        on_one_connection!(db, refresh)
    }

    async fn reset<'c, C>(db: C) -> Result<(), DbErr>
    where
        C: IntoSchemaManagerConnection<'c>,
    {
        on_one_connection!(db, reset)
    }
}
