//! The exact words of a source supporting one record.

use sea_orm::entity::prelude::*;

use crate::domain::CitedRecord;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "citations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub source_id: i64,
    pub record_kind: CitedRecord,
    pub record_id: i64,
    pub excerpt: String,
    pub start_offset: Option<i32>,
    pub end_offset: Option<i32>,
    pub note: Option<String>,
    /// Text just before the excerpt (W3C TextQuoteSelector `prefix`).
    pub prefix: Option<String>,
    /// Text just after the excerpt (W3C TextQuoteSelector `suffix`).
    pub suffix: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
