//! An actor's part in a proposal.

use sea_orm::entity::prelude::*;

use crate::domain::ProposalPartyRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal_parties")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub proposal_id: i64,
    pub actor_id: i64,
    pub role: ProposalPartyRole,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
