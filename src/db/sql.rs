//! A small builder for hand-written SQL that runs on SQLite and PostgreSQL alike.
//!
//! The read path writes its SQL by hand (keyset pages, per-parent windows, recursive
//! place trees, full-text ranking), where a query builder would hide what the database
//! is asked. This builder only fills in what differs: placeholders (`?` or `$n`) and
//! lists of ids, which are bound as one value (a JSON array on SQLite, a `BIGINT[]` on
//! PostgreSQL) so a statement's text does not change with the number of ids, and the
//! database can reuse its plan.

use sea_orm::sea_query::{BinOper, Expr, ExprTrait, PgFunc};
use sea_orm::{ColumnTrait, DbBackend, Statement, Value};

/// Rows per INSERT of bound values: well under the bind-parameter limits of SQLite and
/// PostgreSQL.
pub const ROWS_PER_STATEMENT: usize = 1000;
/// Ids per statement that reads or writes rows by id: they are bound as one value
/// ([`Sql::in_ids`]), so only the size of a statement bounds them.
pub const IDS_PER_STATEMENT: usize = 10_000;
/// Rows per INSERT that takes them as one JSON value (PostgreSQL).
pub const JSON_ROWS_PER_STATEMENT: usize = 5000;

/// SQL text with its bound values.
pub struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// An empty statement for `backend`.
    pub fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::with_capacity(256),
            values: Vec::new(),
        }
    }

    /// The backend this statement is written for.
    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.values.len().to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Appends `IN (…ids)` (SQLite) or `= ANY(…ids)` (PostgreSQL), with the ids bound as
    /// one value.
    pub fn in_ids(&mut self, ids: &[i64]) -> &mut Self {
        match self.backend {
            DbBackend::Postgres => {
                self.push(" = ANY(");
                self.bind(ids.to_vec());
                self.push(")")
            }
            _ => {
                self.push(" IN (SELECT value FROM json_each(");
                self.bind(json_array(ids));
                self.push("))")
            }
        }
    }

    /// The finished statement.
    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// The condition `column` is one of `ids` for sea-orm's query builder, written as
/// [`Sql::in_ids`] writes it: one bound value, so the statement's text is the same for
/// any number of ids and each connection prepares it once.
pub fn one_of(column: impl ColumnTrait, ids: &[i64], backend: DbBackend) -> Expr {
    let column = Expr::col(column.as_column_ref());
    match backend {
        DbBackend::Postgres => column.eq(PgFunc::any(Expr::val(ids.to_vec()))),
        _ => column.binary(
            BinOper::In,
            Expr::cust_with_values("SELECT value FROM json_each(?)", [json_array(ids)]),
        ),
    }
}

/// `ids` as a JSON array, for SQLite's `json_each`.
fn json_array(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        let mut sql = Sql::new(DbBackend::Postgres);
        sql.push("SELECT 1 WHERE a = ")
            .bind(1_i64)
            .push(" AND b")
            .in_ids(&[1, 2]);
        assert_eq!(sql.build().sql, "SELECT 1 WHERE a = $1 AND b = ANY($2)");

        let mut sql = Sql::new(DbBackend::Sqlite);
        sql.push("SELECT 1 WHERE a = ")
            .bind(1_i64)
            .push(" AND b")
            .in_ids(&[1, 2]);
        let statement = sql.build();
        assert_eq!(
            statement.sql,
            "SELECT 1 WHERE a = ? AND b IN (SELECT value FROM json_each(?))"
        );
        assert_eq!(statement.values.map(|v| v.0.len()), Some(2));
    }

    #[test]
    fn one_of_binds_the_ids_as_one_value() {
        use crate::db::entities::actor;
        use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

        for (backend, condition) in [
            (DbBackend::Postgres, r#""actors"."id" = ANY($1)"#),
            (
                DbBackend::Sqlite,
                r#""actors"."id" IN (SELECT value FROM json_each(?))"#,
            ),
        ] {
            for ids in [&[7_i64][..], &[1, 2, 3]] {
                let statement = actor::Entity::find()
                    .filter(one_of(actor::Column::Id, ids, backend))
                    .build(backend);
                assert!(
                    statement.sql.ends_with(&format!("WHERE {condition}")),
                    "{}",
                    statement.sql
                );
                assert_eq!(statement.values.map(|v| v.0.len()), Some(1));
            }
        }
    }
}
