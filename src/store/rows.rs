//! Reading rows: by name into sea-orm models, or by position into rows whose columns
//! depend on how the statement was written.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, QueryResult, TryGetable,
};

use super::known::Known;
use crate::db::sql::Sql;

/// Runs `sql` on the store as known at `known` and maps every row to `T`.
pub async fn rows<T: FromQueryResult>(
    db: &DatabaseConnection,
    known: Known,
    sql: Sql,
) -> Result<Vec<T>, DbErr> {
    T::find_by_statement(known.statement(sql.build()))
        .all(db)
        .await
}

/// Runs `sql` on the store as known at `known` and reads every row with `read`, for
/// rows whose columns depend on how the statement was written.
pub async fn read_rows<T>(
    db: &DatabaseConnection,
    known: Known,
    sql: Sql,
    read: impl Fn(&mut Columns) -> Result<T, DbErr>,
) -> Result<Vec<T>, DbErr> {
    let results = db.query_all_raw(known.statement(sql.build())).await?;
    let mut rows = Vec::with_capacity(results.len());
    for row in &results {
        rows.push(read(&mut Columns::new(row))?);
    }
    Ok(rows)
}

/// Reads a row's columns one after another by position. The reader sea-orm derives
/// looks each column up by name, formatting and hashing the name every time, which for
/// a page of wide rows cost more than the rest of the request's work in this process.
pub struct Columns<'a> {
    row: &'a QueryResult,
    next: usize,
}

impl<'a> Columns<'a> {
    /// A reader at the row's first column.
    pub fn new(row: &'a QueryResult) -> Self {
        Self { row, next: 0 }
    }

    /// The next column's value.
    pub fn read<T: TryGetable>(&mut self) -> Result<T, DbErr> {
        let value = self.row.try_get_by_index(self.next);
        self.next += 1;
        value
    }

    /// The next column's value, or `None` when it is NULL. Reading a NULL through
    /// [`Columns::read`] builds an error naming the column and then drops it; this
    /// asks the row first.
    pub fn optional<T: TryGetable>(&mut self) -> Result<Option<T>, DbErr> {
        if self.next_is_null() {
            self.next += 1;
            return Ok(None);
        }
        self.read().map(Some)
    }

    /// Reads the `width` columns of a LEFT JOINed table whose first column is never NULL
    /// in the table: `None`, passing over them all, when it is NULL (nothing was joined);
    /// otherwise `read` reads the rest, given the first.
    pub fn joined<F: TryGetable, T>(
        &mut self,
        width: usize,
        read: impl FnOnce(F, &mut Self) -> Result<T, DbErr>,
    ) -> Result<Option<T>, DbErr> {
        match self.optional()? {
            None => {
                self.next += width - 1;
                Ok(None)
            }
            Some(first) => read(first, self).map(Some),
        }
    }

    fn next_is_null(&self) -> bool {
        use sea_orm::sqlx::{Row, ValueRef};
        if let Some(row) = self.row.try_as_pg_row() {
            row.try_get_raw(self.next)
                .is_ok_and(|value| value.is_null())
        } else if let Some(row) = self.row.try_as_sqlite_row() {
            row.try_get_raw(self.next)
                .is_ok_and(|value| value.is_null())
        } else {
            false
        }
    }
}

/// A row with the id of the parent it was loaded for.
pub struct Parented<T> {
    pub parent: i64,
    pub row: T,
}

/// Groups parented rows by parent, keeping their order.
pub fn by_parent<T>(rows: Vec<Parented<T>>) -> std::collections::HashMap<i64, Vec<T>> {
    let mut grouped: std::collections::HashMap<i64, Vec<T>> = std::collections::HashMap::new();
    for Parented { parent, row } in rows {
        grouped.entry(parent).or_default().push(row);
    }
    grouped
}
