//! The database: connecting to SQLite or PostgreSQL, and migrating.

pub mod entities;
mod freshness;
pub mod sql;
mod watchdog;

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// How connections are pooled and bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    /// Most connections kept open.
    pub max_connections: u32,
    /// Longest a statement waits for a connection before it fails as unavailable.
    pub acquire_timeout: Duration,
    /// Longest one statement may run before the database cancels it; `None` for no
    /// bound (imports and migrations).
    pub statement_timeout: Option<Duration>,
}

impl Pool {
    /// A pool of at most `max_connections` for batch work (imports, migrations,
    /// tests): waiting up to 10 s for a connection, statements unbounded. The server
    /// waits less (`COMMUNIQUE_DB_ACQUIRE_TIMEOUT_MS`), to answer an outage quickly.
    pub fn new(max_connections: u32) -> Self {
        Pool {
            max_connections,
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: None,
        }
    }
}

/// Why a statement failed, as far as its caller can act on it.
pub enum Failure<'a> {
    /// The database could not be reached, or no connection was free in time.
    Unavailable,
    /// The database cancelled the statement at its timeout.
    Cancelled,
    /// The database refused the statement for what it held: a constraint, a value out
    /// of range, an index entry too large.
    Refused(&'a dyn sea_orm::sqlx::error::DatabaseError),
    /// Anything else: a fault of ours.
    Other,
}

/// Classifies the failure of a statement.
pub fn failure(error: &DbErr) -> Failure<'_> {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    let sqlx = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return Failure::Unavailable,
        DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error)) => {
            error.as_ref()
        }
        _ => return Failure::Other,
    };
    match sqlx {
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed => {
            Failure::Unavailable
        }
        // PostgreSQL's `query_canceled` (57014, which `statement_timeout` raises),
        // SQLite's `SQLITE_INTERRUPT` (9).
        Error::Database(error) if matches!(error.code().as_deref(), Some("57014" | "9")) => {
            Failure::Cancelled
        }
        Error::Database(error) => Failure::Refused(error.as_ref()),
        _ => Failure::Other,
    }
}

/// Connects to `url` (`sqlite://…` or `postgres://…`) with a pool of at most
/// `max_connections` (see [`Pool::new`]), reporting each statement to
/// [`crate::telemetry`].
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, Pool::new(max_connections)).await
}

/// Connects to `url` with the bounds of `pool`.
///
/// A statement over `pool.statement_timeout` is cancelled by the database itself:
/// PostgreSQL's `statement_timeout`, and on SQLite a progress handler that interrupts a
/// statement once it has worked that long (`watchdog`). Either way the
/// connection goes back to the pool whole.
pub async fn connect_with(url: &str, pool: Pool) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    let statement_timeout = pool.statement_timeout;
    let mut postgres_options = vec![("plan_cache_mode", "force_generic_plan".to_owned())];
    if let Some(timeout) = statement_timeout {
        postgres_options.push(("statement_timeout", timeout.as_millis().to_string()));
    }
    options
        .max_connections(pool.max_connections)
        .min_connections(1)
        .connect_timeout(pool.acquire_timeout)
        .acquire_timeout(pool.acquire_timeout)
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
        .map_sqlx_postgres_opts(move |opts| opts.options(postgres_options.clone()))
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
    let freshness = url
        .starts_with("sqlite:")
        .then(|| freshness::watch(url))
        .flatten();
    options.map_sqlx_sqlite_pool_opts(move |mut opts| {
        if let Some(timeout) = statement_timeout {
            opts = opts.after_connect(move |connection, _| {
                Box::pin(async move {
                    let mut handle = connection.lock_handle().await?;
                    let raw = handle.as_raw_handle();
                    // SAFETY: `raw` is the handle of the connection the handler goes on.
                    let watchdog = unsafe { watchdog::handler(raw, timeout) };
                    handle.set_progress_handler(watchdog::OPS, watchdog);
                    Ok(())
                })
            });
        }
        opts
    });
    if let Some(freshness) = freshness {
        // A connection that predates the store's last change plans with old statistics:
        // close it, and the pool takes or opens another.
        options.map_sqlx_sqlite_before_acquire(move |_, meta| {
            let fresh = !freshness.is_stale(meta.age);
            Box::pin(async move { Ok(fresh) })
        });
    }
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
