//! Relay cursor connections over the store's keyset pages.
//!
//! The store reads a page ([`Page`]) and says how to count the whole list ([`Count`]);
//! this layer checks Relay's arguments, builds connections and edges, encodes cursors
//! only when `cursor` is selected, and runs the count only when `totalCount` is.

use std::borrow::Cow;

use async_graphql::{Context, Object, OutputType, Result, TypeName};
use sea_orm::DatabaseConnection;

use super::error::AppError;
use super::loaders::{EventCountsByActor, in_budget, load_one};
use crate::store::events::ActorEvents;
use crate::store::page::{Count, Cursor, Keyed, List, Page, PageOf, SortKey};

/// Items per page when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Most items one page may hold.
pub const MAX_PAGE_SIZE: u32 = 100;

/// Checks Relay's `first`/`after`/`last`/`before` arguments for a page of `list`.
pub fn page(
    list: List,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<Page, AppError> {
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
    let decode = |name: &'static str, text: Option<String>| -> Result<Option<Cursor>, AppError> {
        text.map(|text| {
            // A time outside the supported years was never given out, and would
            // fail at the database.
            let cursor = Cursor::decode(list, &text).filter(|cursor| match &cursor.key {
                SortKey::Time(time) => super::inputs::YEARS.contains(&chrono::Datelike::year(time)),
                _ => true,
            });
            cursor.ok_or_else(|| {
                AppError::bad_input(
                    name,
                    format!("`{name}` is not a cursor of this list: `{text}`"),
                )
            })
        })
        .transpose()
    };
    Ok(Page {
        list,
        limit,
        after: decode("after", after)?,
        before: decode("before", before)?,
        from_end,
    })
}

/// One page of a list, Relay-style: its items with their cursors, and where the page
/// stands in the list.
pub struct Conn<N> {
    list: List,
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
            list: self.list,
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
    list: List,
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
        self.cursor.encode(self.list)
    }

    /// The item.
    async fn node(&self) -> &N {
        &self.node
    }
}

/// Whether pages lie before and after a page, and the cursors at its ends.
pub struct PageInfo {
    list: List,
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
        self.start.as_ref().map(|cursor| cursor.encode(self.list))
    }

    /// The cursor of the page's last item.
    async fn end_cursor(&self) -> Option<String> {
        self.end.as_ref().map(|cursor| cursor.encode(self.list))
    }
}

/// Builds the connection of a page, mapping each row to its node.
pub fn connection<T: Keyed, N: OutputType>(
    page: PageOf<T>,
    total: impl Into<TotalCount>,
    mut node: impl FnMut(T) -> Result<N, AppError>,
) -> Result<Conn<N>, AppError> {
    let mut edges = Vec::with_capacity(page.rows.len());
    for row in page.rows {
        let cursor = row.cursor();
        edges.push(Edge {
            list: page.list,
            cursor,
            node: node(row)?,
        });
    }
    Ok(Conn {
        list: page.list,
        edges,
        has_previous: page.has_previous,
        has_next: page.has_next,
        total: total.into(),
    })
}

/// How to count a list's rows, run only when `totalCount` is selected.
pub enum TotalCount {
    /// As the store says.
    Store(Count),
    /// An actor's events or statements, counted for every actor of the page at once.
    ActorEvents(i64, ActorEvents),
}

impl From<Count> for TotalCount {
    fn from(count: Count) -> Self {
        TotalCount::Store(count)
    }
}

impl TotalCount {
    async fn count(&self, ctx: &Context<'_>) -> Result<i64> {
        match self {
            TotalCount::ActorEvents(actor, which) => {
                Ok(load_one::<EventCountsByActor>(ctx, (*actor, *which))
                    .await?
                    .unwrap_or(0))
            }
            TotalCount::Store(count) => {
                let db = ctx.data::<DatabaseConnection>()?;
                Ok(in_budget(ctx, count.run(db))
                    .await?
                    .map_err(AppError::from)?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_checked_and_named() {
        assert_eq!(
            page(List::Actors, None, None, None, None).unwrap().limit,
            DEFAULT_PAGE_SIZE
        );
        let error = page(List::Actors, Some(101), None, None, None).unwrap_err();
        assert_eq!(
            error,
            AppError::bad_input("first", "`first` must lie in 0..=100, not 101")
        );
        assert_eq!(
            page(List::Actors, None, None, Some(-1), None)
                .unwrap_err()
                .code(),
            "BAD_USER_INPUT"
        );
        assert!(page(List::Actors, Some(1), None, Some(1), None).is_err());
        let bad_cursor =
            page(List::Actors, Some(1), Some("garbage".into()), None, None).unwrap_err();
        assert!(matches!(
            bad_cursor,
            AppError::BadUserInput {
                argument: Some("after"),
                ..
            }
        ));
    }
}
