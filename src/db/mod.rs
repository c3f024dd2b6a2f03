//! The database: connecting to SQLite or PostgreSQL, and migrating.

pub mod entities;
pub mod sql;

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Connects to `url` (`sqlite://…` or `postgres://…`) with a pool of at most
/// `max_connections`, reporting each statement to [`crate::telemetry`].
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Check a pooled connection with a ping only when it has sat idle long enough to
        // have been dropped; by default every checkout pinged first, a second round trip
        // for each statement.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        // Plan each prepared statement once per connection, not on every execution:
        // planning the read path's joins took 0.3 to 0.7 ms, more than most of them take
        // to run. Every statement is written so that one plan serves any parameters,
        // skewed ones included (see `crate::store::events::FIRST_ROLE`), and page sizes are
        // written into the text; left to choose, PostgreSQL kept planning the
        // statements whose custom plans looked cheaper on paper.
        .map_sqlx_postgres_opts(|opts| opts.options([("plan_cache_mode", "force_generic_plan")]))
        // Readers never block the writer, and a writer waits for a lock instead of failing.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Each statement of a transaction keeps the pages it changes in a
                // journal of its own, to undo it alone: in memory, not a temporary file
                // (an import's writes went through the kernel twice).
                .pragma("temp_store", "memory")
        });
    let mut db = Database::connect(options).await?;
    crate::telemetry::instrument(&mut db);
    Ok(db)
}

/// Refreshes the planner's statistics, so queries over freshly loaded rows take the
/// indexes (PostgreSQL's autovacuum would do it only some time later; SQLite never).
pub async fn analyze(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("ANALYZE").await.map(drop)
}
