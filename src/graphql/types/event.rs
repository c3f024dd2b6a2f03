//! Events: the `Event` interface and the meetings, statements and military events that
//! implement it, with participants and relations.

use async_graphql::{Context, ID, Interface, Object, Result, Union};

use super::history::{Claim, EventProvenance, claims_about};
use super::proposal::{Position, Proposal};
use super::{Actor, Citation, Place, Time, TimeDetails, citations_of, list, one, required};
use crate::db::entities::{actor, event_participant, event_proposal, event_relation};
use crate::domain::*;
use crate::graphql::error::AppError;
use crate::graphql::ids;
use crate::graphql::loaders::{
    ActorById, EventById, EventPagesByActor, ParticipantsByEvent, PlaceById, PositionsByStatement,
    ProposalById, ProposalLinksByEvent, RelationsFromEvent, RelationsToEvent, load_one,
};
use crate::graphql::pagination::{Conn, TotalCount, connection};
use crate::store::events::{ActorEvents, ActorPage, EventRow, ParticipantRow, Wanted};
use crate::store::page::{Page, PageOf};

/// Anything that happened on the timeline: a meeting, a statement or a military event.
// Clippy reads the repeated `ty`/`desc` keys of separate `field(...)` entries as duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID", desc = "Globally unique, opaque id."),
    field(
        name = "slug",
        ty = "String",
        desc = "Stable, human-readable identifier."
    ),
    field(name = "title", ty = "String", desc = "A short title."),
    field(
        name = "summary",
        ty = "Option<String>",
        desc = "What happened, in a sentence or two."
    ),
    field(
        name = "time",
        ty = "Time",
        desc = "When it happened, with precision and the words as written."
    ),
    field(name = "place", ty = "Option<Place>", desc = "Where it happened."),
    field(
        name = "certainty",
        ty = "Certainty",
        desc = "How sure the sources are that it happened as described."
    ),
    field(
        name = "cameo_code",
        ty = "Option<String>",
        desc = "CAMEO event code, for use with GDELT and ICEWS."
    ),
    field(
        name = "participants",
        ty = "Vec<Participant>",
        desc = "Who took part, and in what role.",
        arg(
            name = "role",
            ty = "Option<ParticipantRole>",
            desc = "Only participants in this role."
        )
    ),
    field(
        name = "relations",
        ty = "Vec<EventRelation>",
        desc = "How this event stands to others: \"this event KIND that one\".",
        arg(
            name = "kind",
            ty = "Option<EventRelationKind>",
            desc = "Only relations of this kind."
        )
    ),
    field(
        name = "inverse_relations",
        ty = "Vec<EventRelation>",
        desc = "How other events stand to this one: \"that event KIND this one\".",
        arg(
            name = "kind",
            ty = "Option<EventRelationKind>",
            desc = "Only relations of this kind."
        )
    ),
    field(
        name = "accounts",
        ty = "Vec<Statement>",
        desc = "Statements that are accounts of this event, such as each side's readout of a call."
    ),
    field(
        name = "proposals",
        ty = "Vec<EventProposalLink>",
        desc = "Proposals this event is about, presents, negotiates or decides."
    ),
    field(
        name = "citations",
        ty = "Vec<Citation>",
        desc = "Where sources report the event."
    ),
    field(
        name = "provenance",
        ty = "EventProvenance",
        desc = "Who says what about it: every source's claims, the values each gives for each field, and the fields they disagree on.",
        arg(
            name = "include_retracted",
            ty = "bool",
            default = false,
            desc = "Also list claims their sources have since withdrawn."
        )
    )
)]
pub enum Event {
    Meeting(Meeting),
    Statement(Statement),
    MilitaryEvent(MilitaryEvent),
}

impl From<EventRow> for Event {
    /// The event a row holds, typed by its kind.
    fn from(row: EventRow) -> Self {
        match row.kind {
            EventKind::Meeting => Event::Meeting(Meeting { row }),
            EventKind::Statement => Event::Statement(Statement { row }),
            EventKind::MilitaryEvent => Event::MilitaryEvent(MilitaryEvent { row }),
        }
    }
}

/// The fields every kind of event answers from its key columns (id, kind, slug, title
/// and the instant of its time) or through loaders.
const KEY_FIELDS: &[&str] = &[
    "__typename",
    "id",
    "slug",
    "title",
    "participants",
    "relations",
    "inverseRelations",
    "accounts",
    "proposals",
    "citations",
    "about",
    "positions",
    "perpetrators",
    "targets",
];

/// The fields every kind of event answers from the events table's other columns; `time`
/// too, unless only its instant is asked for.
const FACT_FIELDS: &[&str] = &["summary", "place", "certainty", "cameoCode"];

/// The fields of each kind's own, answered from its kind table alone.
const DETAIL_FIELDS: &[&str] = &[
    "format",
    "status",
    "expectedDurationMinutes",
    "openToPress",
    "speaker",
    "kind",
    "text",
    "channel",
    "channelName",
    "outlet",
    "weapons",
    "effects",
    "casualties",
];

/// What the nodes of the event connection `ctx`'s field returns ask for beyond the
/// events table's key columns. A field in none of [`KEY_FIELDS`], [`FACT_FIELDS`] and
/// [`DETAIL_FIELDS`] (one added later) makes the list read every column.
pub fn wanted_by_nodes(ctx: &Context<'_>) -> Wanted {
    let connection = ctx.look_ahead();
    let mut wanted = Wanted::default();
    for nodes in [
        connection.field("nodes"),
        connection.field("edges").field("node"),
    ] {
        for field in nodes
            .selection_fields()
            .iter()
            .flat_map(|node| node.selection_set())
        {
            match field.name() {
                name if KEY_FIELDS.contains(&name) => {}
                name if FACT_FIELDS.contains(&name) => wanted.facts = true,
                "time" => {
                    wanted.facts |= field
                        .selection_set()
                        .any(|part| !matches!(part.name(), "at" | "__typename"))
                }
                name if DETAIL_FIELDS.contains(&name) => {
                    wanted.details = true;
                    wanted.speakers |= name == "speaker";
                }
                _ => {
                    wanted.facts = true;
                    wanted.details = true;
                }
            }
        }
    }
    wanted
}

/// Columns of an event's row a statement may leave out (the events table's facts, a
/// kind table's): an internal error when the row has none, which means the statement
/// that read it left them out although a field needs them.
fn detail<'a, T>(row: &EventRow, columns: &'a Option<T>) -> Result<&'a T, AppError> {
    columns.as_ref().ok_or_else(|| {
        AppError::internal(format!(
            "event {} of kind {:?} was read without its details",
            row.id, row.kind
        ))
    })
}

/// A meeting, call or visit.
pub struct Meeting {
    row: EventRow,
}

impl From<EventRow> for Meeting {
    fn from(row: EventRow) -> Self {
        Self { row }
    }
}

/// Something an actor said or wrote: a quote, a paraphrase, a readout, an accusation.
pub struct Statement {
    row: EventRow,
}

impl From<EventRow> for Statement {
    fn from(row: EventRow) -> Self {
        Self { row }
    }
}

/// A strike, attack, assault or capture.
pub struct MilitaryEvent {
    row: EventRow,
}

impl From<EventRow> for MilitaryEvent {
    fn from(row: EventRow) -> Self {
        Self { row }
    }
}

/// The participants of an event, optionally in one role.
async fn participants_in(
    ctx: &Context<'_>,
    event: i64,
    role: Option<ParticipantRole>,
) -> Result<Vec<Participant>> {
    let rows = load_one::<ParticipantsByEvent>(ctx, event)
        .await?
        .unwrap_or_default();
    Ok(rows
        .into_iter()
        .filter(|row| role.is_none_or(|role| row.participation.role == role))
        .map(Participant::from)
        .collect())
}

/// The actors taking part in an event in `role`.
async fn actors_in(ctx: &Context<'_>, event: i64, role: ParticipantRole) -> Result<Vec<Actor>> {
    let mut actors = Vec::new();
    for participant in participants_in(ctx, event, Some(role)).await? {
        actors.push(actor_read_or_loaded(ctx, &participant.actor, participant.row.actor_id).await?);
    }
    Ok(actors)
}

fn of_kind(
    rows: Option<Vec<event_relation::Model>>,
    kind: Option<EventRelationKind>,
) -> Vec<EventRelation> {
    rows.unwrap_or_default()
        .into_iter()
        .filter(|row| kind.is_none_or(|kind| row.kind == kind))
        .map(EventRelation)
        .collect()
}

/// Declares the fields every event shares, then the kind's own, on one object type.
/// The `Event` interface calls the shared resolvers by name on each kind.
macro_rules! event_object {
    ($(#[$meta:meta])* $type:ident { $($own:tt)* }) => {
        $(#[$meta])*
        #[Object]
        impl $type {
            /// Globally unique, opaque id.
            pub async fn id(&self, _ctx: &Context<'_>) -> Result<ID> {
                Ok(ids::encode(stringify!($type), self.row.id))
            }

            /// Stable, human-readable identifier.
            async fn slug(&self, _ctx: &Context<'_>) -> Result<&str> {
                Ok(&self.row.slug)
            }

            /// A short title.
            async fn title(&self, _ctx: &Context<'_>) -> Result<&str> {
                Ok(&self.row.title)
            }

            /// What happened, in a sentence or two.
            async fn summary(&self, _ctx: &Context<'_>) -> Result<Option<String>> {
                Ok(detail(&self.row, &self.row.facts)?.summary.clone())
            }

            /// When it happened, with precision and the words as written.
            async fn time(&self, _ctx: &Context<'_>) -> Result<Time> {
                Ok(Time {
                    at: self.row.occurred_at,
                    details: self.row.facts.as_ref().map(|facts| TimeDetails {
                        until: facts.occurred_until,
                        precision: facts.time_precision,
                        text: facts.time_text.clone(),
                        inferred: facts.time_inferred,
                        note: facts.time_note.clone(),
                    }),
                })
            }

            /// Where it happened.
            async fn place(&self, ctx: &Context<'_>) -> Result<Option<Place>> {
                one::<PlaceById, _>(ctx, detail(&self.row, &self.row.facts)?.place_id).await
            }

            /// How sure the sources are that it happened as described.
            async fn certainty(&self, _ctx: &Context<'_>) -> Result<Certainty> {
                Ok(detail(&self.row, &self.row.facts)?.certainty)
            }

            /// CAMEO event code, for use with GDELT and ICEWS.
            async fn cameo_code(&self, _ctx: &Context<'_>) -> Result<Option<String>> {
                Ok(detail(&self.row, &self.row.facts)?.cameo_code.clone())
            }

            /// Who took part, and in what role.
            async fn participants(
                &self,
                ctx: &Context<'_>,
                #[graphql(desc = "Only participants in this role.")] role: Option<ParticipantRole>,
            ) -> Result<Vec<Participant>> {
                participants_in(ctx, self.row.id, role).await
            }

            /// How this event stands to others: "this event KIND that one".
            async fn relations(
                &self,
                ctx: &Context<'_>,
                #[graphql(desc = "Only relations of this kind.")] kind: Option<EventRelationKind>,
            ) -> Result<Vec<EventRelation>> {
                Ok(of_kind(load_one::<RelationsFromEvent>(ctx, self.row.id).await?, kind))
            }

            /// How other events stand to this one: "that event KIND this one".
            async fn inverse_relations(
                &self,
                ctx: &Context<'_>,
                #[graphql(desc = "Only relations of this kind.")] kind: Option<EventRelationKind>,
            ) -> Result<Vec<EventRelation>> {
                Ok(of_kind(load_one::<RelationsToEvent>(ctx, self.row.id).await?, kind))
            }

            /// Statements that are accounts of this event, such as each side's readout of a call.
            async fn accounts(&self, ctx: &Context<'_>) -> Result<Vec<Statement>> {
                let relations = of_kind(
                    load_one::<RelationsToEvent>(ctx, self.row.id).await?,
                    Some(EventRelationKind::AccountOf),
                );
                let mut accounts = Vec::with_capacity(relations.len());
                for relation in relations {
                    let row = required::<EventById, EventRow>(ctx, relation.0.event_id).await?;
                    if row.kind == EventKind::Statement {
                        accounts.push(Statement::from(row));
                    }
                }
                Ok(accounts)
            }

            /// Proposals this event is about, presents, negotiates or decides.
            async fn proposals(&self, ctx: &Context<'_>) -> Result<Vec<EventProposalLink>> {
                list::<ProposalLinksByEvent, _>(ctx, self.row.id).await
            }

            /// Where sources report the event.
            async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
                citations_of(ctx, CitedRecord::Event, self.row.id).await
            }

        /// Who says what about it: every source's claims, the values each gives for each
        /// field, and the fields they disagree on.
        async fn provenance(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "Also list claims their sources have since withdrawn.", default)]
            include_retracted: bool,
        ) -> Result<EventProvenance> {
            EventProvenance::of(ctx, self.row.id, include_retracted).await
        }

            $($own)*
        }
    };
}

event_object!(
    /// A meeting, call or visit.
    Meeting {
    /// The form of the meeting.
    async fn format(&self) -> Result<MeetingFormat> {
        Ok(detail(&self.row, &self.row.meeting)?.format)
    }

    /// Whether it has taken place.
    async fn status(&self) -> Result<MeetingStatus> {
        Ok(detail(&self.row, &self.row.meeting)?.status)
    }

    /// How long it is expected to last, in minutes.
    async fn expected_duration_minutes(&self) -> Result<Option<i32>> {
        Ok(detail(&self.row, &self.row.meeting)?.expected_duration_minutes)
    }

    /// Whether the press may attend.
    async fn open_to_press(&self) -> Result<Option<bool>> {
        Ok(detail(&self.row, &self.row.meeting)?.open_to_press)
    }
});

event_object!(
    /// Something an actor said or wrote: a quote, a paraphrase, a readout, an accusation.
    Statement {
    /// Who spoke or wrote.
    async fn speaker(&self, ctx: &Context<'_>) -> Result<Actor> {
        let statement = detail(&self.row, &self.row.statement)?;
        actor_read_or_loaded(ctx, &statement.speaker, statement.speaker_id).await
    }

    /// How the words reach the source.
    async fn kind(&self) -> Result<StatementKind> {
        Ok(detail(&self.row, &self.row.statement)?.kind)
    }

    /// The words: quoted exactly for a direct quote, as retold otherwise.
    async fn text(&self) -> Result<&str> {
        Ok(&detail(&self.row, &self.row.statement)?.text)
    }

    /// The kind of channel used.
    async fn channel(&self) -> Result<ChannelKind> {
        Ok(detail(&self.row, &self.row.statement)?.channel)
    }

    /// The channel's name, such as "Truth Social" or "X".
    async fn channel_name(&self) -> Result<Option<&str>> {
        Ok(detail(&self.row, &self.row.statement)?.channel_name.as_deref())
    }

    /// The media outlet carrying it, such as the agency given an interview.
    async fn outlet(&self, ctx: &Context<'_>) -> Result<Option<Actor>> {
        one::<ActorById, _>(ctx, detail(&self.row, &self.row.statement)?.outlet_id).await
    }

    /// What the statement is about: the events it is about, responds to or gives an
    /// account of, and the proposals it is about.
    async fn about(&self, ctx: &Context<'_>) -> Result<Vec<Subject>> {
        let mut subjects = Vec::new();
        for relation in of_kind(load_one::<RelationsFromEvent>(ctx, self.row.id).await?, None) {
            if matches!(relation.0.kind, EventRelationKind::About | EventRelationKind::AccountOf | EventRelationKind::RespondsTo) {
                let row = required::<EventById, EventRow>(ctx, relation.0.related_event_id).await?;
                subjects.push(Subject::from(Event::from(row)));
            }
        }
        for link in load_one::<ProposalLinksByEvent>(ctx, self.row.id).await?.unwrap_or_default() {
            subjects.push(Subject::Proposal(required::<ProposalById, _>(ctx, link.proposal_id).await?));
        }
        Ok(subjects)
    }

    /// Positions on proposals that rest on this statement.
    async fn positions(&self, ctx: &Context<'_>) -> Result<Vec<Position>> {
        list::<PositionsByStatement, _>(ctx, self.row.id).await
    }
});

event_object!(
    /// A strike, attack, assault or capture.
    MilitaryEvent {
    /// What kind of action it was.
    async fn kind(&self) -> Result<MilitaryEventKind> {
        Ok(detail(&self.row, &self.row.military)?.kind)
    }

    /// The weapons used, as the source names them.
    async fn weapons(&self) -> Result<Option<&str>> {
        Ok(detail(&self.row, &self.row.military)?.weapons.as_deref())
    }

    /// What it caused, such as power and heating cut.
    async fn effects(&self) -> Result<Option<&str>> {
        Ok(detail(&self.row, &self.row.military)?.effects.as_deref())
    }

    /// Dead and wounded, as reported.
    async fn casualties(&self) -> Result<Option<&str>> {
        Ok(detail(&self.row, &self.row.military)?.casualties.as_deref())
    }

    /// Who carried it out.
    async fn perpetrators(&self, ctx: &Context<'_>) -> Result<Vec<Actor>> {
        actors_in(ctx, self.row.id, ParticipantRole::Perpetrator).await
    }

    /// Who or what it was aimed at.
    async fn targets(&self, ctx: &Context<'_>) -> Result<Vec<Actor>> {
        actors_in(ctx, self.row.id, ParticipantRole::Target).await
    }
});

/// What a statement can be about.
#[derive(Union)]
pub enum Subject {
    Meeting(Meeting),
    Statement(Statement),
    MilitaryEvent(MilitaryEvent),
    Proposal(Proposal),
}

impl From<Event> for Subject {
    fn from(event: Event) -> Self {
        match event {
            Event::Meeting(meeting) => Subject::Meeting(meeting),
            Event::Statement(statement) => Subject::Statement(statement),
            Event::MilitaryEvent(military) => Subject::MilitaryEvent(military),
        }
    }
}

/// An actor's part in an event, with the actor when it was read alongside.
pub struct Participant {
    row: event_participant::Model,
    actor: Option<actor::Model>,
}

impl From<event_participant::Model> for Participant {
    fn from(row: event_participant::Model) -> Self {
        Self { row, actor: None }
    }
}

impl From<ParticipantRow> for Participant {
    fn from(row: ParticipantRow) -> Self {
        Self {
            row: row.participation,
            actor: Some(row.actor),
        }
    }
}

/// The actor `id`: the one read alongside, when there is one, or else through the loader.
async fn actor_read_or_loaded(
    ctx: &Context<'_>,
    read: &Option<actor::Model>,
    id: i64,
) -> Result<Actor> {
    match read {
        Some(actor) => Ok(Actor::from(actor.clone())),
        None => required::<ActorById, _>(ctx, id).await,
    }
}

/// An actor's part in an event.
#[Object]
impl Participant {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("Participant", self.row.id)
    }

    /// The part the actor plays.
    async fn role(&self) -> ParticipantRole {
        self.row.role
    }

    /// The actor.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Actor> {
        actor_read_or_loaded(ctx, &self.actor, self.row.actor_id).await
    }

    /// The event.
    async fn event(&self, ctx: &Context<'_>) -> Result<Event> {
        Ok(Event::from(
            required::<EventById, EventRow>(ctx, self.row.event_id).await?,
        ))
    }

    /// Where sources state the actor's part.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, CitedRecord::Participant, self.row.id).await
    }

    /// The claims that support the actor's part: one per source that states it (every version,
    /// oldest first, with `includeRetracted`).
    async fn claims(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also list claims their sources have since withdrawn.", default)]
        include_retracted: bool,
    ) -> Result<Vec<Claim>> {
        claims_about(ctx, self.row.id, include_retracted).await
    }
}

/// A relation between two events: "`from` KIND `to`", such as a readout that is an
/// account of a call, or a meeting that follows another.
pub struct EventRelation(pub(super) event_relation::Model);

impl From<event_relation::Model> for EventRelation {
    fn from(model: event_relation::Model) -> Self {
        Self(model)
    }
}

/// A relation between two events: "`from` KIND `to`", such as a readout that is an
/// account of a call, or a meeting that follows another.
#[Object]
impl EventRelation {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("EventRelation", self.0.id)
    }

    /// How `from` stands to `to`.
    async fn kind(&self) -> EventRelationKind {
        self.0.kind
    }

    /// The event the relation is stated of.
    async fn from(&self, ctx: &Context<'_>) -> Result<Event> {
        Ok(Event::from(
            required::<EventById, EventRow>(ctx, self.0.event_id).await?,
        ))
    }

    /// The event it relates to.
    async fn to(&self, ctx: &Context<'_>) -> Result<Event> {
        Ok(Event::from(
            required::<EventById, EventRow>(ctx, self.0.related_event_id).await?,
        ))
    }

    /// Where sources state the relation.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, CitedRecord::EventRelation, self.0.id).await
    }

    /// The claims that support the relation: one per source that states it (every version,
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

/// A link between an event and a proposal.
pub struct EventProposalLink(event_proposal::Model);

impl From<event_proposal::Model> for EventProposalLink {
    fn from(model: event_proposal::Model) -> Self {
        Self(model)
    }
}

/// A link between an event and a proposal.
#[Object]
impl EventProposalLink {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("EventProposalLink", self.0.id)
    }

    /// How the event stands to the proposal.
    async fn kind(&self) -> EventProposalKind {
        self.0.kind
    }

    /// The event.
    async fn event(&self, ctx: &Context<'_>) -> Result<Event> {
        Ok(Event::from(
            required::<EventById, EventRow>(ctx, self.0.event_id).await?,
        ))
    }

    /// The proposal.
    async fn proposal(&self, ctx: &Context<'_>) -> Result<Proposal> {
        required::<ProposalById, _>(ctx, self.0.proposal_id).await
    }

    /// Where sources state the link.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, CitedRecord::EventProposal, self.0.id).await
    }

    /// The claims that support the link: one per source that states it (every version,
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

/// One page of an actor's events (or statements), as a connection of `N`.
pub(super) async fn events_connection<N: async_graphql::OutputType + From<EventRow>>(
    ctx: &Context<'_>,
    actor: i64,
    which: ActorEvents,
    page: Page,
) -> Result<Conn<N>> {
    let list = page.list;
    let request = ActorPage {
        which,
        page,
        wanted: wanted_by_nodes(ctx),
    };
    let rows = load_one::<EventPagesByActor>(ctx, (actor, request))
        .await?
        .unwrap_or_else(|| PageOf::empty(list));
    Ok(connection(
        rows,
        TotalCount::ActorEvents(actor, which),
        |row| Ok(N::from(row)),
    )?)
}
