//! What is particular to a statement event.

use sea_orm::entity::prelude::*;

use crate::domain::{ChannelKind, StatementKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "statements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: i64,
    pub speaker_id: i64,
    pub kind: StatementKind,
    pub text: String,
    pub channel: ChannelKind,
    pub channel_name: Option<String>,
    pub outlet_id: Option<i64>,
    /// A copy of the event's `occurred_at`, so an actor's events page from an index.
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
