//! One run that changed the store: an import of a source's document, or a retraction.

use sea_orm::entity::prelude::*;

use crate::domain::ImportKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    /// Increases with every run: the store's clock of known time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub source_id: i64,
    pub source_slug: String,
    pub kind: ImportKind,
    pub recorded_at: DateTimeUtc,
    /// SHA-256 of the import document's text, hex.
    pub document_sha256: Option<String>,
    pub added: i32,
    pub kept: i32,
    pub retracted: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
