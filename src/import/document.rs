//! The import format: one JSON document per source, referring to records by slug.
//!
//! Documents share actors, places, events and proposals by slug: a record declared in one
//! document may be referred to from another once that one is imported, and declared
//! again there to cite it or to give fields of its own. A field a document leaves out
//! says nothing: a record the store already knows may be declared with its slug alone,
//! while a new one needs the fields it cannot do without. The JSON Schema in
//! `seeds/import.schema.json` is generated from these types (`communique import-schema`).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, de::Error as _};

use crate::domain::*;

/// A source document and every record it supports.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Document {
    /// The JSON Schema this document follows, for editors; ignored on import.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// The source document itself.
    pub source: SourceDoc,
    /// Actors this document declares.
    #[serde(default)]
    pub actors: Vec<ActorDoc>,
    /// Ties between actors.
    #[serde(default)]
    pub affiliations: Vec<AffiliationDoc>,
    /// Places this document declares, parents before children or in any order.
    #[serde(default)]
    pub places: Vec<PlaceDoc>,
    /// Meetings, statements and military events.
    #[serde(default)]
    pub events: Vec<EventDoc>,
    /// Peace plans, requests, demands and the positions taken on them.
    #[serde(default)]
    pub proposals: Vec<ProposalDoc>,
}

/// A slug: lowercase letters, digits and single hyphens, unique per record kind.
pub type Slug = String;

/// The source a document is built from.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SourceDoc {
    /// Stable identifier of the source.
    pub slug: Slug,
    /// Headline or title.
    pub title: String,
    /// Who published it.
    #[serde(default)]
    pub publisher: Option<String>,
    /// Where it was published.
    #[serde(default)]
    pub url: Option<String>,
    /// Language as a BCP 47 tag, such as `en`.
    #[serde(default)]
    pub language: Option<String>,
    /// When it was published.
    #[serde(default)]
    pub published: Option<TimeDoc>,
    /// SHA-256 of the body, hex; checked when the body is given to the importer.
    #[serde(default)]
    pub sha256: Option<String>,
}

/// The exact words of the source that support a record, as a W3C Web Annotation
/// TextQuoteSelector: `excerpt` is its `exact`, and `prefix` and `suffix` say which
/// occurrence is meant when the words occur more than once in the body.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CitationDoc {
    /// Words copied exactly from the source's body, typography included.
    pub excerpt: String,
    /// Words just before the excerpt in the body, when the excerpt occurs more than once.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Words just after the excerpt in the body, when the excerpt occurs more than once.
    #[serde(default)]
    pub suffix: Option<String>,
    /// What the excerpt shows, where that is not plain.
    #[serde(default)]
    pub note: Option<String>,
}

/// A time with its precision and the words the source used for it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TimeDoc {
    /// The instant in RFC 3339, resolved to UTC; see `precision` for how exact it is.
    #[serde(deserialize_with = "rfc3339")]
    pub at: DateTime<Utc>,
    /// The end of the span, for events with a known end.
    #[serde(default, deserialize_with = "optional_rfc3339")]
    pub until: Option<DateTime<Utc>>,
    /// How precisely `at` is known.
    pub precision: TimePrecision,
    /// The time as the source wrote it ("Sunday", "1800 GMT").
    #[serde(default)]
    pub text: Option<String>,
    /// True when the instant was resolved from context, not read from the source.
    #[serde(default)]
    pub inferred: bool,
    /// How an inferred time was resolved.
    #[serde(default)]
    pub note: Option<String>,
}

/// A person, state, body, outlet, group or force.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ActorDoc {
    /// Stable identifier, shared across documents.
    pub slug: Slug,
    /// The name most used for the actor; required for an actor new to the store.
    #[serde(default)]
    #[schemars(length(max = super::MAX_NAME))]
    pub name: Option<String>,
    /// What kind of actor this is; required for an actor new to the store.
    #[serde(default)]
    pub kind: Option<ActorKind>,
    /// ISO 3166-1 alpha-3 code of the actor's country, such as `UKR`.
    #[serde(default)]
    pub country: Option<String>,
    /// One line on who or what the actor is.
    #[serde(default)]
    pub description: Option<String>,
    /// Other names the source uses, metonyms included ("Moscow" for Russia's government).
    #[serde(default)]
    #[schemars(inner(length(max = super::MAX_NAME)))]
    pub aliases: Vec<String>,
    /// Slugs of known actors that share a name or alias with this new one and are
    /// nonetheless others; without it, such a new actor is refused as a likely duplicate.
    #[serde(default)]
    pub distinct_from: Vec<Slug>,
    /// Where the source names the actor.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
}

/// A tie from one actor to another ("Lavrov is Foreign Minister of Russia").
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AffiliationDoc {
    /// Slug of the affiliated actor.
    pub actor: Slug,
    /// Slug of the actor it is affiliated to.
    pub of: Slug,
    /// How the two are tied.
    pub kind: AffiliationKind,
    /// The title or role held, such as "Foreign Minister".
    #[serde(default)]
    pub role: Option<String>,
    /// Where the source states the tie.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
}

/// A venue, city, region, country or area.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlaceDoc {
    /// Stable identifier, shared across documents.
    pub slug: Slug,
    /// The place's name; required for a place new to the store.
    #[serde(default)]
    #[schemars(length(max = super::MAX_NAME))]
    pub name: Option<String>,
    /// What kind of place this is; required for a place new to the store.
    #[serde(default)]
    pub kind: Option<PlaceKind>,
    /// Slug of the place that contains it.
    #[serde(default)]
    pub parent: Option<Slug>,
    /// Latitude in decimal degrees, WGS 84.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// Longitude in decimal degrees, WGS 84.
    #[serde(default)]
    pub longitude: Option<f64>,
    /// ISO 3166-1 alpha-3 code of the country the place lies in.
    #[serde(default)]
    pub country: Option<String>,
    /// Slugs of known places that share this new one's name and are nonetheless
    /// others; without it, such a new place is refused as a likely duplicate.
    #[serde(default)]
    pub distinct_from: Vec<Slug>,
    /// Where the source names the place.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
}

/// A meeting, statement or military event: one of `meeting`, `statement` and
/// `militaryEvent` is given for an event new to the store, and at most one ever.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EventDoc {
    /// Stable identifier, shared across documents.
    pub slug: Slug,
    /// A short title; required for an event new to the store.
    #[serde(default)]
    pub title: Option<String>,
    /// What happened, in a sentence or two.
    #[serde(default)]
    pub summary: Option<String>,
    /// When it happened; required for an event new to the store.
    #[serde(default)]
    pub time: Option<TimeDoc>,
    /// Slug of where it happened.
    #[serde(default)]
    pub place: Option<Slug>,
    /// How sure the source is; required for an event new to the store.
    #[serde(default)]
    pub certainty: Option<Certainty>,
    /// CAMEO event code (two to four digits), for use with GDELT and ICEWS.
    #[serde(default)]
    pub cameo_code: Option<String>,
    /// Who took part, and how.
    #[serde(default)]
    pub participants: Vec<ParticipantDoc>,
    /// How this event stands to other events.
    #[serde(default)]
    pub relations: Vec<RelationDoc>,
    /// How this event stands to proposals.
    #[serde(default)]
    pub proposals: Vec<EventProposalDoc>,
    /// Where the source reports the event.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
    /// Given when the event is a meeting, call or visit.
    #[serde(default)]
    pub meeting: Option<MeetingDoc>,
    /// Given when the event is a statement.
    #[serde(default)]
    pub statement: Option<StatementDoc>,
    /// Given when the event is a military event.
    #[serde(default)]
    pub military_event: Option<MilitaryEventDoc>,
}

/// An actor's part in an event.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ParticipantDoc {
    /// Slug of the actor.
    pub actor: Slug,
    /// The part the actor plays.
    pub role: ParticipantRole,
    /// Where the source states it.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
}

/// A relation from this event to another: "this event KIND that event".
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RelationDoc {
    /// How the two events stand.
    pub kind: EventRelationKind,
    /// Slug of the other event.
    pub event: Slug,
    /// Where the source states it.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
}

/// A link from this event to a proposal.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EventProposalDoc {
    /// How the event stands to the proposal.
    pub kind: EventProposalKind,
    /// Slug of the proposal.
    pub proposal: Slug,
    /// Where the source states it.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
}

/// What is particular to a meeting.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MeetingDoc {
    /// The form of the meeting.
    pub format: MeetingFormat,
    /// Whether it has taken place.
    pub status: MeetingStatus,
    /// How long it is expected to last, in minutes.
    #[serde(default)]
    pub expected_duration_minutes: Option<u32>,
    /// Whether the press may attend.
    #[serde(default)]
    pub open_to_press: Option<bool>,
}

/// What is particular to a statement.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatementDoc {
    /// Slug of the actor who spoke or wrote; recorded as a `SPEAKER` participant too.
    pub speaker: Slug,
    /// How the words reach the source.
    pub kind: StatementKind,
    /// The words: quoted exactly for a direct quote, as retold otherwise.
    pub text: String,
    /// The kind of channel used.
    pub channel: ChannelKind,
    /// The channel's name ("Truth Social", "X").
    #[serde(default)]
    pub channel_name: Option<String>,
    /// Slug of the media outlet carrying it (an agency given an interview).
    #[serde(default)]
    pub outlet: Option<Slug>,
}

/// What is particular to a military event.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MilitaryEventDoc {
    /// What kind of action it was.
    pub kind: MilitaryEventKind,
    /// The weapons used, as the source names them.
    #[serde(default)]
    pub weapons: Option<String>,
    /// What it caused, such as power and heating cut.
    #[serde(default)]
    pub effects: Option<String>,
    /// Dead and wounded, as reported.
    #[serde(default)]
    pub casualties: Option<String>,
}

/// A peace plan, ceasefire, request, demand or guarantee.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProposalDoc {
    /// Stable identifier, shared across documents.
    pub slug: Slug,
    /// What kind of proposal this is; required for a proposal new to the store.
    #[serde(default)]
    pub kind: Option<ProposalKind>,
    /// A short title; required for a proposal new to the store.
    #[serde(default)]
    pub title: Option<String>,
    /// What it proposes, in a sentence or two.
    #[serde(default)]
    pub summary: Option<String>,
    /// Where it stands; required for a proposal new to the store.
    #[serde(default)]
    pub status: Option<ProposalStatus>,
    /// When it was put forward or last revised.
    #[serde(default)]
    pub time: Option<TimeDoc>,
    /// Who proposes it and to whom.
    #[serde(default)]
    pub parties: Vec<PartyDoc>,
    /// Its terms, in order, including what the source says it leaves out.
    #[serde(default)]
    pub provisions: Vec<ProvisionDoc>,
    /// Each actor's stance on it or on one of its provisions.
    #[serde(default)]
    pub positions: Vec<PositionDoc>,
    /// Where the source reports it.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
}

/// An actor's part in a proposal.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PartyDoc {
    /// Slug of the actor.
    pub actor: Slug,
    /// The part the actor plays.
    pub role: ProposalPartyRole,
    /// Where the source states it.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
}

/// One term of a proposal.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProvisionDoc {
    /// Identifier, unique within the proposal.
    pub slug: Slug,
    /// The term, in a sentence; required for a provision new to the store.
    #[serde(default)]
    pub text: Option<String>,
    /// Whether the proposal contains it; required for a provision new to the store.
    #[serde(default)]
    pub inclusion: Option<ProvisionInclusion>,
    /// Where the source states it.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
}

/// An actor's stance on the proposal, or on one of its provisions.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PositionDoc {
    /// Slug of the actor taking the stance.
    pub actor: Slug,
    /// Slug of the provision, when the stance is on one provision only.
    #[serde(default)]
    pub provision: Option<Slug>,
    /// The stance taken.
    pub stance: Stance,
    /// Slug of the statement the stance rests on.
    #[serde(default)]
    pub statement: Option<Slug>,
    /// The stance in a sentence.
    #[serde(default)]
    pub summary: Option<String>,
    /// Where the source states it.
    #[serde(default)]
    pub citations: Vec<CitationDoc>,
}

/// Reads an RFC 3339 date-time, saying what was expected when it is not one.
fn rfc3339<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|e| {
            D::Error::custom(format!(
                "`{text}` is not an RFC 3339 date-time such as 2025-12-28T18:00:00Z: {e}"
            ))
        })
}

fn optional_rfc3339<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "rfc3339")] DateTime<Utc>);
    Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(time)| time))
}
