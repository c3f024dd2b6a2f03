//! The `Actor` type.

use async_graphql::{Context, ID, Object, Result};

use crate::db::entities::actor;
use crate::domain::ActorKind;
use crate::graphql::ids;
use crate::graphql::loaders::Loaders;

/// A person, state, government body, organization, media outlet, group of actors or
/// armed force that takes part in events, makes statements or takes positions.
pub struct Actor {
    id: i64,
    slug: String,
    name: String,
    kind: ActorKind,
    country: Option<String>,
    description: Option<String>,
}

impl From<actor::Model> for Actor {
    fn from(model: actor::Model) -> Self {
        Self {
            id: model.id,
            slug: model.slug,
            name: model.name,
            kind: model.kind,
            country: model.country,
            description: model.description,
        }
    }
}

#[Object]
impl Actor {
    /// Globally unique, opaque id.
    async fn id(&self) -> ID {
        ids::encode("Actor", self.id)
    }

    /// Stable, human-readable identifier shared by every source that names this actor.
    async fn slug(&self) -> &str {
        &self.slug
    }

    /// The name most used for the actor.
    async fn name(&self) -> &str {
        &self.name
    }

    /// What kind of actor this is.
    async fn kind(&self) -> ActorKind {
        self.kind
    }

    /// ISO 3166-1 alpha-3 code of the actor's country, such as `UKR`.
    async fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }

    /// One line on who or what the actor is.
    async fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Other names sources use for the actor, metonyms included ("Moscow" for Russia's
    /// government), in alphabetical order.
    async fn aliases(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders
            .aliases_by_actor
            .load_one(self.id)
            .await?
            .unwrap_or_default())
    }
}
