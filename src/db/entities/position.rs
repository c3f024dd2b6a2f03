//! An actor's stance on a proposal or one of its provisions.

use sea_orm::entity::prelude::*;

use crate::domain::Stance;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "positions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub actor_id: i64,
    pub proposal_id: i64,
    pub provision_id: Option<i64>,
    pub stance: Stance,
    pub statement_id: Option<i64>,
    pub summary: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
