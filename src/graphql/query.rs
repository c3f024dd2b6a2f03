//! The root query: every list and lookup of the data set.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::error::AppError;
use super::loaders::{
    ActorById, EventById, Fetch, PlaceById, ProposalById, SourceById, in_budget, load_many,
    load_one, read_at,
};
use super::pagination::{Conn, connection, page};
use super::types::*;
use crate::db::entities::{actor, place, proposal, source};
use crate::domain::*;
use crate::ids::record_id;
use crate::store::events::{EventQuery, EventRow};
use crate::store::known::Known;
use crate::store::page::{List, Page, PageOf};
use crate::store::{imports, records, search};

/// The store as known at `as_of`, for the root field `ctx` resolves and everything
/// under it: as it stood after the last import recorded by then. Now when absent.
async fn at(ctx: &Context<'_>, as_of: Option<DateTime<Utc>>) -> Result<Known> {
    let Some(instant) = as_of else {
        return Ok(Known::Now);
    };
    super::inputs::time_within("asOf", &instant)?;
    let db = ctx.data::<DatabaseConnection>()?;
    let known = in_budget(ctx, imports::known_at(db, instant))
        .await?
        .map_err(AppError::from)?;
    read_at(ctx, known)?;
    Ok(known)
}

/// Most ids one `nodes` call takes.
const MAX_NODES: usize = 100;

/// Entry points for reading the data set. Lists are Relay connections: page with
/// `first`/`after` or `last`/`before` (at most 100 a page, 20 by default).
#[derive(Default)]
pub struct Query;

/// Narrows a list of events. Every field is optional; the events listed match them all.
#[derive(Debug, Default, InputObject)]
pub struct EventFilter {
    /// Slug of an actor the events must involve, such as `vladimir-putin`.
    pub actor: Option<String>,
    /// With `actor`: the role the actor must play.
    pub role: Option<ParticipantRole>,
    /// Only events at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only events before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Slug of a place: only events there or at any place within it.
    pub place: Option<String>,
    /// Only events of these certainties.
    pub certainty: Option<Vec<Certainty>>,
    /// Slug of a source: only events it cites.
    pub source: Option<String>,
}

/// The order of a list of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum EventOrder {
    /// Oldest first.
    #[default]
    TimeAsc,
    /// Newest first.
    TimeDesc,
}

/// The order of a list by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum NameOrder {
    /// A to Z.
    #[default]
    NameAsc,
    /// Z to A.
    NameDesc,
}

/// The order of a list by title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum TitleOrder {
    /// A to Z.
    #[default]
    TitleAsc,
    /// Z to A.
    TitleDesc,
}

/// The id of the record of `kind` with `slug`, given as `argument`, after checking that
/// it exists.
async fn existing<F: Fetch<Key = i64>>(
    ctx: &Context<'_>,
    kind: &str,
    argument: &'static str,
    slug: &str,
) -> Result<i64> {
    let id = record_id(kind, &[slug]);
    match load_one::<F>(ctx, id).await? {
        Some(_) => Ok(id),
        None => Err(AppError::not_found(
            argument,
            format!("no {kind} has the slug `{slug}` given as `{argument}`"),
        )
        .into()),
    }
}

/// The record of `kind` with `slug`, read through question `F`; NOT_FOUND on the `slug`
/// argument when none has it.
async fn by_slug<F: Fetch<Key = i64>, T: From<F::Value>>(
    ctx: &Context<'_>,
    kind: &str,
    slug: &str,
) -> Result<T> {
    match load_one::<F>(ctx, record_id(kind, &[slug])).await? {
        Some(row) => Ok(T::from(row)),
        None => Err(AppError::not_found("slug", format!("no {kind} has the slug `{slug}`")).into()),
    }
}

/// A kind of record a list's argument can name by slug.
#[derive(Debug, Clone, Copy)]
enum Named {
    Actor,
    Place,
    Source,
    Event,
}

impl Named {
    /// Fails with NOT_FOUND unless a record of this kind has `slug`.
    async fn check(self, ctx: &Context<'_>, argument: &'static str, slug: &str) -> Result<i64> {
        let kind = self.kind();
        match self {
            Named::Actor => existing::<ActorById>(ctx, kind, argument, slug).await,
            Named::Place => existing::<PlaceById>(ctx, kind, argument, slug).await,
            Named::Source => existing::<SourceById>(ctx, kind, argument, slug).await,
            Named::Event => existing::<EventById>(ctx, kind, argument, slug).await,
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Named::Actor => "actor",
            Named::Place => "place",
            Named::Source => "source",
            Named::Event => "event",
        }
    }
}

/// The records a list's arguments name by slug. A record's id follows from its slug, so
/// the list is read at once and the names are checked only when the page comes back
/// empty: each filter on a named record matches only rows that refer to it, so a row
/// proves the name, and an empty page may mean the name matches no record, which is
/// then an error on its argument rather than an empty list.
#[derive(Default)]
struct Names(Vec<(Named, &'static str, String)>);

impl Names {
    /// The id of the record of `kind` that `argument` names by `slug`, checked later.
    fn id(&mut self, kind: Named, argument: &'static str, slug: &str) -> i64 {
        self.0.push((kind, argument, slug.to_owned()));
        record_id(kind.kind(), &[slug])
    }

    /// The id for an optional slug.
    fn id_of(&mut self, kind: Named, argument: &'static str, slug: Option<&str>) -> Option<i64> {
        slug.map(|slug| self.id(kind, argument, slug))
    }

    /// Checks every name, when `page` has no rows.
    async fn check_if_empty<T>(&self, ctx: &Context<'_>, page: &PageOf<T>) -> Result<()> {
        if page.rows.is_empty() {
            for (kind, argument, slug) in &self.0 {
                kind.check(ctx, argument, slug).await?;
            }
        }
        Ok(())
    }
}

/// Turns the arguments every event list shares into a query.
fn event_query(
    filter: Option<EventFilter>,
    order: EventOrder,
    names: &mut Names,
) -> Result<EventQuery> {
    let filter = filter.unwrap_or_default();
    for (argument, time) in [("filter.from", &filter.from), ("filter.to", &filter.to)] {
        if let Some(time) = time {
            super::inputs::time_within(argument, time)?;
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to < from
    {
        return Err(AppError::bad_input(
            "filter.to",
            format!("the time range ends ({to}) before it starts ({from})"),
        )
        .into());
    }
    if filter.role.is_some() && filter.actor.is_none() {
        return Err(AppError::bad_input(
            "filter.role",
            "`role` narrows `actor`: give an actor too",
        )
        .into());
    }
    Ok(EventQuery {
        actor: names.id_of(Named::Actor, "filter.actor", filter.actor.as_deref()),
        role: filter.role,
        from: filter.from,
        to: filter.to,
        place: names.id_of(Named::Place, "filter.place", filter.place.as_deref()),
        certainty: filter.certainty.unwrap_or_default(),
        source: names.id_of(Named::Source, "filter.source", filter.source.as_deref()),
        descending: order == EventOrder::TimeDesc,
        ..EventQuery::default()
    })
}

/// One page of the events `query` matches, as a connection of `N`.
async fn event_page<N: async_graphql::OutputType + From<EventRow>>(
    ctx: &Context<'_>,
    known: Known,
    query: EventQuery,
    names: Names,
    page: Page,
) -> Result<Conn<N>> {
    let db = ctx.data::<DatabaseConnection>()?;
    let rows = in_budget(ctx, query.page(db, known, &page, wanted_by_nodes(ctx))).await??;
    names.check_if_empty(ctx, &rows).await?;
    Ok(connection(
        rows,
        query.count(db.get_database_backend(), known),
        |row| Ok(N::from(row)),
    )?)
}

/// Entry points for reading the data set. Lists are Relay connections: page with
/// `first`/`after` or `last`/`before` (at most 100 a page, 20 by default).
#[Object]
impl Query {
    /// The record with this global id, of any type; null when none has it.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as any record's `id` gives it.")] id: ID,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Option<Node>> {
        at(ctx, as_of).await?;
        node_by_id(ctx, "id", &id).await
    }

    /// The records with these global ids, in the order given; null where none has the id.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, at most 100.")] ids: Vec<ID>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Vec<Option<Node>>> {
        at(ctx, as_of).await?;
        if ids.len() > MAX_NODES {
            return Err(AppError::bad_input(
                "ids",
                format!("at most {MAX_NODES} ids, not {}", ids.len()),
            )
            .into());
        }
        let lookups = ids.iter().map(|id| node_by_id(ctx, "ids", id));
        async_graphql::futures_util::future::try_join_all(lookups).await
    }

    /// The actor with this slug.
    async fn actor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The actor's slug, such as `vladimir-putin`.")] slug: String,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Actor> {
        at(ctx, as_of).await?;
        by_slug::<ActorById, _>(ctx, "actor", &slug).await
    }

    /// The event with this slug: a meeting, statement or military event.
    async fn event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event's slug.")] slug: String,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Event> {
        at(ctx, as_of).await?;
        by_slug::<EventById, _>(ctx, "event", &slug).await
    }

    /// The proposal with this slug.
    async fn proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The proposal's slug.")] slug: String,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Proposal> {
        at(ctx, as_of).await?;
        by_slug::<ProposalById, _>(ctx, "proposal", &slug).await
    }

    /// The place with this slug.
    async fn place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The place's slug.")] slug: String,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Place> {
        at(ctx, as_of).await?;
        by_slug::<PlaceById, _>(ctx, "place", &slug).await
    }

    /// The source with this slug.
    async fn source(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The source's slug.")] slug: String,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Source> {
        at(ctx, as_of).await?;
        by_slug::<SourceById, _>(ctx, "source", &slug).await
    }

    /// Actors, by name.
    #[allow(clippy::too_many_arguments)]
    async fn actors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only actors of this kind.")] kind: Option<ActorKind>,
        #[graphql(desc = "Only actors of this country (ISO 3166-1 alpha-3).")] country: Option<
            String,
        >,
        #[graphql(desc = "The order of the list.", default)] order_by: NameOrder,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Conn<Actor>> {
        let known = at(ctx, as_of).await?;
        let page = page(List::Actors, first, after, last, before)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let listing = records::actors(kind, country, order_by == NameOrder::NameDesc);
        let rows = in_budget(ctx, listing.page::<actor::Model>(db, known, &page)).await??;
        Ok(connection(rows, listing.count(db, known), |row| {
            Ok(Actor::from(row))
        })?)
    }

    /// Places, by name.
    #[allow(clippy::too_many_arguments)]
    async fn places(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only places of this kind.")] kind: Option<PlaceKind>,
        #[graphql(desc = "Slug of a place: only places directly within it.")] parent: Option<
            String,
        >,
        #[graphql(desc = "The order of the list.", default)] order_by: NameOrder,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Conn<Place>> {
        let known = at(ctx, as_of).await?;
        let page = page(List::Places, first, after, last, before)?;
        let mut names = Names::default();
        let parent = names.id_of(Named::Place, "parent", parent.as_deref());
        let db = ctx.data::<DatabaseConnection>()?;
        let listing = records::places(kind, parent, order_by == NameOrder::NameDesc);
        let rows = in_budget(ctx, listing.page::<place::Model>(db, known, &page)).await??;
        names.check_if_empty(ctx, &rows).await?;
        Ok(connection(rows, listing.count(db, known), |row| {
            Ok(Place::from(row))
        })?)
    }

    /// Sources, by title.
    #[allow(clippy::too_many_arguments)]
    async fn sources(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order of the list.", default)] order_by: TitleOrder,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Conn<Source>> {
        let known = at(ctx, as_of).await?;
        let page = page(List::Sources, first, after, last, before)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let listing = records::sources(order_by == TitleOrder::TitleDesc);
        let rows = in_budget(ctx, listing.page::<source::Model>(db, known, &page)).await??;
        Ok(connection(rows, listing.count(db, known), |row| {
            Ok(Source::from(row))
        })?)
    }

    /// Proposals, by title.
    #[allow(clippy::too_many_arguments)]
    async fn proposals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only proposals of this kind.")] kind: Option<ProposalKind>,
        #[graphql(desc = "Only proposals with this status.")] status: Option<ProposalStatus>,
        #[graphql(desc = "Slug of an actor: only proposals it is a party to.")] party: Option<
            String,
        >,
        #[graphql(desc = "The order of the list.", default)] order_by: TitleOrder,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Conn<Proposal>> {
        let known = at(ctx, as_of).await?;
        let page = page(List::Proposals, first, after, last, before)?;
        let mut names = Names::default();
        let party = names.id_of(Named::Actor, "party", party.as_deref());
        let db = ctx.data::<DatabaseConnection>()?;
        let listing = records::proposals(kind, status, party, order_by == TitleOrder::TitleDesc);
        let rows = in_budget(ctx, listing.page::<proposal::Model>(db, known, &page)).await??;
        names.check_if_empty(ctx, &rows).await?;
        Ok(connection(rows, listing.count(db, known), |row| {
            Ok(Proposal::from(row))
        })?)
    }

    /// Every kind of event in one time order: the timeline.
    #[allow(clippy::too_many_arguments)]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the events listed.")] filter: Option<EventFilter>,
        #[graphql(desc = "Only events of these kinds.")] kinds: Option<Vec<EventKind>>,
        #[graphql(desc = "The order of the list.", default)] order_by: EventOrder,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Conn<Event>> {
        let known = at(ctx, as_of).await?;
        let page = page(List::Timeline, first, after, last, before)?;
        let mut names = Names::default();
        let mut query = event_query(filter, order_by, &mut names)?;
        query.kinds = kinds.unwrap_or_default();
        event_page(ctx, known, query, names, page).await
    }

    /// Meetings, calls and visits, in time order.
    #[allow(clippy::too_many_arguments)]
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the meetings listed.")] filter: Option<EventFilter>,
        #[graphql(desc = "Only meetings of this form.")] format: Option<MeetingFormat>,
        #[graphql(desc = "Only meetings with this status.")] status: Option<MeetingStatus>,
        #[graphql(desc = "The order of the list.", default)] order_by: EventOrder,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Conn<Meeting>> {
        let known = at(ctx, as_of).await?;
        let page = page(List::Meetings, first, after, last, before)?;
        let mut names = Names::default();
        let mut query = event_query(filter, order_by, &mut names)?;
        query.kinds = vec![EventKind::Meeting];
        query.meeting_format = format;
        query.meeting_status = status;
        event_page(ctx, known, query, names, page).await
    }

    /// Statements, in time order.
    #[allow(clippy::too_many_arguments)]
    async fn statements(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the statements listed.")] filter: Option<EventFilter>,
        #[graphql(desc = "Slug of the actor who made them.")] speaker: Option<String>,
        #[graphql(desc = "Only statements of this kind.")] kind: Option<StatementKind>,
        #[graphql(desc = "Only statements made on this kind of channel.")] channel: Option<
            ChannelKind,
        >,
        #[graphql(
            desc = "Slug of an event: only statements about it, accounts of it or responses to it."
        )]
        about: Option<String>,
        #[graphql(desc = "The order of the list.", default)] order_by: EventOrder,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Conn<Statement>> {
        let known = at(ctx, as_of).await?;
        let page = page(List::Statements, first, after, last, before)?;
        let mut names = Names::default();
        let mut query = event_query(filter, order_by, &mut names)?;
        query.kinds = vec![EventKind::Statement];
        query.statement_kind = kind;
        query.channel = channel;
        query.speaker = names.id_of(Named::Actor, "speaker", speaker.as_deref());
        query.about = names.id_of(Named::Event, "about", about.as_deref());
        event_page(ctx, known, query, names, page).await
    }

    /// Strikes, attacks, assaults and captures, in time order.
    #[allow(clippy::too_many_arguments)]
    async fn military_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the military events listed.")] filter: Option<EventFilter>,
        #[graphql(desc = "Only military events of this kind.")] kind: Option<MilitaryEventKind>,
        #[graphql(desc = "The order of the list.", default)] order_by: EventOrder,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Conn<MilitaryEvent>> {
        let known = at(ctx, as_of).await?;
        let page = page(List::MilitaryEvents, first, after, last, before)?;
        let mut names = Names::default();
        let mut query = event_query(filter, order_by, &mut names)?;
        query.kinds = vec![EventKind::MilitaryEvent];
        query.military_kind = kind;
        event_page(ctx, known, query, names, page).await
    }

    /// The runs that changed the store (imports, retractions, the upgrade to claims),
    /// newest first.
    #[allow(clippy::too_many_arguments)]
    async fn imports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Slug of a source: only the runs that changed its claims.")]
        source: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Conn<Import>> {
        let known = at(ctx, as_of).await?;
        let page = page(List::Imports, first, after, last, before)?;
        let source = source.map(|slug| record_id("source", &[&slug]));
        imports_connection(ctx, source, known, page).await
    }

    /// Ranked full-text search over statements, event titles and summaries, and
    /// proposals with their provisions; best matches first. A record matches when it
    /// has every word of `query`; stop words (`the`, `of`…) and one-letter words are
    /// left out, and case, dashes and quotes do not matter.
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Words to look for, all required, such as `ceasefire` or `Trump–Zelenskyy`; no character is an operator. At most 16 words."
        )]
        query: String,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(
            desc = "Answer with the data as the store knew it at this instant (known time, not event time); now when absent."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Conn<SearchHit>> {
        let known = at(ctx, as_of).await?;
        let words = search::words(&query).count();
        if words == 0 {
            return Err(
                AppError::bad_input("query", "give at least one word to search for").into(),
            );
        }
        if words > search::MAX_WORDS {
            return Err(AppError::bad_input(
                "query",
                format!(
                    "`query` has {words} words; search for at most {}",
                    search::MAX_WORDS
                ),
            )
            .into());
        }
        let page = page(List::Search, first, after, None, None)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let terms = search::terms(&query);
        let hits = in_budget(ctx, search::page(db, known, &terms, &page)).await??;
        let (proposal_ids, event_ids): (Vec<&search::Hit>, Vec<&search::Hit>) = hits
            .rows
            .iter()
            .partition(|hit| hit.record_kind == "proposal");
        let (mut proposals, mut events) = tokio::try_join!(
            load_many::<ProposalById>(ctx, proposal_ids.iter().map(|hit| hit.record_id)),
            load_many::<EventById>(ctx, event_ids.iter().map(|hit| hit.record_id)),
        )?;
        let mut results = Vec::with_capacity(hits.rows.len());
        for hit in &hits.rows {
            let result = if hit.record_kind == "proposal" {
                proposals
                    .remove(&hit.record_id)
                    .map(|row| SearchResult::Proposal(Proposal::from(row)))
            } else {
                events
                    .remove(&hit.record_id)
                    .map(|row| SearchResult::from(Event::from(row)))
            };
            results.push(result);
        }
        let mut results = results.into_iter();
        let total = search::count(db.get_database_backend(), known, &terms);
        Ok(connection(hits, total, |hit| {
            let result = results.next().flatten().ok_or_else(|| {
                AppError::internal(format!("search document {} has no record", hit.record_id))
            })?;
            Ok(SearchHit {
                rank: hit.rank,
                result,
            })
        })?)
    }
}
