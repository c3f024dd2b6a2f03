//! Rows by key, for the batched loaders: a table's rows by id, and the rows that belong
//! to a batch of parents.

use sea_orm::{
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QueryTrait, Select,
};

use super::known::Known;
use crate::db::entities::citation;
use crate::db::sql::one_of;

/// Runs `select` on the store as known at `known`.
async fn all<E: EntityTrait>(
    db: &DatabaseConnection,
    known: Known,
    select: Select<E>,
) -> Result<Vec<E::Model>, DbErr> {
    match known {
        Known::Now => select.all(db).await,
        Known::After(_) => {
            let statement = known.statement(select.build(db.get_database_backend()));
            E::find().from_raw_sql(statement).all(db).await
        }
    }
}

/// The rows of `E` whose `column` is one of `keys`, in no particular order.
pub async fn by_keys<E: EntityTrait>(
    db: &DatabaseConnection,
    known: Known,
    column: E::Column,
    keys: &[i64],
) -> Result<Vec<E::Model>, DbErr> {
    let select = E::find().filter(one_of(column, keys, db.get_database_backend()));
    all(db, known, select).await
}

/// The rows of `E` whose `column` is one of `keys`, in order of `order`, then of `id`.
pub async fn children<E: EntityTrait>(
    db: &DatabaseConnection,
    known: Known,
    column: E::Column,
    keys: &[i64],
    order: E::Column,
    id: E::Column,
) -> Result<Vec<E::Model>, DbErr> {
    let select = E::find()
        .filter(one_of(column, keys, db.get_database_backend()))
        .order_by_asc(order)
        .order_by_asc(id);
    all(db, known, select).await
}

/// The citations of the records with these ids (of any kind), in order of their place
/// in the source.
pub async fn citations(
    db: &DatabaseConnection,
    known: Known,
    records: &[i64],
) -> Result<Vec<citation::Model>, DbErr> {
    children::<citation::Entity>(
        db,
        known,
        citation::Column::RecordId,
        records,
        citation::Column::StartOffset,
        citation::Column::Id,
    )
    .await
}
