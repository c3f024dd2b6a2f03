//! What is particular to a military event.

use sea_orm::entity::prelude::*;

use crate::domain::MilitaryEventKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "military_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: i64,
    pub kind: MilitaryEventKind,
    pub weapons: Option<String>,
    pub effects: Option<String>,
    pub casualties: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
