//! Batched loaders: every relation field loads through one, so a request runs one
//! statement per relation it selects, however many parents come back.
//!
//! Each question is a [`Fetch`] type; [`DbLoader`] runs it for a batch of keys, and
//! [`register`] gives each request its own [`Loaders`], which make one `DataLoader` per
//! question on first use, so caches never outlive the request. Resolvers reach them with
//! [`load_one`] and [`load_many`].
//!
//! Every question is asked of the store as known at some time ([`Known`]): the time the
//! root field a resolver descends from reads (its `asOf`), found with [`known`]. Each
//! (question, time) pair has a loader of its own.
//!
//! Batches run on the request's own task ([`Batches::drive`]), not on spawned tasks: a
//! batch starts only once the resolvers have gone as far as they can, so every key a
//! level of the query asks for is in it. With spawned tasks and a timer, a batch could
//! fire while another thread was still resolving siblings, and the number of statements
//! would depend on timing.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::futures_util::stream::{FuturesUnordered, StreamExt};
use async_graphql::{Context, QueryPathSegment, Request};
use sea_orm::DatabaseConnection;
use tokio::sync::{Semaphore, mpsc};
use tracing::Instrument;

use super::error::AppError;
use crate::db::entities::*;
use crate::domain::CitedRecord;
use crate::store::events::{self, ActorEvents, ActorPage, EventRow, ParticipantRow};
use crate::store::known::Known;
use crate::store::page::PageOf;
use crate::store::rows::by_parent;
use crate::store::{claims, imports, lookups};

/// One batched question to the database.
pub trait Fetch: Send + Sync + 'static {
    type Key: Send + Sync + Hash + Eq + Clone + 'static;
    type Value: Send + Sync + Clone + 'static;
    /// The values of `keys` in the store as known at `known`; keys with no value may be
    /// left out.
    fn fetch(
        db: &DatabaseConnection,
        known: Known,
        keys: &[Self::Key],
    ) -> impl Future<Output = Result<HashMap<Self::Key, Self::Value>, AppError>> + Send;
}

/// Runs a [`Fetch`] for batches of keys, on the store as known at one time.
pub struct DbLoader<F> {
    db: DatabaseConnection,
    /// The request's connection budget ([`in_budget`]).
    budget: Arc<Semaphore>,
    known: Known,
    question: PhantomData<F>,
}

impl<F: Fetch> Loader<F::Key> for DbLoader<F> {
    type Value = F::Value;
    type Error = AppError;

    async fn load(&self, keys: &[F::Key]) -> Result<HashMap<F::Key, F::Value>, AppError> {
        let loader = tracing::debug_span!(
            "loader",
            loader = crate::telemetry::short_type_name::<F>(),
            // OpenTelemetry keeps signed integers as numbers, unsigned ones as text.
            keys = keys.len() as i64
        );
        let _connection = acquire(&self.budget).await?;
        F::fetch(&self.db, self.known, keys)
            .instrument(loader)
            .await
    }
}

/// A place in `budget`: the semaphore lives as long as the request and is never closed.
async fn acquire(budget: &Semaphore) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
    budget
        .acquire()
        .await
        .map_err(|_| AppError::internal("a request's connection budget was closed"))
}

/// Runs `work`, one call of the store for the request `ctx` serves, within the
/// request's connection budget: at most that many of its store calls (each a
/// statement, or a few in turn on one connection) run at once, and the others wait
/// for one to end, so that no request holds more of the pool than that, however many
/// fields it asks for at once. Hold no place across an `await` that may ask for
/// another (a loader's), or the request can wait for itself.
pub async fn in_budget<W: Future>(ctx: &Context<'_>, work: W) -> async_graphql::Result<W::Output> {
    let loaders = ctx.data::<Loaders>()?;
    let _connection = acquire(&loaders.budget).await?;
    Ok(work.await)
}

/// The value of `key` for question `F`, batched with the other keys asked for at the
/// same time, as known at the time `ctx`'s root field reads.
pub async fn load_one<F: Fetch>(
    ctx: &Context<'_>,
    key: F::Key,
) -> async_graphql::Result<Option<F::Value>> {
    let loaders = ctx.data::<Loaders>()?;
    let loader = loaders.get::<F>(loaders.known(ctx))?;
    Ok(loader.load_one(key).await?)
}

/// The values of `keys` through the request's loader for `F`, in one batch; keys
/// without a value are missing from the map.
pub async fn load_many<F: Fetch>(
    ctx: &Context<'_>,
    keys: impl IntoIterator<Item = F::Key>,
) -> async_graphql::Result<HashMap<F::Key, F::Value>> {
    let loaders = ctx.data::<Loaders>()?;
    let loader = loaders.get::<F>(loaders.known(ctx))?;
    Ok(loader.load_many(keys).await?)
}

/// The time the store is read at for `ctx`'s field: the `asOf` of the root field it
/// descends from, or now.
pub fn known(ctx: &Context<'_>) -> Known {
    ctx.data::<Loaders>()
        .map_or(Known::Now, |loaders| loaders.known(ctx))
}

/// Sets the time the store is read at for `ctx`'s root field and everything under it.
pub fn read_at(ctx: &Context<'_>, known: Known) -> async_graphql::Result<()> {
    if known == Known::Now {
        return Ok(());
    }
    let loaders = ctx.data::<Loaders>()?;
    let key = root_key(ctx).ok_or("`asOf` is read only by root fields")?;
    loaders
        .times
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key.to_owned(), known);
    Ok(())
}

/// The response key (alias or name) of the root field `ctx`'s field descends from.
fn root_key<'a>(ctx: &'a Context<'_>) -> Option<&'a str> {
    let mut node = ctx.path_node.as_ref()?;
    while let Some(parent) = node.parent {
        node = parent;
    }
    match node.segment {
        QueryPathSegment::Name(name) => Some(name),
        QueryPathSegment::Index(_) => None,
    }
}

/// Rows by primary key.
macro_rules! by_id {
    ($(#[$meta:meta])* $name:ident, $entity:ident) => {
        $(#[$meta])*
        pub struct $name;
        impl Fetch for $name {
            type Key = i64;
            type Value = $entity::Model;
            async fn fetch(db: &DatabaseConnection, known: Known, keys: &[i64]) -> Result<HashMap<i64, $entity::Model>, AppError> {
                let rows = lookups::by_keys::<$entity::Entity>(db, known, $entity::Column::Id, keys).await?;
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
            async fn fetch(db: &DatabaseConnection, known: Known, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, AppError> {
                let rows = lookups::children::<$entity::Entity>(
                    db,
                    known,
                    $entity::Column::$column,
                    keys,
                    $entity::Column::$order,
                    $entity::Column::Id,
                )
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

/// Who took part in an event, each with the actor: participants are nearly always read
/// for who they are, and one statement reads both.
pub struct ParticipantsByEvent;

impl Fetch for ParticipantsByEvent {
    type Key = i64;
    type Value = Vec<ParticipantRow>;

    async fn fetch(
        db: &DatabaseConnection,
        known: Known,
        keys: &[i64],
    ) -> Result<HashMap<i64, Self::Value>, AppError> {
        let mut grouped: HashMap<i64, Self::Value> = HashMap::with_capacity(keys.len());
        for row in events::participants(db, known, keys).await? {
            grouped
                .entry(row.participation.event_id)
                .or_default()
                .push(row);
        }
        Ok(grouped)
    }
}

/// Imports by id. The import log is never rewritten, so it is the same at every
/// known time.
pub struct ImportById;

impl Fetch for ImportById {
    type Key = i64;
    type Value = import::Model;

    async fn fetch(
        db: &DatabaseConnection,
        _known: Known,
        keys: &[i64],
    ) -> Result<HashMap<i64, import::Model>, AppError> {
        Ok(imports::by_ids(db, keys)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect())
    }
}

/// The claims about records and links, by subject id: every one recorded by the read
/// time, live or not, oldest first.
pub struct ClaimsBySubject;

impl Fetch for ClaimsBySubject {
    type Key = i64;
    type Value = Vec<claim::Model>;

    async fn fetch(
        db: &DatabaseConnection,
        known: Known,
        keys: &[i64],
    ) -> Result<HashMap<i64, Self::Value>, AppError> {
        let mut grouped: HashMap<i64, Self::Value> = HashMap::with_capacity(keys.len());
        for row in claims::recorded_of_subjects(db, keys, known).await? {
            grouped.entry(row.subject_id).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// Events by id, with their kind's details.
pub struct EventById;

impl Fetch for EventById {
    type Key = i64;
    type Value = EventRow;

    async fn fetch(
        db: &DatabaseConnection,
        known: Known,
        keys: &[i64],
    ) -> Result<HashMap<i64, EventRow>, AppError> {
        Ok(events::by_ids(db, known, keys)
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
        known: Known,
        keys: &[(CitedRecord, i64)],
    ) -> Result<HashMap<(CitedRecord, i64), Self::Value>, AppError> {
        let ids: Vec<i64> = keys.iter().map(|(_, id)| *id).collect();
        let rows = lookups::citations(db, known, &ids).await?;
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
    type Key = (i64, ActorPage);
    type Value = PageOf<EventRow>;

    async fn fetch(
        db: &DatabaseConnection,
        known: Known,
        keys: &[Self::Key],
    ) -> Result<HashMap<Self::Key, Self::Value>, AppError> {
        let mut groups: HashMap<&ActorPage, Vec<i64>> = HashMap::new();
        for (actor, request) in keys {
            groups.entry(request).or_default().push(*actor);
        }
        let mut pages = HashMap::with_capacity(keys.len());
        for (request, actors) in groups {
            let mut grouped = by_parent(events::pages_by_actor(db, known, &actors, request).await?);
            for actor in actors {
                let rows = grouped.remove(&actor).unwrap_or_default();
                pages.insert((actor, request.clone()), request.page.finish(rows));
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
        known: Known,
        keys: &[Self::Key],
    ) -> Result<HashMap<Self::Key, i64>, AppError> {
        let mut groups: HashMap<ActorEvents, Vec<i64>> = HashMap::new();
        for (actor, which) in keys {
            groups.entry(*which).or_default().push(*actor);
        }
        let mut counts = HashMap::with_capacity(keys.len());
        for (which, actors) in groups {
            for (actor, count) in events::counts_by_actor(db, known, &actors, which).await? {
                counts.insert((actor, which), count);
            }
        }
        Ok(counts)
    }
}

/// The batches a request's loaders queue, run by [`Batches::drive`].
pub struct Batches(mpsc::UnboundedReceiver<BoxFuture<'static, ()>>);

/// Wakes the driving task, and notes that the work was woken.
struct WorkWaker {
    woken: AtomicBool,
    task: Waker,
}

impl Wake for WorkWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake_by_ref();
    }
}

impl Batches {
    /// Runs `work` (the request's execution) with the batches it queues. Queued batches
    /// start only when the work is idle: waiting on loaders, not merely yielding (lists
    /// of more than a few dozen items yield part-way and wake themselves), so each batch
    /// holds every key one level of the query asks for.
    pub async fn drive<F: Future>(mut self, work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        let mut queued = Vec::new();
        let mut running = FuturesUnordered::new();
        std::future::poll_fn(|cx| {
            loop {
                let waker = Arc::new(WorkWaker {
                    woken: AtomicBool::new(false),
                    task: cx.waker().clone(),
                });
                let work_waker = Waker::from(Arc::clone(&waker));
                if let Poll::Ready(output) = work
                    .as_mut()
                    .poll(&mut TaskContext::from_waker(&work_waker))
                {
                    return Poll::Ready(output);
                }
                while let Poll::Ready(Some(batch)) = self.0.poll_recv(cx) {
                    queued.push(batch);
                }
                if !waker.woken.load(Ordering::Acquire) {
                    running.extend(queued.drain(..));
                }
                match running.poll_next_unpin(cx) {
                    // A batch finished and may have woken the work: go round again.
                    Poll::Ready(Some(())) => {}
                    Poll::Ready(None) | Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await
    }
}

/// The request's loaders, one per question and time, each made the first time a
/// resolver asks it: most requests ask only a few of the questions.
pub struct Loaders {
    db: DatabaseConnection,
    /// Places for the request's store calls running at once ([`in_budget`]).
    budget: Arc<Semaphore>,
    queue: mpsc::UnboundedSender<BoxFuture<'static, ()>>,
    made: Mutex<HashMap<(TypeId, Known), Box<dyn Any + Send + Sync>>>,
    /// The time each root field that gave `asOf` reads, by response key; the others
    /// read the store now.
    times: Mutex<HashMap<String, Known>>,
}

impl Loaders {
    /// The time `ctx`'s field reads the store at.
    fn known(&self, ctx: &Context<'_>) -> Known {
        let times = self.times.lock().unwrap_or_else(PoisonError::into_inner);
        if times.is_empty() {
            return Known::Now;
        }
        root_key(ctx)
            .and_then(|key| times.get(key).copied())
            .unwrap_or_default()
    }

    /// The loader for question `F` at time `known`.
    fn get<F: Fetch>(&self, known: Known) -> async_graphql::Result<Arc<DataLoader<DbLoader<F>>>> {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        let loader = made.entry((TypeId::of::<F>(), known)).or_insert_with(|| {
            let queue = self.queue.clone();
            let loader = DbLoader::<F> {
                db: self.db.clone(),
                budget: Arc::clone(&self.budget),
                known,
                question: PhantomData,
            };
            let loader = DataLoader::new(loader, move |batch| {
                // The receiver is gone only once the request has finished.
                let _ = queue.send(batch);
            })
            .delay(Duration::ZERO);
            Box::new(Arc::new(loader))
        });
        loader
            .downcast_ref::<Arc<DataLoader<DbLoader<F>>>>()
            .cloned()
            .ok_or_else(|| "a loader is stored under another question's type".into())
    }
}

/// Gives `request` its loaders, with `budget` store calls at once at most, and returns
/// the queue their batches go to: drive the request's execution with it.
pub fn register(request: Request, db: &DatabaseConnection, budget: usize) -> (Request, Batches) {
    let (queue, batches) = mpsc::unbounded_channel::<BoxFuture<'static, ()>>();
    let loaders = Loaders {
        db: db.clone(),
        budget: Arc::new(Semaphore::new(budget.max(1))),
        queue,
        made: Mutex::default(),
        times: Mutex::default(),
    };
    (request.data(loaders), Batches(batches))
}
