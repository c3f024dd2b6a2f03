//! Batched loaders: every relation field loads through one, so a request runs one
//! statement per relation it selects, however many parents come back.
//!
//! Each question is a [`Fetch`] type; [`DbLoader`] runs it for a batch of keys, and
//! [`register`] puts one `DataLoader` per question into each request, so caches never
//! outlive the request. Resolvers reach them with [`load_one`].

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Request};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::error::AppError;
use super::pagination::{Page, PageOf};
use super::store::by_parent;
use super::store::events::{self, ActorEvents, EventRow};
use crate::db::entities::*;
use crate::domain::CitedRecord;

/// One batched question to the database.
pub trait Fetch: Send + Sync + 'static {
    type Key: Send + Sync + Hash + Eq + Clone + 'static;
    type Value: Send + Sync + Clone + 'static;
    /// The values of `keys`; keys with no value may be left out.
    fn fetch(
        db: &DatabaseConnection,
        keys: &[Self::Key],
    ) -> impl Future<Output = Result<HashMap<Self::Key, Self::Value>, AppError>> + Send;
}

/// Runs a [`Fetch`] for batches of keys.
pub struct DbLoader<F> {
    db: DatabaseConnection,
    question: PhantomData<F>,
}

impl<F: Fetch> Loader<F::Key> for DbLoader<F> {
    type Value = F::Value;
    type Error = AppError;

    async fn load(&self, keys: &[F::Key]) -> Result<HashMap<F::Key, F::Value>, AppError> {
        F::fetch(&self.db, keys).await
    }
}

/// The value of `key` for question `F`, batched with the other keys asked for at the
/// same time.
pub async fn load_one<F: Fetch>(
    ctx: &Context<'_>,
    key: F::Key,
) -> async_graphql::Result<Option<F::Value>> {
    let loader = ctx.data::<DataLoader<DbLoader<F>>>()?;
    Ok(loader.load_one(key).await?)
}

/// Rows by primary key.
macro_rules! by_id {
    ($(#[$meta:meta])* $name:ident, $entity:ident) => {
        $(#[$meta])*
        pub struct $name;
        impl Fetch for $name {
            type Key = i64;
            type Value = $entity::Model;
            async fn fetch(db: &DatabaseConnection, keys: &[i64]) -> Result<HashMap<i64, $entity::Model>, AppError> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().copied()))
                    .all(db)
                    .await?;
                Ok(rows.into_iter().map(|row| (row.id, row)).collect())
            }
        }
    };
}

/// The rows of `$entity` whose `$column` is one of the keys, grouped by it, in order of
/// `$order`.
macro_rules! children {
    ($(#[$meta:meta])* $name:ident, $entity:ident, $column:ident, $field:ident, $order:ident) => {
        $(#[$meta])*
        pub struct $name;
        impl Fetch for $name {
            type Key = i64;
            type Value = Vec<$entity::Model>;
            async fn fetch(db: &DatabaseConnection, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, AppError> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::$column.is_in(keys.iter().copied()))
                    .order_by_asc($entity::Column::$order)
                    .order_by_asc($entity::Column::Id)
                    .all(db)
                    .await?;
                let mut grouped: HashMap<i64, Self::Value> = HashMap::with_capacity(keys.len());
                for row in rows {
                    if let Some(key) = Option::<i64>::from(row.$field) {
                        grouped.entry(key).or_default().push(row);
                    }
                }
                Ok(grouped)
            }
        }
    };
}

by_id!(/// Actors by id.
    ActorById, actor);
by_id!(/// Places by id.
    PlaceById, place);
by_id!(/// Sources by id.
    SourceById, source);
by_id!(/// Proposals by id.
    ProposalById, proposal);
by_id!(/// Provisions by id.
    ProvisionById, provision);
by_id!(/// Positions by id.
    PositionById, position);
by_id!(/// Affiliations by id.
    AffiliationById, affiliation);
by_id!(/// Citations by id.
    CitationById, citation);
by_id!(/// Event participations by id.
    ParticipantById, event_participant);
by_id!(/// Event relations by id.
    RelationById, event_relation);
by_id!(/// Event–proposal links by id.
    EventProposalById, event_proposal);
by_id!(/// Proposal parties by id.
    PartyById, proposal_party);

children!(/// An actor's aliases.
    AliasesByActor, actor_alias, ActorId, actor_id, Alias);
children!(/// An actor's ties to other actors.
    AffiliationsByActor, affiliation, ActorId, actor_id, Id);
children!(/// The ties other actors have to an actor (its members, office holders, parts).
    AffiliationsByTarget, affiliation, TargetActorId, target_actor_id, Id);
children!(/// The places directly within a place.
    PlacesByParent, place, ParentId, parent_id, Name);
children!(/// Who took part in an event.
    ParticipantsByEvent, event_participant, EventId, event_id, Role);
children!(/// Relations from an event to others.
    RelationsFromEvent, event_relation, EventId, event_id, Kind);
children!(/// Relations from other events to an event.
    RelationsToEvent, event_relation, RelatedEventId, related_event_id, Kind);
children!(/// Links from an event to proposals.
    ProposalLinksByEvent, event_proposal, EventId, event_id, Kind);
children!(/// Links from events to a proposal.
    EventLinksByProposal, event_proposal, ProposalId, proposal_id, Kind);
children!(/// A proposal's parties.
    PartiesByProposal, proposal_party, ProposalId, proposal_id, Role);
children!(/// A proposal's provisions, in order.
    ProvisionsByProposal, provision, ProposalId, proposal_id, Ordinal);
children!(/// Positions on a proposal or its provisions.
    PositionsByProposal, position, ProposalId, proposal_id, Id);
children!(/// Positions on one provision.
    PositionsByProvision, position, ProvisionId, provision_id, Id);
children!(/// Positions an actor takes.
    PositionsByActor, position, ActorId, actor_id, Id);
children!(/// Positions a statement backs.
    PositionsByStatement, position, StatementId, statement_id, Id);

/// Events by id, with their kind's details.
pub struct EventById;

impl Fetch for EventById {
    type Key = i64;
    type Value = EventRow;

    async fn fetch(
        db: &DatabaseConnection,
        keys: &[i64],
    ) -> Result<HashMap<i64, EventRow>, AppError> {
        Ok(events::by_ids(db, keys)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect())
    }
}

/// The citations of records, by record kind and id, in order of their place in the source.
pub struct CitationsByRecord;

impl Fetch for CitationsByRecord {
    type Key = (CitedRecord, i64);
    type Value = Vec<citation::Model>;

    async fn fetch(
        db: &DatabaseConnection,
        keys: &[(CitedRecord, i64)],
    ) -> Result<HashMap<(CitedRecord, i64), Self::Value>, AppError> {
        let ids: Vec<i64> = keys.iter().map(|(_, id)| *id).collect();
        let rows = citation::Entity::find()
            .filter(citation::Column::RecordId.is_in(ids))
            .order_by_asc(citation::Column::StartOffset)
            .order_by_asc(citation::Column::Id)
            .all(db)
            .await?;
        let mut grouped: HashMap<(CitedRecord, i64), Self::Value> =
            HashMap::with_capacity(keys.len());
        for row in rows {
            grouped
                .entry((row.record_kind, row.record_id))
                .or_default()
                .push(row);
        }
        Ok(grouped)
    }
}

/// One page of an actor's events or statements. Keys asking for the same page of
/// different actors are answered by one windowed statement.
pub struct EventPagesByActor;

impl Fetch for EventPagesByActor {
    type Key = (i64, ActorEvents, Page);
    type Value = PageOf<EventRow>;

    async fn fetch(
        db: &DatabaseConnection,
        keys: &[Self::Key],
    ) -> Result<HashMap<Self::Key, Self::Value>, AppError> {
        let mut groups: HashMap<(ActorEvents, Page), Vec<i64>> = HashMap::new();
        for (actor, which, page) in keys {
            groups
                .entry((*which, page.clone()))
                .or_default()
                .push(*actor);
        }
        let mut pages = HashMap::with_capacity(keys.len());
        for ((which, page), actors) in groups {
            let mut grouped = by_parent(events::pages_by_actor(db, &actors, which, &page).await?);
            for actor in actors {
                let rows = grouped.remove(&actor).unwrap_or_default();
                pages.insert((actor, which, page.clone()), page.finish(rows));
            }
        }
        Ok(pages)
    }
}

/// How many events (or statements) each actor has.
pub struct EventCountsByActor;

impl Fetch for EventCountsByActor {
    type Key = (i64, ActorEvents);
    type Value = i64;

    async fn fetch(
        db: &DatabaseConnection,
        keys: &[Self::Key],
    ) -> Result<HashMap<Self::Key, i64>, AppError> {
        let mut groups: HashMap<ActorEvents, Vec<i64>> = HashMap::new();
        for (actor, which) in keys {
            groups.entry(*which).or_default().push(*actor);
        }
        let mut counts = HashMap::with_capacity(keys.len());
        for (which, actors) in groups {
            for (actor, count) in events::counts_by_actor(db, &actors, which).await? {
                counts.insert((actor, which), count);
            }
        }
        Ok(counts)
    }
}

/// Adds one fresh loader per question to `request`.
pub fn register(request: Request, db: &DatabaseConnection) -> Request {
    fn add<F: Fetch>(request: Request, db: &DatabaseConnection) -> Request {
        request.data(DataLoader::new(
            DbLoader::<F> {
                db: db.clone(),
                question: PhantomData,
            },
            tokio::spawn,
        ))
    }
    let mut request = add::<ActorById>(request, db);
    request = add::<PlaceById>(request, db);
    request = add::<SourceById>(request, db);
    request = add::<ProposalById>(request, db);
    request = add::<ProvisionById>(request, db);
    request = add::<PositionById>(request, db);
    request = add::<AffiliationById>(request, db);
    request = add::<CitationById>(request, db);
    request = add::<ParticipantById>(request, db);
    request = add::<RelationById>(request, db);
    request = add::<EventProposalById>(request, db);
    request = add::<PartyById>(request, db);
    request = add::<AliasesByActor>(request, db);
    request = add::<AffiliationsByActor>(request, db);
    request = add::<AffiliationsByTarget>(request, db);
    request = add::<PlacesByParent>(request, db);
    request = add::<ParticipantsByEvent>(request, db);
    request = add::<RelationsFromEvent>(request, db);
    request = add::<RelationsToEvent>(request, db);
    request = add::<ProposalLinksByEvent>(request, db);
    request = add::<EventLinksByProposal>(request, db);
    request = add::<PartiesByProposal>(request, db);
    request = add::<ProvisionsByProposal>(request, db);
    request = add::<PositionsByProposal>(request, db);
    request = add::<PositionsByProvision>(request, db);
    request = add::<PositionsByActor>(request, db);
    request = add::<PositionsByStatement>(request, db);
    request = add::<EventById>(request, db);
    request = add::<CitationsByRecord>(request, db);
    request = add::<EventCountsByActor>(request, db);
    add::<EventPagesByActor>(request, db)
}
