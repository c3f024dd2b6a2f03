//! One term of a proposal, or one the source says it leaves out.

use sea_orm::entity::prelude::*;

use crate::domain::ProvisionInclusion;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub proposal_id: i64,
    pub slug: String,
    pub ordinal: i32,
    pub text: String,
    pub inclusion: ProvisionInclusion,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
