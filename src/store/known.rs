//! Known time: reading the store as it stood after one import.
//!
//! Event time (`time`) says when something happened; known time says when the store
//! learned or dropped a claim. Every read names a [`Known`]: the store now, or as it
//! stood right after an import. A read as of import N is the same statement with each
//! resolved table replaced, under its own name, by its rows known at N: those of the
//! table written by N or before, and those of its history written by N or before and
//! replaced after N.

use sea_orm::{DbBackend, Statement};

use super::tables::resolved_tables;

/// When a read takes the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Known {
    /// As it stands now.
    #[default]
    Now,
    /// As it stood right after import N (import 0: before the first).
    After(i64),
}

impl Known {
    /// `statement` as it reads the store at this time. Statements must not open with a
    /// `WITH` clause of their own: one for a read as of an import is put in front.
    pub fn statement(self, statement: Statement) -> Statement {
        match self {
            Known::Now => statement,
            Known::After(import) => Statement {
                sql: format!("{}{}", as_of(statement.db_backend, import), statement.sql),
                ..statement
            },
        }
    }
}

/// The `WITH` clause that makes each resolved table's name stand for its rows known at
/// `import`. Each is `NOT MATERIALIZED`, so the database reads it through the table's
/// and its history's indexes instead of copying it first. In SQLite a table's name
/// inside a `WITH` clause that redefines it must be qualified with its schema.
fn as_of(backend: DbBackend, import: i64) -> String {
    let schema = match backend {
        DbBackend::Sqlite => "main.",
        _ => "",
    };
    let mut sql = String::from("WITH ");
    for (i, (table, names)) in resolved_tables().into_iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let columns = names.join(", ");
        sql.push_str(&format!(
            "{table} AS NOT MATERIALIZED (SELECT {columns} FROM {schema}{table} \
             WHERE known_from <= {import} UNION ALL SELECT {columns} FROM {schema}{table}_history \
             WHERE known_from <= {import} AND known_to > {import})"
        ));
    }
    sql.push(' ');
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_leaves_a_statement_as_it_is() {
        let statement = Statement::from_string(DbBackend::Postgres, "SELECT 1 FROM actors");
        assert_eq!(Known::Now.statement(statement).sql, "SELECT 1 FROM actors");
    }

    #[test]
    fn as_of_an_import_reads_each_table_with_its_history() {
        let statement = Statement::from_string(DbBackend::Sqlite, "SELECT name FROM actors");
        let sql = Known::After(7).statement(statement).sql;
        assert!(
            sql.starts_with("WITH sources AS NOT MATERIALIZED (SELECT id, slug"),
            "{sql}"
        );
        assert!(
            sql.contains(
                "actors AS NOT MATERIALIZED (SELECT id, slug, name, kind, country, description \
                 FROM main.actors WHERE known_from <= 7 UNION ALL SELECT id, slug, name, kind, \
                 country, description FROM main.actors_history WHERE known_from <= 7 AND known_to > 7)"
            ),
            "{sql}"
        );
        assert!(sql.ends_with(") SELECT name FROM actors"), "{sql}");
    }
}
