//! Relay cursor connections with keyset pagination.
//!
//! A page is read with `(sort key, id) > (cursor key, cursor id)` over an index in the
//! same order, never with OFFSET, so the cost of a page does not grow with how deep it
//! lies. Cursors are opaque to clients: the sort key and id, as base64 JSON. Edges build
//! their cursor string only when `cursor` is selected, and `totalCount` runs its COUNT
//! only when selected.

use std::borrow::Cow;

use async_graphql::{Context, Object, OutputType, Result, TypeName};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, Statement, Value};
use serde::{Deserialize, Serialize};

use super::error::AppError;
use super::loaders::{EventCountsByActor, load_one};
use super::store::events::ActorEvents;
use crate::db::sql::Sql;

/// Items per page when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Most items one page may hold.
pub const MAX_PAGE_SIZE: u32 = 100;

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
    /// The row's cursor in a list ordered by `order`.
    fn cursor(&self) -> Cursor;
}

/// A checked page request: how many rows, from where, in which direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Page {
    pub limit: u32,
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    /// True for `last`: the page ends at `before` (or the list's end).
    pub from_end: bool,
}

impl Page {
    /// Checks Relay's `first`/`after`/`last`/`before` arguments.
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Self, AppError> {
        let size = |name: &'static str, value: i32| -> Result<u32, AppError> {
            u32::try_from(value)
                .ok()
                .filter(|size| *size <= MAX_PAGE_SIZE)
                .ok_or_else(|| {
                    AppError::bad_input(
                        name,
                        format!("`{name}` must lie in 0..={MAX_PAGE_SIZE}, not {value}"),
                    )
                })
        };
        let (limit, from_end) = match (first, last) {
            (Some(_), Some(_)) => {
                return Err(AppError::bad_input(
                    "last",
                    "give `first` or `last`, not both",
                ));
            }
            (Some(first), None) => (size("first", first)?, false),
            (None, Some(last)) => (size("last", last)?, true),
            (None, None) => (DEFAULT_PAGE_SIZE, false),
        };
        let decode =
            |name: &'static str, text: Option<String>| -> Result<Option<Cursor>, AppError> {
                text.map(|text| {
                    Cursor::decode(&text).ok_or_else(|| {
                        AppError::bad_input(
                            name,
                            format!("`{name}` is not a cursor of this list: `{text}`"),
                        )
                    })
                })
                .transpose()
            };
        Ok(Self {
            limit,
            after: decode("after", after)?,
            before: decode("before", before)?,
            from_end,
        })
    }

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

/// One page of a list, Relay-style: its items with their cursors, and where the page
/// stands in the list.
pub struct Conn<N> {
    edges: Vec<Edge<N>>,
    has_previous: bool,
    has_next: bool,
    total: TotalCount,
}

impl<N: OutputType> TypeName for Conn<N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Connection", N::type_name()))
    }
}

/// One page of a list, Relay-style: its items with their cursors, and where the page
/// stands in the list.
#[Object(name_type)]
impl<N: OutputType> Conn<N> {
    /// The items of the page, each with its cursor.
    async fn edges(&self) -> &[Edge<N>] {
        &self.edges
    }

    /// The items of the page, without cursors.
    async fn nodes(&self) -> Vec<&N> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    /// Whether pages lie before and after this one, and the cursors at its ends.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous,
            has_next_page: self.has_next,
            start: self.edges.first().map(|edge| edge.cursor.clone()),
            end: self.edges.last().map(|edge| edge.cursor.clone()),
        }
    }

    /// How many items the list holds across all pages. Costs a count of the list: select
    /// it only when it is shown.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        self.total.count(ctx).await
    }
}

/// An item of a page, with its cursor.
pub struct Edge<N> {
    cursor: Cursor,
    node: N,
}

impl<N: OutputType> TypeName for Edge<N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Edge", N::type_name()))
    }
}

/// An item of a page, with its cursor.
#[Object(name_type)]
impl<N: OutputType> Edge<N> {
    /// Where the item stands in the list: pass it as `after` or `before` to page on.
    async fn cursor(&self) -> String {
        self.cursor.encode()
    }

    /// The item.
    async fn node(&self) -> &N {
        &self.node
    }
}

/// Whether pages lie before and after a page, and the cursors at its ends.
pub struct PageInfo {
    has_previous_page: bool,
    has_next_page: bool,
    start: Option<Cursor>,
    end: Option<Cursor>,
}

/// Whether pages lie before and after a page, and the cursors at its ends.
#[Object]
impl PageInfo {
    /// True when items lie before this page. Reading forwards from `after`, true without
    /// looking: the item at `after` itself lies before.
    async fn has_previous_page(&self) -> bool {
        self.has_previous_page
    }

    /// True when items lie after this page.
    async fn has_next_page(&self) -> bool {
        self.has_next_page
    }

    /// The cursor of the page's first item.
    async fn start_cursor(&self) -> Option<String> {
        self.start.as_ref().map(Cursor::encode)
    }

    /// The cursor of the page's last item.
    async fn end_cursor(&self) -> Option<String> {
        self.end.as_ref().map(Cursor::encode)
    }
}

/// Builds the connection of a page, mapping each row to its node.
pub fn connection<T: Keyed, N: OutputType>(
    page: PageOf<T>,
    total: TotalCount,
    mut node: impl FnMut(T) -> Result<N, AppError>,
) -> Result<Conn<N>, AppError> {
    let mut edges = Vec::with_capacity(page.rows.len());
    for row in page.rows {
        let cursor = row.cursor();
        edges.push(Edge {
            cursor,
            node: node(row)?,
        });
    }
    Ok(Conn {
        edges,
        has_previous: page.has_previous,
        has_next: page.has_next,
        total,
    })
}

/// How to count a list's rows, run only when `totalCount` is selected.
pub enum TotalCount {
    /// A `SELECT COUNT(*) AS n …` statement.
    Query(Statement),
    /// Counted already.
    Known(i64),
    /// An actor's events or statements, counted for every actor of the page at once.
    ActorEvents(i64, ActorEvents),
}

impl TotalCount {
    async fn count(&self, ctx: &Context<'_>) -> Result<i64> {
        match self {
            TotalCount::Known(count) => Ok(*count),
            TotalCount::ActorEvents(actor, which) => {
                Ok(load_one::<EventCountsByActor>(ctx, (*actor, *which))
                    .await?
                    .unwrap_or(0))
            }
            TotalCount::Query(statement) => {
                let db = ctx.data::<DatabaseConnection>()?;
                Ok(crate::db::count(db, statement.clone())
                    .await
                    .map_err(AppError::from)?)
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
    fn page_sizes_are_checked_and_named() {
        assert_eq!(
            Page::new(None, None, None, None).unwrap().limit,
            DEFAULT_PAGE_SIZE
        );
        let error = Page::new(Some(101), None, None, None).unwrap_err();
        assert_eq!(
            error,
            AppError::bad_input("first", "`first` must lie in 0..=100, not 101")
        );
        assert_eq!(
            Page::new(None, None, Some(-1), None).unwrap_err().code(),
            "BAD_USER_INPUT"
        );
        assert!(Page::new(Some(1), None, Some(1), None).is_err());
        let bad_cursor = Page::new(Some(1), Some("garbage".into()), None, None).unwrap_err();
        assert!(matches!(
            bad_cursor,
            AppError::BadUserInput {
                argument: Some("after"),
                ..
            }
        ));
    }

    #[test]
    fn a_page_from_the_end_is_returned_in_list_order() {
        let page = Page::new(None, None, Some(2), None).unwrap();
        let fetched = vec![5, 4, 3];
        let result = page.finish(fetched);
        assert_eq!(result.rows, vec![4, 5]);
        assert!(result.has_previous);
        assert!(!result.has_next);
    }
}
