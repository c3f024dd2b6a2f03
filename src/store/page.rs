//! Keyset pages: which rows a page holds, and the cursors that say where it stands.
//!
//! A page is read with `(sort key, id) > (cursor key, cursor id)` over an index in the
//! same order, never with OFFSET, so the cost of a page does not grow with how deep it
//! lies. Cursors are opaque to clients: the sort key and id, as base64 JSON.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, Value};
use serde::{Deserialize, Serialize};

use crate::db::sql::Sql;

/// The value a list is ordered by, for one row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortKey {
    /// A time column.
    #[serde(rename = "t")]
    Time(DateTime<Utc>),
    /// A text column (names).
    #[serde(rename = "s")]
    Text(String),
    /// An integer column (ordinals).
    #[serde(rename = "n")]
    Number(i64),
    /// A search rank, kept as its bits so cursors compare exactly.
    #[serde(rename = "r")]
    Rank(u64),
}

impl SortKey {
    fn value(&self) -> Value {
        match self {
            SortKey::Time(time) => Value::from(*time),
            SortKey::Text(text) => Value::from(text.clone()),
            SortKey::Number(number) => Value::from(*number),
            SortKey::Rank(bits) => Value::from(f64::from_bits(*bits)),
        }
    }
}

/// Where a row stands in its list: its sort key and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "k")]
    pub key: SortKey,
    #[serde(rename = "i")]
    pub id: i64,
}

impl Cursor {
    /// The cursor a string holds, or `None` when no list gave it out.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The opaque string clients see.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// Rows that can stand in a keyset list.
pub trait Keyed {
    /// The row's cursor in its list.
    fn cursor(&self) -> Cursor;
}

/// A page request: how many rows, from where, in which direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Page {
    pub limit: u32,
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    /// True for `last`: the page ends at `before` (or the list's end).
    pub from_end: bool,
}

impl Page {
    /// A first page of `limit` rows.
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            after: None,
            before: None,
            from_end: false,
        }
    }

    /// Appends the keyset conditions (each starting with AND) on `(key, id)`.
    pub fn push_conditions(&self, sql: &mut Sql, key: &str, id: &str, descending: bool) {
        let (after_op, before_op) = if descending { ("<", ">") } else { (">", "<") };
        for (cursor, op) in [(&self.after, after_op), (&self.before, before_op)] {
            if let Some(cursor) = cursor {
                sql.push(&format!(" AND ({key}, {id}) {op} ("));
                sql.bind(cursor.key.value())
                    .push(", ")
                    .bind(cursor.id)
                    .push(")");
            }
        }
    }

    /// The direction rows are fetched in: the list's own, reversed when reading from
    /// the end.
    pub fn direction(&self, descending: bool) -> &'static str {
        if descending != self.from_end {
            "DESC"
        } else {
            "ASC"
        }
    }

    /// The ORDER BY clause for `(key, id)`, reversed when reading from the end.
    pub fn order_by(&self, key: &str, id: &str, descending: bool) -> String {
        let direction = self.direction(descending);
        format!(" ORDER BY {key} {direction}, {id} {direction}")
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Appends the keyset conditions, ORDER BY and LIMIT, for a query whose WHERE clause
    /// is already open.
    pub fn push_window(&self, sql: &mut Sql, key: &str, id: &str, descending: bool) {
        self.push_conditions(sql, key, id, descending);
        sql.push(&self.order_by(key, id, descending));
        // Written out, not bound: a plan PostgreSQL caches for a bound LIMIT assumes a
        // tenth of the rows will be read, and costs so much more than a plan for the
        // actual page size that it keeps planning every execution instead. Page sizes
        // are few, so the statement texts stay few.
        sql.push(&format!(" LIMIT {}", self.fetch()));
    }

    /// Cuts the fetched rows to the page, in list order, with whether pages lie before
    /// and after it.
    pub fn finish<T>(&self, mut rows: Vec<T>) -> PageOf<T> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        if self.from_end {
            rows.reverse();
            PageOf {
                rows,
                has_previous: more,
                has_next: self.before.is_some(),
            }
        } else {
            PageOf {
                rows,
                has_previous: self.after.is_some(),
                has_next: more,
            }
        }
    }
}

/// One page of rows.
#[derive(Debug, Clone)]
pub struct PageOf<T> {
    pub rows: Vec<T>,
    pub has_previous: bool,
    pub has_next: bool,
}

impl<T> Default for PageOf<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            has_previous: false,
            has_next: false,
        }
    }
}

/// How many rows a list holds across its pages, counted only when asked.
pub enum Count {
    /// A `SELECT COUNT(*) AS n …` statement.
    Query(Statement),
    /// Known without asking the database.
    Known(i64),
}

impl Count {
    /// Runs the count.
    pub async fn run(&self, db: &DatabaseConnection) -> Result<i64, DbErr> {
        match self {
            Count::Known(count) => Ok(*count),
            Count::Query(statement) => {
                let row = db.query_one_raw(statement.clone()).await?;
                row.map_or(Ok(0), |row| row.try_get::<i64>("", "n"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor {
            key: SortKey::Text("Putin".into()),
            id: 7,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not a cursor"), None);
    }

    #[test]
    fn a_page_from_the_end_is_returned_in_list_order() {
        let page = Page {
            limit: 2,
            after: None,
            before: None,
            from_end: true,
        };
        let result = page.finish(vec![5, 4, 3]);
        assert_eq!(result.rows, vec![4, 5]);
        assert!(result.has_previous);
        assert!(!result.has_next);
    }
}
