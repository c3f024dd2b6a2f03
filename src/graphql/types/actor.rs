//! Actors and their affiliations.

use async_graphql::{Context, ID, Object, Result};

use super::event::{Event, Statement, events_connection};
use super::history::{ActorProvenance, Claim, claims_about};
use super::proposal::Position;
use super::{Citation, citations_of, list, required};
use crate::db::entities::{actor, affiliation};
use crate::domain::{ActorKind, AffiliationKind, CitedRecord, ParticipantRole};
use crate::graphql::ids;
use crate::graphql::loaders::{
    ActorById, AffiliationsByActor, AffiliationsByTarget, AliasesByActor, PositionsByActor,
};
use crate::graphql::pagination::{Conn, page};
use crate::store::events::ActorEvents;
use crate::store::page::List;

/// A person, state, government body, organization, media outlet, group of actors or
/// armed force that takes part in events, makes statements or takes positions.
pub struct Actor(actor::Model);

impl From<actor::Model> for Actor {
    fn from(model: actor::Model) -> Self {
        Self(model)
    }
}

/// A person, state, government body, organization, media outlet, group of actors or
/// armed force that takes part in events, makes statements or takes positions.
#[Object]
impl Actor {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("Actor", self.0.id)
    }

    /// Stable, human-readable identifier shared by every source that names this actor.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The name most used for the actor.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What kind of actor this is.
    async fn kind(&self) -> ActorKind {
        self.0.kind
    }

    /// ISO 3166-1 alpha-3 code of the actor's country, such as `UKR`.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }

    /// One line on who or what the actor is.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Other names sources use for the actor, metonyms included ("Moscow" for Russia's
    /// government), in alphabetical order.
    async fn aliases(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let rows = super::super::loaders::load_one::<AliasesByActor>(ctx, self.0.id).await?;
        Ok(rows.into_iter().flatten().map(|row| row.alias).collect())
    }

    /// This actor's ties to other actors (offices held, memberships, the body it is part of).
    async fn affiliations(&self, ctx: &Context<'_>) -> Result<Vec<Affiliation>> {
        list::<AffiliationsByActor, _>(ctx, self.0.id).await
    }

    /// Other actors' ties to this one (its office holders, members and parts).
    async fn affiliates(&self, ctx: &Context<'_>) -> Result<Vec<Affiliation>> {
        list::<AffiliationsByTarget, _>(ctx, self.0.id).await
    }

    /// Events this actor takes part in, in time order: its timeline.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only events where the actor plays this role.")] role: Option<
            ParticipantRole,
        >,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
    ) -> Result<Conn<Event>> {
        let page = page(List::ActorEvents, first, after, last, before)?;
        events_connection(ctx, self.0.id, ActorEvents::Participation(role), page).await
    }

    /// Statements this actor made, in time order.
    async fn statements(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
    ) -> Result<Conn<Statement>> {
        let page = page(List::ActorStatements, first, after, last, before)?;
        events_connection(ctx, self.0.id, ActorEvents::Statements, page).await
    }

    /// Positions this actor takes on proposals and provisions.
    async fn positions(&self, ctx: &Context<'_>) -> Result<Vec<Position>> {
        list::<PositionsByActor, _>(ctx, self.0.id).await
    }

    /// Where sources name this actor.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, CitedRecord::Actor, self.0.id).await
    }

    /// Who says what about it: every source's claims, the values each gives for each
    /// field, and the fields they disagree on.
    async fn provenance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also list claims their sources have since withdrawn.", default)]
        include_retracted: bool,
    ) -> Result<ActorProvenance> {
        ActorProvenance::of(ctx, self.0.id, include_retracted).await
    }
}

/// A tie from one actor to another ("Sergei Lavrov is Foreign Minister of Russia").
pub struct Affiliation(affiliation::Model);

impl From<affiliation::Model> for Affiliation {
    fn from(model: affiliation::Model) -> Self {
        Self(model)
    }
}

/// A tie from one actor to another ("Sergei Lavrov is Foreign Minister of Russia").
#[Object]
impl Affiliation {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("Affiliation", self.0.id)
    }

    /// How the two actors are tied.
    async fn kind(&self) -> AffiliationKind {
        self.0.kind
    }

    /// The title or role held, such as "Foreign Minister".
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }

    /// The affiliated actor.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Actor> {
        required::<ActorById, _>(ctx, self.0.actor_id).await
    }

    /// The actor it is affiliated to.
    async fn of(&self, ctx: &Context<'_>) -> Result<Actor> {
        required::<ActorById, _>(ctx, self.0.target_actor_id).await
    }

    /// Where sources state the tie.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, CitedRecord::Affiliation, self.0.id).await
    }

    /// The claims that support the tie: one per source that states it (every version,
    /// oldest first, with `includeRetracted`).
    async fn claims(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also list claims their sources have since withdrawn.", default)]
        include_retracted: bool,
    ) -> Result<Vec<Claim>> {
        claims_about(ctx, self.0.id, include_retracted).await
    }
}
