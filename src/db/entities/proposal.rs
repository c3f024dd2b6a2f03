//! A peace plan, ceasefire, request, demand or guarantee.

use sea_orm::entity::prelude::*;

use crate::domain::{ProposalKind, ProposalStatus, TimePrecision};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub kind: ProposalKind,
    pub title: String,
    pub summary: Option<String>,
    pub status: ProposalStatus,
    pub proposed_at: Option<DateTimeUtc>,
    pub time_precision: Option<TimePrecision>,
    pub time_text: Option<String>,
    pub time_inferred: bool,
    pub time_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
