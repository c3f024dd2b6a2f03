//! Migrating: the schema, then, in a store made before it kept claims, its rows made
//! claims of the sources that cite them.
//!
//! Such a store knows its records but not who said what: each source that cites a
//! record (or, for a row no citation names, the record it belongs to: an event's
//! participants, a proposal's provisions, an actor's aliases) is taken to claim every
//! field the row holds. A row nothing attributes to a source is kept as a claim of a
//! source of its own, `unattributed-before-claims`, which can be withdrawn like any
//! other. One import per source records the claims; the rows stay as they are, and
//! the store's history begins with these imports.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};

use super::claims::{self, *};
use super::imports;
use super::tables::{self, resolved_tables};
use crate::db::entities::*;
use crate::domain::*;
use crate::ids::record_id;

/// The slug of the source that rows no citation attributes are kept under.
pub const UNATTRIBUTED: &str = "unattributed-before-claims";

/// Whether the store's rows are claims already: it holds a claim, or no source (and so
/// no row) at all. The schema must be migrated.
pub async fn claimed<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    Ok(claims::any(db).await? || source::Entity::find().count(db).await? == 0)
}

/// Applies every pending migration, then makes the rows of a store that holds records
/// but no claims the claims of their sources.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    if claimed(db).await? {
        return Ok(());
    }
    let txn = db.begin().await?;
    imports::lock(&txn).await?;
    let (claimed, quotes) = claims_of_rows(&txn).await?;
    // Citations found in a body get the words around them, as an import now gives.
    for (id, prefix, suffix) in quotes {
        citation::Entity::update_many()
            .col_expr(citation::Column::Prefix, Expr::value(prefix))
            .col_expr(citation::Column::Suffix, Expr::value(suffix))
            .filter(citation::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    let mut last = 0;
    for (source, claims) in claimed {
        let (id, recorded_at) = imports::next(&txn).await?;
        let slug = match source::Entity::find_by_id(source).one(&txn).await? {
            Some(row) => row.slug,
            None => {
                insert_unattributed(&txn, source).await?;
                UNATTRIBUTED.to_owned()
            }
        };
        claims::record(&txn, source, id, &claims).await?;
        imports::record(
            &txn,
            import::Model {
                id,
                source_id: source,
                source_slug: slug,
                kind: ImportKind::Upgrade,
                recorded_at,
                document_sha256: None,
                added: i32::try_from(claims.len()).unwrap_or(i32::MAX),
                kept: 0,
                retracted: 0,
            },
        )
        .await?;
        last = id;
    }
    for (table, _) in resolved_tables() {
        txn.execute_unprepared(&format!("UPDATE {table} SET known_from = {last}"))
            .await?;
    }
    txn.execute_unprepared(&format!("UPDATE search_documents SET known_from = {last}"))
        .await?;
    txn.commit().await?;
    tracing::info!(
        imports = last,
        "records kept from before claims are now claims of their sources"
    );
    Ok(())
}

/// The source of rows nothing else attributes.
async fn insert_unattributed<C: ConnectionTrait>(db: &C, id: i64) -> Result<(), DbErr> {
    let row = source::Model {
        id,
        slug: UNATTRIBUTED.to_owned(),
        title: "Records no source cited, kept when the store began to keep claims".to_owned(),
        publisher: None,
        url: None,
        language: None,
        published_at: None,
        published_precision: None,
        published_text: None,
        published_inferred: false,
        content_sha256: None,
        body: None,
    };
    tables::sync::<source::Entity, C>(db, 0, &[id], vec![row])
        .await
        .map(drop)
}

/// Who says what: the claims the rows make, by source.
struct Attribution {
    /// The sources citing each record.
    citing: HashMap<i64, BTreeSet<i64>>,
    claims: BTreeMap<i64, Vec<Claim>>,
    unattributed: i64,
}

impl Attribution {
    /// Claims `facts` of `subject` for the sources citing it, else those citing
    /// `owner`, else the unattributed source.
    fn claim<F: Facts>(&mut self, subject: i64, owner: Option<i64>, facts: &F) {
        let sources = self
            .citing
            .get(&subject)
            .or_else(|| owner.and_then(|owner| self.citing.get(&owner)))
            .cloned()
            .unwrap_or_else(|| BTreeSet::from([self.unattributed]));
        let claim = Claim::new(subject, facts);
        for source in sources {
            self.claims.entry(source).or_default().push(claim.clone());
        }
    }
}

/// The words just before and after a citation's excerpt: (citation, prefix, suffix).
type Quote = (i64, String, String);

/// Every row of the resolved tables as claims of its sources, with the context of each
/// citation whose source has its body.
async fn claims_of_rows<C: ConnectionTrait>(
    db: &C,
) -> Result<(BTreeMap<i64, Vec<Claim>>, Vec<Quote>), DbErr> {
    let citations = citation::Entity::find().all(db).await?;
    let bodies: HashMap<i64, String> = source::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|source| Some((source.id, source.body?)))
        .collect();
    let mut who = Attribution {
        citing: HashMap::new(),
        claims: BTreeMap::new(),
        unattributed: record_id("source", &[UNATTRIBUTED]),
    };
    for citation in &citations {
        who.citing
            .entry(citation.record_id)
            .or_default()
            .insert(citation.source_id);
    }
    for row in actor::Entity::find().all(db).await? {
        let facts = ActorFacts {
            slug: row.slug,
            name: Some(row.name),
            kind: Some(row.kind),
            country: row.country,
            description: row.description,
        };
        who.claim(row.id, None, &facts);
    }
    for row in actor_alias::Entity::find().all(db).await? {
        let facts = AliasFacts {
            actor: row.actor_id,
            alias: row.alias,
        };
        who.claim(row.id, Some(row.actor_id), &facts);
    }
    for row in affiliation::Entity::find().all(db).await? {
        let facts = AffiliationFacts {
            actor: row.actor_id,
            of: row.target_actor_id,
            kind: row.kind,
            role: row.role,
        };
        who.claim(row.id, Some(row.actor_id), &facts);
    }
    for row in place::Entity::find().all(db).await? {
        let facts = PlaceFacts {
            slug: row.slug,
            name: Some(row.name),
            kind: Some(row.kind),
            parent: row.parent_id,
            latitude: row.latitude,
            longitude: row.longitude,
            country: row.country,
        };
        who.claim(row.id, None, &facts);
    }
    let meetings: HashMap<i64, meeting::Model> =
        by_event(meeting::Entity::find().all(db).await?, |m| m.event_id);
    let statements: HashMap<i64, statement::Model> =
        by_event(statement::Entity::find().all(db).await?, |s| s.event_id);
    let military: HashMap<i64, military_event::Model> =
        by_event(military_event::Entity::find().all(db).await?, |m| {
            m.event_id
        });
    for row in event::Entity::find().all(db).await? {
        let meeting = meetings.get(&row.id);
        let statement = statements.get(&row.id);
        let military = military.get(&row.id);
        let facts = EventFacts {
            slug: row.slug,
            event_kind: Some(row.kind),
            title: Some(row.title),
            summary: row.summary,
            time: Some(TimeFacts {
                at: row.occurred_at,
                until: row.occurred_until,
                precision: row.time_precision,
                text: row.time_text,
                inferred: row.time_inferred,
                note: row.time_note,
            }),
            place: row.place_id,
            certainty: Some(row.certainty),
            cameo_code: row.cameo_code,
            format: meeting.map(|m| m.format),
            status: meeting.map(|m| m.status),
            expected_duration_minutes: meeting.and_then(|m| m.expected_duration_minutes),
            open_to_press: meeting.and_then(|m| m.open_to_press),
            speaker: statement.map(|s| s.speaker_id),
            statement_kind: statement.map(|s| s.kind),
            text: statement.map(|s| s.text.clone()),
            channel: statement.map(|s| s.channel),
            channel_name: statement.and_then(|s| s.channel_name.clone()),
            outlet: statement.and_then(|s| s.outlet_id),
            military_kind: military.map(|m| m.kind),
            weapons: military.and_then(|m| m.weapons.clone()),
            effects: military.and_then(|m| m.effects.clone()),
            casualties: military.and_then(|m| m.casualties.clone()),
        };
        who.claim(row.id, None, &facts);
    }
    for row in proposal::Entity::find().all(db).await? {
        let time = row
            .proposed_at
            .zip(row.time_precision)
            .map(|(at, precision)| TimeFacts {
                at,
                until: None,
                precision,
                text: row.time_text.clone(),
                inferred: row.time_inferred,
                note: row.time_note.clone(),
            });
        let facts = ProposalFacts {
            slug: row.slug,
            kind: Some(row.kind),
            title: Some(row.title),
            summary: row.summary,
            status: Some(row.status),
            time,
        };
        who.claim(row.id, None, &facts);
    }
    for row in event_participant::Entity::find().all(db).await? {
        let facts = ParticipantFacts {
            event: row.event_id,
            actor: row.actor_id,
            role: row.role,
        };
        who.claim(row.id, Some(row.event_id), &facts);
    }
    for row in event_relation::Entity::find().all(db).await? {
        let facts = RelationFacts {
            event: row.event_id,
            related: row.related_event_id,
            kind: row.kind,
        };
        who.claim(row.id, Some(row.event_id), &facts);
    }
    for row in event_proposal::Entity::find().all(db).await? {
        let facts = EventProposalFacts {
            event: row.event_id,
            proposal: row.proposal_id,
            kind: row.kind,
        };
        who.claim(row.id, Some(row.event_id), &facts);
    }
    for row in proposal_party::Entity::find().all(db).await? {
        let facts = PartyFacts {
            proposal: row.proposal_id,
            actor: row.actor_id,
            role: row.role,
        };
        who.claim(row.id, Some(row.proposal_id), &facts);
    }
    for row in provision::Entity::find().all(db).await? {
        let facts = ProvisionFacts {
            proposal: row.proposal_id,
            slug: row.slug,
            listed: row.ordinal,
            text: Some(row.text),
            inclusion: Some(row.inclusion),
        };
        who.claim(row.id, Some(row.proposal_id), &facts);
    }
    for row in position::Entity::find().all(db).await? {
        let facts = PositionFacts {
            proposal: row.proposal_id,
            provision: row.provision_id,
            actor: row.actor_id,
            stance: row.stance,
            statement: row.statement_id,
            summary: row.summary,
        };
        who.claim(row.id, Some(row.proposal_id), &facts);
    }
    let mut quotes = Vec::new();
    for row in citations {
        let (prefix, suffix) = match (bodies.get(&row.source_id), row.start_offset, row.end_offset)
        {
            (Some(body), Some(start), Some(end)) => {
                let (prefix, suffix) = quote_context(body, start, end);
                quotes.push((row.id, prefix.clone(), suffix.clone()));
                (Some(prefix), Some(suffix))
            }
            _ => (row.prefix, row.suffix),
        };
        let facts = CitationFacts {
            record_kind: row.record_kind,
            record: row.record_id,
            excerpt: row.excerpt,
            prefix,
            suffix,
            start: row.start_offset,
            end: row.end_offset,
            note: row.note,
        };
        who.claims
            .entry(row.source_id)
            .or_default()
            .push(Claim::new(row.id, &facts));
    }
    Ok((who.claims, quotes))
}

/// Rows of a kind table, by their event.
fn by_event<M>(rows: Vec<M>, event: impl Fn(&M) -> i64) -> HashMap<i64, M> {
    rows.into_iter().map(|row| (event(&row), row)).collect()
}
