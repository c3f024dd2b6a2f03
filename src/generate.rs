//! Deterministic synthetic data at any scale, for benchmarks and load tests.
//!
//! Scale 1 is about 10,000 actors, 20,000 meetings, 100,000 statements and 10,000
//! military events. The same seed gives the same rows. Documents are built in memory and
//! go through the importer's checks and writer, a chunk of events per transaction, so
//! generated data obeys every rule imported data does.
//!
//! Actors are skewed as in real reporting: actor `actor-000000` takes part in a large
//! share of events, the first few dozen in most of the rest, the long tail in few.

use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::DatabaseConnection;

use crate::domain::*;
use crate::import::document::*;
use crate::import::{ImportError, import_documents};

/// Events per generated document (and transaction).
const EVENTS_PER_DOCUMENT: usize = 5_000;

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub actors: usize,
    pub meetings: usize,
    pub statements: usize,
    pub military_events: usize,
    pub proposals: usize,
}

impl Scale {
    /// `factor` times scale 1.
    pub fn times(factor: f64) -> Self {
        let n = |base: f64| ((base * factor).round() as usize).max(1);
        Self {
            actors: n(10_000.0),
            meetings: n(20_000.0),
            statements: n(100_000.0),
            military_events: n(10_000.0),
            proposals: n(1_000.0),
        }
    }

    /// Events of every kind.
    pub fn events(&self) -> usize {
        self.meetings + self.statements + self.military_events
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} actors, about {} meetings, {} statements and {} military events, {} proposals",
            self.actors, self.meetings, self.statements, self.military_events, self.proposals
        )
    }
}

/// SplitMix64: a tiny generator whose sequence is fixed by its seed forever, which a
/// general-purpose RNG crate does not promise across versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Skewed toward 0: a few values take most draws.
    fn skewed(&mut self, n: usize) -> usize {
        ((self.unit().powi(4)) * n as f64) as usize % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "ceasefire",
    "negotiations",
    "talks",
    "sanctions",
    "security",
    "guarantees",
    "drones",
    "missiles",
    "territorial",
    "concessions",
    "front",
    "line",
    "withdrawal",
    "buffer",
    "zone",
    "humanitarian",
    "corridor",
    "prisoner",
    "exchange",
    "grain",
    "deal",
    "energy",
    "infrastructure",
    "strike",
    "delegation",
    "summit",
    "envoy",
    "mediation",
    "sovereignty",
    "referendum",
    "reparations",
    "monitoring",
    "mission",
    "peacekeepers",
    "air",
    "defence",
    "artillery",
    "shelling",
    "offensive",
    "counteroffensive",
    "aid",
    "funding",
    "weapons",
    "reconstruction",
    "elections",
    "border",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut text = String::with_capacity(words * 9);
    for i in 0..words {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(WORDS[rng.below(WORDS.len())]);
    }
    text.push('.');
    text
}

fn cite(text: &str) -> Vec<CitationDoc> {
    vec![CitationDoc {
        excerpt: text.to_owned(),
        prefix: None,
        suffix: None,
        note: None,
    }]
}

fn at(time: DateTime<Utc>) -> TimeDoc {
    TimeDoc {
        at: time,
        until: None,
        precision: TimePrecision::Minute,
        text: None,
        inferred: false,
        note: None,
    }
}

/// Generates `scale` with `seed` into `db`; returns the seconds it took.
pub async fn generate(
    db: &DatabaseConnection,
    scale: Scale,
    seed: u64,
) -> Result<f64, ImportError> {
    let started = Instant::now();
    let name = Path::new("generated");
    let mut rng = Rng(seed);
    let start = Utc
        .with_ymd_and_hms(2015, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let span_minutes = 11 * 365 * 24 * 60;

    // Places: countries, their regions, their cities.
    let mut places = Vec::new();
    for c in 0..60 {
        let country = format!("country-{c:02}");
        places.push(PlaceDoc {
            slug: country.clone(),
            name: Some(format!("Country {c}")),
            kind: Some(PlaceKind::Country),
            parent: None,
            latitude: None,
            longitude: None,
            country: None,
            distinct_from: Vec::new(),
            citations: cite(&format!("Country {c}")),
        });
        for r in 0..6 {
            let region = format!("{country}-region-{r}");
            places.push(PlaceDoc {
                slug: region.clone(),
                name: Some(format!("Region {c}.{r}")),
                kind: Some(PlaceKind::Region),
                parent: Some(country.clone()),
                latitude: None,
                longitude: None,
                country: None,
                distinct_from: Vec::new(),
                citations: cite(&format!("Region {c}.{r}")),
            });
            for t in 0..5 {
                places.push(PlaceDoc {
                    slug: format!("{region}-city-{t}"),
                    name: Some(format!("City {c}.{r}.{t}")),
                    kind: Some(PlaceKind::City),
                    parent: Some(region.clone()),
                    latitude: Some(rng.unit() * 120.0 - 60.0),
                    longitude: Some(rng.unit() * 340.0 - 170.0),
                    country: None,
                    distinct_from: Vec::new(),
                    citations: cite(&format!("City {c}.{r}.{t}")),
                });
            }
        }
    }
    let cities: Vec<String> = places
        .iter()
        .filter(|p| p.kind == Some(PlaceKind::City))
        .map(|p| p.slug.clone())
        .collect();

    let kinds = [
        ActorKind::Person,
        ActorKind::Person,
        ActorKind::Person,
        ActorKind::State,
        ActorKind::GovernmentBody,
        ActorKind::Organization,
        ActorKind::MediaOutlet,
    ];
    let actors: Vec<ActorDoc> = (0..scale.actors)
        .map(|i| {
            let name = format!("Actor {i}");
            ActorDoc {
                slug: format!("actor-{i:06}"),
                name: Some(name.clone()),
                kind: Some(kinds[i % kinds.len()]),
                country: None,
                description: Some(sentence(&mut rng, 6)),
                aliases: vec![format!("A{i}")],
                distinct_from: Vec::new(),
                citations: cite(&name),
            }
        })
        .collect();
    let affiliations: Vec<AffiliationDoc> = (1..scale.actors)
        .step_by(3)
        .map(|i| AffiliationDoc {
            actor: format!("actor-{i:06}"),
            of: format!("actor-{:06}", rng.skewed(i)),
            kind: AffiliationKind::Member,
            role: Some("Member".to_owned()),
            citations: Vec::new(),
        })
        .collect();
    let actor = |rng: &mut Rng| format!("actor-{:06}", rng.skewed(scale.actors));

    let first = Document {
        schema: None,
        source: SourceDoc {
            slug: "generated-registry".to_owned(),
            title: "Generated registry of actors and places".to_owned(),
            publisher: None,
            url: None,
            language: Some("en".to_owned()),
            published: None,
            sha256: None,
        },
        actors,
        affiliations,
        places,
        events: Vec::new(),
        proposals: Vec::new(),
    };
    import_documents(db, name, &[first]).await?;

    // Events, a document at a time; every kind is spread over eleven years.
    let total = scale.events();
    let mut statements_so_far: Vec<String> = Vec::new();
    let mut proposals_left = scale.proposals;
    for (document, chunk_start) in (0..total).step_by(EVENTS_PER_DOCUMENT).enumerate() {
        let chunk_end = (chunk_start + EVENTS_PER_DOCUMENT).min(total);
        let source = format!("generated-report-{document:05}");
        let mut events = Vec::with_capacity(chunk_end - chunk_start);
        for i in chunk_start..chunk_end {
            let time = start + Duration::minutes(rng.below(span_minutes) as i64);
            let place = Some(rng.pick(&cities).clone());
            let mut event = EventDoc {
                slug: String::new(),
                title: None,
                summary: None,
                time: Some(at(time)),
                place,
                certainty: Some(if rng.below(4) == 0 {
                    Certainty::Reported
                } else {
                    Certainty::Confirmed
                }),
                cameo_code: None,
                participants: Vec::new(),
                relations: Vec::new(),
                proposals: Vec::new(),
                citations: Vec::new(),
                meeting: None,
                statement: None,
                military_event: None,
            };
            // Interleave the kinds, 2 meetings : 10 statements : 1 military event, as
            // scale 1 has them.
            let which = i % 13;
            if which < 2 {
                event.slug = format!("meeting-{i:07}");
                event.title = Some(format!("Meeting {i}: {}", sentence(&mut rng, 4)));
                let mut seen = Vec::new();
                for role in std::iter::once(ParticipantRole::Host).chain(std::iter::repeat_n(
                    ParticipantRole::Participant,
                    1 + rng.below(7),
                )) {
                    let who = actor(&mut rng);
                    if !seen.contains(&who) {
                        seen.push(who.clone());
                        event.participants.push(ParticipantDoc {
                            actor: who,
                            role,
                            citations: Vec::new(),
                        });
                    }
                }
                if event.participants.len() < 2 {
                    let other = format!("actor-{:06}", (i * 7 + 1) % scale.actors);
                    if !seen.contains(&other) {
                        event.participants.push(ParticipantDoc {
                            actor: other,
                            role: ParticipantRole::Guest,
                            citations: Vec::new(),
                        });
                    }
                }
                event.meeting = Some(MeetingDoc {
                    format: *rng.pick(&[
                        MeetingFormat::InPerson,
                        MeetingFormat::PhoneCall,
                        MeetingFormat::VideoCall,
                    ]),
                    status: MeetingStatus::Held,
                    expected_duration_minutes: Some(30 + 30 * rng.below(4) as u32),
                    open_to_press: Some(rng.below(2) == 0),
                });
            } else if which == 12 {
                event.slug = format!("military-{i:07}");
                event.title = Some(format!("Strike {i}: {}", sentence(&mut rng, 3)));
                event.participants.push(ParticipantDoc {
                    actor: actor(&mut rng),
                    role: ParticipantRole::Perpetrator,
                    citations: Vec::new(),
                });
                event.military_event = Some(MilitaryEventDoc {
                    kind: *rng.pick(&[
                        MilitaryEventKind::AirAttack,
                        MilitaryEventKind::Strike,
                        MilitaryEventKind::GroundAssault,
                    ]),
                    weapons: Some("drones and missiles".to_owned()),
                    effects: Some(sentence(&mut rng, 6)),
                    casualties: None,
                });
            } else {
                event.slug = format!("statement-{i:07}");
                let words = 12 + rng.below(14);
                let text = sentence(&mut rng, words);
                event.title = Some(format!("Statement {i}"));
                event.statement = Some(StatementDoc {
                    speaker: actor(&mut rng),
                    kind: *rng.pick(&[
                        StatementKind::DirectQuote,
                        StatementKind::Paraphrase,
                        StatementKind::Accusation,
                    ]),
                    text,
                    channel: *rng.pick(&[
                        ChannelKind::SocialMedia,
                        ChannelKind::Remarks,
                        ChannelKind::Interview,
                    ]),
                    channel_name: None,
                    outlet: None,
                });
                statements_so_far.push(event.slug.clone());
            }
            event.citations = cite(event.title.as_deref().unwrap_or_default());
            events.push(event);
        }
        // Proposals, spread over the documents, resting on statements already made.
        let documents_left = (total - chunk_start).div_ceil(EVENTS_PER_DOCUMENT);
        let count = proposals_left.div_ceil(documents_left.max(1));
        proposals_left -= count;
        let mut proposals = Vec::with_capacity(count);
        for p in 0..count {
            let slug = format!("proposal-{document:05}-{p:03}");
            let provisions: Vec<ProvisionDoc> = (0..3 + rng.below(4))
                .map(|v| ProvisionDoc {
                    slug: format!("provision-{v}"),
                    text: Some(sentence(&mut rng, 10)),
                    inclusion: Some(if v == 0 {
                        ProvisionInclusion::Excluded
                    } else {
                        ProvisionInclusion::Included
                    }),
                    citations: Vec::new(),
                })
                .collect();
            let positions: Vec<PositionDoc> = (0..2 + rng.below(4))
                .map(|n| PositionDoc {
                    actor: format!("actor-{:06}", (p * 31 + n * 7 + document) % scale.actors),
                    provision: (n % 2 == 1).then(|| provisions[n % provisions.len()].slug.clone()),
                    stance: *rng.pick(&[
                        Stance::Supports,
                        Stance::Opposes,
                        Stance::Demands,
                        Stance::Undecided,
                    ]),
                    statement: statements_so_far
                        .get(rng.below(statements_so_far.len().max(1)))
                        .cloned(),
                    summary: None,
                    citations: Vec::new(),
                })
                .collect();
            let title = format!("Proposal {document}.{p}: {}", sentence(&mut rng, 3));
            proposals.push(ProposalDoc {
                slug,
                kind: Some(*rng.pick(&[
                    ProposalKind::PeacePlan,
                    ProposalKind::Ceasefire,
                    ProposalKind::Request,
                    ProposalKind::Demand,
                ])),
                title: Some(title.clone()),
                summary: Some(sentence(&mut rng, 15)),
                status: Some(ProposalStatus::Proposed),
                time: None,
                parties: vec![PartyDoc {
                    actor: actor(&mut rng),
                    role: ProposalPartyRole::Proposer,
                    citations: Vec::new(),
                }],
                provisions,
                positions,
                citations: cite(&title),
            });
        }
        let document = Document {
            schema: None,
            source: SourceDoc {
                slug: source,
                title: format!("Generated report {document}"),
                publisher: None,
                url: None,
                language: Some("en".to_owned()),
                published: None,
                sha256: None,
            },
            actors: Vec::new(),
            affiliations: Vec::new(),
            places: Vec::new(),
            events,
            proposals,
        };
        import_documents(db, name, &[document]).await?;
    }
    crate::db::analyze(db).await?;
    Ok(started.elapsed().as_secs_f64())
}
