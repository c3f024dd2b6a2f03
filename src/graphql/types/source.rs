//! Sources and the citations into them.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::history::{Claim, Import, claims_about, imports_connection};
use super::{Time, TimeDetails, required};
use crate::db::entities::{citation, source};
use crate::domain::CitedRecord;
use crate::graphql::ids;
use crate::graphql::loaders::{SourceById, known};
use crate::graphql::pagination::{Conn, page};
use crate::store::page::List;

/// A source document: a news report, readout or transcript that records are cited to.
pub struct Source(source::Model);

impl From<source::Model> for Source {
    fn from(model: source::Model) -> Self {
        Self(model)
    }
}

/// A source document: a news report, readout or transcript that records are cited to.
#[Object]
impl Source {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("Source", self.0.id)
    }

    /// Stable, human-readable identifier.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// Headline or title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Who published it.
    async fn publisher(&self) -> Option<&str> {
        self.0.publisher.as_deref()
    }

    /// Where it was published.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// Language as a BCP 47 tag, such as `en`.
    async fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }

    /// When it was published.
    async fn published(&self) -> Option<Time> {
        let at = self.0.published_at?;
        Some(Time {
            at,
            details: Some(TimeDetails {
                until: None,
                precision: self.0.published_precision?,
                text: self.0.published_text.clone(),
                inferred: self.0.published_inferred,
                note: None,
            }),
        })
    }

    /// SHA-256 of the full text, hex, when known.
    async fn content_sha256(&self) -> Option<&str> {
        self.0.content_sha256.as_deref()
    }

    /// The runs that changed this source's claims, newest first.
    async fn imports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the edge the page ends before.")] before: Option<String>,
    ) -> Result<Conn<Import>> {
        let page = page(List::Imports, first, after, last, before)?;
        imports_connection(ctx, Some(self.0.id), known(ctx), page).await
    }

    /// The full text, when it was given at import; citation offsets index into it.
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
}

/// Words of a source found by their text and context (the W3C Web Annotation
/// TextQuoteSelector).
#[derive(SimpleObject)]
pub struct TextQuoteSelector {
    /// The words exactly.
    exact: String,
    /// The text just before them, when the body was given.
    prefix: Option<String>,
    /// The text just after them, when the body was given.
    suffix: Option<String>,
}

/// Words of a source found by where they stand in its body (the W3C Web Annotation
/// TextPositionSelector): character positions, end exclusive.
#[derive(SimpleObject)]
pub struct TextPositionSelector {
    /// Position of the first character, from 0.
    start: i32,
    /// Position just past the last character.
    end: i32,
}

/// The exact words of a source that support a record.
pub struct Citation(citation::Model);

impl From<citation::Model> for Citation {
    fn from(model: citation::Model) -> Self {
        Self(model)
    }
}

/// The exact words of a source that support a record.
#[Object]
impl Citation {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("Citation", self.0.id)
    }

    /// The source the words come from.
    async fn source(&self, ctx: &Context<'_>) -> Result<Source> {
        required::<SourceById, _>(ctx, self.0.source_id).await
    }

    /// The words, exactly as the source has them.
    async fn excerpt(&self) -> &str {
        &self.0.excerpt
    }

    /// Offset of the excerpt's first character in the source's body, counted in Unicode
    /// characters; known when the body was given at import.
    async fn start_offset(&self) -> Option<i32> {
        self.0.start_offset
    }

    /// Offset just past the excerpt's last character.
    async fn end_offset(&self) -> Option<i32> {
        self.0.end_offset
    }

    /// What the excerpt shows, where that is not plain.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// The excerpt as a W3C Web Annotation TextQuoteSelector: the exact words with the
    /// text just before and after them, which find them again in the body.
    async fn quote(&self) -> TextQuoteSelector {
        TextQuoteSelector {
            exact: self.0.excerpt.clone(),
            prefix: self.0.prefix.clone(),
            suffix: self.0.suffix.clone(),
        }
    }

    /// The excerpt as a W3C Web Annotation TextPositionSelector over the source's body,
    /// in Unicode characters, end exclusive; null when the body was not given.
    async fn position(&self) -> Option<TextPositionSelector> {
        Some(TextPositionSelector {
            start: self.0.start_offset?,
            end: self.0.end_offset?,
        })
    }

    /// The claims that support the citation: one per source that states it (every version,
    /// oldest first, with `includeRetracted`).
    async fn claims(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also list claims their sources have since withdrawn.", default)]
        include_retracted: bool,
    ) -> Result<Vec<Claim>> {
        claims_about(ctx, self.0.id, include_retracted).await
    }

    /// The kind of record the citation supports.
    async fn record_kind(&self) -> CitedRecord {
        self.0.record_kind
    }
}
