//! The resolved tables and their histories: writing a batch of resolved rows so that the
//! version each replaces or removes is kept, and reading a table as of an import.
//!
//! A row's current version stands in its table with `known_from`, the import that wrote
//! it; a version it replaced stands in `<table>_history` with the import that replaced
//! it as `known_to`. Rows are keyed by their first column.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::Value;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    ModelTrait, QueryFilter,
};

use crate::db::entities::*;
use crate::db::sql::{IDS_PER_STATEMENT, JSON_ROWS_PER_STATEMENT, ROWS_PER_STATEMENT};
use crate::db::sql::{Sql, one_of};

/// What writing a batch did, by key.
#[derive(Debug, Default)]
pub struct Changes {
    /// Rows that did not exist before.
    pub created: Vec<i64>,
    /// Rows whose values changed.
    pub changed: Vec<i64>,
    /// Rows that no longer exist.
    pub removed: Vec<i64>,
}

impl Changes {
    /// Whether anything was written.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The name of `E`'s table and of each of its columns.
pub fn columns<E: EntityTrait>() -> (&'static str, Vec<&'static str>) {
    let names = E::Column::iter().map(|column| column.as_str()).collect();
    (E::default().table_name(), names)
}

/// The key of a row: its first column's value.
pub fn key_of<M: ModelTrait>(row: &M) -> Option<i64> {
    let key = <M::Entity as EntityTrait>::Column::iter().next()?;
    match row.get(key) {
        Value::BigInt(Some(id)) => Some(id),
        _ => None,
    }
}

/// Makes the rows of `E` with these `keys` be `rows` (each keyed by one of `keys`),
/// writing by import `import` and keeping every version that is replaced or removed in
/// the history. Rows equal to the current ones are not touched. A key without a row is
/// removed: its current version goes to the history and the key is returned in
/// `removed`, for the caller to [`delete`] once nothing refers to it.
pub async fn sync<E, C>(
    db: &C,
    import: i64,
    keys: &[i64],
    rows: Vec<E::Model>,
) -> Result<Changes, DbErr>
where
    E: EntityTrait,
    E::Model: PartialEq + Clone + FromQueryResult + Send + Sync,
    C: ConnectionTrait,
{
    let none = HashSet::new();
    sync_knowing::<E, C>(db, import, keys, rows, &none, &none).await
}

/// [`sync`], where the caller knows of some keys without reading them: keys in `fresh`
/// have never had a row (theirs are inserted), and keys in `gone` have a row that was
/// removed already, its history kept (a row given for one replaces it).
pub async fn sync_knowing<E, C>(
    db: &C,
    import: i64,
    keys: &[i64],
    rows: Vec<E::Model>,
    fresh: &HashSet<i64>,
    gone: &HashSet<i64>,
) -> Result<Changes, DbErr>
where
    E: EntityTrait,
    E::Model: PartialEq + Clone + FromQueryResult + Send + Sync,
    C: ConnectionTrait,
{
    let Some(key) = E::Column::iter().next() else {
        return Ok(Changes::default());
    };
    let mut current: HashMap<i64, E::Model> = HashMap::with_capacity(keys.len());
    let stored: Vec<i64> = keys
        .iter()
        .filter(|key| !fresh.contains(key) && !gone.contains(key))
        .copied()
        .collect();
    for chunk in stored.chunks(IDS_PER_STATEMENT) {
        for row in E::find()
            .filter(one_of(key, chunk, db.get_database_backend()))
            .all(db)
            .await?
        {
            if let Some(id) = key_of(&row) {
                current.insert(id, row);
            }
        }
    }
    let mut changes = Changes::default();
    let mut inserted = Vec::new();
    let mut written = Vec::new();
    let mut kept: HashSet<i64> = HashSet::with_capacity(rows.len());
    for row in rows {
        let Some(id) = key_of(&row) else { continue };
        kept.insert(id);
        match current.get(&id) {
            Some(old) if *old == row => {}
            Some(_) => {
                changes.changed.push(id);
                written.push(row);
            }
            None if fresh.contains(&id) => {
                changes.created.push(id);
                inserted.push(row);
            }
            None => {
                changes.created.push(id);
                written.push(row);
            }
        }
    }
    changes.removed = current
        .keys()
        .filter(|id| !kept.contains(id))
        .copied()
        .collect();
    changes.removed.sort_unstable();
    let (table, names) = columns::<E>();
    let replaced: Vec<i64> = changes
        .changed
        .iter()
        .chain(&changes.removed)
        .copied()
        .collect();
    keep_in_history(db, import, table, key.as_str(), &names, &replaced).await?;
    insert(db, import, table, key.as_str(), &names, &inserted, false).await?;
    insert(db, import, table, key.as_str(), &names, &written, true).await?;
    Ok(changes)
}

/// Copies the current versions of the rows with these keys into the history, as
/// replaced by import `import`, unless that import wrote them.
async fn keep_in_history<C: ConnectionTrait>(
    db: &C,
    import: i64,
    table: &str,
    key: &str,
    names: &[&str],
    keys: &[i64],
) -> Result<(), DbErr> {
    let columns = names.join(", ");
    for chunk in keys.chunks(IDS_PER_STATEMENT) {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push(&format!(
            "INSERT INTO {table}_history ({columns}, known_from, known_to) \
             SELECT {columns}, known_from, "
        ))
        .bind(import)
        .push(&format!(" FROM {table} WHERE {key}"))
        .in_ids(chunk)
        // A version written earlier in this import was never known: no history.
        .push(" AND known_from < ")
        .bind(import);
        db.execute_raw(sql.build()).await?;
    }
    Ok(())
}

/// Deletes the rows of `table` whose `key` is one of `keys`.
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    table: &str,
    key: &str,
    keys: &[i64],
) -> Result<(), DbErr> {
    for chunk in keys.chunks(IDS_PER_STATEMENT) {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push(&format!("DELETE FROM {table} WHERE {key}"))
            .in_ids(chunk);
        db.execute_raw(sql.build()).await?;
    }
    Ok(())
}

/// Inserts `rows` as written by import `import`; with `upsert`, a row whose key exists
/// replaces the one there.
async fn insert<M: ModelTrait, C: ConnectionTrait>(
    db: &C,
    import: i64,
    table: &str,
    key: &str,
    names: &[&str],
    rows: &[M],
    upsert: bool,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let columns = names.join(", ");
    let conflict = if upsert {
        let updates: Vec<String> = names
            .iter()
            .skip(1)
            .chain(std::iter::once(&"known_from"))
            .map(|name| format!("{name} = excluded.{name}"))
            .collect();
        format!(" ON CONFLICT ({key}) DO UPDATE SET {}", updates.join(", "))
    } else {
        String::new()
    };
    let per_statement = match backend {
        DbBackend::Postgres => JSON_ROWS_PER_STATEMENT,
        _ => ROWS_PER_STATEMENT,
    };
    for chunk in rows.chunks(per_statement) {
        match backend {
            // One JSON value per statement: PostgreSQL parses one short statement and
            // casts each field to its column's type, instead of binding thousands of
            // values.
            DbBackend::Postgres => {
                let mut json = JsonRows::default();
                for row in chunk {
                    json.row();
                    for (column, name) in <M::Entity as EntityTrait>::Column::iter().zip(names) {
                        json.value(name, row.get(column));
                    }
                    json.field("known_from", &import);
                }
                let mut all = names.to_vec();
                all.push("known_from");
                insert_json(db, table, &all, json, &conflict).await?;
            }
            _ => {
                let mut sql = Sql::new(backend);
                sql.push(&format!(
                    "INSERT INTO {table} ({columns}, known_from) VALUES "
                ));
                for (i, row) in chunk.iter().enumerate() {
                    sql.push(if i == 0 { "(" } else { ", (" });
                    for column in <M::Entity as EntityTrait>::Column::iter() {
                        sql.bind(row.get(column)).push(", ");
                    }
                    sql.bind(import).push(")");
                }
                sql.push(&conflict);
                db.execute_raw(sql.build()).await?;
            }
        }
    }
    Ok(())
}

/// Inserts `rows` into `columns` of `table` on PostgreSQL, with `conflict` (an ON
/// CONFLICT clause, or nothing) after: one statement with one bound value, in which the
/// server casts each field to its column's type.
pub async fn insert_json<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[&str],
    rows: JsonRows,
    conflict: &str,
) -> Result<(), DbErr> {
    let columns = columns.join(", ");
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(&format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM json_populate_recordset(NULL::{table}, "
    ))
    .bind(rows.finish())
    .push("::json)")
    .push(conflict);
    db.execute_raw(sql.build()).await.map(drop)
}

/// The JSON text of an array of rows, written field by field: for a batch of
/// thousands of rows, building a `serde_json::Value` of each first cost more than
/// writing the text.
#[derive(Default)]
pub struct JsonRows {
    text: Vec<u8>,
    /// Whether the current row has a field yet.
    open: bool,
}

impl JsonRows {
    /// Starts the next row.
    pub fn row(&mut self) {
        self.text
            .extend_from_slice(if self.text.is_empty() { b"[{" } else { b"}, {" });
        self.open = false;
    }

    /// Adds field `name` with `value` to the current row.
    pub fn field(&mut self, name: &str, value: &impl serde::Serialize) {
        if self.open {
            self.text.extend_from_slice(b", ");
        }
        self.open = true;
        // Writing to a vector cannot fail, and every value written here serializes.
        let _ = serde_json::to_writer(&mut self.text, name);
        self.text.push(b':');
        let _ = serde_json::to_writer(&mut self.text, value);
    }

    /// Adds field `name` with a bound value, in the text PostgreSQL casts to the
    /// column's type.
    fn value(&mut self, name: &str, value: Value) {
        match value {
            Value::Bool(v) => self.field(name, &v),
            Value::Int(v) => self.field(name, &v),
            Value::BigInt(v) => self.field(name, &v),
            Value::Double(v) => self.field(name, &v),
            Value::String(v) => self.field(name, &v),
            Value::ChronoDateTimeUtc(v) => self.field(name, &v.map(|time| time.to_rfc3339())),
            other => {
                tracing::error!(
                    ?other,
                    "a resolved table has a column of a type rows are not written with"
                );
                self.field(name, &None::<()>);
            }
        }
    }

    /// The JSON text.
    pub fn finish(mut self) -> String {
        self.text
            .extend_from_slice(if self.text.is_empty() { b"[]" } else { b"}]" });
        String::from_utf8(self.text).unwrap_or_default()
    }
}

/// The resolved tables, with their key columns: what a read as of an import reads from
/// each table and its history.
pub fn resolved_tables() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        columns::<source::Entity>(),
        columns::<actor::Entity>(),
        columns::<actor_alias::Entity>(),
        columns::<affiliation::Entity>(),
        columns::<place::Entity>(),
        columns::<event::Entity>(),
        columns::<meeting::Entity>(),
        columns::<statement::Entity>(),
        columns::<military_event::Entity>(),
        columns::<event_participant::Entity>(),
        columns::<event_relation::Entity>(),
        columns::<event_proposal::Entity>(),
        columns::<proposal::Entity>(),
        columns::<proposal_party::Entity>(),
        columns::<provision::Entity>(),
        columns::<position::Entity>(),
        columns::<citation::Entity>(),
    ]
}
