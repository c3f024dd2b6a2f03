//! A link from an event to a proposal.

use sea_orm::entity::prelude::*;

use crate::domain::EventProposalKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_proposals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub event_id: i64,
    pub proposal_id: i64,
    pub kind: EventProposalKind,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
