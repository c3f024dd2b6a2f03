//! Ranked full-text search over events, statements and proposals: FTS5 with BM25 on
//! SQLite, `plainto_tsquery` with `ts_rank` on PostgreSQL. The two engines read a text
//! differently (stop words, hyphens, quotes, one-letter words), so the user's text is
//! made into search terms here, once, and both backends look for the same terms; only
//! stemming, accents and ranking stay the engines' own.

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

/// Most words a search may hold, counted as written (the one-letter and stop words it
/// drops included), so the bound reads the same on both backends: each term is one more
/// to match, and the work grows faster than their number.
pub const MAX_WORDS: usize = 16;

/// The words of a search text: its runs of letters and digits. Every other character
/// (a space, any dash or hyphen, any quote or apostrophe) only separates words.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric() || c == MODIFIER_APOSTROPHE)
        .filter(|word| !word.is_empty())
}

/// U+02BC, an apostrophe that Unicode files among the letters; written in a word, it
/// parts the word as `'` and `’` do.
const MODIFIER_APOSTROPHE: char = '\u{2BC}';

/// PostgreSQL's `english` stop words (Snowball's list), sorted. Its `english` search
/// configuration leaves them out of every document and query, and FTS5 keeps them: a
/// search leaves them out on both backends.
#[rustfmt::skip]
const STOP_WORDS: [&str; 127] = [
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between",
    "both", "but", "by", "can", "did", "do", "does", "doing", "don", "down", "during",
    "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
    "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
    "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor",
    "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
    "ourselves", "out", "over", "own", "s", "same", "she", "should", "so", "some", "such",
    "t", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "you", "your", "yours", "yourself", "yourselves",
];

/// The terms a search looks for, all required, on both backends: its words in lower
/// case, but for stop words and words of one character. One letter is a stop word (`a`,
/// `s`) or a piece of an abbreviation that the engines split differently (`U.S.` is `u`
/// and `s` to FTS5, `u.s` to PostgreSQL), so it is left out everywhere.
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .filter(|word| word.chars().nth(1).is_some())
        .map(str::to_lowercase)
        .filter(|word| STOP_WORDS.binary_search(&word.as_str()).is_err())
        .collect()
}

/// The terms as an FTS5 query: each quoted, all required. Terms hold letters and digits
/// only, so nothing in them is read as FTS5 syntax.
fn fts5_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|term| format!("\"{term}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ranked matches of `terms` (not empty) as a subquery `hits(record_id, record_kind,
/// rank)`, among the documents known at `known`: as of an import, the current documents
/// it had written and the replaced ones it knew. (On SQLite each of the two tables ranks
/// its matches by its own statistics.)
fn push_hits(sql: &mut Sql, terms: &[String], known: Known) {
    match sql.backend() {
        DbBackend::Sqlite => {
            // bm25 weighs title matches twice as much as body matches; lower is better.
            sql.push(
                "(SELECT rowid AS record_id, record_kind, bm25(search_documents, 0.0, 2.0, 1.0) AS rank \
                 FROM search_documents WHERE search_documents MATCH ",
            );
            sql.bind(fts5_query(terms));
            if let Known::After(import) = known {
                sql.push(" AND known_from <= ").bind(import);
                sql.push(
                    " UNION ALL SELECT record_id, record_kind, bm25(search_history, 0.0, 0.0, 2.0, 1.0) \
                     FROM search_history WHERE search_history MATCH ",
                );
                sql.bind(fts5_query(terms));
                sql.push(" AND known_from <= ").bind(import);
                sql.push(" AND known_to > ").bind(import);
            }
            sql.push(") hits");
        }
        _ => {
            // The query is parsed once, as a one-row function scan: written inline, a
            // cached generic plan would parse it again for every matching row. Ranks
            // are negated so that lower is better on both backends. `plainto_tsquery`
            // requires every word it is given and reads none as syntax; the terms are
            // words and no stop words, so it keeps each one.
            sql.push("(SELECT d.record_id, d.record_kind, -CAST(ts_rank(d.document, q.query) AS DOUBLE PRECISION) AS rank \
                 FROM plainto_tsquery('english', ");
            sql.bind(terms.join(" "));
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

/// How many records known at `known` match all of `terms`; none when there are no terms.
pub fn count(backend: DbBackend, known: Known, terms: &[String]) -> Count {
    if terms.is_empty() {
        return Count::Known(0);
    }
    let mut sql = Sql::new(backend);
    sql.push("SELECT COUNT(*) AS n FROM ");
    push_hits(&mut sql, terms, known);
    Count::Query(sql.build())
}

/// One page of the records known at `known` that match all of `terms`, best first; an
/// empty page, asked of no database, when there are no terms.
pub async fn page(
    db: &DatabaseConnection,
    known: Known,
    terms: &[String],
    page: &Page,
) -> Result<PageOf<Hit>, DbErr> {
    if terms.is_empty() {
        return Ok(PageOf::empty(page.list));
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT record_id, record_kind, rank FROM ");
    push_hits(&mut sql, terms, known);
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
    use super::{STOP_WORDS, fts5_query, terms};

    #[test]
    fn user_words_cannot_inject_fts5_syntax() {
        assert_eq!(fts5_query(&terms("ceasefire")), "\"ceasefire\"");
        assert_eq!(
            fts5_query(&terms("\"peace\" OR NEAR(xy")),
            "\"peace\" \"near\" \"xy\""
        );
        assert_eq!(fts5_query(&terms("  -- ")), "");
    }

    #[test]
    fn every_dash_and_quote_parts_words() {
        for dash in [
            '-', '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2212}',
        ] {
            assert_eq!(
                terms(&format!("Mar{dash}Lago")),
                ["mar", "lago"],
                "{dash:?}"
            );
        }
        for quoted in [
            "\"Kyiv's\"",
            "\u{201C}Kyiv\u{2019}s\u{201D}",
            "\u{2018}Kyiv\u{02BC}s\u{2019}",
            "`Kyiv\u{00B4}s`",
        ] {
            assert_eq!(terms(quoted), ["kyiv"], "{quoted}");
        }
    }

    #[test]
    fn terms_are_lower_case_without_stop_words_or_one_letter_words() {
        assert_eq!(
            terms("The CeaseFire of Ä and ÉTÉ in U.S. 5 x"),
            ["ceasefire", "été"]
        );
        assert_eq!(
            terms("a b c d e f g h i j k l m n o p"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.is_sorted());
    }
}
