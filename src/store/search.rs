//! Ranked full-text search over events, statements and proposals: FTS5 with BM25 on
//! SQLite, `websearch_to_tsquery` with `ts_rank` on PostgreSQL.

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult};

use crate::db::sql::{IDS_PER_STATEMENT, JSON_ROWS_PER_STATEMENT, ROWS_PER_STATEMENT};

use super::known::Known;
use super::page::{Count, Cursor, Keyed, Page, PageOf, SortKey};
use super::rows::rows;
use crate::db::sql::Sql;

/// One match: the record it is and how well it matches (lower is better).
#[derive(Debug, Clone, FromQueryResult)]
pub struct Hit {
    pub record_id: i64,
    pub record_kind: String,
    pub rank: f64,
}

impl Keyed for Hit {
    fn cursor(&self) -> Cursor {
        Cursor {
            key: SortKey::Rank(self.rank.to_bits()),
            id: self.record_id,
        }
    }
}

/// Most words a search may look for: each is one more term to match, and the work
/// grows faster than their number.
pub const MAX_WORDS: usize = 16;

/// The words of a search text: its runs of letters and digits.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
}

/// The user's words as an FTS5 query: each word quoted, all required, so no input is
/// read as FTS5 syntax.
fn fts5_query(text: &str) -> String {
    words(text)
        .map(|word| format!("\"{word}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ranked matches as a subquery `hits(record_id, record_kind, rank)`, among the
/// documents known at `known`: as of an import, the current documents it had written
/// and the replaced ones it knew. (On SQLite each of the two tables ranks its matches
/// by its own statistics.)
fn push_hits(sql: &mut Sql, text: &str, known: Known) {
    match sql.backend() {
        DbBackend::Sqlite => {
            // bm25 weighs title matches twice as much as body matches; lower is better.
            sql.push(
                "(SELECT rowid AS record_id, record_kind, bm25(search_documents, 0.0, 2.0, 1.0) AS rank \
                 FROM search_documents WHERE search_documents MATCH ",
            );
            sql.bind(fts5_query(text));
            if let Known::After(import) = known {
                sql.push(" AND known_from <= ").bind(import);
                sql.push(
                    " UNION ALL SELECT record_id, record_kind, bm25(search_history, 0.0, 0.0, 2.0, 1.0) \
                     FROM search_history WHERE search_history MATCH ",
                );
                sql.bind(fts5_query(text));
                sql.push(" AND known_from <= ").bind(import);
                sql.push(" AND known_to > ").bind(import);
            }
            sql.push(") hits");
        }
        _ => {
            // The query is parsed once, as a one-row function scan: written inline, a
            // cached generic plan would parse it again for every matching row. Ranks
            // are negated so that lower is better on both backends.
            sql.push("(SELECT d.record_id, d.record_kind, -CAST(ts_rank(d.document, q.query) AS DOUBLE PRECISION) AS rank \
                 FROM websearch_to_tsquery('english', ");
            sql.bind(text.to_owned());
            sql.push(") AS q(query) JOIN ");
            match known {
                Known::Now => {
                    sql.push("search_documents d");
                }
                Known::After(import) => {
                    sql.push(
                        "(SELECT record_id, record_kind, document FROM search_documents WHERE known_from <= ",
                    )
                    .bind(import)
                    .push(
                        " UNION ALL SELECT record_id, record_kind, document FROM search_history \
                         WHERE known_from <= ",
                    )
                    .bind(import)
                    .push(" AND known_to > ")
                    .bind(import)
                    .push(") d");
                }
            }
            sql.push(" ON d.document @@ q.query) hits");
        }
    }
}

/// How many records known at `known` match `text`.
pub fn count(backend: DbBackend, known: Known, text: &str) -> Count {
    if backend == DbBackend::Sqlite && fts5_query(text).is_empty() {
        return Count::Known(0);
    }
    let mut sql = Sql::new(backend);
    sql.push("SELECT COUNT(*) AS n FROM ");
    push_hits(&mut sql, text, known);
    Count::Query(sql.build())
}

/// One page of matches for `text` among the records known at `known`, best first.
pub async fn page(
    db: &DatabaseConnection,
    known: Known,
    text: &str,
    page: &Page,
) -> Result<PageOf<Hit>, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite && fts5_query(text).is_empty() {
        return Ok(PageOf::empty(page.list));
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT record_id, record_kind, rank FROM ");
    push_hits(&mut sql, text, known);
    sql.push(" WHERE 1 = 1");
    page.push_window(&mut sql, "rank", "record_id", false);
    // The documents carry their own known time: no table in the statement is resolved.
    Ok(page.finish(rows(db, Known::Now, sql).await?))
}

/// The searchable text of one event or proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub record_id: i64,
    /// `event` or `proposal`.
    pub record_kind: &'static str,
    pub title: String,
    pub body: String,
}

impl Document {
    /// The document of a record titled `title` whose other texts are `parts`: the
    /// non-empty ones make its body, one per line.
    pub fn new<'a>(
        record_id: i64,
        record_kind: &'static str,
        title: &str,
        parts: impl IntoIterator<Item = Option<&'a str>>,
    ) -> Self {
        let body = parts
            .into_iter()
            .flatten()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        Self {
            record_id,
            record_kind,
            title: title.to_owned(),
            body,
        }
    }
}

/// The column that holds a document's record id: FTS5 keeps it as the rowid.
fn id_column(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => "rowid",
        _ => "record_id",
    }
}

/// Makes the search documents of the records `ids` be `documents` (a record without one
/// has none), written by import `import`; a replaced or removed document is kept in the
/// history. Documents equal to the current ones are not touched.
pub async fn sync<C: ConnectionTrait>(
    db: &C,
    import: i64,
    ids: &[i64],
    documents: Vec<Document>,
) -> Result<(), DbErr> {
    #[derive(FromQueryResult)]
    struct Stored {
        record_id: i64,
        record_kind: String,
        title: String,
        body: String,
    }
    let backend = db.get_database_backend();
    let id = id_column(backend);
    let mut current: HashMap<i64, Stored> = HashMap::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut sql = Sql::new(backend);
        sql.push(&format!(
            "SELECT {id} AS record_id, record_kind, title, body FROM search_documents WHERE {id}"
        ))
        .in_ids(chunk);
        for row in Stored::find_by_statement(sql.build()).all(db).await? {
            current.insert(row.record_id, row);
        }
    }
    let given: HashSet<i64> = documents.iter().map(|d| d.record_id).collect();
    let written: Vec<Document> = documents
        .into_iter()
        .filter(|document| {
            current.get(&document.record_id).is_none_or(|old| {
                old.record_kind != document.record_kind
                    || old.title != document.title
                    || old.body != document.body
            })
        })
        .collect();
    let rewritten: HashSet<i64> = written.iter().map(|d| d.record_id).collect();
    // Documents removed, or replaced by new text, go to the history first.
    let replaced: Vec<i64> = current
        .keys()
        .copied()
        .filter(|record| rewritten.contains(record) || !given.contains(record))
        .collect();
    for chunk in replaced.chunks(IDS_PER_STATEMENT) {
        let mut sql = Sql::new(backend);
        sql.push(&format!(
            "INSERT INTO search_history (record_id, record_kind, title, body, known_from, known_to) \
             SELECT {id}, record_kind, title, body, known_from, "
        ))
        .bind(import)
        .push(&format!(" FROM search_documents WHERE {id}"))
        .in_ids(chunk)
        // A document written earlier in this import was never known: no history.
        .push(" AND known_from < ")
        .bind(import);
        db.execute_raw(sql.build()).await?;
        let mut delete = Sql::new(backend);
        delete
            .push(&format!("DELETE FROM search_documents WHERE {id}"))
            .in_ids(chunk);
        db.execute_raw(delete.build()).await?;
    }
    if backend == DbBackend::Postgres {
        for chunk in written.chunks(JSON_ROWS_PER_STATEMENT) {
            let mut rows = super::tables::JsonRows::default();
            for document in chunk {
                rows.row();
                rows.field("record_id", &document.record_id);
                rows.field("record_kind", &document.record_kind);
                rows.field("title", &document.title);
                rows.field("body", &document.body);
                rows.field("known_from", &import);
            }
            let columns = ["record_id", "record_kind", "title", "body", "known_from"];
            super::tables::insert_json(db, "search_documents", &columns, rows, "").await?;
        }
        return Ok(());
    }
    for chunk in written.chunks(ROWS_PER_STATEMENT / 4) {
        let mut insert = Sql::new(backend);
        insert.push(
            "INSERT INTO search_documents (rowid, record_kind, title, body, known_from) VALUES ",
        );
        for (i, document) in chunk.iter().enumerate() {
            insert.push(if i == 0 { "(" } else { ", (" });
            insert
                .bind(document.record_id)
                .push(", ")
                .bind(document.record_kind)
                .push(", ")
                .bind(document.title.as_str())
                .push(", ")
                .bind(document.body.as_str())
                .push(", ")
                .bind(import)
                .push(")");
        }
        db.execute_raw(insert.build()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn user_words_cannot_inject_fts5_syntax() {
        assert_eq!(fts5_query("ceasefire"), "\"ceasefire\"");
        assert_eq!(
            fts5_query("\"peace\" OR NEAR(x"),
            "\"peace\" \"OR\" \"NEAR\" \"x\""
        );
        assert_eq!(fts5_query("  -- "), "");
    }
}
