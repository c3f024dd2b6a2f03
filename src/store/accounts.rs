//! A source's account of things: applying the claims of a document, and withdrawing a
//! source.
//!
//! An import replaces exactly its source's claims: what the document says that the
//! source's live claims do not is recorded, what they say that it no longer does is
//! retracted (never deleted), and what both say is kept untouched. An identical
//! document changes nothing at all, not even the import log. The records the changed
//! claims are about are then resolved again.

use std::collections::{BTreeSet, HashMap, HashSet};

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use serde_json::Value;

use super::claims::{self, Claim};
use super::imports;
use super::resolve::{Cycle, Recorded, Resolved, Seen, Unresolved, resolve};
use super::tables;
use crate::db::entities::{claim, import, source};
use crate::domain::{ImportKind, SubjectKind};

/// What one document of a source says.
pub struct Account {
    /// The source as the document describes it; without the body, its stored body
    /// and digest are kept.
    pub source: source::Model,
    /// Every claim the document makes, one per subject.
    pub claims: Vec<Claim>,
    /// Whether the document came with its body, so that excerpts have positions.
    pub with_body: bool,
    /// SHA-256 of the document's text, hex.
    pub document_sha256: Option<String>,
    /// What the importer saw of the store in this transaction.
    pub seen: Seen,
}

/// What applying an account, or withdrawing a source, did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The import recorded; `None` when nothing changed.
    pub import: Option<i64>,
    pub added: usize,
    pub kept: usize,
    pub retracted: usize,
    /// Subjects live claims state that do not resolve.
    pub unresolved: Vec<Unresolved>,
    /// Cycles of place parents the live claims would make: what closes one is refused.
    pub cycles: Vec<Cycle>,
}

/// Applies `account` in the caller's transaction, which must hold [`imports::lock`].
pub async fn apply<C: ConnectionTrait>(db: &C, account: Account) -> Result<Applied, DbErr> {
    let Account {
        source: mut row,
        claims: mut said,
        with_body,
        document_sha256,
        seen,
    } = account;
    let source_id = row.id;
    let live: HashMap<i64, claim::Model> = claims::live_of_source(db, source_id)
        .await?
        .into_iter()
        .map(|claim| (claim.subject_id, claim))
        .collect();
    let current = source::Entity::find_by_id(source_id).one(db).await?;
    if !with_body {
        carry_positions(&mut said, &live);
        if let Some(current) = &current {
            row.body.clone_from(&current.body);
            row.content_sha256.clone_from(&current.content_sha256);
        }
    }
    let stated: HashSet<i64> = said.iter().map(|claim| claim.subject).collect();
    let mut added = Vec::new();
    let mut kept = 0;
    for claim in said {
        match live.get(&claim.subject) {
            Some(old) if old.value == claim.value => kept += 1,
            _ => added.push(claim),
        }
    }
    let changed: HashSet<i64> = added.iter().map(|claim| claim.subject).collect();
    let retracted: Vec<&claim::Model> = live
        .values()
        .filter(|old| !stated.contains(&old.subject_id) || changed.contains(&old.subject_id))
        .collect();
    let rank_changed = current
        .as_ref()
        .is_none_or(|current| current.published_at != row.published_at);
    let source_changed = current.as_ref() != Some(&row);
    if added.is_empty() && retracted.is_empty() && !source_changed {
        return Ok(Applied {
            kept,
            ..Applied::default()
        });
    }
    let (id, recorded_at) = imports::next(db).await?;
    let mut subjects: BTreeSet<(SubjectKind, i64)> = added
        .iter()
        .map(|claim| (claim.kind, claim.subject))
        .chain(
            retracted
                .iter()
                .map(|old| (old.subject_kind, old.subject_id)),
        )
        .collect();
    if rank_changed {
        // The source now ranks differently against others: every record it speaks of
        // may resolve otherwise.
        subjects.extend(live.values().map(|old| (old.subject_kind, old.subject_id)));
    }
    let retracted_ids: Vec<i64> = retracted.iter().map(|old| old.subject_id).collect();
    let counts = (added.len(), kept, retracted_ids.len());
    tables::sync::<source::Entity, C>(db, id, &[source_id], vec![row.clone()]).await?;
    claims::retract(db, source_id, id, Some(&retracted_ids)).await?;
    imports::record(
        db,
        import::Model {
            id,
            source_id,
            source_slug: row.slug.clone(),
            kind: ImportKind::Import,
            recorded_at,
            document_sha256,
            added: count(counts.0),
            kept: count(counts.1),
            retracted: count(counts.2),
        },
    )
    .await?;
    let first = added
        .iter()
        .map(|claim| claim.subject)
        .filter(|subject| !live.contains_key(subject))
        .collect();
    let recorded = Recorded {
        source: source_id,
        claims: &added,
        first,
        seen,
    };
    let Resolved { unresolved, cycles } = resolve(db, id, subjects, Some(recorded)).await?;
    // Written after resolution, which read them from memory.
    claims::record(db, source_id, id, &added).await?;
    Ok(Applied {
        import: Some(id),
        added: counts.0,
        kept: counts.1,
        retracted: counts.2,
        unresolved,
        cycles,
    })
}

/// Withdraws the source `slug` in the caller's transaction, which must hold
/// [`imports::lock`]: every live claim it makes is retracted, and the source leaves the
/// default reads. `None` when no source has the slug.
pub async fn retract<C: ConnectionTrait>(db: &C, slug: &str) -> Result<Option<Applied>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let Some(row) = source::Entity::find()
        .filter(source::Column::Slug.eq(slug))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let live = claims::live_of_source(db, row.id).await?;
    let (id, recorded_at) = imports::next(db).await?;
    claims::retract(db, row.id, id, None).await?;
    imports::record(
        db,
        import::Model {
            id,
            source_id: row.id,
            source_slug: row.slug.clone(),
            kind: ImportKind::Retraction,
            recorded_at,
            document_sha256: None,
            added: 0,
            kept: 0,
            retracted: count(live.len()),
        },
    )
    .await?;
    let subjects = live
        .iter()
        .map(|claim| (claim.subject_kind, claim.subject_id));
    let Resolved { unresolved, cycles } = resolve(db, id, subjects, None).await?;
    // The source goes last: its citations, resolved away above, referred to it.
    let changes = tables::sync::<source::Entity, C>(db, id, &[row.id], Vec::new()).await?;
    tables::delete(db, "sources", "id", &changes.removed).await?;
    Ok(Some(Applied {
        import: Some(id),
        added: 0,
        kept: 0,
        retracted: live.len(),
        unresolved,
        cycles,
    }))
}

/// A citation claimed without the body has no positions: it keeps those of the same
/// citation's live claim, which was made with the body, so that it is the same claim.
fn carry_positions(said: &mut [Claim], live: &HashMap<i64, claim::Model>) {
    const POSITIONS: [&str; 4] = ["prefix", "suffix", "start", "end"];
    for claim in said.iter_mut() {
        if claim.kind != SubjectKind::Citation {
            continue;
        }
        let Some(old) = live.get(&claim.subject) else {
            continue;
        };
        let (Ok(Value::Object(mut new)), Ok(Value::Object(old))) = (
            serde_json::from_str::<Value>(&claim.value),
            serde_json::from_str::<Value>(&old.value),
        ) else {
            continue;
        };
        if new.contains_key("start") || !old.contains_key("start") {
            continue;
        }
        for key in POSITIONS {
            if let Some(value) = old.get(key) {
                new.insert(key.to_owned(), value.clone());
            }
        }
        // Re-encode through the facts type, so that the keys keep their order.
        if let Ok(facts) = serde_json::from_value::<claims::CitationFacts>(Value::Object(new)) {
            *claim = Claim::new(claim.subject, &facts);
        }
    }
}

/// A count as the import log stores it.
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
