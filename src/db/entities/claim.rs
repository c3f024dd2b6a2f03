//! One version of what one source says about one record or link.

use sea_orm::entity::prelude::*;

use crate::domain::SubjectKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claims")]
pub struct Model {
    /// The record or link the claim is about.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject_id: i64,
    /// The source that says it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub source_id: i64,
    /// The import that recorded this version.
    #[sea_orm(primary_key, auto_increment = false)]
    pub recorded_by: i64,
    pub subject_kind: SubjectKind,
    /// What the source says, as the JSON of the subject kind's facts.
    pub value: String,
    /// The import that retracted it; `None` while it is live.
    pub retracted_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
