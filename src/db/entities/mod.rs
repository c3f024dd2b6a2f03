//! One module per table. Relations are loaded through batched loaders, not sea-orm
//! relations, so the entities declare none.

pub mod actor;
pub mod actor_alias;
pub mod affiliation;
pub mod citation;
pub mod claim;
pub mod event;
pub mod event_participant;
pub mod event_proposal;
pub mod event_relation;
pub mod import;
pub mod meeting;
pub mod military_event;
pub mod place;
pub mod position;
pub mod proposal;
pub mod proposal_party;
pub mod provision;
pub mod source;
pub mod statement;
pub mod unresolved;
