//! What is particular to a meeting event.

use sea_orm::entity::prelude::*;

use crate::domain::{MeetingFormat, MeetingStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: i64,
    pub format: MeetingFormat,
    pub status: MeetingStatus,
    pub expected_duration_minutes: Option<i32>,
    pub open_to_press: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
