//! Resolution: the records and links clients read, from the live claims of every source.
//!
//! The rule, for every field of every record and link: the value of the best-ranked live
//! claim that states it, where a more recently published source ranks above an older
//! one (see [`Rank`]). A reference to another record counts only while that record
//! exists; otherwise the next claim's value is taken. A record exists while its live
//! claims give every field it cannot do without (an actor's name and kind, an event's
//! title, time, certainty and kind with its kind's own required fields); a link exists
//! while some live claim states it and both its ends exist. A provision's ordinal is its
//! place in its proposal: provisions in the order the first source to list each lists
//! them, the first source being the one that ranks lowest.
//!
//! Resolution runs inside an import's transaction over the subjects whose claims
//! changed, kind by kind in [`SubjectKind`] order, and follows what each change touches:
//! a record that disappears takes the rows that refer to it along, a record that
//! appears brings back the ones that waited for it (`unresolved`), and an event whose
//! time changes rewrites the copies its participations keep.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};
use serde_json::{Map, Value};

use super::claims::{self, *};
use super::search::{self, Document};
use super::tables::{self, Changes};
use crate::db::entities::*;
use crate::db::sql::{IDS_PER_STATEMENT, ROWS_PER_STATEMENT, Sql};
use crate::domain::*;

/// How a source ranks when sources disagree: the most recently published wins; a source
/// without a publication date ranks below every dated one; ties go to the source first
/// imported later, then to the greater id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    published: Option<DateTime<Utc>>,
    first_import: i64,
    source: i64,
}

/// The ranks of `sources`.
pub async fn ranks<C: ConnectionTrait>(
    db: &C,
    sources: &[i64],
) -> Result<HashMap<i64, Rank>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        published_at: Option<DateTime<Utc>>,
        first_import: Option<i64>,
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT s.id, s.published_at, (SELECT MIN(i.id) FROM imports i WHERE i.source_id = s.id) \
         AS first_import FROM sources s WHERE s.id",
    )
    .in_ids(sources);
    let rows = Row::find_by_statement(sql.build()).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let rank = Rank {
                published: row.published_at,
                first_import: row.first_import.unwrap_or(i64::MAX),
                source: row.id,
            };
            (row.id, rank)
        })
        .collect())
}

/// A subject that live claims state but that does not resolve, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub kind: SubjectKind,
    pub subject: i64,
    pub reason: String,
}

/// The claims an import records, which resolution reads before they are written: the
/// store then reads only the other live claims about their subjects, and a subject
/// that has none and that the source did not state before has no row yet to compare.
pub struct Recorded<'a> {
    pub source: i64,
    pub claims: &'a [Claim],
    /// The subjects the source states for the first time.
    pub first: HashSet<i64>,
    /// What the importer saw of the store in this transaction.
    pub seen: Seen,
}

/// Places whose resolved parents came back to where they started. Resolution never
/// writes such a chain; whatever closes one is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The places round the cycle with their slugs, from the place whose parent closes
    /// it, parent after parent, back to that place.
    pub places: Vec<(i64, String)>,
}

impl Cycle {
    /// The slugs round the cycle, in order.
    pub fn slugs(&self) -> Vec<&str> {
        self.places.iter().map(|(_, slug)| slug.as_str()).collect()
    }
}

/// What resolution found that did not resolve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Subjects with live claims that did not resolve.
    pub unresolved: Vec<Unresolved>,
    /// Cycles of parents the live claims would make.
    pub cycles: Vec<Cycle>,
}

/// What an importer saw of the store within the import's transaction, so that
/// resolution need not ask again.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Records that exist.
    pub existing: HashSet<i64>,
    /// Records the document declares that do not exist.
    pub absent: HashSet<i64>,
}

/// Resolves `subjects` (and whatever their changes touch) by import `import`, with the
/// claims it records that are not written yet. Returns the subjects with live claims
/// that did not resolve, and the cycles of parents those claims would make.
pub async fn resolve<C: ConnectionTrait>(
    db: &C,
    import: i64,
    subjects: impl IntoIterator<Item = (SubjectKind, i64)>,
    recorded: Option<Recorded<'_>>,
) -> Result<Resolved, DbErr> {
    let (recorded_by, memory, first, seen) = match recorded {
        Some(recorded) => (
            recorded.source,
            recorded
                .claims
                .iter()
                .map(|claim| (claim.subject, claim.value.as_str()))
                .collect(),
            recorded.first,
            recorded.seen,
        ),
        None => (0, HashMap::new(), HashSet::new(), Seen::default()),
    };
    let mut resolver = Resolver {
        db,
        import,
        recorded_by,
        memory,
        first,
        fresh: HashSet::new(),
        known: seen.existing,
        written: HashSet::new(),
        unwritten: HashSet::new(),
        absent: seen.absent,
        pending: BTreeMap::new(),
        ranks: HashMap::new(),
        unresolved: BTreeMap::new(),
        cycles: Vec::new(),
        doomed: Vec::new(),
        gone: HashSet::new(),
        waits: BTreeMap::new(),
        waiting: true,
    };
    resolver.waiting = resolver.any_waiting().await?;
    for (kind, subject) in subjects {
        resolver.enqueue(kind, subject);
    }
    while let Some((kind, ids)) = resolver.pending.pop_first() {
        let ids: Vec<i64> = ids.into_iter().collect();
        resolver.batch(kind, ids).await?;
    }
    resolver.finish().await
}

/// One live claim, parsed: its source, the source's rank, and the facts it states.
struct Said {
    source: i64,
    rank: Rank,
    facts: Map<String, Value>,
}

/// Where resolved rows refer to records of a kind: the kind referred to, the table and
/// column of the reference, and the kind and key column of the referring rows.
const REFERRERS: &[(SubjectKind, &str, &str, SubjectKind, &str)] = &[
    (
        SubjectKind::Actor,
        "actor_aliases",
        "actor_id",
        SubjectKind::Alias,
        "id",
    ),
    (
        SubjectKind::Actor,
        "affiliations",
        "actor_id",
        SubjectKind::Affiliation,
        "id",
    ),
    (
        SubjectKind::Actor,
        "affiliations",
        "target_actor_id",
        SubjectKind::Affiliation,
        "id",
    ),
    (
        SubjectKind::Actor,
        "statements",
        "speaker_id",
        SubjectKind::Event,
        "event_id",
    ),
    (
        SubjectKind::Actor,
        "statements",
        "outlet_id",
        SubjectKind::Event,
        "event_id",
    ),
    (
        SubjectKind::Actor,
        "event_participants",
        "actor_id",
        SubjectKind::Participant,
        "id",
    ),
    (
        SubjectKind::Actor,
        "proposal_parties",
        "actor_id",
        SubjectKind::ProposalParty,
        "id",
    ),
    (
        SubjectKind::Actor,
        "positions",
        "actor_id",
        SubjectKind::Position,
        "id",
    ),
    (
        SubjectKind::Place,
        "places",
        "parent_id",
        SubjectKind::Place,
        "id",
    ),
    (
        SubjectKind::Place,
        "events",
        "place_id",
        SubjectKind::Event,
        "id",
    ),
    (
        SubjectKind::Event,
        "event_participants",
        "event_id",
        SubjectKind::Participant,
        "id",
    ),
    (
        SubjectKind::Event,
        "event_relations",
        "event_id",
        SubjectKind::EventRelation,
        "id",
    ),
    (
        SubjectKind::Event,
        "event_relations",
        "related_event_id",
        SubjectKind::EventRelation,
        "id",
    ),
    (
        SubjectKind::Event,
        "event_proposals",
        "event_id",
        SubjectKind::EventProposal,
        "id",
    ),
    (
        SubjectKind::Event,
        "positions",
        "statement_id",
        SubjectKind::Position,
        "id",
    ),
    (
        SubjectKind::Proposal,
        "event_proposals",
        "proposal_id",
        SubjectKind::EventProposal,
        "id",
    ),
    (
        SubjectKind::Proposal,
        "proposal_parties",
        "proposal_id",
        SubjectKind::ProposalParty,
        "id",
    ),
    (
        SubjectKind::Proposal,
        "provisions",
        "proposal_id",
        SubjectKind::Provision,
        "id",
    ),
    (
        SubjectKind::Proposal,
        "positions",
        "proposal_id",
        SubjectKind::Position,
        "id",
    ),
    (
        SubjectKind::Provision,
        "positions",
        "provision_id",
        SubjectKind::Position,
        "id",
    ),
];

/// The table and key column of the rows of each kind.
pub fn table_of(kind: SubjectKind) -> (&'static str, &'static str) {
    match kind {
        SubjectKind::Actor => ("actors", "id"),
        SubjectKind::Place => ("places", "id"),
        SubjectKind::Alias => ("actor_aliases", "id"),
        SubjectKind::Affiliation => ("affiliations", "id"),
        SubjectKind::Event => ("events", "id"),
        SubjectKind::Proposal => ("proposals", "id"),
        SubjectKind::Participant => ("event_participants", "id"),
        SubjectKind::EventRelation => ("event_relations", "id"),
        SubjectKind::EventProposal => ("event_proposals", "id"),
        SubjectKind::ProposalParty => ("proposal_parties", "id"),
        SubjectKind::Provision => ("provisions", "id"),
        SubjectKind::Position => ("positions", "id"),
        SubjectKind::Citation => ("citations", "id"),
    }
}

/// The kind of subject a citation's record is.
pub fn cited_kind(record: CitedRecord) -> SubjectKind {
    match record {
        CitedRecord::Actor => SubjectKind::Actor,
        CitedRecord::Affiliation => SubjectKind::Affiliation,
        CitedRecord::Place => SubjectKind::Place,
        CitedRecord::Event => SubjectKind::Event,
        CitedRecord::Participant => SubjectKind::Participant,
        CitedRecord::EventRelation => SubjectKind::EventRelation,
        CitedRecord::EventProposal => SubjectKind::EventProposal,
        CitedRecord::Proposal => SubjectKind::Proposal,
        CitedRecord::ProposalParty => SubjectKind::ProposalParty,
        CitedRecord::Provision => SubjectKind::Provision,
        CitedRecord::Position => SubjectKind::Position,
    }
}

/// A subject's resolved facts, with the referenced records found missing on the way
/// (to be resolved again when they appear), and the ends of a link that are missing.
struct Merged<F> {
    facts: F,
    missing: Vec<i64>,
    absent: Vec<i64>,
}

struct Resolver<'a, C> {
    db: &'a C,
    import: i64,
    /// The source of the claims not written yet, and those claims by subject.
    recorded_by: i64,
    memory: HashMap<i64, &'a str>,
    /// Subjects whose claims not written yet are their source's first about them.
    first: HashSet<i64>,
    /// Subjects with no live claim before this import: no row of theirs exists.
    fresh: HashSet<i64>,
    /// Records known to exist (unless `gone`), which need not be looked up.
    known: HashSet<i64>,
    /// The keys whose rows this run created.
    written: HashSet<i64>,
    /// The fresh keys of the batch being written that had no row before it.
    unwritten: HashSet<i64>,
    /// Records the document declares that did not exist as the import began.
    absent: HashSet<i64>,
    /// Subjects to resolve, by kind, taken lowest kind first.
    pending: BTreeMap<SubjectKind, BTreeSet<i64>>,
    ranks: HashMap<i64, Rank>,
    /// Subjects with live claims that did not resolve.
    unresolved: BTreeMap<i64, Unresolved>,
    /// Cycles of parents found, and broken, on the way.
    cycles: Vec<Cycle>,
    /// Rows to delete once every kind has been resolved, dependents first: a row
    /// that refers to a removed record is rewritten or removed before the record goes.
    doomed: Vec<(SubjectKind, Vec<i64>)>,
    /// The records removed so far, which no longer count as existing.
    gone: HashSet<i64>,
    /// What each subject of the current batch refers to that is missing.
    waits: BTreeMap<i64, (SubjectKind, Vec<i64>)>,
    /// Whether `unresolved` may hold rows: when it held none as resolution began and
    /// none were written since, nothing waits and nothing need be looked up there.
    waiting: bool,
}

impl<C: ConnectionTrait> Resolver<'_, C> {
    fn enqueue(&mut self, kind: SubjectKind, subject: i64) {
        self.pending.entry(kind).or_default().insert(subject);
    }

    /// The live claims about `ids`, by subject, best-ranked first.
    async fn said(
        &mut self,
        kind: SubjectKind,
        ids: &[i64],
    ) -> Result<HashMap<i64, Vec<Said>>, DbErr> {
        let mut claims: Vec<(i64, i64, Map<String, Value>)> = Vec::with_capacity(ids.len());
        let mut ask = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(value) = self.memory.get(id) else {
                ask.push(*id);
                continue;
            };
            let facts = parse(*id, self.recorded_by, value)?;
            if self.first.contains(id) && self.provably_fresh(kind, *id, &facts) {
                self.fresh.insert(*id);
            } else {
                ask.push(*id);
            }
            claims.push((*id, self.recorded_by, facts));
        }
        let stored = claims::live_of_subjects(self.db, &ask).await?;
        let stated: HashSet<i64> = stored.iter().map(|row| row.subject_id).collect();
        for id in &ask {
            if self.first.contains(id) && self.memory.contains_key(id) && !stated.contains(id) {
                self.fresh.insert(*id);
            }
        }
        for row in stored {
            let facts = parse(row.subject_id, row.source_id, &row.value)?;
            claims.push((row.subject_id, row.source_id, facts));
        }
        let unranked: Vec<i64> = claims
            .iter()
            .map(|(_, source, _)| *source)
            .filter(|source| !self.ranks.contains_key(source))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !unranked.is_empty() {
            self.ranks.extend(ranks(self.db, &unranked).await?);
        }
        let mut said: HashMap<i64, Vec<Said>> = HashMap::with_capacity(ids.len());
        for (subject, source, facts) in claims {
            let rank = self.ranks.get(&source).copied().unwrap_or(Rank {
                published: None,
                first_import: i64::MAX,
                source,
            });
            said.entry(subject).or_default().push(Said {
                source,
                rank,
                facts,
            });
        }
        for claims in said.values_mut() {
            claims.sort_by_key(|claim| std::cmp::Reverse(claim.rank));
        }
        Ok(said)
    }

    /// Whether no other live claim can be about `id`, which the source states for the
    /// first time with `facts`, so that the claims need not be looked up. That holds
    /// when nothing in the store is unresolved (every subject with live claims then has
    /// a row): for a record the import saw did not exist, for a link of a record
    /// that is so fresh, and for a citation, whose id names its source.
    fn provably_fresh(&self, kind: SubjectKind, id: i64, facts: &Map<String, Value>) -> bool {
        if self.waiting {
            return false;
        }
        let parent = match kind {
            SubjectKind::Actor
            | SubjectKind::Place
            | SubjectKind::Event
            | SubjectKind::Proposal => {
                return self.absent.contains(&id);
            }
            SubjectKind::Citation => return true,
            SubjectKind::Alias | SubjectKind::Affiliation => "actor",
            SubjectKind::Participant | SubjectKind::EventRelation | SubjectKind::EventProposal => {
                "event"
            }
            SubjectKind::ProposalParty | SubjectKind::Provision | SubjectKind::Position => {
                "proposal"
            }
        };
        facts
            .get(parent)
            .and_then(Value::as_i64)
            .is_some_and(|parent| self.fresh.contains(&parent))
    }

    /// The ids among `ids` that exist as records of `kind` (and are not removed).
    async fn existing(&mut self, kind: SubjectKind, ids: &[i64]) -> Result<HashSet<i64>, DbErr> {
        let (known, ask): (Vec<i64>, Vec<i64>) = ids.iter().partition(|id| self.known.contains(id));
        let (table, key) = table_of(kind);
        let found = self.keys_where(table, key, key, &ask).await?;
        self.known.extend(&found);
        Ok(known
            .into_iter()
            .chain(found)
            .filter(|id| !self.gone.contains(id))
            .collect())
    }

    /// The `key`s of the rows of `table` whose `column` is one of `ids`.
    async fn keys_where(
        &self,
        table: &str,
        key: &str,
        column: &str,
        ids: &[i64],
    ) -> Result<Vec<i64>, DbErr> {
        let mut found = Vec::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut sql = Sql::new(self.db.get_database_backend());
            sql.push(&format!("SELECT {key} AS id FROM {table} WHERE {column}"))
                .in_ids(chunk);
            found.extend(ids_of(self.db, sql.build()).await?);
        }
        Ok(found)
    }

    /// Which referenced records exist: every id the claims name under the keys of
    /// `F::REFERENCES` and `F::LINKS`, and those of `extra`.
    async fn lookup<F: Facts>(
        &mut self,
        said: &HashMap<i64, Vec<Said>>,
        extra: &[(SubjectKind, i64)],
    ) -> Result<HashSet<i64>, DbErr> {
        let mut wanted: BTreeMap<SubjectKind, BTreeSet<i64>> = BTreeMap::new();
        for claim in said.values().flatten() {
            for (key, kind) in F::REFERENCES.iter().chain(F::LINKS) {
                if let Some(id) = claim.facts.get(*key).and_then(Value::as_i64) {
                    wanted.entry(*kind).or_default().insert(id);
                }
            }
        }
        for (kind, id) in extra {
            wanted.entry(*kind).or_default().insert(*id);
        }
        let mut found = HashSet::new();
        for (kind, ids) in wanted {
            let ids: Vec<i64> = ids.into_iter().collect();
            found.extend(self.existing(kind, &ids).await?);
        }
        Ok(found)
    }

    /// Resolves a batch of subjects of one kind.
    async fn batch(&mut self, kind: SubjectKind, ids: Vec<i64>) -> Result<(), DbErr> {
        match kind {
            SubjectKind::Actor => {
                self.records::<ActorFacts, actor::Entity>(kind, ids, |id, f| {
                    Ok(actor::Model {
                        id,
                        slug: f.slug,
                        name: required(f.name, "name")?,
                        kind: required(f.kind, "kind")?,
                        country: f.country,
                        description: f.description,
                    })
                })
                .await
            }
            SubjectKind::Place => self.places(ids).await,
            SubjectKind::Alias => {
                self.links::<AliasFacts, actor_alias::Entity>(kind, ids, |id, f| {
                    actor_alias::Model {
                        id,
                        actor_id: f.actor,
                        alias: f.alias,
                    }
                })
                .await
            }
            SubjectKind::Affiliation => {
                self.links::<AffiliationFacts, affiliation::Entity>(kind, ids, |id, f| {
                    affiliation::Model {
                        id,
                        actor_id: f.actor,
                        target_actor_id: f.of,
                        kind: f.kind,
                        role: f.role,
                    }
                })
                .await
            }
            SubjectKind::Event => self.events(ids).await,
            SubjectKind::Proposal => self.proposals(ids).await,
            SubjectKind::Participant => self.participants(ids).await,
            SubjectKind::EventRelation => {
                self.links::<RelationFacts, event_relation::Entity>(kind, ids, |id, f| {
                    event_relation::Model {
                        id,
                        event_id: f.event,
                        related_event_id: f.related,
                        kind: f.kind,
                    }
                })
                .await
            }
            SubjectKind::EventProposal => {
                self.links::<EventProposalFacts, event_proposal::Entity>(kind, ids, |id, f| {
                    event_proposal::Model {
                        id,
                        event_id: f.event,
                        proposal_id: f.proposal,
                        kind: f.kind,
                    }
                })
                .await
            }
            SubjectKind::ProposalParty => {
                self.links::<PartyFacts, proposal_party::Entity>(kind, ids, |id, f| {
                    proposal_party::Model {
                        id,
                        proposal_id: f.proposal,
                        actor_id: f.actor,
                        role: f.role,
                    }
                })
                .await
            }
            SubjectKind::Provision => self.provisions(ids).await,
            SubjectKind::Position => {
                self.links::<PositionFacts, position::Entity>(kind, ids, |id, f| position::Model {
                    id,
                    actor_id: f.actor,
                    proposal_id: f.proposal,
                    provision_id: f.provision,
                    stance: f.stance,
                    statement_id: f.statement,
                    summary: f.summary,
                })
                .await
            }
            SubjectKind::Citation => self.citations(ids).await,
        }
    }

    /// Resolves records of kind `kind` with no references to records of their own kind:
    /// `row` builds each one's row from its merged facts, or says what it lacks.
    async fn records<F: Facts, E>(
        &mut self,
        kind: SubjectKind,
        ids: Vec<i64>,
        row: impl Fn(i64, F) -> Result<E::Model, String>,
    ) -> Result<(), DbErr>
    where
        E: sea_orm::EntityTrait,
        E::Model: PartialEq + Clone + FromQueryResult + Send + Sync,
    {
        let said = self.said(kind, &ids).await?;
        let found = self.lookup::<F>(&said, &[]).await?;
        let mut rows = Vec::new();
        for (id, Merged { facts, missing, .. }) in merge_all::<F>(said, &found)? {
            self.wait(kind, id, missing);
            match row(id, facts) {
                Ok(row) => rows.push(row),
                Err(reason) => self.not_resolved(kind, id, reason),
            }
        }
        let changes = self.sync::<E>(kind, &ids, rows).await?;
        self.follow(kind, &ids, &changes).await
    }

    /// Resolves links of kind `kind`: each exists while the records of `F::LINKS` do.
    async fn links<F: Facts, E>(
        &mut self,
        kind: SubjectKind,
        ids: Vec<i64>,
        row: impl Fn(i64, F) -> E::Model,
    ) -> Result<(), DbErr>
    where
        E: sea_orm::EntityTrait,
        E::Model: PartialEq + Clone + FromQueryResult + Send + Sync,
    {
        let said = self.said(kind, &ids).await?;
        let found = self.lookup::<F>(&said, &[]).await?;
        let mut rows = Vec::new();
        for (id, merged) in merge_all::<F>(said, &found)? {
            let linked = merged.absent.is_empty();
            self.wait(kind, id, merged.missing);
            if linked {
                rows.push(row(id, merged.facts));
            } else {
                self.not_resolved(kind, id, "a record it links is missing".to_owned());
            }
        }
        let changes = self.sync::<E>(kind, &ids, rows).await?;
        self.follow(kind, &ids, &changes).await
    }

    /// Places: a place's parent is a place too, possibly in the same batch.
    async fn places(&mut self, ids: Vec<i64>) -> Result<(), DbErr> {
        let kind = SubjectKind::Place;
        let said = self.said(kind, &ids).await?;
        // Whether a place of this batch exists does not depend on its parent (which is
        // optional), so the batch's places count as parents once their own fields hold.
        let mut found = self.lookup::<PlaceFacts>(&said, &[]).await?;
        for (id, claims) in &said {
            let states = |key| claims.iter().any(|claim| claim.facts.contains_key(key));
            if states("name") && states("kind") {
                found.insert(*id);
            } else {
                found.remove(id);
            }
        }
        let mut rows: Vec<place::Model> = Vec::new();
        for (id, Merged { facts, missing, .. }) in merge_all::<PlaceFacts>(said, &found)? {
            self.wait(kind, id, missing);
            let row = (|| {
                Ok::<_, String>(place::Model {
                    id,
                    slug: facts.slug,
                    name: required(facts.name, "name")?,
                    kind: required(facts.kind, "kind")?,
                    parent_id: facts.parent,
                    latitude: facts.latitude,
                    longitude: facts.longitude,
                    country: facts.country,
                })
            })();
            match row {
                Ok(row) => rows.push(row),
                Err(reason) => self.not_resolved(kind, id, reason),
            }
        }
        self.refuse_parent_cycles(&mut rows).await?;
        let changes = self
            .sync::<place::Entity>(kind, &ids, parents_first(rows))
            .await?;
        self.follow(kind, &ids, &changes).await
    }

    /// Drops the parent of a place whose chain of parents would come back to it, and
    /// notes the cycle, so that the import or retraction that closes it is refused:
    /// the row is written without that parent only so the batch's writes hold.
    async fn refuse_parent_cycles(&mut self, rows: &mut [place::Model]) -> Result<(), DbErr> {
        let mut parent_of: HashMap<i64, Option<i64>> =
            rows.iter().map(|row| (row.id, row.parent_id)).collect();
        let slugs: HashMap<i64, String> =
            rows.iter().map(|row| (row.id, row.slug.clone())).collect();
        for row in rows.iter_mut() {
            let start = row.id;
            let mut round = vec![start];
            let mut at = row.parent_id;
            while let Some(place) = at {
                if round.contains(&place) {
                    break;
                }
                round.push(place);
                at = match parent_of.get(&place) {
                    Some(parent) => *parent,
                    None => {
                        let parent = self.stored_parent(place).await?;
                        parent_of.insert(place, parent);
                        parent
                    }
                };
            }
            if at == Some(start) {
                row.parent_id = None;
                parent_of.insert(start, None);
                round.push(start);
                let places = self.slugs_of(&round, &slugs).await?;
                self.cycles.push(Cycle { places });
            }
        }
        Ok(())
    }

    /// Each place of `round` with its slug: from `known`, else from the store.
    async fn slugs_of(
        &self,
        round: &[i64],
        known: &HashMap<i64, String>,
    ) -> Result<Vec<(i64, String)>, DbErr> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
            slug: String,
        }
        let ask: Vec<i64> = round
            .iter()
            .filter(|id| !known.contains_key(id))
            .copied()
            .collect();
        let mut stored = HashMap::new();
        if !ask.is_empty() {
            let mut sql = Sql::new(self.db.get_database_backend());
            sql.push("SELECT id, slug FROM places WHERE id")
                .in_ids(&ask);
            for row in Row::find_by_statement(sql.build()).all(self.db).await? {
                stored.insert(row.id, row.slug);
            }
        }
        Ok(round
            .iter()
            .map(|id| {
                let slug = known.get(id).or_else(|| stored.get(id));
                (*id, slug.cloned().unwrap_or_default())
            })
            .collect())
    }

    /// The stored parent of a place outside the batch.
    async fn stored_parent(&self, place: i64) -> Result<Option<i64>, DbErr> {
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("SELECT parent_id AS id FROM places WHERE parent_id IS NOT NULL AND id = ")
            .bind(place);
        Ok(ids_of(self.db, sql.build()).await?.into_iter().next())
    }

    /// Events, with their kind's own row and their search document.
    async fn events(&mut self, ids: Vec<i64>) -> Result<(), DbErr> {
        let kind = SubjectKind::Event;
        let said = self.said(kind, &ids).await?;
        let found = self.lookup::<EventFacts>(&said, &[]).await?;
        let mut rows = EventRows::default();
        for (id, Merged { facts, missing, .. }) in merge_all::<EventFacts>(said, &found)? {
            self.wait(kind, id, missing);
            match event_rows(id, facts) {
                Ok(event) => rows.push(event),
                Err(reason) => self.not_resolved(kind, id, reason),
            }
        }
        let changes = self.sync::<event::Entity>(kind, &ids, rows.events).await?;
        self.sync_rows::<meeting::Entity>(&ids, rows.meetings)
            .await?;
        self.sync_rows::<statement::Entity>(&ids, rows.statements)
            .await?;
        self.sync_rows::<military_event::Entity>(&ids, rows.military)
            .await?;
        search::sync(self.db, self.import, &ids, rows.search).await?;
        // Participations keep a copy of their event's time.
        let moved: Vec<i64> = changes.changed.clone();
        for id in self
            .keys_where("event_participants", "id", "event_id", &moved)
            .await?
        {
            self.enqueue(SubjectKind::Participant, id);
        }
        self.follow(kind, &ids, &changes).await
    }

    /// Proposals, with their search documents, which hold their provisions' text.
    async fn proposals(&mut self, ids: Vec<i64>) -> Result<(), DbErr> {
        let kind = SubjectKind::Proposal;
        let said = self.said(kind, &ids).await?;
        let provisions = self.provision_texts(&ids).await?;
        let mut rows = Vec::new();
        let mut documents = Vec::new();
        for (id, Merged { facts, .. }) in merge_all::<ProposalFacts>(said, &HashSet::new())? {
            match proposal_row(id, facts) {
                Ok(row) => {
                    let texts = provisions.get(&id).into_iter().flatten();
                    documents.push(Document::new(
                        id,
                        "proposal",
                        &row.title,
                        std::iter::once(row.summary.as_deref())
                            .chain(texts.map(|text| Some(text.as_str()))),
                    ));
                    rows.push(row);
                }
                Err(reason) => self.not_resolved(kind, id, reason),
            }
        }
        let changes = self.sync::<proposal::Entity>(kind, &ids, rows).await?;
        search::sync(self.db, self.import, &ids, documents).await?;
        self.follow(kind, &ids, &changes).await
    }

    /// The texts of the provisions of `proposals`, in order.
    async fn provision_texts(&self, proposals: &[i64]) -> Result<HashMap<i64, Vec<String>>, DbErr> {
        #[derive(FromQueryResult)]
        struct Text {
            proposal_id: i64,
            text: String,
        }
        let mut texts: HashMap<i64, Vec<String>> = HashMap::new();
        for chunk in proposals.chunks(IDS_PER_STATEMENT) {
            let mut sql = Sql::new(self.db.get_database_backend());
            sql.push("SELECT proposal_id, text FROM provisions WHERE proposal_id")
                .in_ids(chunk)
                .push(" ORDER BY proposal_id, ordinal, id");
            for row in Text::find_by_statement(sql.build()).all(self.db).await? {
                if !self.gone.contains(&row.proposal_id) {
                    texts.entry(row.proposal_id).or_default().push(row.text);
                }
            }
        }
        Ok(texts)
    }

    /// Participations, with their event's time.
    async fn participants(&mut self, ids: Vec<i64>) -> Result<(), DbErr> {
        #[derive(FromQueryResult)]
        struct Time {
            id: i64,
            occurred_at: DateTime<Utc>,
        }
        let kind = SubjectKind::Participant;
        let said = self.said(kind, &ids).await?;
        let found = self.lookup::<ParticipantFacts>(&said, &[]).await?;
        let events: Vec<i64> = said
            .values()
            .flatten()
            .filter_map(|claim| claim.facts.get("event").and_then(Value::as_i64))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut times = HashMap::new();
        for chunk in events.chunks(IDS_PER_STATEMENT) {
            let mut sql = Sql::new(self.db.get_database_backend());
            sql.push("SELECT id, occurred_at FROM events WHERE id")
                .in_ids(chunk);
            for row in Time::find_by_statement(sql.build()).all(self.db).await? {
                times.insert(row.id, row.occurred_at);
            }
        }
        let mut rows = Vec::new();
        for (id, merged) in merge_all::<ParticipantFacts>(said, &found)? {
            let Merged {
                facts,
                missing,
                absent,
            } = merged;
            let time = times.get(&facts.event).copied();
            self.wait(kind, id, missing);
            match time {
                Some(occurred_at) if absent.is_empty() => rows.push(event_participant::Model {
                    id,
                    event_id: facts.event,
                    actor_id: facts.actor,
                    role: facts.role,
                    occurred_at,
                }),
                _ => self.not_resolved(kind, id, "a record it links is missing".to_owned()),
            }
        }
        let changes = self
            .sync::<event_participant::Entity>(kind, &ids, rows)
            .await?;
        self.follow(kind, &ids, &changes).await
    }

    /// Provisions: resolving one resolves all of its proposal's, whose ordinals depend
    /// on one another.
    async fn provisions(&mut self, ids: Vec<i64>) -> Result<(), DbErr> {
        let kind = SubjectKind::Provision;
        let first = self.said(kind, &ids).await?;
        let proposals: BTreeSet<i64> = first
            .values()
            .flatten()
            .filter_map(|claim| claim.facts.get("proposal").and_then(Value::as_i64))
            .collect();
        let stored: Vec<i64> = {
            let proposals: Vec<i64> = proposals.iter().copied().collect();
            self.keys_where("provisions", "id", "proposal_id", &proposals)
                .await?
        };
        let mut all: BTreeSet<i64> = ids.iter().copied().collect();
        all.extend(stored);
        let all: Vec<i64> = all.into_iter().collect();
        let said = self.said(kind, &all).await?;
        let found = self.lookup::<ProvisionFacts>(&said, &[]).await?;
        // Each provision's place: the lowest-ranked source that lists it, and where.
        let places: HashMap<i64, (Rank, i32, i64)> = said
            .iter()
            .filter_map(|(id, claims)| {
                let place = claims
                    .iter()
                    .filter_map(|claim| {
                        let listed = claim.facts.get("listed").and_then(Value::as_i64)?;
                        Some((claim.rank, i32::try_from(listed).unwrap_or(i32::MAX), *id))
                    })
                    .min()?;
                Some((*id, place))
            })
            .collect();
        let mut listed: Vec<(i64, (Rank, i32, i64))> = Vec::new();
        let mut facts_by_id = HashMap::new();
        for (id, Merged { facts, .. }) in merge_all::<ProvisionFacts>(said, &found)? {
            if !found.contains(&facts.proposal) {
                self.wait(kind, id, vec![facts.proposal]);
                self.not_resolved(kind, id, "its proposal is missing".to_owned());
                continue;
            }
            if facts.text.is_none() || facts.inclusion.is_none() {
                let field = if facts.text.is_none() {
                    "text"
                } else {
                    "inclusion"
                };
                self.not_resolved(kind, id, format!("no live claim gives its `{field}`"));
                continue;
            }
            if let Some(place) = places.get(&id) {
                listed.push((facts.proposal, *place));
                facts_by_id.insert(id, facts);
            }
        }
        listed.sort();
        let mut rows = Vec::new();
        let mut ordinal_in: HashMap<i64, i32> = HashMap::new();
        for (proposal, (_, _, id)) in listed {
            let ordinal = ordinal_in.entry(proposal).or_insert(0);
            *ordinal += 1;
            if let Some(facts) = facts_by_id.remove(&id) {
                rows.push(provision::Model {
                    id,
                    proposal_id: facts.proposal,
                    slug: facts.slug,
                    ordinal: *ordinal,
                    text: facts.text.unwrap_or_default(),
                    inclusion: facts.inclusion.unwrap_or(ProvisionInclusion::Included),
                });
            }
        }
        let changes = self.sync::<provision::Entity>(kind, &all, rows).await?;
        if !changes.is_empty() {
            // A proposal's search document holds its provisions' text.
            for proposal in proposals {
                if !self.gone.contains(&proposal) {
                    self.enqueue(SubjectKind::Proposal, proposal);
                }
            }
        }
        self.follow(kind, &all, &changes).await
    }

    /// Citations: each is its source's, and exists while the record it cites does.
    async fn citations(&mut self, ids: Vec<i64>) -> Result<(), DbErr> {
        let kind = SubjectKind::Citation;
        let said = self.said(kind, &ids).await?;
        let mut ends = Vec::new();
        for claim in said.values().flatten() {
            let kind = claim.facts.get("recordKind").cloned();
            let record = claim.facts.get("record").and_then(Value::as_i64);
            if let (Some(Ok(kind)), Some(record)) = (kind.map(serde_json::from_value), record) {
                ends.push((cited_kind(kind), record));
            }
        }
        let found = self.lookup::<CitationFacts>(&said, &ends).await?;
        let mut rows = Vec::new();
        for (id, claims) in said {
            // A citation belongs to one source: its id names it.
            let Some(claim) = claims.into_iter().next() else {
                continue;
            };
            let source = claim.source;
            let facts = facts_of::<CitationFacts>(claim.facts)?;
            if !found.contains(&facts.record) {
                self.wait(kind, id, vec![facts.record]);
                self.not_resolved(kind, id, "the record it cites is missing".to_owned());
                continue;
            }
            rows.push(citation::Model {
                id,
                source_id: source,
                record_kind: facts.record_kind,
                record_id: facts.record,
                excerpt: facts.excerpt,
                start_offset: facts.start,
                end_offset: facts.end,
                note: facts.note,
                prefix: facts.prefix,
                suffix: facts.suffix,
            });
        }
        let changes = self.sync::<citation::Entity>(kind, &ids, rows).await?;
        self.follow(kind, &ids, &changes).await
    }

    /// Notes that `subject` refers to `missing` records, so that it is resolved again
    /// when they appear.
    fn wait(&mut self, kind: SubjectKind, subject: i64, missing: Vec<i64>) {
        if !missing.is_empty() {
            self.waits
                .entry(subject)
                .or_insert((kind, Vec::new()))
                .1
                .extend(missing);
        }
    }

    /// Notes that `subject` does not resolve: it stays in `unresolved` (waiting for
    /// record 0, none, when it lacks fields) until its claims change.
    fn not_resolved(&mut self, kind: SubjectKind, subject: i64, reason: String) {
        self.wait(kind, subject, vec![0]);
        self.unresolved.insert(
            subject,
            Unresolved {
                kind,
                subject,
                reason,
            },
        );
    }

    /// Writes the rows of a batch of kind `kind`, keeping removed rows for the end.
    async fn sync<E>(
        &mut self,
        kind: SubjectKind,
        ids: &[i64],
        rows: Vec<E::Model>,
    ) -> Result<Changes, DbErr>
    where
        E: sea_orm::EntityTrait,
        E::Model: PartialEq + Clone + FromQueryResult + Send + Sync,
    {
        let resolved: Vec<i64> = rows.iter().filter_map(key_of).collect();
        // Fresh subjects have no row until this run writes one (a proposal is written
        // again when its provisions change).
        self.unwritten = ids
            .iter()
            .filter(|id| self.fresh.contains(id) && !self.written.contains(id))
            .copied()
            .collect();
        let changes = tables::sync_knowing::<E, C>(
            self.db,
            self.import,
            ids,
            rows,
            &self.unwritten,
            &self.gone,
        )
        .await?;
        self.written.extend(&changes.created);
        for id in resolved {
            self.unresolved.remove(&id);
            self.gone.remove(&id);
            self.known.insert(id);
        }
        self.gone.extend(&changes.removed);
        if !changes.removed.is_empty() {
            self.doomed.push((kind, changes.removed.clone()));
        }
        Ok(changes)
    }

    /// Writes the rows of a kind table of events, removing the others at once: nothing
    /// refers to them but their event.
    async fn sync_rows<E>(&mut self, ids: &[i64], rows: Vec<E::Model>) -> Result<(), DbErr>
    where
        E: sea_orm::EntityTrait,
        E::Model: PartialEq + Clone + FromQueryResult + Send + Sync,
    {
        // The kind rows of the events just written, which had none when they were fresh.
        let changes = tables::sync_knowing::<E, C>(
            self.db,
            self.import,
            ids,
            rows,
            &self.unwritten,
            &HashSet::new(),
        )
        .await?;
        let (table, _) = tables::columns::<E>();
        tables::delete(self.db, table, "event_id", &changes.removed).await
    }

    /// Enqueues what the changes of a batch touch: the rows that refer to removed
    /// records, and those that waited for created ones.
    async fn follow(
        &mut self,
        kind: SubjectKind,
        ids: &[i64],
        changes: &Changes,
    ) -> Result<(), DbErr> {
        self.forget_waits(ids).await?;
        if !changes.removed.is_empty() {
            for (referred, table, column, referrer, key) in REFERRERS {
                if *referred == kind {
                    for id in self
                        .keys_where(table, key, column, &changes.removed)
                        .await?
                    {
                        self.enqueue(*referrer, id);
                    }
                }
            }
            for id in self
                .keys_where("citations", "id", "record_id", &changes.removed)
                .await?
            {
                self.enqueue(SubjectKind::Citation, id);
            }
        }
        if self.waiting && !changes.created.is_empty() {
            for waiting in self.waiting_for(&changes.created).await? {
                self.enqueue(waiting.subject_kind, waiting.subject_id);
            }
        }
        self.record_waits().await
    }

    /// Whether any subject waits for a record.
    async fn any_waiting(&self) -> Result<bool, DbErr> {
        use sea_orm::EntityTrait;
        Ok(unresolved::Entity::find().one(self.db).await?.is_some())
    }

    /// Drops what the subjects of a batch waited for; their new waits follow. A fresh
    /// subject waited for nothing.
    async fn forget_waits(&self, ids: &[i64]) -> Result<(), DbErr> {
        if !self.waiting {
            return Ok(());
        }
        let ids: Vec<i64> = ids
            .iter()
            .filter(|id| !self.fresh.contains(id))
            .copied()
            .collect();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut sql = Sql::new(self.db.get_database_backend());
            sql.push("DELETE FROM unresolved WHERE subject_id")
                .in_ids(chunk);
            self.db.execute_raw(sql.build()).await?;
        }
        Ok(())
    }

    /// The subjects waiting for any of `created`.
    async fn waiting_for(&self, created: &[i64]) -> Result<Vec<unresolved::Model>, DbErr> {
        use sea_orm::{EntityTrait, QueryFilter};
        let mut waiting = Vec::new();
        for chunk in created.chunks(IDS_PER_STATEMENT) {
            waiting.extend(
                unresolved::Entity::find()
                    .filter(crate::db::sql::one_of(
                        unresolved::Column::MissingId,
                        chunk,
                        self.db.get_database_backend(),
                    ))
                    .all(self.db)
                    .await?,
            );
        }
        Ok(waiting)
    }

    /// Writes the waits noted since the last batch.
    async fn record_waits(&mut self) -> Result<(), DbErr> {
        use sea_orm::sea_query::OnConflict;
        use sea_orm::{EntityTrait, Set};
        let rows: Vec<unresolved::ActiveModel> = std::mem::take(&mut self.waits)
            .into_iter()
            .flat_map(|(subject, (kind, missing))| {
                missing
                    .into_iter()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .map(move |missing| unresolved::ActiveModel {
                        subject_id: Set(subject),
                        missing_id: Set(missing),
                        subject_kind: Set(kind),
                    })
            })
            .collect();
        self.waiting |= !rows.is_empty();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            unresolved::Entity::insert_many(chunk.to_vec())
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .exec_without_returning(self.db)
                .await?;
        }
        Ok(())
    }

    /// Deletes the removed rows, dependents first, and returns what did not resolve.
    async fn finish(mut self) -> Result<Resolved, DbErr> {
        self.doomed
            .sort_by_key(|(kind, _)| std::cmp::Reverse(*kind));
        for (kind, ids) in std::mem::take(&mut self.doomed) {
            let (table, key) = table_of(kind);
            let ids: Vec<i64> = ids
                .into_iter()
                .filter(|id| self.gone.contains(id))
                .collect();
            tables::delete(self.db, table, key, &ids).await?;
        }
        Ok(Resolved {
            unresolved: self.unresolved.into_values().collect(),
            cycles: self.cycles,
        })
    }
}

/// Places in an order that writes each parent of the batch before its children, so
/// that every row's reference holds when it is written (they go in several statements).
fn parents_first(rows: Vec<place::Model>) -> Vec<place::Model> {
    let mut waiting: Vec<place::Model> = rows;
    let batch: HashSet<i64> = waiting.iter().map(|row| row.id).collect();
    let mut written: HashSet<i64> = HashSet::with_capacity(batch.len());
    let mut ordered = Vec::with_capacity(waiting.len());
    while !waiting.is_empty() {
        let (ready, rest): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|row| {
            row.parent_id
                .is_none_or(|parent| written.contains(&parent) || !batch.contains(&parent))
        });
        if ready.is_empty() {
            // Cycles were broken before; nothing is left waiting on itself.
            ordered.extend(rest);
            break;
        }
        written.extend(ready.iter().map(|row| row.id));
        ordered.extend(ready);
        waiting = rest;
    }
    ordered
}

/// The rows of resolved events, by table.
#[derive(Default)]
struct EventRows {
    events: Vec<event::Model>,
    meetings: Vec<meeting::Model>,
    statements: Vec<statement::Model>,
    military: Vec<military_event::Model>,
    search: Vec<Document>,
}

/// An event's rows, from one event's merged facts.
struct OneEvent {
    event: event::Model,
    meeting: Option<meeting::Model>,
    statement: Option<statement::Model>,
    military: Option<military_event::Model>,
    search: Document,
}

impl EventRows {
    fn push(&mut self, event: OneEvent) {
        self.events.push(event.event);
        self.meetings.extend(event.meeting);
        self.statements.extend(event.statement);
        self.military.extend(event.military);
        self.search.push(event.search);
    }
}

/// The rows of event `id`, or what it lacks.
fn event_rows(id: i64, f: EventFacts) -> Result<OneEvent, String> {
    let kind = required(f.event_kind, "kind")?;
    let title = required(f.title, "title")?;
    let time = required(f.time, "time")?;
    let certainty = required(f.certainty, "certainty")?;
    let mut event = OneEvent {
        event: event::Model {
            id,
            slug: f.slug,
            kind,
            title,
            summary: f.summary,
            occurred_at: time.at,
            occurred_until: time.until,
            time_precision: time.precision,
            time_text: time.text,
            time_inferred: time.inferred,
            time_note: time.note,
            place_id: f.place,
            certainty,
            cameo_code: f.cameo_code,
        },
        meeting: None,
        statement: None,
        military: None,
        search: Document::new(id, "event", "", []),
    };
    let mut body: Vec<Option<String>> = vec![event.event.summary.clone()];
    match kind {
        EventKind::Meeting => {
            event.meeting = Some(meeting::Model {
                event_id: id,
                format: required(f.format, "format")?,
                status: required(f.status, "status")?,
                expected_duration_minutes: f.expected_duration_minutes,
                open_to_press: f.open_to_press,
            });
        }
        EventKind::Statement => {
            let text = required(f.text, "text")?;
            body.push(Some(text.clone()));
            event.statement = Some(statement::Model {
                event_id: id,
                speaker_id: required(f.speaker, "speaker")?,
                kind: required(f.statement_kind, "statementKind")?,
                text,
                channel: required(f.channel, "channel")?,
                channel_name: f.channel_name,
                outlet_id: f.outlet,
                occurred_at: time.at,
            });
        }
        EventKind::MilitaryEvent => {
            body.push(f.weapons.clone());
            body.push(f.effects.clone());
            event.military = Some(military_event::Model {
                event_id: id,
                kind: required(f.military_kind, "militaryKind")?,
                weapons: f.weapons,
                effects: f.effects,
                casualties: f.casualties,
            });
        }
    }
    event.search = Document::new(
        id,
        "event",
        &event.event.title,
        body.iter().map(Option::as_deref),
    );
    Ok(event)
}

/// The row of proposal `id`, or what it lacks.
fn proposal_row(id: i64, f: ProposalFacts) -> Result<proposal::Model, String> {
    let time = f.time;
    Ok(proposal::Model {
        id,
        slug: f.slug,
        kind: required(f.kind, "kind")?,
        title: required(f.title, "title")?,
        summary: f.summary,
        status: required(f.status, "status")?,
        proposed_at: time.as_ref().map(|t| t.at),
        time_precision: time.as_ref().map(|t| t.precision),
        time_text: time.as_ref().and_then(|t| t.text.clone()),
        time_inferred: time.as_ref().is_some_and(|t| t.inferred),
        time_note: time.and_then(|t| t.note),
    })
}

/// `value`, or the reason a record without it does not resolve.
fn required<T>(value: Option<T>, field: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("no live claim gives its `{field}`"))
}

/// The merged facts of each subject's claims, with references checked against `found`.
fn merge_all<F: Facts>(
    said: HashMap<i64, Vec<Said>>,
    found: &HashSet<i64>,
) -> Result<BTreeMap<i64, Merged<F>>, DbErr> {
    let mut merged = BTreeMap::new();
    for (id, claims) in said {
        merged.insert(id, merge::<F>(id, claims, found)?);
    }
    Ok(merged)
}

/// Merges one subject's claims, best-ranked first: each key takes the first value
/// stated, except a reference (a key of `F::REFERENCES`) to a record not in `found`,
/// which is passed over and noted missing. The ends of a link (`F::LINKS`) not in
/// `found` are noted absent, and missing.
fn merge<F: Facts>(
    subject: i64,
    claims: Vec<Said>,
    found: &HashSet<i64>,
) -> Result<Merged<F>, DbErr> {
    let mut claims = claims.into_iter();
    let mut merged = claims.next().map(|claim| claim.facts).unwrap_or_default();
    let mut missing = Vec::new();
    for (key, _) in F::REFERENCES {
        if let Some(id) = merged.get(*key).and_then(Value::as_i64)
            && !found.contains(&id)
        {
            merged.remove(*key);
            missing.push(id);
        }
    }
    for claim in claims {
        for (key, value) in claim.facts {
            if merged.contains_key(&key) {
                continue;
            }
            let is_reference = F::REFERENCES.iter().any(|(reference, _)| *reference == key);
            if is_reference
                && let Some(id) = value.as_i64()
                && !found.contains(&id)
            {
                missing.push(id);
                continue;
            }
            merged.insert(key, value);
        }
    }
    let absent: Vec<i64> = F::LINKS
        .iter()
        .filter_map(|(key, _)| merged.get(*key).and_then(Value::as_i64))
        .filter(|end| !found.contains(end))
        .collect();
    missing.extend(&absent);
    let facts = facts_of::<F>(merged).map_err(|e| {
        DbErr::Custom(format!(
            "claims about {subject} do not merge into facts: {e}"
        ))
    })?;
    Ok(Merged {
        facts,
        missing,
        absent,
    })
}

/// One claim's facts as `F`.
fn facts_of<F: Facts>(facts: Map<String, Value>) -> Result<F, DbErr> {
    serde_json::from_value(Value::Object(facts))
        .map_err(|e| DbErr::Custom(format!("a claim does not hold {:?} facts: {e}", F::KIND)))
}

/// A claim's facts as a JSON object.
fn parse(subject: i64, source: i64, value: &str) -> Result<Map<String, Value>, DbErr> {
    match serde_json::from_str(value) {
        Ok(Value::Object(facts)) => Ok(facts),
        _ => Err(DbErr::Custom(format!(
            "claim of source {source} about {subject} is not a JSON object"
        ))),
    }
}

/// The key of a row: its first column's value.
fn key_of<M: sea_orm::ModelTrait>(row: &M) -> Option<i64> {
    tables::key_of(row)
}

/// The `id` column of every row of `statement`.
async fn ids_of<C: ConnectionTrait>(db: &C, statement: Statement) -> Result<Vec<i64>, DbErr> {
    let rows = db.query_all_raw(statement).await?;
    rows.iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect()
}
