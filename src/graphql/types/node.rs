//! The Relay `Node` interface: any record by its global id.

use async_graphql::{Context, ID, Interface, OutputType, Result};

use super::*;
use crate::graphql::error::AppError;
use crate::graphql::ids;
use crate::graphql::loaders::*;
use crate::store::events::EventRow;

/// A record with a globally unique id, which `node(id:)` finds again.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Globally unique, opaque id."))]
pub enum Node {
    Actor(Actor),
    Affiliation(Affiliation),
    Place(Place),
    Source(Source),
    Citation(Citation),
    Meeting(Meeting),
    Statement(Statement),
    MilitaryEvent(MilitaryEvent),
    Participant(Participant),
    EventRelation(EventRelation),
    EventProposalLink(EventProposalLink),
    Proposal(Proposal),
    ProposalParty(ProposalParty),
    Provision(Provision),
    Position(Position),
}

impl From<Event> for Node {
    fn from(event: Event) -> Self {
        match event {
            Event::Meeting(meeting) => Node::Meeting(meeting),
            Event::Statement(statement) => Node::Statement(statement),
            Event::MilitaryEvent(military) => Node::MilitaryEvent(military),
        }
    }
}

/// The record with global id `id` (given as `argument`), or `None` when no record has it.
pub async fn node_by_id(
    ctx: &Context<'_>,
    argument: &'static str,
    id: &ID,
) -> Result<Option<Node>> {
    let (type_name, key) = ids::decode(argument, id)?;
    let node = match type_name.as_str() {
        "Actor" => one::<ActorById, Actor>(ctx, Some(key))
            .await?
            .map(Node::Actor),
        "Affiliation" => one::<AffiliationById, Affiliation>(ctx, Some(key))
            .await?
            .map(Node::Affiliation),
        "Place" => one::<PlaceById, Place>(ctx, Some(key))
            .await?
            .map(Node::Place),
        "Source" => one::<SourceById, Source>(ctx, Some(key))
            .await?
            .map(Node::Source),
        "Citation" => one::<CitationById, Citation>(ctx, Some(key))
            .await?
            .map(Node::Citation),
        "Meeting" | "Statement" | "MilitaryEvent" => {
            match one::<EventById, EventRow>(ctx, Some(key)).await? {
                Some(row) => {
                    let event = Node::from(Event::from(row));
                    // An id names its type: a meeting's id with another type prefix is no id.
                    (event.introspection_type_name() == type_name).then_some(event)
                }
                None => None,
            }
        }
        "Participant" => one::<ParticipantById, Participant>(ctx, Some(key))
            .await?
            .map(Node::Participant),
        "EventRelation" => one::<RelationById, EventRelation>(ctx, Some(key))
            .await?
            .map(Node::EventRelation),
        "EventProposalLink" => one::<EventProposalById, EventProposalLink>(ctx, Some(key))
            .await?
            .map(Node::EventProposalLink),
        "Proposal" => one::<ProposalById, Proposal>(ctx, Some(key))
            .await?
            .map(Node::Proposal),
        "ProposalParty" => one::<PartyById, ProposalParty>(ctx, Some(key))
            .await?
            .map(Node::ProposalParty),
        "Provision" => one::<ProvisionById, Provision>(ctx, Some(key))
            .await?
            .map(Node::Provision),
        "Position" => one::<PositionById, Position>(ctx, Some(key))
            .await?
            .map(Node::Position),
        _ => {
            return Err(AppError::bad_input(
                argument,
                format!("`{}` is not a valid id", id.as_str()),
            )
            .into());
        }
    };
    Ok(node)
}
