//! Proposals, their parties and provisions, and the positions actors take on them.

use async_graphql::{Context, ID, Object, Result};

use super::event::{EventProposalLink, Statement};
use super::history::{Claim, ProposalProvenance, ProvisionProvenance, claims_about};
use super::{Actor, Citation, Time, TimeDetails, citations_of, list, one, required};
use crate::db::entities::{position, proposal, proposal_party, provision};
use crate::domain::*;
use crate::graphql::ids;
use crate::graphql::loaders::{
    ActorById, EventById, EventLinksByProposal, PartiesByProposal, PositionsByProposal,
    PositionsByProvision, ProposalById, ProvisionById, ProvisionsByProposal, load_one,
};
use crate::store::events::EventRow;

/// A peace plan, ceasefire, request, demand or guarantee put by some actors to others.
pub struct Proposal(proposal::Model);

impl From<proposal::Model> for Proposal {
    fn from(model: proposal::Model) -> Self {
        Self(model)
    }
}

/// A peace plan, ceasefire, request, demand or guarantee put by some actors to others.
#[Object]
impl Proposal {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("Proposal", self.0.id)
    }

    /// Stable, human-readable identifier.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// What kind of proposal this is.
    async fn kind(&self) -> ProposalKind {
        self.0.kind
    }

    /// A short title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What it proposes, in a sentence or two.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// Where it stands.
    async fn status(&self) -> ProposalStatus {
        self.0.status
    }

    /// When it was put forward or last revised.
    async fn time(&self) -> Option<Time> {
        Some(Time {
            at: self.0.proposed_at?,
            details: Some(TimeDetails {
                until: None,
                precision: self.0.time_precision?,
                text: self.0.time_text.clone(),
                inferred: self.0.time_inferred,
                note: self.0.time_note.clone(),
            }),
        })
    }

    /// Who proposes it, who it is put to, and who negotiates it.
    async fn parties(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only parties in this role.")] role: Option<ProposalPartyRole>,
    ) -> Result<Vec<ProposalParty>> {
        let parties: Vec<ProposalParty> = list::<PartiesByProposal, _>(ctx, self.0.id).await?;
        Ok(parties
            .into_iter()
            .filter(|party| role.is_none_or(|role| party.0.role == role))
            .collect())
    }

    /// The actors who put it forward.
    async fn proposers(&self, ctx: &Context<'_>) -> Result<Vec<Actor>> {
        let mut proposers = Vec::new();
        for party in load_one::<PartiesByProposal>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
        {
            if party.role == ProposalPartyRole::Proposer {
                proposers.push(required::<ActorById, _>(ctx, party.actor_id).await?);
            }
        }
        Ok(proposers)
    }

    /// Its terms in order, including those the source says it leaves out.
    async fn provisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only provisions of this inclusion, such as `EXCLUDED` for what it leaves out."
        )]
        inclusion: Option<ProvisionInclusion>,
    ) -> Result<Vec<Provision>> {
        let provisions: Vec<Provision> = list::<ProvisionsByProposal, _>(ctx, self.0.id).await?;
        Ok(provisions
            .into_iter()
            .filter(|p| inclusion.is_none_or(|inclusion| p.0.inclusion == inclusion))
            .collect())
    }

    /// Every actor's stance on it or on one of its provisions.
    async fn positions(&self, ctx: &Context<'_>) -> Result<Vec<Position>> {
        list::<PositionsByProposal, _>(ctx, self.0.id).await
    }

    /// Events about it, presenting, negotiating or deciding it.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<EventProposalLink>> {
        list::<EventLinksByProposal, _>(ctx, self.0.id).await
    }

    /// Where sources report it.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, CitedRecord::Proposal, self.0.id).await
    }

    /// Who says what about it: every source's claims, the values each gives for each
    /// field, and the fields they disagree on.
    async fn provenance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also list claims their sources have since withdrawn.", default)]
        include_retracted: bool,
    ) -> Result<ProposalProvenance> {
        ProposalProvenance::of(ctx, self.0.id, include_retracted).await
    }
}

/// An actor's part in a proposal.
pub struct ProposalParty(proposal_party::Model);

impl From<proposal_party::Model> for ProposalParty {
    fn from(model: proposal_party::Model) -> Self {
        Self(model)
    }
}

/// An actor's part in a proposal.
#[Object]
impl ProposalParty {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("ProposalParty", self.0.id)
    }

    /// The part the actor plays.
    async fn role(&self) -> ProposalPartyRole {
        self.0.role
    }

    /// The actor.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Actor> {
        required::<ActorById, _>(ctx, self.0.actor_id).await
    }

    /// The proposal.
    async fn proposal(&self, ctx: &Context<'_>) -> Result<Proposal> {
        required::<ProposalById, _>(ctx, self.0.proposal_id).await
    }

    /// Where sources state the actor's part.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, CitedRecord::ProposalParty, self.0.id).await
    }

    /// The claims that support the party's part: one per source that states it (every version,
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

/// One term of a proposal, or one the source says it leaves out.
pub struct Provision(provision::Model);

impl From<provision::Model> for Provision {
    fn from(model: provision::Model) -> Self {
        Self(model)
    }
}

/// One term of a proposal, or one the source says it leaves out.
#[Object]
impl Provision {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("Provision", self.0.id)
    }

    /// Identifier, unique within the proposal.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// Its place in the proposal, from 1.
    async fn ordinal(&self) -> i32 {
        self.0.ordinal
    }

    /// The term, in a sentence.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Whether the proposal contains it.
    async fn inclusion(&self) -> ProvisionInclusion {
        self.0.inclusion
    }

    /// The proposal.
    async fn proposal(&self, ctx: &Context<'_>) -> Result<Proposal> {
        required::<ProposalById, _>(ctx, self.0.proposal_id).await
    }

    /// Every actor's stance on this provision.
    async fn positions(&self, ctx: &Context<'_>) -> Result<Vec<Position>> {
        list::<PositionsByProvision, _>(ctx, self.0.id).await
    }

    /// Where sources state it.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, CitedRecord::Provision, self.0.id).await
    }

    /// Who says what about it: every source's claims, the values each gives for each
    /// field, and the fields they disagree on.
    async fn provenance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also list claims their sources have since withdrawn.", default)]
        include_retracted: bool,
    ) -> Result<ProvisionProvenance> {
        ProvisionProvenance::of(ctx, self.0.id, include_retracted).await
    }
}

/// An actor's stance on a proposal or one of its provisions, and the statement it rests on.
pub struct Position(position::Model);

impl From<position::Model> for Position {
    fn from(model: position::Model) -> Self {
        Self(model)
    }
}

/// An actor's stance on a proposal or one of its provisions, and the statement it rests on.
#[Object]
impl Position {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("Position", self.0.id)
    }

    /// The stance taken.
    async fn stance(&self) -> Stance {
        self.0.stance
    }

    /// The stance in a sentence.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// The actor taking the stance.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Actor> {
        required::<ActorById, _>(ctx, self.0.actor_id).await
    }

    /// The proposal.
    async fn proposal(&self, ctx: &Context<'_>) -> Result<Proposal> {
        required::<ProposalById, _>(ctx, self.0.proposal_id).await
    }

    /// The provision, when the stance is on one provision only.
    async fn provision(&self, ctx: &Context<'_>) -> Result<Option<Provision>> {
        one::<ProvisionById, _>(ctx, self.0.provision_id).await
    }

    /// The statement the stance rests on.
    async fn statement(&self, ctx: &Context<'_>) -> Result<Option<Statement>> {
        match self.0.statement_id {
            Some(id) => Ok(Some(Statement::from(
                required::<EventById, EventRow>(ctx, id).await?,
            ))),
            None => Ok(None),
        }
    }

    /// Where sources state it.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, CitedRecord::Position, self.0.id).await
    }

    /// The claims that support the position: one per source that states it (every version,
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
