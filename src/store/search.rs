//! Ranked full-text search over events, statements and proposals: FTS5 with BM25 on
//! SQLite, `websearch_to_tsquery` with `ts_rank` on PostgreSQL.

use sea_orm::{DatabaseConnection, DbBackend, DbErr, FromQueryResult};

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

/// The user's words as an FTS5 query: each word quoted, all required, so no input is
/// read as FTS5 syntax.
fn fts5_query(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{word}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ranked matches as a subquery `hits(record_id, record_kind, rank)`.
fn push_hits(sql: &mut Sql, text: &str) {
    match sql.backend() {
        DbBackend::Sqlite => {
            // bm25 weighs title matches twice as much as body matches; lower is better.
            sql.push(
                "(SELECT rowid AS record_id, record_kind, bm25(search_documents, 0.0, 2.0, 1.0) AS rank \
                 FROM search_documents WHERE search_documents MATCH ",
            );
            sql.bind(fts5_query(text)).push(") hits");
        }
        _ => {
            // The query is parsed once, as a one-row function scan: written inline, a
            // cached generic plan would parse it again for every matching row. Ranks
            // are negated so that lower is better on both backends.
            sql.push("(SELECT d.record_id, d.record_kind, -CAST(ts_rank(d.document, q.query) AS DOUBLE PRECISION) AS rank \
                 FROM websearch_to_tsquery('english', ");
            sql.bind(text.to_owned());
            sql.push(") AS q(query) JOIN search_documents d ON d.document @@ q.query) hits");
        }
    }
}

/// How many records match `text`.
pub fn count(backend: DbBackend, text: &str) -> Count {
    if backend == DbBackend::Sqlite && fts5_query(text).is_empty() {
        return Count::Known(0);
    }
    let mut sql = Sql::new(backend);
    sql.push("SELECT COUNT(*) AS n FROM ");
    push_hits(&mut sql, text);
    Count::Query(sql.build())
}

/// One page of matches for `text`, best first.
pub async fn page(db: &DatabaseConnection, text: &str, page: &Page) -> Result<PageOf<Hit>, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite && fts5_query(text).is_empty() {
        return Ok(PageOf::default());
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT record_id, record_kind, rank FROM ");
    push_hits(&mut sql, text);
    sql.push(" WHERE 1 = 1");
    page.push_window(&mut sql, "rank", "record_id", false);
    Ok(page.finish(rows(db, sql).await?))
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
