//! A record or link that live claims state but that waits for a record it refers to.

use sea_orm::entity::prelude::*;

use crate::domain::SubjectKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unresolved")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject_id: i64,
    /// The record it refers to that does not exist.
    #[sea_orm(primary_key, auto_increment = false)]
    pub missing_id: i64,
    pub subject_kind: SubjectKind,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
