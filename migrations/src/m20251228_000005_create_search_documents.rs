//! Full-text search: one document per searchable record (events, statements, proposals).
//!
//! SQLite gets an FTS5 table ranked by BM25 whose rowid is the record's id; PostgreSQL a
//! table with a weighted `tsvector` computed from the title and body, under a GIN index.
//! The importer keeps the documents in step with the records it writes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE search_documents USING fts5(\
                     record_kind UNINDEXED, title, body, tokenize = 'porter unicode61')",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TABLE search_documents (\
                     record_id BIGINT PRIMARY KEY, \
                     record_kind TEXT NOT NULL, \
                     title TEXT NOT NULL, \
                     body TEXT NOT NULL, \
                     document TSVECTOR GENERATED ALWAYS AS (\
                       setweight(to_tsvector('english', title), 'A') || \
                       setweight(to_tsvector('english', body), 'B')) STORED)",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE INDEX idx_search_documents_document ON search_documents USING GIN (document)",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE search_documents")
            .await?;
        Ok(())
    }
}
