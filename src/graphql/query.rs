//! The root query.

use async_graphql::{Context, Object, Result};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::error::AppError;
use super::types::Actor;
use crate::db::entities::actor;
use crate::domain::ActorKind;

/// Most actors one `actors` call returns.
const MAX_ACTORS: i32 = 100;

/// Entry points for reading the data set.
#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// The actor with this slug.
    async fn actor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The actor's slug, such as `vladimir-putin`.")] slug: String,
    ) -> Result<Actor> {
        let db = ctx.data::<DatabaseConnection>()?;
        let found = actor::Entity::find()
            .filter(actor::Column::Slug.eq(&slug))
            .one(db)
            .await
            .map_err(AppError::from)?;
        found.map(Actor::from).ok_or_else(|| {
            AppError::not_found("slug", format!("no actor has the slug `{slug}`")).into()
        })
    }

    /// Actors in order of name.
    async fn actors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only actors of this kind.")] kind: Option<ActorKind>,
        #[graphql(desc = "How many actors to return, at most 100.", default = 50)] first: i32,
    ) -> Result<Vec<Actor>> {
        if !(0..=MAX_ACTORS).contains(&first) {
            return Err(AppError::bad_input(
                "first",
                format!("`first` must lie in 0..={MAX_ACTORS}, not {first}"),
            )
            .into());
        }
        let db = ctx.data::<DatabaseConnection>()?;
        let mut query = actor::Entity::find()
            .order_by_asc(actor::Column::Name)
            .order_by_asc(actor::Column::Id);
        if let Some(kind) = kind {
            query = query.filter(actor::Column::Kind.eq(kind));
        }
        let rows = query
            .limit(u64::try_from(first).unwrap_or(0))
            .all(db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(Actor::from).collect())
    }
}
