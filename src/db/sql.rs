//! A small builder for hand-written SQL that runs on SQLite and PostgreSQL alike.
//!
//! The read path writes its SQL by hand (keyset pages, per-parent windows, recursive
//! place trees, full-text ranking), where a query builder would hide what the database
//! is asked. This builder only fills in what differs: placeholders (`?` or `$n`) and
//! lists of ids, which are bound as one value (a JSON array on SQLite, a `BIGINT[]` on
//! PostgreSQL) so a statement's text does not change with the number of ids, and the
//! database can reuse its plan.

use sea_orm::{DbBackend, Statement, Value};

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
                let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned());
                self.push(" IN (SELECT value FROM json_each(");
                self.bind(json);
                self.push("))")
            }
        }
    }

    /// The finished statement.
    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
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
}
