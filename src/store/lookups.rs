//! Rows by key, for the batched loaders: a table's rows by id, and the rows that belong
//! to a batch of parents.

use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::db::entities::citation;
use crate::db::sql::one_of;

/// The rows of `E` whose `column` is one of `keys`, in no particular order.
pub async fn by_keys<E: EntityTrait>(
    db: &DatabaseConnection,
    column: E::Column,
    keys: &[i64],
) -> Result<Vec<E::Model>, DbErr> {
    E::find()
        .filter(one_of(column, keys, db.get_database_backend()))
        .all(db)
        .await
}

/// The rows of `E` whose `column` is one of `keys`, in order of `order`, then of `id`.
pub async fn children<E: EntityTrait>(
    db: &DatabaseConnection,
    column: E::Column,
    keys: &[i64],
    order: E::Column,
    id: E::Column,
) -> Result<Vec<E::Model>, DbErr> {
    E::find()
        .filter(one_of(column, keys, db.get_database_backend()))
        .order_by_asc(order)
        .order_by_asc(id)
        .all(db)
        .await
}

/// The citations of the records with these ids (of any kind), in order of their place
/// in the source.
pub async fn citations(
    db: &DatabaseConnection,
    records: &[i64],
) -> Result<Vec<citation::Model>, DbErr> {
    children::<citation::Entity>(
        db,
        citation::Column::RecordId,
        records,
        citation::Column::StartOffset,
        citation::Column::Id,
    )
    .await
}
