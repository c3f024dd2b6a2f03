//! Turns a parsed document into its source's claims, checking everything that needs no
//! database: slugs, duplicates, references within the document, values, the consistency
//! of what one record says, and excerpts against the body.
//!
//! What needs the store is collected for the importer to check inside its transaction:
//! references to records the document does not declare ([`ExternalRef`]), and the
//! records it declares ([`Declared`]), which must exist already when they leave out
//! fields a new record needs, and must not look like another record when they are new.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use sea_orm::ActiveEnum;

use super::document::*;
use super::error::{Problems, Rejection};
use crate::db::entities::source;
use crate::domain::{
    Certainty, CitedRecord, EventKind, MeetingStatus, ParticipantRole, SubjectKind, TimePrecision,
};
use crate::ids::record_id;
use crate::store::accounts::Account;
use crate::store::claims::*;
use crate::store::resolve::Cycle;

/// What one document says, and what the importer must check of it against the store.
pub struct Plan {
    /// The file the document came from, for messages.
    pub file: std::path::PathBuf,
    pub account: Account,
    /// The records the document declares.
    pub declared: Vec<Declared>,
    /// References to records this document does not declare.
    pub external: Vec<ExternalRef>,
    /// The JSON path where the document states each subject it makes a claim about.
    pub paths: HashMap<i64, String>,
    /// The parent the document gives each place that has one, by id.
    pub parents: HashMap<i64, i64>,
    /// How many records of each kind the document declares, and citations it gives.
    pub counts: Counts,
}

/// How many records of each kind a document declares, and how many citations it gives.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub actors: usize,
    pub places: usize,
    pub events: usize,
    pub proposals: usize,
    pub citations: usize,
}

/// A record the document declares.
#[derive(Debug, Clone)]
pub struct Declared {
    pub kind: SubjectKind,
    pub id: i64,
    pub slug: String,
    /// Where the document declares it.
    pub path: String,
    /// The fields a new record needs that the declaration leaves out: the record must
    /// already be known when there are any.
    pub lacks: Vec<&'static str>,
    /// For an event, the kind its detail object gives it.
    pub event_kind: Option<EventKind>,
    /// For an actor or place: the names it goes by here, each with the path that gives
    /// it, to catch a duplicate.
    pub names: Vec<(String, String)>,
    /// Slugs of records it shares a name with and is nonetheless not.
    pub distinct_from: Vec<String>,
}

/// The tables a document can refer to by slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefKind {
    Actor,
    Place,
    Event,
    /// An event that must be a statement (the one a position rests on).
    Statement,
    Proposal,
    Provision,
}

impl RefKind {
    /// The prefix of the ids of records of this kind.
    fn id_kind(self) -> &'static str {
        match self {
            RefKind::Actor => "actor",
            RefKind::Place => "place",
            RefKind::Event | RefKind::Statement => "event",
            RefKind::Proposal => "proposal",
            RefKind::Provision => "provision",
        }
    }

    /// How a user would name this kind in a message.
    pub fn noun(self) -> &'static str {
        match self {
            RefKind::Statement => "statement",
            other => other.id_kind(),
        }
    }
}

/// A slug the document uses but does not declare: it must already be in the store.
#[derive(Debug, Clone)]
pub struct ExternalRef {
    pub kind: RefKind,
    pub id: i64,
    pub slug: String,
    pub path: String,
}

/// Plans `doc`, read from `file`. With `body`, every excerpt must occur in it once (or
/// once with its prefix and suffix) and gets its positions. Returns the plan with every
/// rejection found, not just the first. The plan of a document with faults, which is
/// refused, holds no claims: they would only take memory.
pub fn plan(file: &Path, doc: &Document, body: Option<&str>) -> (Plan, Problems) {
    let source_id = record_id("source", &[&doc.source.slug]);
    let mut planner = Planner {
        file,
        body,
        source_slug: &doc.source.slug,
        declared: HashMap::new(),
        claims: Vec::new(),
        subjects: HashSet::new(),
        plan: Plan {
            file: file.to_path_buf(),
            account: Account {
                source: source_row(source_id, &doc.source, body),
                claims: Vec::new(),
                with_body: body.is_some(),
                document_sha256: None,
                seen: Default::default(),
            },
            declared: Vec::new(),
            external: Vec::new(),
            paths: HashMap::new(),
            parents: HashMap::new(),
            counts: Counts::default(),
        },
        rejections: Problems::default(),
    };
    planner.declare_all(doc);
    planner.source(&doc.source);
    planner.actors(&doc.actors);
    planner.affiliations(&doc.affiliations);
    planner.places(&doc.places);
    planner.proposals(&doc.proposals);
    planner.events(&doc.events);
    planner.positions(&doc.proposals);
    let Planner {
        mut plan,
        claims,
        rejections,
        ..
    } = planner;
    if rejections.is_empty() {
        plan.account.claims = claims;
    } else {
        plan.paths.clear();
    }
    (plan, rejections)
}

/// The row of the source a document describes.
fn source_row(id: i64, source: &SourceDoc, body: Option<&str>) -> source::Model {
    let published = source.published.as_ref();
    source::Model {
        id,
        slug: source.slug.clone(),
        title: source.title.clone(),
        publisher: source.publisher.clone(),
        url: source.url.clone(),
        language: source.language.clone(),
        published_at: published.map(|t| t.at),
        published_precision: published.map(|t| t.precision),
        published_text: published.and_then(|t| t.text.clone()),
        published_inferred: published.is_some_and(|t| t.inferred),
        content_sha256: body.map(hex_sha256).or_else(|| source.sha256.clone()),
        body: body.map(str::to_owned),
    }
}

struct Planner<'a> {
    file: &'a Path,
    body: Option<&'a str>,
    source_slug: &'a str,
    /// Slugs declared by this document, per kind, with the path that declared them and,
    /// for events, the kind their detail object gives.
    declared: HashMap<(RefKind, String), (String, Option<EventKind>)>,
    claims: Vec<Claim>,
    /// The subjects claimed so far, to refuse the same one twice.
    subjects: HashSet<i64>,
    plan: Plan,
    rejections: Problems,
}

impl Planner<'_> {
    fn reject(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.rejections
            .push(Rejection::new(self.file, path, reason));
    }

    /// Records the claim `facts` of `subject`, stated at `path`. Returns false, with a
    /// rejection, when the document already claimed the subject (`twice` says how).
    fn claim<F: Facts>(
        &mut self,
        subject: i64,
        facts: &F,
        path: &str,
        twice: impl FnOnce() -> String,
    ) -> bool {
        if !self.subjects.insert(subject) {
            let reason = twice();
            self.reject(path, reason);
            return false;
        }
        if self.rejections.is_empty() {
            self.claims.push(Claim::new(subject, facts));
            self.plan.paths.insert(subject, path.to_owned());
        }
        true
    }

    /// Records every slug the document declares, so references can point forwards.
    fn declare_all(&mut self, doc: &Document) {
        for (i, actor) in doc.actors.iter().enumerate() {
            self.declare(RefKind::Actor, &actor.slug, format!("$.actors[{i}]"), None);
        }
        for (i, place) in doc.places.iter().enumerate() {
            self.declare(RefKind::Place, &place.slug, format!("$.places[{i}]"), None);
        }
        for (i, event) in doc.events.iter().enumerate() {
            let kind = event_kind(event).ok().flatten();
            self.declare(RefKind::Event, &event.slug, format!("$.events[{i}]"), kind);
        }
        for (i, proposal) in doc.proposals.iter().enumerate() {
            let path = format!("$.proposals[{i}]");
            self.declare(RefKind::Proposal, &proposal.slug, path.clone(), None);
            for (j, provision) in proposal.provisions.iter().enumerate() {
                let key = provision_key(&proposal.slug, &provision.slug);
                self.declare(
                    RefKind::Provision,
                    &key,
                    format!("{path}.provisions[{j}]"),
                    None,
                );
            }
        }
    }

    fn declare(&mut self, kind: RefKind, slug: &str, path: String, event: Option<EventKind>) {
        if let Err(reason) = check_slug(kind, slug) {
            self.reject(format!("{path}.slug"), reason);
        }
        let key = (kind, slug.to_owned());
        if let Some((first, _)) = self.declared.get(&key) {
            let reason = format!(
                "duplicate {} slug `{slug}`, first declared at {first}",
                kind.noun()
            );
            self.reject(format!("{path}.slug"), reason);
        } else {
            self.declared.insert(key, (path, event));
        }
    }

    /// Notes a record the document declares, with the fields a new one needs that it
    /// leaves out.
    fn declared(
        &mut self,
        kind: SubjectKind,
        id: i64,
        slug: &str,
        path: &str,
        lacks: Vec<&'static str>,
    ) -> &mut Declared {
        self.plan.declared.push(Declared {
            kind,
            id,
            slug: slug.to_owned(),
            path: path.to_owned(),
            lacks,
            event_kind: None,
            names: Vec::new(),
            distinct_from: Vec::new(),
        });
        let last = self.plan.declared.len() - 1;
        &mut self.plan.declared[last]
    }

    /// The id of the record `slug` refers to. A slug this document does not declare is
    /// noted for the check against the store.
    fn reference(&mut self, kind: RefKind, slug: &str, path: String) -> i64 {
        if let Err(reason) = check_slug(kind, slug) {
            self.reject(path.clone(), reason);
        }
        let id = record_id(kind.id_kind(), &slug.split('/').collect::<Vec<_>>());
        let lookup = if kind == RefKind::Statement {
            RefKind::Event
        } else {
            kind
        };
        match self.declared.get(&(lookup, slug.to_owned())) {
            // A statement declared here without its detail object is known to the store
            // already, which says what it is.
            Some((_, None)) if kind == RefKind::Statement => self.plan.external.push(ExternalRef {
                kind,
                id,
                slug: slug.to_owned(),
                path,
            }),
            Some((_, event)) => {
                if kind == RefKind::Statement && *event != Some(EventKind::Statement) {
                    self.reject(path, format!("event `{slug}` is not a statement"));
                }
            }
            None => self.plan.external.push(ExternalRef {
                kind,
                id,
                slug: slug.to_owned(),
                path,
            }),
        }
        id
    }

    /// Claims the citations of record `record_id` of kind `record_kind`, given at `path`.
    fn cite(
        &mut self,
        record_kind: CitedRecord,
        record_id_: i64,
        citations: &[CitationDoc],
        path: &str,
    ) {
        for (i, citation) in citations.iter().enumerate() {
            let citation_path = format!("{path}.citations[{i}]");
            let excerpt_path = format!("{citation_path}.excerpt");
            if citation.excerpt.trim().is_empty() {
                self.reject(excerpt_path, "excerpt is empty");
                continue;
            }
            let mut facts = CitationFacts {
                record_kind,
                record: record_id_,
                excerpt: citation.excerpt.clone(),
                prefix: citation.prefix.clone(),
                suffix: citation.suffix.clone(),
                start: None,
                end: None,
                note: citation.note.clone(),
            };
            if let Some(body) = self.body {
                match locate(body, citation) {
                    Ok((start, end)) => {
                        let (prefix, suffix) = quote_context(body, start, end);
                        facts.prefix = Some(prefix);
                        facts.suffix = Some(suffix);
                        facts.start = Some(start);
                        facts.end = Some(end);
                    }
                    Err(reason) => {
                        self.reject(excerpt_path, reason);
                        continue;
                    }
                }
            }
            let kind_name = record_kind.to_value();
            let record = record_id_.to_string();
            let mut key = vec![self.source_slug, &kind_name, &record, &citation.excerpt];
            for (name, hint) in [("prefix", &citation.prefix), ("suffix", &citation.suffix)] {
                if let Some(hint) = hint {
                    key.extend([name, hint.as_str()]);
                }
            }
            let id = record_id("citation", &key);
            let repeated = citation.excerpt.clone();
            if self.claim(id, &facts, &citation_path, || {
                format!("the excerpt \"{repeated}\" already cites this record")
            }) {
                self.plan.counts.citations += 1;
            }
        }
    }

    fn check_country(&mut self, country: &Option<String>, path: String) {
        if let Some(code) = country
            && !(code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()))
        {
            self.reject(
                path,
                format!("`{code}` is not an ISO 3166-1 alpha-3 code such as `UKR`"),
            );
        }
    }

    /// Checks that a name or alias fits the store's name indexes.
    fn check_name(&mut self, name: Option<&str>, path: String) {
        if let Some(name) = name
            && name.chars().count() > super::MAX_NAME
        {
            self.reject(
                path,
                format!("is longer than {} characters", super::MAX_NAME),
            );
        }
    }

    /// Checks that a time says one thing: `until` not before `at`, and an instant no
    /// more exact than its precision.
    fn check_time(&mut self, time: &TimeDoc, path: &str) {
        use chrono::{Datelike, Timelike};
        for (name, instant) in [("at", Some(time.at)), ("until", time.until)] {
            if let Some(instant) = instant
                && !crate::domain::YEARS.contains(&instant.year())
            {
                self.reject(
                    format!("{path}.{name}"),
                    format!(
                        "the year {} is outside the supported years {} to {}",
                        instant.year(),
                        crate::domain::YEARS.start(),
                        crate::domain::YEARS.end()
                    ),
                );
            }
        }
        if let Some(until) = time.until
            && until < time.at
        {
            self.reject(format!("{path}.until"), "`until` is before `at`");
        }
        let at = time.at;
        let midnight =
            at.hour() == 0 && at.minute() == 0 && at.second() == 0 && at.nanosecond() == 0;
        let unit = match time.precision {
            TimePrecision::Day if !midnight => {
                Some("DAY precision: `at` must be the day's start, 00:00:00Z")
            }
            TimePrecision::Month if !midnight || at.day() != 1 => {
                Some("MONTH precision: `at` must be the month's first day at 00:00:00Z")
            }
            TimePrecision::Year if !midnight || at.ordinal() != 1 => {
                Some("YEAR precision: `at` must be the year's first day at 00:00:00Z")
            }
            _ => None,
        };
        if let Some(rule) = unit {
            self.reject(
                format!("{path}.at"),
                format!(
                    "`{}` is more exact than its precision; under {rule}",
                    at.to_rfc3339()
                ),
            );
        }
    }

    fn source(&mut self, source: &SourceDoc) {
        if !is_slug(&source.slug) {
            self.reject("$.source.slug", format!("`{}` is not a slug", source.slug));
        }
        if let Some(given) = &source.sha256
            && !(given.len() == 64 && given.chars().all(|c| c.is_ascii_hexdigit()))
        {
            self.reject(
                "$.source.sha256",
                "not a hex SHA-256 digest of 64 characters",
            );
        }
        if let (Some(body), Some(given)) = (self.body, &source.sha256) {
            let actual = hex_sha256(body);
            if !given.eq_ignore_ascii_case(&actual) {
                self.reject(
                    "$.source.sha256",
                    format!("the body's SHA-256 is {actual}, not the {given} the document gives"),
                );
            }
        }
        if let Some(published) = &source.published {
            self.check_time(published, "$.source.published");
        }
    }

    fn actors(&mut self, actors: &[ActorDoc]) {
        for (i, actor) in actors.iter().enumerate() {
            let path = format!("$.actors[{i}]");
            let id = record_id("actor", &[&actor.slug]);
            self.check_country(&actor.country, format!("{path}.country"));
            self.check_name(actor.name.as_deref(), format!("{path}.name"));
            let lacks = lacking([
                ("name", actor.name.is_none()),
                ("kind", actor.kind.is_none()),
            ]);
            let declared = self.declared(SubjectKind::Actor, id, &actor.slug, &path, lacks);
            declared.names = actor
                .name
                .iter()
                .map(|name| (format!("{path}.name"), name.clone()))
                .chain(
                    actor
                        .aliases
                        .iter()
                        .enumerate()
                        .map(|(j, alias)| (format!("{path}.aliases[{j}]"), alias.clone())),
                )
                .collect();
            declared.distinct_from = actor.distinct_from.clone();
            self.plan.counts.actors += 1;
            let facts = ActorFacts {
                slug: actor.slug.clone(),
                name: actor.name.clone(),
                kind: actor.kind,
                country: actor.country.clone(),
                description: actor.description.clone(),
            };
            self.claim(id, &facts, &path, String::new);
            let mut seen = HashSet::new();
            for (j, alias) in actor.aliases.iter().enumerate() {
                let alias_path = format!("{path}.aliases[{j}]");
                if alias.trim().is_empty() {
                    self.reject(alias_path, "alias is empty");
                    continue;
                }
                if !seen.insert(alias) {
                    self.reject(alias_path, format!("alias `{alias}` is listed twice"));
                    continue;
                }
                self.check_name(Some(alias), alias_path.clone());
                let facts = AliasFacts {
                    actor: id,
                    alias: alias.clone(),
                };
                self.claim(
                    record_id("actor_alias", &[&actor.slug, alias]),
                    &facts,
                    &alias_path,
                    String::new,
                );
            }
            self.cite(CitedRecord::Actor, id, &actor.citations, &path);
        }
    }

    fn affiliations(&mut self, affiliations: &[AffiliationDoc]) {
        for (i, affiliation) in affiliations.iter().enumerate() {
            let path = format!("$.affiliations[{i}]");
            let actor_id =
                self.reference(RefKind::Actor, &affiliation.actor, format!("{path}.actor"));
            let target_id = self.reference(RefKind::Actor, &affiliation.of, format!("{path}.of"));
            let kind = affiliation.kind.to_value();
            let id = record_id("affiliation", &[&affiliation.actor, &affiliation.of, &kind]);
            let facts = AffiliationFacts {
                actor: actor_id,
                of: target_id,
                kind: affiliation.kind,
                role: affiliation.role.clone(),
            };
            let twice = || {
                format!(
                    "`{}` is already a {kind} of `{}` in this document",
                    affiliation.actor, affiliation.of
                )
            };
            if self.claim(id, &facts, &path, twice) {
                self.cite(CitedRecord::Affiliation, id, &affiliation.citations, &path);
            }
        }
    }

    fn places(&mut self, places: &[PlaceDoc]) {
        let mut parents: HashMap<&str, &str> = HashMap::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, place) in places.iter().enumerate() {
            let path = format!("$.places[{i}]");
            let id = record_id("place", &[&place.slug]);
            let parent_id = place
                .parent
                .as_ref()
                .map(|parent| self.reference(RefKind::Place, parent, format!("{path}.parent")));
            if let Some(parent) = &place.parent {
                if *parent == place.slug {
                    self.reject(format!("{path}.parent"), "a place cannot be its own parent");
                }
                parents.insert(&place.slug, parent);
                index.insert(&place.slug, i);
            }
            if let Some(parent_id) = parent_id {
                self.plan.parents.insert(id, parent_id);
            }
            for (value, range, name) in [
                (place.latitude, -90.0..=90.0, "latitude"),
                (place.longitude, -180.0..=180.0, "longitude"),
            ] {
                if value.is_some_and(|v| !range.contains(&v)) {
                    self.reject(
                        format!("{path}.{name}"),
                        format!("{name} must lie in {}..={}", range.start(), range.end()),
                    );
                }
            }
            if place.latitude.is_some() != place.longitude.is_some() {
                let missing = if place.latitude.is_none() {
                    "latitude"
                } else {
                    "longitude"
                };
                self.reject(
                    format!("{path}.{missing}"),
                    "give both `latitude` and `longitude`, or neither",
                );
            }
            self.check_country(&place.country, format!("{path}.country"));
            self.check_name(place.name.as_deref(), format!("{path}.name"));
            let lacks = lacking([
                ("name", place.name.is_none()),
                ("kind", place.kind.is_none()),
            ]);
            let declared = self.declared(SubjectKind::Place, id, &place.slug, &path, lacks);
            declared.names = place
                .name
                .iter()
                .map(|name| (format!("{path}.name"), name.clone()))
                .collect();
            declared.distinct_from = place.distinct_from.clone();
            self.plan.counts.places += 1;
            let facts = PlaceFacts {
                slug: place.slug.clone(),
                name: place.name.clone(),
                kind: place.kind,
                parent: parent_id,
                latitude: place.latitude,
                longitude: place.longitude,
                country: place.country.clone(),
            };
            self.claim(id, &facts, &path, String::new);
            self.cite(CitedRecord::Place, id, &place.citations, &path);
        }
        // A cycle within the document, reported at the parent read last, which closes
        // it; one through places of other documents is found when they are resolved.
        let mut reported = HashSet::new();
        for start in parents.keys() {
            let mut round = vec![*start];
            let mut at = *start;
            while let Some(parent) = parents.get(at) {
                if *parent == *start && round.len() > 1 {
                    let mut members = round.clone();
                    members.sort_unstable();
                    if !reported.insert(members) {
                        break;
                    }
                    let (at, closes) = round
                        .iter()
                        .enumerate()
                        .max_by_key(|(_, slug)| index.get(*slug))
                        .map_or((0, *start), |(at, slug)| (at, *slug));
                    let mut chain = round[at..].to_vec();
                    chain.extend(&round[..=at]);
                    let path = format!("$.places[{}].parent", index.get(closes).unwrap_or(&0));
                    self.reject(
                        path,
                        format!("closes a cycle of parents: {}", cycle_of_parents(&chain)),
                    );
                    break;
                }
                if round.contains(parent) {
                    break;
                }
                round.push(parent);
                at = parent;
            }
        }
    }

    fn proposals(&mut self, proposals: &[ProposalDoc]) {
        for (i, proposal) in proposals.iter().enumerate() {
            let path = format!("$.proposals[{i}]");
            let id = record_id("proposal", &[&proposal.slug]);
            if let Some(time) = &proposal.time {
                self.check_time(time, &format!("{path}.time"));
            }
            let lacks = lacking([
                ("kind", proposal.kind.is_none()),
                ("title", proposal.title.is_none()),
                ("status", proposal.status.is_none()),
            ]);
            self.declared(SubjectKind::Proposal, id, &proposal.slug, &path, lacks);
            self.plan.counts.proposals += 1;
            let facts = ProposalFacts {
                slug: proposal.slug.clone(),
                kind: proposal.kind,
                title: proposal.title.clone(),
                summary: proposal.summary.clone(),
                status: proposal.status,
                time: proposal.time.as_ref().map(time_facts),
            };
            self.claim(id, &facts, &path, String::new);
            self.cite(CitedRecord::Proposal, id, &proposal.citations, &path);
            for (j, party) in proposal.parties.iter().enumerate() {
                let party_path = format!("{path}.parties[{j}]");
                let actor_id =
                    self.reference(RefKind::Actor, &party.actor, format!("{party_path}.actor"));
                let role = party.role.to_value();
                let party_id = record_id("proposal_party", &[&proposal.slug, &party.actor, &role]);
                let facts = PartyFacts {
                    proposal: id,
                    actor: actor_id,
                    role: party.role,
                };
                let twice = || format!("`{}` is already a {role} of this proposal", party.actor);
                if self.claim(party_id, &facts, &party_path, twice) {
                    self.cite(
                        CitedRecord::ProposalParty,
                        party_id,
                        &party.citations,
                        &party_path,
                    );
                }
            }
            for (j, provision) in proposal.provisions.iter().enumerate() {
                let provision_path = format!("{path}.provisions[{j}]");
                let provision_id = record_id("provision", &[&proposal.slug, &provision.slug]);
                let lacks = lacking([
                    ("text", provision.text.is_none()),
                    ("inclusion", provision.inclusion.is_none()),
                ]);
                self.declared(
                    SubjectKind::Provision,
                    provision_id,
                    &provision_key(&proposal.slug, &provision.slug),
                    &provision_path,
                    lacks,
                );
                let facts = ProvisionFacts {
                    proposal: id,
                    slug: provision.slug.clone(),
                    listed: i32::try_from(j + 1).unwrap_or(i32::MAX),
                    text: provision.text.clone(),
                    inclusion: provision.inclusion,
                };
                self.claim(provision_id, &facts, &provision_path, String::new);
                self.cite(
                    CitedRecord::Provision,
                    provision_id,
                    &provision.citations,
                    &provision_path,
                );
            }
        }
    }

    /// Positions come after events, since they rest on statements.
    fn positions(&mut self, proposals: &[ProposalDoc]) {
        for (i, proposal) in proposals.iter().enumerate() {
            let proposal_id = record_id("proposal", &[&proposal.slug]);
            for (j, position) in proposal.positions.iter().enumerate() {
                let path = format!("$.proposals[{i}].positions[{j}]");
                let actor_id =
                    self.reference(RefKind::Actor, &position.actor, format!("{path}.actor"));
                let provision_id = position.provision.as_ref().map(|slug| {
                    let key = provision_key(&proposal.slug, slug);
                    self.reference(RefKind::Provision, &key, format!("{path}.provision"))
                });
                let statement_id = position.statement.as_ref().map(|slug| {
                    self.reference(RefKind::Statement, slug, format!("{path}.statement"))
                });
                let stance = position.stance.to_value();
                let id = record_id(
                    "position",
                    &[
                        &proposal.slug,
                        position.provision.as_deref().unwrap_or(""),
                        &position.actor,
                        &stance,
                    ],
                );
                let facts = PositionFacts {
                    proposal: proposal_id,
                    provision: provision_id,
                    actor: actor_id,
                    stance: position.stance,
                    statement: statement_id,
                    summary: position.summary.clone(),
                };
                let twice = || format!("`{}` already takes this stance here", position.actor);
                if self.claim(id, &facts, &path, twice) {
                    self.cite(CitedRecord::Position, id, &position.citations, &path);
                }
            }
        }
    }

    fn events(&mut self, events: &[EventDoc]) {
        for (i, event) in events.iter().enumerate() {
            let path = format!("$.events[{i}]");
            let id = record_id("event", &[&event.slug]);
            let kind = match event_kind(event) {
                Ok(kind) => kind,
                Err(reason) => {
                    self.reject(&path, reason);
                    continue;
                }
            };
            if let Some(time) = &event.time {
                self.check_time(time, &format!("{path}.time"));
            }
            if let Some(code) = &event.cameo_code
                && !((2..=4).contains(&code.len()) && code.chars().all(|c| c.is_ascii_digit()))
            {
                self.reject(
                    format!("{path}.cameoCode"),
                    format!("`{code}` is not a CAMEO code of 2 to 4 digits"),
                );
            }
            if let (Some(Certainty::Scheduled), Some(meeting)) = (event.certainty, &event.meeting)
                && meeting.status == MeetingStatus::Held
            {
                self.reject(
                    format!("{path}.meeting.status"),
                    "a HELD meeting cannot be SCHEDULED: its certainty says it has not happened",
                );
            }
            let place_id = event
                .place
                .as_ref()
                .map(|slug| self.reference(RefKind::Place, slug, format!("{path}.place")));
            let lacks = lacking([
                ("title", event.title.is_none()),
                ("time", event.time.is_none()),
                ("certainty", event.certainty.is_none()),
                ("meeting`, `statement` or `militaryEvent", kind.is_none()),
            ]);
            self.declared(SubjectKind::Event, id, &event.slug, &path, lacks)
                .event_kind = kind;
            self.plan.counts.events += 1;
            let mut facts = EventFacts {
                slug: event.slug.clone(),
                event_kind: kind,
                title: event.title.clone(),
                summary: event.summary.clone(),
                time: event.time.as_ref().map(time_facts),
                place: place_id,
                certainty: event.certainty,
                cameo_code: event.cameo_code.clone(),
                format: None,
                status: None,
                expected_duration_minutes: None,
                open_to_press: None,
                speaker: None,
                statement_kind: None,
                text: None,
                channel: None,
                channel_name: None,
                outlet: None,
                military_kind: None,
                weapons: None,
                effects: None,
                casualties: None,
            };
            self.event_details(&mut facts, event, &path);
            self.claim(id, &facts, &path, String::new);
            self.cite(CitedRecord::Event, id, &event.citations, &path);
            for (j, participant) in event.participants.iter().enumerate() {
                let participant_path = format!("{path}.participants[{j}]");
                self.participant(
                    id,
                    event,
                    &participant.actor,
                    participant.role,
                    &participant_path,
                    &participant.citations,
                );
            }
            for (j, relation) in event.relations.iter().enumerate() {
                let relation_path = format!("{path}.relations[{j}]");
                let related_id = self.reference(
                    RefKind::Event,
                    &relation.event,
                    format!("{relation_path}.event"),
                );
                if relation.event == event.slug {
                    self.reject(
                        format!("{relation_path}.event"),
                        "an event cannot relate to itself",
                    );
                }
                let kind = relation.kind.to_value();
                let relation_id =
                    record_id("event_relation", &[&event.slug, &relation.event, &kind]);
                let facts = RelationFacts {
                    event: id,
                    related: related_id,
                    kind: relation.kind,
                };
                let twice = || format!("this event already {kind} `{}`", relation.event);
                if self.claim(relation_id, &facts, &relation_path, twice) {
                    self.cite(
                        CitedRecord::EventRelation,
                        relation_id,
                        &relation.citations,
                        &relation_path,
                    );
                }
            }
            for (j, link) in event.proposals.iter().enumerate() {
                let link_path = format!("{path}.proposals[{j}]");
                let proposal_id = self.reference(
                    RefKind::Proposal,
                    &link.proposal,
                    format!("{link_path}.proposal"),
                );
                let kind = link.kind.to_value();
                let link_id = record_id("event_proposal", &[&event.slug, &link.proposal, &kind]);
                let facts = EventProposalFacts {
                    event: id,
                    proposal: proposal_id,
                    kind: link.kind,
                };
                let twice = || format!("this event is already {kind} `{}`", link.proposal);
                if self.claim(link_id, &facts, &link_path, twice) {
                    self.cite(
                        CitedRecord::EventProposal,
                        link_id,
                        &link.citations,
                        &link_path,
                    );
                }
            }
        }
    }

    fn participant(
        &mut self,
        event_id: i64,
        event: &EventDoc,
        actor: &str,
        role: ParticipantRole,
        path: &str,
        citations: &[CitationDoc],
    ) {
        let actor_id = self.reference(RefKind::Actor, actor, format!("{path}.actor"));
        let role_name = role.to_value();
        let id = record_id("event_participant", &[&event.slug, actor, &role_name]);
        let facts = ParticipantFacts {
            event: event_id,
            actor: actor_id,
            role,
        };
        let twice = || format!("`{actor}` is already a {role_name} participant of this event");
        if self.claim(id, &facts, path, twice) {
            self.cite(CitedRecord::Participant, id, citations, path);
        }
    }

    /// Adds what is particular to the event's kind to its facts.
    fn event_details(&mut self, facts: &mut EventFacts, event: &EventDoc, path: &str) {
        if let Some(meeting) = &event.meeting {
            facts.format = Some(meeting.format);
            facts.status = Some(meeting.status);
            facts.expected_duration_minutes = meeting
                .expected_duration_minutes
                .map(|m| i32::try_from(m).unwrap_or(i32::MAX));
            facts.open_to_press = meeting.open_to_press;
        }
        if let Some(statement) = &event.statement {
            let statement_path = format!("{path}.statement");
            facts.speaker = Some(self.reference(
                RefKind::Actor,
                &statement.speaker,
                format!("{statement_path}.speaker"),
            ));
            facts.outlet = statement.outlet.as_ref().map(|slug| {
                self.reference(RefKind::Actor, slug, format!("{statement_path}.outlet"))
            });
            if statement.text.trim().is_empty() {
                self.reject(
                    format!("{statement_path}.text"),
                    "a statement's text is empty",
                );
            }
            facts.statement_kind = Some(statement.kind);
            facts.text = Some(statement.text.clone());
            facts.channel = Some(statement.channel);
            facts.channel_name.clone_from(&statement.channel_name);
            // The speaker takes part in the statement, so an actor's timeline finds it.
            let declared_speaker = event
                .participants
                .iter()
                .any(|p| p.actor == statement.speaker && p.role == ParticipantRole::Speaker);
            if !declared_speaker {
                self.participant(
                    facts_id(facts),
                    event,
                    &statement.speaker,
                    ParticipantRole::Speaker,
                    &format!("{statement_path}.speaker"),
                    &[],
                );
            }
        }
        if let Some(military) = &event.military_event {
            facts.military_kind = Some(military.kind);
            facts.weapons.clone_from(&military.weapons);
            facts.effects.clone_from(&military.effects);
            facts.casualties.clone_from(&military.casualties);
        }
    }
}

/// The id of the event `facts` describe.
fn facts_id(facts: &EventFacts) -> i64 {
    record_id("event", &[&facts.slug])
}

/// The names of the fields whose flag is set.
fn lacking<const N: usize>(fields: [(&'static str, bool); N]) -> Vec<&'static str> {
    fields
        .into_iter()
        .filter(|(_, missing)| *missing)
        .map(|(name, _)| name)
        .collect()
}

/// A time as a claim states it.
fn time_facts(time: &TimeDoc) -> TimeFacts {
    TimeFacts {
        at: time.at,
        until: time.until,
        precision: time.precision,
        text: time.text.clone(),
        inferred: time.inferred,
        note: time.note.clone(),
    }
}

/// The kind an event declares by its detail object: `None` when it gives none, an
/// error when it gives several.
fn event_kind(event: &EventDoc) -> Result<Option<EventKind>, &'static str> {
    match (&event.meeting, &event.statement, &event.military_event) {
        (None, None, None) => Ok(None),
        (Some(_), None, None) => Ok(Some(EventKind::Meeting)),
        (None, Some(_), None) => Ok(Some(EventKind::Statement)),
        (None, None, Some(_)) => Ok(Some(EventKind::MilitaryEvent)),
        _ => Err("give at most one of `meeting`, `statement` and `militaryEvent`"),
    }
}

/// How a provision is named across documents: its proposal's slug, a slash, its own.
fn provision_key(proposal: &str, provision: &str) -> String {
    format!("{proposal}/{provision}")
}

/// Checks the slug of a record of `kind`: a provision's is its proposal's slug, a slash
/// and its own; every other kind's is one slug.
fn check_slug(kind: RefKind, slug: &str) -> Result<(), String> {
    let parts = if kind == RefKind::Provision { 2 } else { 1 };
    let mut split = slug.split('/');
    let fits = split
        .by_ref()
        .take(parts)
        .filter(|part| is_slug(part))
        .count()
        == parts
        && split.next().is_none();
    if fits {
        return Ok(());
    }
    let shown: String = slug.chars().take(100).collect();
    Err(if kind == RefKind::Provision {
        format!(
            "`{shown}` is not a provision's slug: its proposal's slug, `/`, and its own, each \
             of lowercase letters, digits and single hyphens"
        )
    } else {
        format!("`{shown}` is not a slug: use lowercase letters, digits and single hyphens")
    })
}

/// True for lowercase ASCII letters and digits in hyphen-separated runs.
pub fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 200
        && slug.split('-').all(|run| {
            !run.is_empty()
                && run
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// The character positions (start, end exclusive) of the one occurrence of a citation's
/// excerpt in `body` that its prefix and suffix select, or why there is none.
fn locate(body: &str, citation: &CitationDoc) -> Result<(i32, i32), String> {
    let excerpt = &citation.excerpt;
    let occurrences: Vec<usize> = body
        .match_indices(excerpt.as_str())
        .map(|(at, _)| at)
        .collect();
    if occurrences.is_empty() {
        return Err(format!("excerpt not found in the body: \"{excerpt}\""));
    }
    let selected: Vec<usize> = occurrences
        .iter()
        .copied()
        .filter(|at| {
            citation
                .prefix
                .as_ref()
                .is_none_or(|prefix| body[..*at].ends_with(prefix.as_str()))
                && citation
                    .suffix
                    .as_ref()
                    .is_none_or(|suffix| body[at + excerpt.len()..].starts_with(suffix.as_str()))
        })
        .collect();
    let [at] = selected[..] else {
        let hinted = citation.prefix.is_some() || citation.suffix.is_some();
        return Err(match (selected.len(), hinted) {
            (0, _) => format!(
                "the excerpt occurs {} times in the body, but its `prefix` and `suffix` match none of them: \"{excerpt}\"",
                occurrences.len()
            ),
            (n, false) => format!(
                "the excerpt occurs {n} times in the body: give a `prefix` or `suffix` (the words just before or after it) to say which: \"{excerpt}\""
            ),
            (n, true) => format!(
                "the excerpt with its `prefix` and `suffix` still occurs {n} times in the body: make them longer: \"{excerpt}\""
            ),
        });
    };
    let start = body[..at].chars().count();
    let end = start + excerpt.chars().count();
    match (i32::try_from(start), i32::try_from(end)) {
        (Ok(start), Ok(end)) => Ok((start, end)),
        _ => Err("the body is too long for character positions".to_owned()),
    }
}

/// A cycle of place parents as a reader follows it: `a in b in a`.
pub fn cycle_of_parents<S: AsRef<str>>(slugs: &[S]) -> String {
    let slugs: Vec<&str> = slugs.iter().map(AsRef::as_ref).collect();
    slugs.join(" in ")
}

/// Why the document read from `file` is refused when its claims would make `cycle`:
/// at the parent it gives a place of the cycle, which closes it; else at a place of the
/// cycle it declares without that parent, so another source's claim decides; else at
/// `$`, when what it no longer says lets other sources' claims close it. `paths` and
/// `parents` are the plan's.
pub fn closing(
    file: &Path,
    cycle: &Cycle,
    paths: &HashMap<i64, String>,
    parents: &HashMap<i64, i64>,
) -> Rejection {
    let round = &cycle.places;
    let slugs = cycle.slugs();
    // The same round, from the place at `at`: its last place is its first.
    let from = |at: usize| -> String {
        let mut chain = slugs[at..slugs.len() - 1].to_vec();
        chain.extend(&slugs[..=at]);
        cycle_of_parents(&chain)
    };
    let gives = round.windows(2).position(|pair| {
        parents.get(&pair[0].0) == Some(&pair[1].0) && paths.contains_key(&pair[0].0)
    });
    if let Some(at) = gives {
        let path = format!("{}.parent", paths[&round[at].0]);
        return Rejection::new(
            file,
            path,
            format!("closes a cycle of parents: {}", from(at)),
        );
    }
    let declared = round.iter().position(|(id, _)| paths.contains_key(id));
    match declared {
        Some(at) => Rejection::new(
            file,
            paths[&round[at].0].clone(),
            format!(
                "leaves its parent to another source, whose claim closes a cycle of parents: {}",
                from(at)
            ),
        ),
        None => Rejection::new(
            file,
            "$",
            format!(
                "what the document no longer says leaves parents to other sources, whose claims \
                 close a cycle of parents: {}",
                from(0)
            ),
        ),
    }
}

/// The hex SHA-256 of `text`.
pub fn hex_sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{is_slug, locate};
    use crate::import::document::CitationDoc;

    fn citation(excerpt: &str, prefix: Option<&str>, suffix: Option<&str>) -> CitationDoc {
        CitationDoc {
            excerpt: excerpt.to_owned(),
            prefix: prefix.map(str::to_owned),
            suffix: suffix.map(str::to_owned),
            note: None,
        }
    }

    #[test]
    fn slugs_are_lowercase_runs_joined_by_single_hyphens() {
        assert!(is_slug("vladimir-putin"));
        assert!(is_slug("2025-12-28-call"));
        for bad in ["", "Putin", "a--b", "-a", "a-", "a b", "a_b"] {
            assert!(!is_slug(bad), "{bad:?} should not be a slug");
        }
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let body = "“Quote” then words";
        assert_eq!(locate(body, &citation("then", None, None)), Ok((8, 12)));
        assert!(locate(body, &citation("missing", None, None)).is_err());
    }

    #[test]
    fn an_excerpt_found_twice_needs_a_prefix_or_suffix() {
        let body = "Putin said no. Then Putin said yes.";
        let error = locate(body, &citation("Putin said", None, None)).unwrap_err();
        assert!(error.contains("occurs 2 times"), "{error}");
        assert_eq!(
            locate(body, &citation("Putin said", Some("Then "), None)),
            Ok((20, 30))
        );
        assert_eq!(
            locate(body, &citation("Putin said", None, Some(" no"))),
            Ok((0, 10))
        );
        let error = locate(body, &citation("Putin said", Some("Later "), None)).unwrap_err();
        assert!(error.contains("match none"), "{error}");
    }
}
