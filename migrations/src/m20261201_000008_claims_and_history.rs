//! Claims, imports and history: many sources side by side, nothing lost.
//!
//! - `imports`: one row per import run that changed the store (and per retraction), in
//!   order; its id is the store's clock of known time.
//! - `claims`: what each source says about each record or link, one row per version:
//!   recorded by one import, retracted (never deleted) by a later one.
//! - `unresolved`: records and links that some live claim states but that cannot be
//!   resolved while a record they refer to is missing, so they come back with it.
//! - Every resolved table gets `known_from`, the import that wrote the row's current
//!   version, and a `<table>_history` twin that keeps each replaced or removed version
//!   with `known_to`, the import that replaced it. A read as of import N takes the rows
//!   with `known_from <= N` from the table and those with `known_from <= N < known_to`
//!   from its history.
//! - Citations get the W3C TextQuoteSelector's `prefix` and `suffix`.
//! - On PostgreSQL the resolved tables lose their foreign keys. The rows are resolved
//!   from claims, and the resolver writes a row only once every record it refers to is
//!   resolved, and removes (into the history) every row that refers to a removed
//!   record; a cascade would remove rows without keeping them. The per-row checks took
//!   11.5 s of a 71 s scale-1 load. SQLite keeps them (dropping one there rebuilds the
//!   table), and the tests, which run on both, check the resolver against them.
//!
//! Rows already in the store become claims of the sources that cite them; that is done
//! by the application right after this migration (`communique::store::migrate`), since
//! it writes claims as the importer does.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::builders::{create_index, drop_tables};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The resolved tables, each with the column its rows are keyed by.
const RESOLVED: [(&str, &str); 17] = [
    ("sources", "id"),
    ("actors", "id"),
    ("actor_aliases", "id"),
    ("affiliations", "id"),
    ("places", "id"),
    ("events", "id"),
    ("meetings", "event_id"),
    ("statements", "event_id"),
    ("military_events", "event_id"),
    ("event_participants", "id"),
    ("event_relations", "id"),
    ("event_proposals", "id"),
    ("proposals", "id"),
    ("proposal_parties", "id"),
    ("provisions", "id"),
    ("positions", "id"),
    ("citations", "id"),
];

/// The foreign keys of the resolved tables, dropped on PostgreSQL: (table, column,
/// referenced table, action on delete). Every one refers to the `id` of its table.
///
/// Public as the list of every reference between resolved tables that the schema
/// holds, which `communique verify` checks on either backend (no later migration adds
/// one).
pub const FOREIGN_KEYS: [(&str, &str, &str, &str); 24] = [
    ("actor_aliases", "actor_id", "actors", "CASCADE"),
    ("affiliations", "actor_id", "actors", "CASCADE"),
    ("affiliations", "target_actor_id", "actors", "CASCADE"),
    ("places", "parent_id", "places", "RESTRICT"),
    ("events", "place_id", "places", "RESTRICT"),
    ("meetings", "event_id", "events", "CASCADE"),
    ("statements", "event_id", "events", "CASCADE"),
    ("statements", "speaker_id", "actors", "RESTRICT"),
    ("statements", "outlet_id", "actors", "RESTRICT"),
    ("military_events", "event_id", "events", "CASCADE"),
    ("event_participants", "event_id", "events", "CASCADE"),
    ("event_participants", "actor_id", "actors", "RESTRICT"),
    ("event_relations", "event_id", "events", "CASCADE"),
    ("event_relations", "related_event_id", "events", "CASCADE"),
    ("proposal_parties", "actor_id", "actors", "RESTRICT"),
    ("proposal_parties", "proposal_id", "proposals", "CASCADE"),
    ("provisions", "proposal_id", "proposals", "CASCADE"),
    ("positions", "statement_id", "events", "SET NULL"),
    ("positions", "actor_id", "actors", "RESTRICT"),
    ("positions", "proposal_id", "proposals", "CASCADE"),
    ("positions", "provision_id", "provisions", "CASCADE"),
    ("event_proposals", "proposal_id", "proposals", "CASCADE"),
    ("event_proposals", "event_id", "events", "CASCADE"),
    ("citations", "source_id", "sources", "CASCADE"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("imports")
                    .col(big_integer("id").primary_key())
                    .col(big_integer("source_id"))
                    .col(text("source_slug"))
                    .col(string("kind"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .col(string_null("document_sha256"))
                    .col(integer("added"))
                    .col(integer("kept"))
                    .col(integer("retracted"))
                    .take(),
            )
            .await?;
        create_index(manager, "imports", &["source_id", "id"], false).await?;
        create_index(manager, "imports", &["recorded_at"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("claims")
                    .col(big_integer("subject_id"))
                    .col(big_integer("source_id"))
                    .col(big_integer("recorded_by"))
                    .col(string("subject_kind"))
                    .col(text("value"))
                    .col(big_integer_null("retracted_by"))
                    .primary_key(
                        Index::create()
                            .col("subject_id")
                            .col("source_id")
                            .col("recorded_by"),
                    )
                    .take(),
            )
            .await?;
        // A source's claims, which each import of it compares the document with. Not a
        // partial index of the live ones: lacking statistics in the middle of a long
        // import, the planner took such an index for lookups by subject, and read every
        // live claim for each batch of subjects.
        create_index(manager, "claims", &["source_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("unresolved")
                    .col(big_integer("subject_id"))
                    .col(big_integer("missing_id"))
                    .col(string("subject_kind"))
                    .primary_key(Index::create().col("subject_id").col("missing_id"))
                    .take(),
            )
            .await?;
        create_index(manager, "unresolved", &["missing_id"], false).await?;

        for column in ["prefix", "suffix"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("citations")
                        .add_column(ColumnDef::new(column).text().null())
                        .take(),
                )
                .await?;
        }

        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        if backend == DbBackend::Postgres {
            for (table, column, _, _) in FOREIGN_KEYS {
                db.execute_unprepared(&format!(
                    "ALTER TABLE {table} DROP CONSTRAINT fk_{table}_{column}"
                ))
                .await?;
            }
        }
        for (table, key) in RESOLVED {
            manager
                .alter_table(Table::alter().table(table).add_column(known_from()).take())
                .await?;
            let history = format!("{table}_history");
            match backend {
                DbBackend::Postgres => {
                    db.execute_unprepared(&format!("CREATE TABLE {history} (LIKE {table})"))
                        .await?;
                }
                _ => {
                    db.execute_unprepared(&format!(
                        "CREATE TABLE {history} AS SELECT * FROM {table} WHERE 0"
                    ))
                    .await?;
                }
            }
            manager
                .alter_table(
                    Table::alter()
                        .table(history.clone())
                        .add_column(
                            ColumnDef::new("known_to")
                                .big_integer()
                                .not_null()
                                .default(0),
                        )
                        .take(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{history}_{key}_known_to"))
                        .table(history)
                        .col(key)
                        .col("known_to")
                        .take(),
                )
                .await?;
        }

        match backend {
            DbBackend::Sqlite => {
                // FTS5 tables take no new columns: build the table again with one.
                rebuild_search(db, &format!("{SEARCH_COLUMNS}, known_from UNINDEXED")).await?;
                db.execute_unprepared(&format!(
                    "CREATE VIRTUAL TABLE search_history USING fts5(record_id UNINDEXED, \
                     {SEARCH_COLUMNS}, known_from UNINDEXED, known_to UNINDEXED, {TOKENIZE})"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "ALTER TABLE search_documents ADD COLUMN known_from BIGINT NOT NULL DEFAULT 0",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TABLE search_history (\
                     record_id BIGINT NOT NULL, \
                     record_kind TEXT NOT NULL, \
                     title TEXT NOT NULL, \
                     body TEXT NOT NULL, \
                     known_from BIGINT NOT NULL, \
                     known_to BIGINT NOT NULL, \
                     document TSVECTOR GENERATED ALWAYS AS (\
                       setweight(to_tsvector('english', title), 'A') || \
                       setweight(to_tsvector('english', body), 'B')) STORED)",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE INDEX idx_search_history_document ON search_history USING GIN (document)",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                db.execute_unprepared("DROP TABLE search_history").await?;
                rebuild_search(db, SEARCH_COLUMNS).await?;
            }
            _ => {
                db.execute_unprepared("DROP TABLE search_history").await?;
                db.execute_unprepared("ALTER TABLE search_documents DROP COLUMN known_from")
                    .await?;
            }
        }
        for (table, _) in RESOLVED {
            manager
                .drop_table(Table::drop().table(format!("{table}_history")).take())
                .await?;
            manager
                .alter_table(Table::alter().table(table).drop_column("known_from").take())
                .await?;
        }
        for column in ["prefix", "suffix"] {
            manager
                .alter_table(Table::alter().table("citations").drop_column(column).take())
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            for (table, column, target, on_delete) in FOREIGN_KEYS {
                db.execute_unprepared(&format!(
                    "ALTER TABLE {table} ADD CONSTRAINT fk_{table}_{column} FOREIGN KEY ({column}) \
                     REFERENCES {target}(id) ON DELETE {on_delete}"
                ))
                .await?;
            }
        }
        drop_tables(manager, &["unresolved", "claims", "imports"]).await
    }
}

/// The import that wrote a row's current version; 0 until the rows already in the
/// store are made claims.
fn known_from() -> ColumnDef {
    ColumnDef::new("known_from")
        .big_integer()
        .not_null()
        .default(0)
        .take()
}

/// Builds SQLite's `search_documents` again with `columns`, keeping its documents (a
/// new `known_from` column stays empty until the rows are made claims).
async fn rebuild_search(db: &SchemaManagerConnection<'_>, columns: &str) -> Result<(), DbErr> {
    db.execute_unprepared(
        "CREATE TABLE search_copy AS SELECT rowid AS id, record_kind, title, body \
         FROM search_documents",
    )
    .await?;
    db.execute_unprepared("DROP TABLE search_documents").await?;
    db.execute_unprepared(&format!(
        "CREATE VIRTUAL TABLE search_documents USING fts5({columns}, {TOKENIZE})"
    ))
    .await?;
    db.execute_unprepared(
        "INSERT INTO search_documents (rowid, record_kind, title, body) \
         SELECT id, record_kind, title, body FROM search_copy",
    )
    .await?;
    db.execute_unprepared("DROP TABLE search_copy")
        .await
        .map(drop)
}

/// The searchable columns of SQLite's full-text tables, as migration 5 made them.
const SEARCH_COLUMNS: &str = "record_kind UNINDEXED, title, body";
/// Their tokenizer.
const TOKENIZE: &str = "tokenize = 'porter unicode61'";
