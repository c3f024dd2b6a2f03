//! Batched loaders: each relation field loads through one of these, so a request runs one
//! statement per relation it selects, however many parents come back.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::error::AppError;
use crate::db::entities::actor_alias;

/// Every loader of one request. Built per request, so their caches never outlive it.
pub struct Loaders {
    pub aliases_by_actor: DataLoader<AliasesByActorLoader>,
}

impl Loaders {
    /// Fresh loaders over `db`.
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            aliases_by_actor: DataLoader::new(
                AliasesByActorLoader { db: db.clone() },
                tokio::spawn,
            ),
        }
    }
}

/// An actor's aliases, in alphabetical order.
pub struct AliasesByActorLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for AliasesByActorLoader {
    type Value = Vec<String>;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = actor_alias::Entity::find()
            .filter(actor_alias::Column::ActorId.is_in(keys.iter().copied()))
            .order_by_asc(actor_alias::Column::Alias)
            .all(&self.db)
            .await?;
        let mut aliases: HashMap<i64, Vec<String>> = HashMap::with_capacity(keys.len());
        for row in rows {
            aliases.entry(row.actor_id).or_default().push(row.alias);
        }
        Ok(aliases)
    }
}
