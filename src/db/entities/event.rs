//! An event on the shared timeline; its kind's details live in a table of their own.

use sea_orm::entity::prelude::*;

use crate::domain::{Certainty, EventKind, TimePrecision};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub kind: EventKind,
    pub title: String,
    pub summary: Option<String>,
    pub occurred_at: DateTimeUtc,
    pub occurred_until: Option<DateTimeUtc>,
    pub time_precision: TimePrecision,
    pub time_text: Option<String>,
    pub time_inferred: bool,
    pub time_note: Option<String>,
    pub place_id: Option<i64>,
    pub certainty: Certainty,
    pub cameo_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
