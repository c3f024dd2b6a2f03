//! Turns a parsed document into the rows to write, checking everything that needs no
//! database: slugs, duplicates, references within the document, values and excerpts.
//!
//! References to records the document does not declare are collected as
//! [`ExternalRef`]s, which the importer checks against the database inside its
//! transaction.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use sea_orm::{ActiveEnum, Set};

use super::document::*;
use super::error::Rejection;
use crate::db::entities::*;
use crate::domain::{CitedRecord, EventKind};
use crate::ids::record_id;

/// The rows one document adds or updates, in an order that satisfies foreign keys.
#[derive(Default)]
pub struct Plan {
    /// The file the document came from, for messages.
    pub file: std::path::PathBuf,
    pub sources: Vec<source::ActiveModel>,
    pub actors: Vec<actor::ActiveModel>,
    pub aliases: Vec<actor_alias::ActiveModel>,
    pub affiliations: Vec<affiliation::ActiveModel>,
    /// Places, every parent declared here before its children.
    pub places: Vec<place::ActiveModel>,
    pub proposals: Vec<proposal::ActiveModel>,
    pub provisions: Vec<provision::ActiveModel>,
    pub events: Vec<event::ActiveModel>,
    pub meetings: Vec<meeting::ActiveModel>,
    pub statements: Vec<statement::ActiveModel>,
    pub military_events: Vec<military_event::ActiveModel>,
    pub participants: Vec<event_participant::ActiveModel>,
    pub relations: Vec<event_relation::ActiveModel>,
    pub event_proposals: Vec<event_proposal::ActiveModel>,
    pub parties: Vec<proposal_party::ActiveModel>,
    pub positions: Vec<position::ActiveModel>,
    pub citations: Vec<citation::ActiveModel>,
    /// Full-text documents of the events and proposals written.
    pub search: Vec<SearchDocument>,
    /// References to records this document does not declare.
    pub external: Vec<ExternalRef>,
}

/// The searchable text of one event or proposal.
#[derive(Debug, Clone)]
pub struct SearchDocument {
    pub record_id: i64,
    /// `event` or `proposal`.
    pub record_kind: &'static str,
    pub title: String,
    pub body: String,
}

/// The non-empty parts, one per line.
fn join_text<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
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

/// A slug the document uses but does not declare: it must already be in the database.
#[derive(Debug, Clone)]
pub struct ExternalRef {
    pub kind: RefKind,
    pub id: i64,
    pub slug: String,
    pub path: String,
}

/// Plans `doc`, read from `file`. With `body`, every excerpt must occur in it and gets
/// its character offsets. Returns every rejection found, not just the first.
pub fn plan(file: &Path, doc: &Document, body: Option<&str>) -> Result<Plan, Vec<Rejection>> {
    let mut planner = Planner {
        file,
        body,
        source_slug: &doc.source.slug,
        source_id: record_id("source", &[&doc.source.slug]),
        declared: HashMap::new(),
        participant_ids: HashSet::new(),
        plan: Plan {
            file: file.to_path_buf(),
            ..Plan::default()
        },
        rejections: Vec::new(),
    };
    planner.declare_all(doc);
    planner.source(&doc.source);
    planner.actors(&doc.actors);
    planner.affiliations(&doc.affiliations);
    planner.places(&doc.places);
    planner.proposals(&doc.proposals);
    planner.events(&doc.events);
    planner.positions(&doc.proposals);
    if planner.rejections.is_empty() {
        Ok(planner.plan)
    } else {
        Err(planner.rejections)
    }
}

struct Planner<'a> {
    file: &'a Path,
    body: Option<&'a str>,
    source_slug: &'a str,
    source_id: i64,
    /// Slugs declared by this document, per kind, with the path that declared them and,
    /// for events, their kind.
    declared: HashMap<(RefKind, String), (String, Option<EventKind>)>,
    /// Ids of the participations planned so far, to refuse the same one twice.
    participant_ids: HashSet<i64>,
    plan: Plan,
    rejections: Vec<Rejection>,
}

impl Planner<'_> {
    fn reject(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.rejections
            .push(Rejection::new(self.file, path, reason));
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
            let kind = event_kind(event);
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
        if !is_slug(slug.rsplit('/').next().unwrap_or(slug)) {
            self.reject(
                format!("{path}.slug"),
                format!("`{slug}` is not a slug: use lowercase letters, digits and single hyphens"),
            );
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

    /// The id of the record `slug` refers to. A slug this document does not declare is
    /// noted for the database check.
    fn reference(&mut self, kind: RefKind, slug: &str, path: String) -> i64 {
        let id = record_id(kind.id_kind(), &slug.split('/').collect::<Vec<_>>());
        let lookup = if kind == RefKind::Statement {
            RefKind::Event
        } else {
            kind
        };
        match self.declared.get(&(lookup, slug.to_owned())) {
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

    fn cite(
        &mut self,
        record_kind: CitedRecord,
        record_id_: i64,
        citations: &[CitationDoc],
        path: &str,
    ) {
        for (i, citation) in citations.iter().enumerate() {
            let excerpt_path = format!("{path}.citations[{i}].excerpt");
            if citation.excerpt.trim().is_empty() {
                self.reject(excerpt_path, "excerpt is empty");
                continue;
            }
            let offsets = match self.body {
                Some(body) => match char_offsets(body, &citation.excerpt) {
                    Some(offsets) => Some(offsets),
                    None => {
                        let reason =
                            format!("excerpt not found in the body: \"{}\"", citation.excerpt);
                        self.reject(excerpt_path, reason);
                        continue;
                    }
                },
                None => None,
            };
            let kind_name = record_kind.to_value();
            let id = record_id(
                "citation",
                &[
                    self.source_slug,
                    &kind_name,
                    &record_id_.to_string(),
                    &citation.excerpt,
                ],
            );
            self.plan.citations.push(citation::ActiveModel {
                id: Set(id),
                source_id: Set(self.source_id),
                record_kind: Set(record_kind),
                record_id: Set(record_id_),
                excerpt: Set(citation.excerpt.clone()),
                start_offset: Set(offsets.map(|(start, _)| start)),
                end_offset: Set(offsets.map(|(_, end)| end)),
                note: Set(citation.note.clone()),
            });
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

    fn check_time(&mut self, time: &TimeDoc, path: &str) {
        if let Some(until) = time.until
            && until < time.at
        {
            self.reject(format!("{path}.until"), "`until` is before `at`");
        }
    }

    fn source(&mut self, source: &SourceDoc) {
        if !is_slug(&source.slug) {
            self.reject("$.source.slug", format!("`{}` is not a slug", source.slug));
        }
        let mut sha256 = source.sha256.clone();
        if let Some(given) = &sha256
            && !(given.len() == 64 && given.chars().all(|c| c.is_ascii_hexdigit()))
        {
            self.reject(
                "$.source.sha256",
                "not a hex SHA-256 digest of 64 characters",
            );
        }
        if let Some(body) = self.body {
            let actual = hex_sha256(body);
            match &sha256 {
                Some(given) if !given.eq_ignore_ascii_case(&actual) => self.reject(
                    "$.source.sha256",
                    format!("the body's SHA-256 is {actual}, not the {given} the document gives"),
                ),
                _ => sha256 = Some(actual),
            }
        }
        if let Some(published) = &source.published {
            self.check_time(published, "$.source.published");
        }
        let published = source.published.as_ref();
        self.plan.sources.push(source::ActiveModel {
            id: Set(self.source_id),
            slug: Set(source.slug.clone()),
            title: Set(source.title.clone()),
            publisher: Set(source.publisher.clone()),
            url: Set(source.url.clone()),
            language: Set(source.language.clone()),
            published_at: Set(published.map(|t| t.at)),
            published_precision: Set(published.map(|t| t.precision)),
            published_text: Set(published.and_then(|t| t.text.clone())),
            published_inferred: Set(published.is_some_and(|t| t.inferred)),
            content_sha256: Set(sha256),
            body: Set(self.body.map(str::to_owned)),
        });
    }

    fn actors(&mut self, actors: &[ActorDoc]) {
        for (i, actor) in actors.iter().enumerate() {
            let path = format!("$.actors[{i}]");
            let id = record_id("actor", &[&actor.slug]);
            self.check_country(&actor.country, format!("{path}.country"));
            self.plan.actors.push(actor::ActiveModel {
                id: Set(id),
                slug: Set(actor.slug.clone()),
                name: Set(actor.name.clone()),
                kind: Set(actor.kind),
                country: Set(actor.country.clone()),
                description: Set(actor.description.clone()),
            });
            for (j, alias) in actor.aliases.iter().enumerate() {
                if alias.trim().is_empty() {
                    self.reject(format!("{path}.aliases[{j}]"), "alias is empty");
                }
                self.plan.aliases.push(actor_alias::ActiveModel {
                    id: Set(record_id("actor_alias", &[&actor.slug, alias])),
                    actor_id: Set(id),
                    alias: Set(alias.clone()),
                });
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
            self.plan.affiliations.push(affiliation::ActiveModel {
                id: Set(id),
                actor_id: Set(actor_id),
                target_actor_id: Set(target_id),
                kind: Set(affiliation.kind),
                role: Set(affiliation.role.clone()),
            });
            self.cite(CitedRecord::Affiliation, id, &affiliation.citations, &path);
        }
    }

    fn places(&mut self, places: &[PlaceDoc]) {
        let mut rows = Vec::with_capacity(places.len());
        for (i, place) in places.iter().enumerate() {
            let path = format!("$.places[{i}]");
            let id = record_id("place", &[&place.slug]);
            let parent_id = place
                .parent
                .as_ref()
                .map(|parent| self.reference(RefKind::Place, parent, format!("{path}.parent")));
            if place.parent.as_deref() == Some(place.slug.as_str()) {
                self.reject(format!("{path}.parent"), "a place cannot be its own parent");
            }
            if place
                .latitude
                .is_some_and(|lat| !(-90.0..=90.0).contains(&lat))
            {
                self.reject(format!("{path}.latitude"), "latitude must lie in -90..=90");
            }
            if place
                .longitude
                .is_some_and(|lon| !(-180.0..=180.0).contains(&lon))
            {
                self.reject(
                    format!("{path}.longitude"),
                    "longitude must lie in -180..=180",
                );
            }
            self.check_country(&place.country, format!("{path}.country"));
            rows.push((
                place.parent.clone(),
                place.slug.clone(),
                place::ActiveModel {
                    id: Set(id),
                    slug: Set(place.slug.clone()),
                    name: Set(place.name.clone()),
                    kind: Set(place.kind),
                    parent_id: Set(parent_id),
                    latitude: Set(place.latitude),
                    longitude: Set(place.longitude),
                    country: Set(place.country.clone()),
                },
            ));
            self.cite(CitedRecord::Place, id, &place.citations, &path);
        }
        // Parents first, so each row's foreign key is satisfied when it is written.
        let mut written: HashSet<String> = HashSet::new();
        while !rows.is_empty() {
            let before = rows.len();
            let declared_here: HashSet<String> =
                rows.iter().map(|(_, slug, _)| slug.clone()).collect();
            let (ready, waiting): (Vec<_>, Vec<_>) =
                rows.into_iter().partition(|(parent, _, _)| {
                    parent
                        .as_ref()
                        .is_none_or(|p| written.contains(p) || !declared_here.contains(p))
                });
            for (_, slug, row) in ready {
                written.insert(slug);
                self.plan.places.push(row);
            }
            rows = waiting;
            if rows.len() == before {
                let slugs: Vec<_> = rows.iter().map(|(_, slug, _)| slug.as_str()).collect();
                self.reject(
                    "$.places",
                    format!("places form a cycle of parents: {}", slugs.join(", ")),
                );
                break;
            }
        }
    }

    fn proposals(&mut self, proposals: &[ProposalDoc]) {
        for (i, proposal) in proposals.iter().enumerate() {
            let path = format!("$.proposals[{i}]");
            let id = record_id("proposal", &[&proposal.slug]);
            let time = proposal.time.as_ref();
            if let Some(time) = time {
                self.check_time(time, &format!("{path}.time"));
            }
            self.plan.proposals.push(proposal::ActiveModel {
                id: Set(id),
                slug: Set(proposal.slug.clone()),
                kind: Set(proposal.kind),
                title: Set(proposal.title.clone()),
                summary: Set(proposal.summary.clone()),
                status: Set(proposal.status),
                proposed_at: Set(time.map(|t| t.at)),
                time_precision: Set(time.map(|t| t.precision)),
                time_text: Set(time.and_then(|t| t.text.clone())),
                time_inferred: Set(time.is_some_and(|t| t.inferred)),
                time_note: Set(time.and_then(|t| t.note.clone())),
            });
            self.cite(CitedRecord::Proposal, id, &proposal.citations, &path);
            for (j, party) in proposal.parties.iter().enumerate() {
                let party_path = format!("{path}.parties[{j}]");
                let actor_id =
                    self.reference(RefKind::Actor, &party.actor, format!("{party_path}.actor"));
                let role = party.role.to_value();
                let party_id = record_id("proposal_party", &[&proposal.slug, &party.actor, &role]);
                self.plan.parties.push(proposal_party::ActiveModel {
                    id: Set(party_id),
                    proposal_id: Set(id),
                    actor_id: Set(actor_id),
                    role: Set(party.role),
                });
                self.cite(
                    CitedRecord::ProposalParty,
                    party_id,
                    &party.citations,
                    &party_path,
                );
            }
            for (j, provision) in proposal.provisions.iter().enumerate() {
                let provision_path = format!("{path}.provisions[{j}]");
                let provision_id = record_id("provision", &[&proposal.slug, &provision.slug]);
                self.plan.provisions.push(provision::ActiveModel {
                    id: Set(provision_id),
                    proposal_id: Set(id),
                    slug: Set(provision.slug.clone()),
                    ordinal: Set(i32::try_from(j + 1).unwrap_or(i32::MAX)),
                    text: Set(provision.text.clone()),
                    inclusion: Set(provision.inclusion),
                });
                self.cite(
                    CitedRecord::Provision,
                    provision_id,
                    &provision.citations,
                    &provision_path,
                );
            }
            self.plan.search.push(SearchDocument {
                record_id: id,
                record_kind: "proposal",
                title: proposal.title.clone(),
                body: join_text(
                    std::iter::once(proposal.summary.as_deref())
                        .chain(proposal.provisions.iter().map(|p| Some(p.text.as_str()))),
                ),
            });
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
                self.plan.positions.push(position::ActiveModel {
                    id: Set(id),
                    actor_id: Set(actor_id),
                    proposal_id: Set(proposal_id),
                    provision_id: Set(provision_id),
                    stance: Set(position.stance),
                    statement_id: Set(statement_id),
                    summary: Set(position.summary.clone()),
                });
                self.cite(CitedRecord::Position, id, &position.citations, &path);
            }
        }
    }

    fn events(&mut self, events: &[EventDoc]) {
        for (i, event) in events.iter().enumerate() {
            let path = format!("$.events[{i}]");
            let id = record_id("event", &[&event.slug]);
            let Some(kind) = event_kind(event) else {
                self.reject(
                    path,
                    "give exactly one of `meeting`, `statement` and `militaryEvent`",
                );
                continue;
            };
            self.check_time(&event.time, &format!("{path}.time"));
            if let Some(code) = &event.cameo_code
                && !((2..=4).contains(&code.len()) && code.chars().all(|c| c.is_ascii_digit()))
            {
                self.reject(
                    format!("{path}.cameoCode"),
                    format!("`{code}` is not a CAMEO code of 2 to 4 digits"),
                );
            }
            let place_id = event
                .place
                .as_ref()
                .map(|slug| self.reference(RefKind::Place, slug, format!("{path}.place")));
            self.plan.events.push(event::ActiveModel {
                id: Set(id),
                slug: Set(event.slug.clone()),
                kind: Set(kind),
                title: Set(event.title.clone()),
                summary: Set(event.summary.clone()),
                occurred_at: Set(event.time.at),
                occurred_until: Set(event.time.until),
                time_precision: Set(event.time.precision),
                time_text: Set(event.time.text.clone()),
                time_inferred: Set(event.time.inferred),
                time_note: Set(event.time.note.clone()),
                place_id: Set(place_id),
                certainty: Set(event.certainty),
                cameo_code: Set(event.cameo_code.clone()),
            });
            self.cite(CitedRecord::Event, id, &event.citations, &path);
            self.event_details(id, event, &path);
            let statement = event.statement.as_ref();
            let military = event.military_event.as_ref();
            self.plan.search.push(SearchDocument {
                record_id: id,
                record_kind: "event",
                title: event.title.clone(),
                body: join_text([
                    event.summary.as_deref(),
                    statement.map(|s| s.text.as_str()),
                    military.and_then(|m| m.weapons.as_deref()),
                    military.and_then(|m| m.effects.as_deref()),
                ]),
            });
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
                self.plan.relations.push(event_relation::ActiveModel {
                    id: Set(relation_id),
                    event_id: Set(id),
                    related_event_id: Set(related_id),
                    kind: Set(relation.kind),
                });
                self.cite(
                    CitedRecord::EventRelation,
                    relation_id,
                    &relation.citations,
                    &relation_path,
                );
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
                self.plan.event_proposals.push(event_proposal::ActiveModel {
                    id: Set(link_id),
                    event_id: Set(id),
                    proposal_id: Set(proposal_id),
                    kind: Set(link.kind),
                });
                self.cite(
                    CitedRecord::EventProposal,
                    link_id,
                    &link.citations,
                    &link_path,
                );
            }
        }
    }

    fn participant(
        &mut self,
        event_id: i64,
        event: &EventDoc,
        actor: &str,
        role: crate::domain::ParticipantRole,
        path: &str,
        citations: &[CitationDoc],
    ) {
        let actor_id = self.reference(RefKind::Actor, actor, format!("{path}.actor"));
        let role_name = role.to_value();
        let id = record_id("event_participant", &[&event.slug, actor, &role_name]);
        if !self.participant_ids.insert(id) {
            self.reject(
                path,
                format!("`{actor}` is already a {role_name} participant of this event"),
            );
            return;
        }
        self.plan.participants.push(event_participant::ActiveModel {
            id: Set(id),
            event_id: Set(event_id),
            actor_id: Set(actor_id),
            role: Set(role),
            occurred_at: Set(event.time.at),
        });
        self.cite(CitedRecord::Participant, id, citations, path);
    }

    fn event_details(&mut self, id: i64, event: &EventDoc, path: &str) {
        if let Some(meeting) = &event.meeting {
            self.plan.meetings.push(meeting::ActiveModel {
                event_id: Set(id),
                format: Set(meeting.format),
                status: Set(meeting.status),
                expected_duration_minutes: Set(meeting
                    .expected_duration_minutes
                    .map(|m| i32::try_from(m).unwrap_or(i32::MAX))),
                open_to_press: Set(meeting.open_to_press),
            });
        }
        if let Some(statement) = &event.statement {
            let statement_path = format!("{path}.statement");
            let speaker_id = self.reference(
                RefKind::Actor,
                &statement.speaker,
                format!("{statement_path}.speaker"),
            );
            let outlet_id = statement.outlet.as_ref().map(|slug| {
                self.reference(RefKind::Actor, slug, format!("{statement_path}.outlet"))
            });
            if statement.text.trim().is_empty() {
                self.reject(
                    format!("{statement_path}.text"),
                    "a statement's text is empty",
                );
            }
            self.plan.statements.push(statement::ActiveModel {
                event_id: Set(id),
                speaker_id: Set(speaker_id),
                kind: Set(statement.kind),
                text: Set(statement.text.clone()),
                channel: Set(statement.channel),
                channel_name: Set(statement.channel_name.clone()),
                outlet_id: Set(outlet_id),
                occurred_at: Set(event.time.at),
            });
            // The speaker takes part in the statement, so an actor's timeline finds it.
            let declared_speaker = event.participants.iter().any(|p| {
                p.actor == statement.speaker && p.role == crate::domain::ParticipantRole::Speaker
            });
            if !declared_speaker {
                self.participant(
                    id,
                    event,
                    &statement.speaker,
                    crate::domain::ParticipantRole::Speaker,
                    &format!("{statement_path}.speaker"),
                    &[],
                );
            }
        }
        if let Some(military) = &event.military_event {
            self.plan.military_events.push(military_event::ActiveModel {
                event_id: Set(id),
                kind: Set(military.kind),
                weapons: Set(military.weapons.clone()),
                effects: Set(military.effects.clone()),
                casualties: Set(military.casualties.clone()),
            });
        }
    }
}

/// The kind an event declares by its one detail object, or `None` when it gives none
/// or several.
fn event_kind(event: &EventDoc) -> Option<EventKind> {
    match (&event.meeting, &event.statement, &event.military_event) {
        (Some(_), None, None) => Some(EventKind::Meeting),
        (None, Some(_), None) => Some(EventKind::Statement),
        (None, None, Some(_)) => Some(EventKind::MilitaryEvent),
        _ => None,
    }
}

/// How a provision is named across documents: its proposal's slug, a slash, its own.
fn provision_key(proposal: &str, provision: &str) -> String {
    format!("{proposal}/{provision}")
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

/// Character (not byte) offsets of the first occurrence of `excerpt` in `body`.
fn char_offsets(body: &str, excerpt: &str) -> Option<(i32, i32)> {
    let byte_start = body.find(excerpt)?;
    let start = body[..byte_start].chars().count();
    let end = start + excerpt.chars().count();
    Some((i32::try_from(start).ok()?, i32::try_from(end).ok()?))
}

/// The hex SHA-256 of `text`.
fn hex_sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{char_offsets, is_slug};

    #[test]
    fn slugs_are_lowercase_runs_joined_by_single_hyphens() {
        assert!(is_slug("vladimir-putin"));
        assert!(is_slug("2025-12-28-call"));
        for bad in ["", "Putin", "a--b", "-a", "a-", "a b", "a_b"] {
            assert!(!is_slug(bad), "{bad:?} should not be a slug");
        }
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let body = "“Quote” then words";
        assert_eq!(char_offsets(body, "then"), Some((8, 12)));
        assert_eq!(char_offsets(body, "missing"), None);
    }
}
