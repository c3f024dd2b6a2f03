//! Claims: what one source says about one record or link.
//!
//! A claim holds the facts of its subject's kind that the source states: a field the
//! document leaves out is absent from the claim and says nothing. The facts are stored
//! as JSON in a fixed key order, so the same statement always has the same text, and an
//! import compares a document's claims with the source's live ones by that text. Each
//! key is one field claim; identity keys (a slug, the two ends of a link) are the same
//! in every claim about the subject.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::known::Known;
use crate::db::entities::claim;
use crate::db::sql::{IDS_PER_STATEMENT, ROWS_PER_STATEMENT, Sql, one_of};
use crate::domain::*;
use sea_orm::sea_query::ArrayType;

/// The facts one kind of subject has. `KIND` names the kind; `REFERENCES` the keys whose
/// values are ids of other records that must exist for the value to count.
pub trait Facts: Serialize + DeserializeOwned {
    const KIND: SubjectKind;
    /// Keys of optional references to other records, and the kind each refers to.
    const REFERENCES: &'static [(&'static str, SubjectKind)] = &[];
    /// Keys of the records a link joins, and their kinds: it exists only while they do.
    const LINKS: &'static [(&'static str, SubjectKind)] = &[];
}

/// One thing a document says: its subject and the facts it states, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub kind: SubjectKind,
    pub subject: i64,
    /// The facts as JSON, keys in declaration order.
    pub value: String,
}

impl Claim {
    /// The claim that `facts` hold of `subject`.
    pub fn new<F: Facts>(subject: i64, facts: &F) -> Self {
        Self {
            kind: F::KIND,
            subject,
            value: serde_json::to_string(facts).unwrap_or_default(),
        }
    }
}

/// Skips `false` when writing a claim: a flag not set is not stated.
fn is_false(flag: &bool) -> bool {
    !*flag
}

/// A time as a source gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeFacts {
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    pub precision: TimePrecision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub inferred: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a source says of an actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorFacts {
    pub slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ActorKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Facts for ActorFacts {
    const KIND: SubjectKind = SubjectKind::Actor;
}

/// That an actor goes by another name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasFacts {
    pub actor: i64,
    pub alias: String,
}

impl Facts for AliasFacts {
    const KIND: SubjectKind = SubjectKind::Alias;
    const LINKS: &'static [(&'static str, SubjectKind)] = &[("actor", SubjectKind::Actor)];
}

/// A tie from one actor to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AffiliationFacts {
    pub actor: i64,
    pub of: i64,
    pub kind: AffiliationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl Facts for AffiliationFacts {
    const KIND: SubjectKind = SubjectKind::Affiliation;
    const LINKS: &'static [(&'static str, SubjectKind)] =
        &[("actor", SubjectKind::Actor), ("of", SubjectKind::Actor)];
}

/// What a source says of a place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceFacts {
    pub slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PlaceKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Facts for PlaceFacts {
    const KIND: SubjectKind = SubjectKind::Place;
    const REFERENCES: &'static [(&'static str, SubjectKind)] = &[("parent", SubjectKind::Place)];
}

/// What a source says of an event of any kind; the fields of the other kinds are absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventFacts {
    pub slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_kind: Option<EventKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certainty: Option<Certainty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cameo_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<MeetingFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MeetingStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_duration_minutes: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_to_press: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_kind: Option<StatementKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub military_kind: Option<MilitaryEventKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weapons: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effects: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub casualties: Option<String>,
}

impl Facts for EventFacts {
    const KIND: SubjectKind = SubjectKind::Event;
    const REFERENCES: &'static [(&'static str, SubjectKind)] = &[
        ("place", SubjectKind::Place),
        ("speaker", SubjectKind::Actor),
        ("outlet", SubjectKind::Actor),
    ];
}

/// What a source says of a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposalFacts {
    pub slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ProposalKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ProposalStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeFacts>,
}

impl Facts for ProposalFacts {
    const KIND: SubjectKind = SubjectKind::Proposal;
}

/// That an actor takes part in an event, in a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantFacts {
    pub event: i64,
    pub actor: i64,
    pub role: ParticipantRole,
}

impl Facts for ParticipantFacts {
    const KIND: SubjectKind = SubjectKind::Participant;
    const LINKS: &'static [(&'static str, SubjectKind)] =
        &[("event", SubjectKind::Event), ("actor", SubjectKind::Actor)];
}

/// That one event stands to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationFacts {
    pub event: i64,
    pub related: i64,
    pub kind: EventRelationKind,
}

impl Facts for RelationFacts {
    const KIND: SubjectKind = SubjectKind::EventRelation;
    const LINKS: &'static [(&'static str, SubjectKind)] = &[
        ("event", SubjectKind::Event),
        ("related", SubjectKind::Event),
    ];
}

/// That an event stands to a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventProposalFacts {
    pub event: i64,
    pub proposal: i64,
    pub kind: EventProposalKind,
}

impl Facts for EventProposalFacts {
    const KIND: SubjectKind = SubjectKind::EventProposal;
    const LINKS: &'static [(&'static str, SubjectKind)] = &[
        ("event", SubjectKind::Event),
        ("proposal", SubjectKind::Proposal),
    ];
}

/// That an actor is a party to a proposal, in a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyFacts {
    pub proposal: i64,
    pub actor: i64,
    pub role: ProposalPartyRole,
}

impl Facts for PartyFacts {
    const KIND: SubjectKind = SubjectKind::ProposalParty;
    const LINKS: &'static [(&'static str, SubjectKind)] = &[
        ("proposal", SubjectKind::Proposal),
        ("actor", SubjectKind::Actor),
    ];
}

/// What a source says of one of a proposal's provisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionFacts {
    pub proposal: i64,
    pub slug: String,
    /// Where the source lists it among the proposal's provisions, from 1.
    pub listed: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusion: Option<ProvisionInclusion>,
}

impl Facts for ProvisionFacts {
    const KIND: SubjectKind = SubjectKind::Provision;
    const LINKS: &'static [(&'static str, SubjectKind)] = &[("proposal", SubjectKind::Proposal)];
}

/// That an actor takes a stance on a proposal or one of its provisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionFacts {
    pub proposal: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision: Option<i64>,
    pub actor: i64,
    pub stance: Stance,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl Facts for PositionFacts {
    const KIND: SubjectKind = SubjectKind::Position;
    const REFERENCES: &'static [(&'static str, SubjectKind)] = &[("statement", SubjectKind::Event)];
    const LINKS: &'static [(&'static str, SubjectKind)] = &[
        ("proposal", SubjectKind::Proposal),
        ("actor", SubjectKind::Actor),
        ("provision", SubjectKind::Provision),
    ];
}

/// That the source's words support a record: the W3C Web Annotation selectors of the
/// excerpt (TextQuoteSelector: exact, prefix, suffix; TextPositionSelector: start and
/// end, end exclusive, in characters), known in full when the body was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CitationFacts {
    pub record_kind: CitedRecord,
    pub record: i64,
    pub excerpt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Facts for CitationFacts {
    const KIND: SubjectKind = SubjectKind::Citation;
}

/// How many characters of context a citation's TextQuoteSelector keeps on each side.
pub const CONTEXT_CHARS: usize = 32;

/// The words around the excerpt at character positions `start..end` of `body`: up to
/// [`CONTEXT_CHARS`] characters before and after it, for its TextQuoteSelector.
pub fn quote_context(body: &str, start: i32, end: i32) -> (String, String) {
    let chars: Vec<char> = body.chars().collect();
    let start = usize::try_from(start).unwrap_or(0).min(chars.len());
    let end = usize::try_from(end).unwrap_or(0).clamp(start, chars.len());
    let prefix = chars[start.saturating_sub(CONTEXT_CHARS)..start]
        .iter()
        .collect();
    let suffix = chars[end..(end + CONTEXT_CHARS).min(chars.len())]
        .iter()
        .collect();
    (prefix, suffix)
}

/// The live claims of `source`.
pub async fn live_of_source<C: ConnectionTrait>(
    db: &C,
    source: i64,
) -> Result<Vec<claim::Model>, DbErr> {
    claim::Entity::find()
        .filter(claim::Column::SourceId.eq(source))
        .filter(claim::Column::RetractedBy.is_null())
        .all(db)
        .await
}

/// The live claims of every source about `subjects`, in chunks the database takes.
pub async fn live_of_subjects<C: ConnectionTrait>(
    db: &C,
    subjects: &[i64],
) -> Result<Vec<claim::Model>, DbErr> {
    let mut claims = Vec::new();
    for chunk in subjects.chunks(IDS_PER_STATEMENT) {
        claims.extend(
            claim::Entity::find()
                .filter(one_of(
                    claim::Column::SubjectId,
                    chunk,
                    db.get_database_backend(),
                ))
                .filter(claim::Column::RetractedBy.is_null())
                .all(db)
                .await?,
        );
    }
    Ok(claims)
}

/// Every claim about `subjects` recorded by the time `known`, live then or not, in the
/// order they were recorded: the subjects' history.
pub async fn recorded_of_subjects<C: ConnectionTrait>(
    db: &C,
    subjects: &[i64],
    known: Known,
) -> Result<Vec<claim::Model>, DbErr> {
    let mut select = claim::Entity::find().filter(one_of(
        claim::Column::SubjectId,
        subjects,
        db.get_database_backend(),
    ));
    if let Known::After(import) = known {
        select = select.filter(claim::Column::RecordedBy.lte(import));
    }
    select
        .order_by_asc(claim::Column::RecordedBy)
        .order_by_asc(claim::Column::SourceId)
        .all(db)
        .await
}

/// Records `claims` of `source` as recorded by import `import`: new rows, since no claim
/// names that import yet, and at most one claim per subject.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    source: i64,
    import: i64,
    claims: &[Claim],
) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        // The columns as three arrays beside the two values every row shares: no value
        // is null, and arrays travel in binary, with nothing to parse.
        for chunk in claims.chunks(IDS_PER_STATEMENT) {
            let array =
                |ty, values: Vec<sea_orm::Value>| sea_orm::Value::Array(ty, Some(Box::new(values)));
            let subjects = chunk.iter().map(|c| c.subject.into()).collect();
            let kinds = chunk.iter().map(|c| c.kind.to_value().into()).collect();
            let values = chunk.iter().map(|c| c.value.clone().into()).collect();
            let mut sql = Sql::new(DbBackend::Postgres);
            sql.push(
                "INSERT INTO claims (subject_id, source_id, recorded_by, subject_kind, value) \
                 SELECT subject_id, ",
            )
            .bind(source)
            .push(", ")
            .bind(import)
            .push(", subject_kind, value FROM unnest(")
            .bind(array(ArrayType::BigInt, subjects))
            .push("::BIGINT[], ")
            .bind(array(ArrayType::String, kinds))
            .push("::TEXT[], ")
            .bind(array(ArrayType::String, values))
            .push("::TEXT[]) AS t(subject_id, subject_kind, value)");
            db.execute_raw(sql.build()).await?;
        }
        return Ok(());
    }
    for chunk in claims.chunks(ROWS_PER_STATEMENT) {
        let rows = chunk.iter().map(|claim| claim::ActiveModel {
            subject_id: Set(claim.subject),
            source_id: Set(source),
            recorded_by: Set(import),
            subject_kind: Set(claim.kind),
            value: Set(claim.value.clone()),
            retracted_by: Set(None),
        });
        claim::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Retracts, by import `import`, the live claims of `source` about `subjects`, or all
/// its live claims when `subjects` is `None`.
pub async fn retract<C: ConnectionTrait>(
    db: &C,
    source: i64,
    import: i64,
    subjects: Option<&[i64]>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let statement = |chunk: Option<&[i64]>| {
        let mut sql = Sql::new(backend);
        sql.push("UPDATE claims SET retracted_by = ")
            .bind(import)
            .push(" WHERE source_id = ")
            .bind(source)
            .push(" AND retracted_by IS NULL");
        if let Some(chunk) = chunk {
            sql.push(" AND subject_id").in_ids(chunk);
        }
        sql.build()
    };
    match subjects {
        None => {
            db.execute_raw(statement(None)).await?;
        }
        Some(subjects) => {
            for chunk in subjects.chunks(IDS_PER_STATEMENT) {
                db.execute_raw(statement(Some(chunk))).await?;
            }
        }
    }
    Ok(())
}

/// Whether any claim was ever recorded.
pub async fn any<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    Ok(claim::Entity::find().one(db).await?.is_some())
}
