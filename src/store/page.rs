//! Keyset pages: which rows a page holds, and the cursors that say where it stands.
//!
//! A page is read with `(sort key, id) > (cursor key, cursor id)` over an index in the
//! same order, never with OFFSET, so the cost of a page does not grow with how deep it
//! lies. Cursors are opaque to clients: the list, the sort key and the id, as base64
//! JSON. A cursor names the list that gave it out, so one from another list (whose key
//! may be of another type, or mean nothing in this order) is refused, not compared.

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

/// A list clients page through: named in each cursor it gives out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum List {
    Actors,
    Places,
    Sources,
    Proposals,
    Timeline,
    Meetings,
    Statements,
    MilitaryEvents,
    /// `Actor.events`.
    ActorEvents,
    /// `Actor.statements`.
    ActorStatements,
    /// `imports` and `Source.imports`.
    Imports,
    Search,
}

impl List {
    /// Whether the list is ordered by keys of this kind.
    fn orders_by(self, key: &SortKey) -> bool {
        use List::*;
        match key {
            SortKey::Text(_) => matches!(self, Actors | Places | Sources | Proposals),
            SortKey::Time(_) => matches!(
                self,
                Timeline | Meetings | Statements | MilitaryEvents | ActorEvents | ActorStatements
            ),
            SortKey::Number(_) => self == Imports,
            SortKey::Rank(_) => self == Search,
        }
    }
}

/// Where a row stands in its list: its sort key and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    pub key: SortKey,
    pub id: i64,
}

/// A cursor as clients hold it, borrowed to be written.
#[derive(Serialize)]
struct Written<'a> {
    #[serde(rename = "l")]
    list: List,
    #[serde(rename = "k")]
    key: &'a SortKey,
    #[serde(rename = "i")]
    id: i64,
}

/// A cursor as clients send it back.
#[derive(Deserialize)]
struct Read {
    #[serde(rename = "l")]
    list: List,
    #[serde(rename = "k")]
    key: SortKey,
    #[serde(rename = "i")]
    id: i64,
}

impl Cursor {
    /// The cursor of `list` a string holds, or `None` when `list` did not give it out.
    pub fn decode(list: List, text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let read: Read = serde_json::from_slice(&bytes).ok()?;
        (read.list == list && list.orders_by(&read.key)).then_some(Cursor {
            key: read.key,
            id: read.id,
        })
    }

    /// The opaque string clients see, for this cursor in `list`.
    pub fn encode(&self, list: List) -> String {
        let written = Written {
            list,
            key: &self.key,
            id: self.id,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&written).unwrap_or_default())
    }
}

/// Rows that can stand in a keyset list.
pub trait Keyed {
    /// The row's cursor in its list.
    fn cursor(&self) -> Cursor;
}

/// A page request: of which list, how many rows, from where, in which direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Page {
    pub list: List,
    pub limit: u32,
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    /// True for `last`: the page ends at `before` (or the list's end).
    pub from_end: bool,
}

impl Page {
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
                list: self.list,
                rows,
                has_previous: more,
                has_next: self.before.is_some(),
            }
        } else {
            PageOf {
                list: self.list,
                rows,
                has_previous: self.after.is_some(),
                has_next: more,
            }
        }
    }
}

/// One page of rows of a list.
#[derive(Debug, Clone)]
pub struct PageOf<T> {
    pub list: List,
    pub rows: Vec<T>,
    pub has_previous: bool,
    pub has_next: bool,
}

impl<T> PageOf<T> {
    /// A page of `list` with no rows, and none around it.
    pub fn empty(list: List) -> Self {
        Self {
            list,
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
    fn cursors_round_trip_in_their_own_list_only() {
        let cursor = Cursor {
            key: SortKey::Text("Putin".into()),
            id: 7,
        };
        let text = cursor.encode(List::Actors);
        assert_eq!(Cursor::decode(List::Actors, &text), Some(cursor.clone()));
        assert_eq!(Cursor::decode(List::Places, &text), None);
        assert_eq!(Cursor::decode(List::Actors, "not a cursor"), None);
        // A key of another type, even under the right list's name, was never given out.
        let forged = cursor.encode(List::Timeline);
        assert_eq!(Cursor::decode(List::Timeline, &forged), None);
    }

    #[test]
    fn a_page_from_the_end_is_returned_in_list_order() {
        let page = Page {
            list: List::Timeline,
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
