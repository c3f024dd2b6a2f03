//! Provenance and known time: the imports that changed the store, the claims each
//! source makes about a record, and for each field of a record the values its sources
//! give.

use async_graphql::{Context, ID, Object, OutputType, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{Source, Time, TimeDetails, one};
use crate::db::entities::{claim, import};
use crate::domain::*;
use crate::graphql::error::AppError;
use crate::graphql::ids;
use crate::graphql::loaders::{
    ClaimsBySubject, ImportById, SourceById, in_budget, known, load_one,
};
use crate::graphql::pagination::{Conn, connection};
use crate::store::claims::{
    ActorFacts, EventFacts, Facts, PlaceFacts, ProposalFacts, ProvisionFacts, TimeFacts,
};
use crate::store::imports;
use crate::store::known::Known;
use crate::store::page::Page;
use sea_orm::DatabaseConnection;

/// One run that changed the store: an import of a source's document, a retraction of a
/// source, or the upgrade that turned older rows into claims.
pub struct Import(pub(super) import::Model);

impl From<import::Model> for Import {
    fn from(model: import::Model) -> Self {
        Self(model)
    }
}

/// One run that changed the store: an import of a source's document, a retraction of a
/// source, or the upgrade that turned older rows into claims.
#[Object]
impl Import {
    /// Globally unique, opaque id.
    async fn id(&self) -> ID {
        ids::encode("Import", self.0.id)
    }

    /// The run's place in the store's order of runs, from 1: the store's clock of known
    /// time.
    async fn sequence(&self) -> i64 {
        self.0.id
    }

    /// What the run did.
    async fn kind(&self) -> ImportKind {
        self.0.kind
    }

    /// When the run was recorded: claims it added became known then.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }

    /// Slug of the source whose claims the run changed.
    async fn source_slug(&self) -> &str {
        &self.0.source_slug
    }

    /// The source whose claims the run changed, as the store knows it; null once no
    /// live claim supports the source (it was retracted).
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Source>> {
        one::<SourceById, _>(ctx, Some(self.0.source_id)).await
    }

    /// SHA-256 of the imported document's text, hex; null for retractions and upgrades.
    async fn document_sha256(&self) -> Option<&str> {
        self.0.document_sha256.as_deref()
    }

    /// Claims the run recorded that the source did not already make.
    async fn added(&self) -> i32 {
        self.0.added
    }

    /// Claims the document made again, unchanged, and the run left as they were.
    async fn kept(&self) -> i32 {
        self.0.kept
    }

    /// Claims of the source the run retracted: the new document no longer makes them,
    /// or the source was withdrawn.
    async fn retracted(&self) -> i32 {
        self.0.retracted
    }
}

/// One page of the runs that changed the store, newest first: every one, or those of
/// `source`; as known at `known`.
pub async fn imports_connection(
    ctx: &Context<'_>,
    source: Option<i64>,
    known: Known,
    page: Page,
) -> Result<Conn<Import>> {
    let db = ctx.data::<DatabaseConnection>()?;
    let listing = imports::Listing::new(source, known);
    let rows = in_budget(ctx, listing.page(db, &page))
        .await?
        .map_err(AppError::from)?;
    Ok(connection(
        rows,
        listing.count(db.get_database_backend()),
        |row| Ok(Import(row)),
    )?)
}

/// What one source says about one record or link, in one version: recorded by one
/// import, and retracted by a later one when the source stopped saying it.
#[derive(Clone)]
pub struct Claim {
    row: claim::Model,
    /// The time the claim is read at: whether it is live depends on it.
    known: Known,
}

impl Claim {
    /// The import that retracted the claim, as known at the claim's read time.
    fn retraction(&self) -> Option<i64> {
        self.row.retracted_by.filter(|import| match self.known {
            Known::Now => true,
            Known::After(by) => *import <= by,
        })
    }
}

/// What one source says about one record or link, in one version: recorded by one
/// import, and retracted by a later one when the source stopped saying it.
#[Object]
impl Claim {
    /// The source that says it.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Source>> {
        one::<SourceById, _>(ctx, Some(self.row.source_id)).await
    }

    /// Slug of the source that says it, known even after the source was retracted.
    async fn source_slug(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.recorded_by(ctx).await?.0.source_slug)
    }

    /// The import that recorded this version.
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Import> {
        required_import(ctx, self.row.recorded_by).await
    }

    /// When this version became known.
    async fn recorded_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>> {
        Ok(required_import(ctx, self.row.recorded_by)
            .await?
            .0
            .recorded_at)
    }

    /// The import that retracted it; null while it is live.
    async fn retracted_by(&self, ctx: &Context<'_>) -> Result<Option<Import>> {
        match self.retraction() {
            Some(import) => Ok(Some(required_import(ctx, import).await?)),
            None => Ok(None),
        }
    }

    /// When it stopped being known; null while it is live.
    async fn retracted_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        match self.retraction() {
            Some(import) => Ok(Some(required_import(ctx, import).await?.0.recorded_at)),
            None => Ok(None),
        }
    }

    /// Whether the source still says it (at the `asOf` of the query).
    async fn live(&self) -> bool {
        self.retraction().is_none()
    }
}

/// The import `id`, which every claim's import column guarantees.
async fn required_import(ctx: &Context<'_>, id: i64) -> Result<Import> {
    load_one::<ImportById>(ctx, id)
        .await?
        .map(Import)
        .ok_or_else(|| format!("no import {id}, which a claim names").into())
}

/// The claims about `subject` as known at `ctx`'s read time, oldest first: the live
/// ones, or every one recorded by then when `include_retracted`.
pub(super) async fn claims_about(
    ctx: &Context<'_>,
    subject: i64,
    include_retracted: bool,
) -> Result<Vec<Claim>> {
    let known = known(ctx);
    let rows = load_one::<ClaimsBySubject>(ctx, subject)
        .await?
        .unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|row| Claim { row, known })
        .filter(|claim| include_retracted || claim.retraction().is_none())
        .collect())
}

/// The claims about `subject` with the facts each states.
async fn stated<F: Facts>(
    ctx: &Context<'_>,
    subject: i64,
    include_retracted: bool,
) -> Result<Vec<(Claim, F)>> {
    let mut stated = Vec::new();
    for claim in claims_about(ctx, subject, include_retracted).await? {
        let facts = serde_json::from_str(&claim.row.value)
            .map_err(|e| format!("claim about {subject} does not parse: {e}"))?;
        stated.push((claim, facts));
    }
    Ok(stated)
}

/// One value a source gives for one field of a record.
#[derive(SimpleObject)]
#[graphql(concrete(name = "StringClaim", params(String)))]
#[graphql(concrete(name = "IntClaim", params(i32)))]
#[graphql(concrete(name = "FloatClaim", params(f64)))]
#[graphql(concrete(name = "BooleanClaim", params(bool)))]
#[graphql(concrete(name = "IdClaim", params(ID)))]
#[graphql(concrete(name = "TimeClaim", params(Time)))]
#[graphql(concrete(name = "ActorKindClaim", params(ActorKind)))]
#[graphql(concrete(name = "PlaceKindClaim", params(PlaceKind)))]
#[graphql(concrete(name = "EventKindClaim", params(EventKind)))]
#[graphql(concrete(name = "CertaintyClaim", params(Certainty)))]
#[graphql(concrete(name = "MeetingFormatClaim", params(MeetingFormat)))]
#[graphql(concrete(name = "MeetingStatusClaim", params(MeetingStatus)))]
#[graphql(concrete(name = "StatementKindClaim", params(StatementKind)))]
#[graphql(concrete(name = "ChannelKindClaim", params(ChannelKind)))]
#[graphql(concrete(name = "MilitaryEventKindClaim", params(MilitaryEventKind)))]
#[graphql(concrete(name = "ProposalKindClaim", params(ProposalKind)))]
#[graphql(concrete(name = "ProposalStatusClaim", params(ProposalStatus)))]
#[graphql(concrete(name = "ProvisionInclusionClaim", params(ProvisionInclusion)))]
pub struct FieldClaim<T: OutputType> {
    /// The value the source gives.
    value: T,
    /// The claim that gives it: source, import and known time.
    claim: Claim,
}

/// A record's field name as the API spells it (`expected_duration_minutes` →
/// `expectedDurationMinutes`).
fn api_name(field: &str) -> String {
    let mut name = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                name.extend(c.to_uppercase());
                upper = false;
            }
            c => name.push(c),
        }
    }
    name
}

/// A time claim's value.
fn time(facts: &TimeFacts) -> Time {
    Time {
        at: facts.at,
        details: Some(TimeDetails {
            until: facts.until,
            precision: facts.precision,
            text: facts.text.clone(),
            inferred: facts.inferred,
            note: facts.note.clone(),
        }),
    }
}

/// A reference claim's value: the global id of the record of `type_name` it names.
fn reference(type_name: &'static str) -> impl Fn(&i64) -> ID {
    move |id| ids::encode(type_name, *id)
}

/// Declares a record's provenance type: its claims, and for each field the values its
/// sources give (`field: Type = convert`, where `convert` turns the fact into the
/// field's API value), with the fields the live claims disagree on.
macro_rules! provenance {
    ($(#[$meta:meta])* $name:ident($facts:ty) {
        $($(#[$field_meta:meta])* $field:ident: $ty:ty = $convert:expr;)*
    }) => {
        $(#[$meta])*
        pub struct $name {
            stated: Vec<(Claim, $facts)>,
        }

        impl $name {
            /// The provenance of `subject` as known at `ctx`'s read time.
            pub(super) async fn of(
                ctx: &Context<'_>,
                subject: i64,
                include_retracted: bool,
            ) -> Result<Self> {
                Ok(Self {
                    stated: stated(ctx, subject, include_retracted).await?,
                })
            }
        }

        $(#[$meta])*
        #[Object]
        impl $name {
            /// Every claim about the record, oldest first.
            async fn claims(&self) -> Vec<Claim> {
                self.stated.iter().map(|(claim, _)| claim.clone()).collect()
            }

            $(
                $(#[$field_meta])*
                async fn $field(&self) -> Vec<FieldClaim<$ty>> {
                    let convert = $convert;
                    self.stated
                        .iter()
                        .filter_map(|(claim, facts)| {
                            facts.$field.as_ref().map(|value| FieldClaim {
                                value: convert(value),
                                claim: claim.clone(),
                            })
                        })
                        .collect()
                }
            )*

            /// The fields whose live claims give more than one value, by their names in
            /// this type: where the record shows the value of the most recently
            /// published source that states it, and the sources disagree.
            async fn disagreements(&self) -> Vec<String> {
                let live: Vec<&$facts> = self
                    .stated
                    .iter()
                    .filter(|(claim, _)| claim.retraction().is_none())
                    .map(|(_, facts)| facts)
                    .collect();
                let mut fields = Vec::new();
                $(
                    let mut values = live.iter().filter_map(|facts| facts.$field.as_ref());
                    if let Some(first) = values.next()
                        && values.any(|value| value != first)
                    {
                        fields.push(api_name(stringify!($field)));
                    }
                )*
                fields
            }
        }
    };
}

provenance!(
    /// Who says what about an actor: each source's claims, and the values they give.
    ActorProvenance(ActorFacts) {
        /// The names sources give.
        name: String = String::clone;
        /// The kinds sources give.
        kind: ActorKind = ActorKind::clone;
        /// The countries sources give.
        country: String = String::clone;
        /// The descriptions sources give.
        description: String = String::clone;
    }
);

provenance!(
    /// Who says what about a place: each source's claims, and the values they give.
    PlaceProvenance(PlaceFacts) {
        /// The names sources give.
        name: String = String::clone;
        /// The kinds sources give.
        kind: PlaceKind = PlaceKind::clone;
        /// The places sources say it lies within, by global id.
        parent: ID = reference("Place");
        /// The latitudes sources give.
        latitude: f64 = f64::clone;
        /// The longitudes sources give.
        longitude: f64 = f64::clone;
        /// The countries sources give.
        country: String = String::clone;
    }
);

provenance!(
    /// Who says what about an event: each source's claims, and the values they give for
    /// the fields of every kind of event (those of other kinds have none).
    EventProvenance(EventFacts) {
        /// The kinds sources give.
        event_kind: EventKind = EventKind::clone;
        /// The titles sources give.
        title: String = String::clone;
        /// The summaries sources give.
        summary: String = String::clone;
        /// The times sources give.
        time: Time = time;
        /// The places sources give, by global id.
        place: ID = reference("Place");
        /// The certainties sources give.
        certainty: Certainty = Certainty::clone;
        /// The CAMEO codes sources give.
        cameo_code: String = String::clone;
        /// A meeting's forms, as sources give them.
        format: MeetingFormat = MeetingFormat::clone;
        /// A meeting's statuses, as sources give them.
        status: MeetingStatus = MeetingStatus::clone;
        /// A meeting's expected durations in minutes, as sources give them.
        expected_duration_minutes: i32 = i32::clone;
        /// Whether the press may attend a meeting, as sources say.
        open_to_press: bool = bool::clone;
        /// A statement's speakers, by global id.
        speaker: ID = reference("Actor");
        /// A statement's kinds, as sources give them.
        statement_kind: StatementKind = StatementKind::clone;
        /// A statement's words, as sources give them.
        text: String = String::clone;
        /// A statement's channel kinds, as sources give them.
        channel: ChannelKind = ChannelKind::clone;
        /// A statement's channel names, as sources give them.
        channel_name: String = String::clone;
        /// A statement's outlets, by global id.
        outlet: ID = reference("Actor");
        /// A military event's kinds, as sources give them.
        military_kind: MilitaryEventKind = MilitaryEventKind::clone;
        /// A military event's weapons, as sources name them.
        weapons: String = String::clone;
        /// A military event's effects, as sources give them.
        effects: String = String::clone;
        /// A military event's casualties, as sources report them.
        casualties: String = String::clone;
    }
);

provenance!(
    /// Who says what about a proposal: each source's claims, and the values they give.
    ProposalProvenance(ProposalFacts) {
        /// The kinds sources give.
        kind: ProposalKind = ProposalKind::clone;
        /// The titles sources give.
        title: String = String::clone;
        /// The summaries sources give.
        summary: String = String::clone;
        /// The statuses sources give.
        status: ProposalStatus = ProposalStatus::clone;
        /// The times sources give.
        time: Time = time;
    }
);

provenance!(
    /// Who says what about a provision: each source's claims, and the values they give.
    ProvisionProvenance(ProvisionFacts) {
        /// The texts sources give.
        text: String = String::clone;
        /// How sources say the provision is included.
        inclusion: ProvisionInclusion = ProvisionInclusion::clone;
    }
);
