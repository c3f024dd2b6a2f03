//! A source document: the report every citation points into.

use sea_orm::entity::prelude::*;

use crate::domain::TimePrecision;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub publisher: Option<String>,
    pub url: Option<String>,
    pub language: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub published_precision: Option<TimePrecision>,
    pub published_text: Option<String>,
    pub published_inferred: bool,
    pub content_sha256: Option<String>,
    pub body: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
