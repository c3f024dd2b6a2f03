//! An actor's part in an event.

use sea_orm::entity::prelude::*;

use crate::domain::ParticipantRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_participants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub event_id: i64,
    pub actor_id: i64,
    pub role: ParticipantRole,
    /// A copy of the event's `occurred_at`, so an actor's events page from an index.
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
