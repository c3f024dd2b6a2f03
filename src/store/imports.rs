//! The import log: one row per run that changed the store, in order. An import's id is
//! the store's clock of known time: every claim, row and history version names the
//! import that recorded or replaced it.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::known::Known;
use super::page::{Count, Cursor, Keyed, Page, PageOf, SortKey};
use super::rows::rows;
use crate::db::entities::import;
use crate::db::sql::Sql;
use crate::domain::ImportKind;

impl Keyed for import::Model {
    fn cursor(&self) -> Cursor {
        Cursor {
            key: SortKey::Number(self.id),
            id: self.id,
        }
    }
}

/// The page cache an importing SQLite connection keeps, in KiB. Only the importing
/// commands (`import`, `retract`, `generate`, `migrate`) import; the server does not.
const IMPORT_CACHE_KIB: u32 = 256 * 1024;

/// Begins an import's work in the caller's transaction: one writer at a time decides
/// what each claim resolves to. On PostgreSQL a transaction-scoped advisory lock; on
/// SQLite a first write, which takes the database's write lock for the transaction (a
/// read first could find the database changed under it when it comes to write).
///
/// On PostgreSQL the transaction also plans its statements by key, in one process. A
/// long import outgrows the planner's statistics, which come only after it: without
/// them the planner took a table of half a million rows for a small one, and scanned it
/// whole, or handed a lookup of a thousand keys to parallel workers, whose start cost
/// 35 ms a batch. Every statement of an import reads by key.
///
/// Search documents are merged into the full-text index in larger batches.
pub async fn lock<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await?;
            db.execute_unprepared("SET LOCAL max_parallel_workers_per_gather = 0")
                .await?;
            // New search documents wait in the full-text index's pending list until it
            // outgrows this and is merged into the index: fewer, larger merges.
            db.execute_unprepared("SET LOCAL gin_pending_list_limit = '64MB'")
                .await?;
            db.execute_unprepared("SELECT pg_advisory_xact_lock(7003365475)")
                .await
                .map(drop)
        }
        _ => {
            db.execute_unprepared("DELETE FROM imports WHERE id < 0")
                .await?;
            // An import reads and writes pages of every index of the tables it
            // writes; in SQLite's default 2 MB cache of pages they were read again
            // from the file, and the copies took as long as the work itself.
            db.execute_unprepared(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}"))
                .await
                .map(drop)
        }
    }
}

/// The id and time of the next import: after every recorded one, even when the clock
/// has gone back.
pub async fn next<C: ConnectionTrait>(db: &C) -> Result<(i64, DateTime<Utc>), DbErr> {
    let last = import::Entity::find()
        .order_by_desc(import::Column::Id)
        .one(db)
        .await?;
    let now = Utc::now();
    Ok(match last {
        Some(last) => (
            last.id + 1,
            now.max(last.recorded_at + Duration::microseconds(1)),
        ),
        None => (1, now),
    })
}

/// Records a run.
pub async fn record<C: ConnectionTrait>(db: &C, run: import::Model) -> Result<(), DbErr> {
    import::Entity::insert(import::ActiveModel {
        id: Set(run.id),
        source_id: Set(run.source_id),
        source_slug: Set(run.source_slug),
        kind: Set(run.kind),
        recorded_at: Set(run.recorded_at),
        document_sha256: Set(run.document_sha256),
        added: Set(run.added),
        kept: Set(run.kept),
        retracted: Set(run.retracted),
    })
    .exec_without_returning(db)
    .await
    .map(drop)
}

/// The store as known at `at`: as of the last import recorded by then, or now when no
/// import came after it.
pub async fn known_at(db: &DatabaseConnection, at: DateTime<Utc>) -> Result<Known, DbErr> {
    let by_then = import::Entity::find()
        .select_only()
        .column(import::Column::Id)
        .filter(import::Column::RecordedAt.lte(at))
        .order_by_desc(import::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    let later = import::Entity::find()
        .filter(import::Column::Id.gt(by_then.unwrap_or(0)))
        .one(db)
        .await?;
    Ok(match later {
        None => Known::Now,
        Some(_) => Known::After(by_then.unwrap_or(0)),
    })
}

/// Imports, newest first: every one, or those of one source; as known at `known`.
pub struct Listing {
    source: Option<i64>,
    known: Known,
}

impl Listing {
    /// The imports of `source` (of every source when `None`) recorded by `known`.
    pub fn new(source: Option<i64>, known: Known) -> Self {
        Self { source, known }
    }

    fn push_query(&self, sql: &mut Sql, select: &str) {
        sql.push(select).push(" FROM imports t WHERE 1 = 1");
        if let Known::After(import) = self.known {
            sql.push(" AND t.id <= ").bind(import);
        }
        if let Some(source) = self.source {
            sql.push(" AND t.source_id = ").bind(source);
        }
    }

    /// How many imports the list holds.
    pub fn count(&self, backend: DbBackend) -> Count {
        let mut sql = Sql::new(backend);
        self.push_query(&mut sql, "SELECT COUNT(*) AS n");
        Count::Query(sql.build())
    }

    /// One page of the list.
    pub async fn page(
        &self,
        db: &DatabaseConnection,
        page: &Page,
    ) -> Result<PageOf<import::Model>, DbErr> {
        let mut sql = Sql::new(db.get_database_backend());
        self.push_query(&mut sql, "SELECT t.*");
        page.push_window(&mut sql, "t.id", "t.id", true);
        Ok(page.finish(rows(db, Known::Now, sql).await?))
    }
}

/// The imports with these ids.
pub async fn by_ids(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<import::Model>, DbErr> {
    super::lookups::by_keys::<import::Entity>(db, Known::Now, import::Column::Id, ids).await
}

/// The kind of the run: a label for messages.
pub fn label(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Import => "import",
        ImportKind::Retraction => "retraction",
        ImportKind::Upgrade => "upgrade",
    }
}
