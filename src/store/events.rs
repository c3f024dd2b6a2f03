//! Events of every kind: one row joins an event to its kind's details.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveEnum, DatabaseConnection, DbBackend, DbErr, FromQueryResult, QueryResult};

use super::known::Known;
use super::page::{Count, Cursor, Keyed, Page, PageOf, SortKey};
use super::rows::{Columns, Parented, read_rows, rows};
use crate::db::entities::{actor, event_participant};
use crate::db::sql::Sql;
use crate::domain::*;

/// An event: its key columns always, the rest of the events table's columns and its
/// kind's own columns when the statement that read it asked for them. The fields follow
/// the order of the columns [`EventColumns::push_columns`] writes, in which they are read.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: i64,
    pub slug: String,
    pub kind: EventKind,
    pub title: String,
    pub occurred_at: DateTime<Utc>,
    /// The rest of the events table's columns: `None` when not read.
    pub facts: Option<EventFacts>,
    /// A meeting's own columns: `None` for other kinds, or when not read.
    pub meeting: Option<MeetingColumns>,
    /// A statement's own columns: `None` for other kinds, or when not read.
    pub statement: Option<StatementColumns>,
    /// A military event's own columns: `None` for other kinds, or when not read.
    pub military: Option<MilitaryColumns>,
}

/// The columns of the `events` table beyond an event's key, id, kind, names and time.
#[derive(Debug, Clone)]
pub struct EventFacts {
    pub summary: Option<String>,
    pub occurred_until: Option<DateTime<Utc>>,
    pub time_precision: TimePrecision,
    pub time_text: Option<String>,
    pub time_inferred: bool,
    pub time_note: Option<String>,
    pub place_id: Option<i64>,
    pub certainty: Certainty,
    pub cameo_code: Option<String>,
}

/// The columns of the `meetings` table.
#[derive(Debug, Clone)]
pub struct MeetingColumns {
    pub format: MeetingFormat,
    pub status: MeetingStatus,
    pub expected_duration_minutes: Option<i32>,
    pub open_to_press: Option<bool>,
}

/// The columns of the `statements` table, with the speaker when it was joined.
#[derive(Debug, Clone)]
pub struct StatementColumns {
    pub speaker_id: i64,
    pub kind: StatementKind,
    pub text: String,
    pub channel: ChannelKind,
    pub channel_name: Option<String>,
    pub outlet_id: Option<i64>,
    /// The speaker, when the statement that read the row joined it.
    pub speaker: Option<actor::Model>,
}

/// The columns of the `military_events` table.
#[derive(Debug, Clone)]
pub struct MilitaryColumns {
    pub kind: MilitaryEventKind,
    pub weapons: Option<String>,
    pub effects: Option<String>,
    pub casualties: Option<String>,
}

impl EventRow {
    /// Reads the columns `tables.push_columns` wrote.
    fn read(columns: &mut Columns, tables: EventColumns) -> Result<Self, DbErr> {
        Ok(Self {
            id: columns.read()?,
            slug: columns.read()?,
            kind: columns.read()?,
            title: columns.read()?,
            occurred_at: columns.read()?,
            facts: match tables.facts {
                true => Some(EventFacts::read(columns)?),
                false => None,
            },
            meeting: match tables.meetings {
                true => MeetingColumns::read(columns)?,
                false => None,
            },
            statement: match tables.statements {
                true => StatementColumns::read(columns, tables.speakers)?,
                false => None,
            },
            military: match tables.military {
                true => MilitaryColumns::read(columns)?,
                false => None,
            },
        })
    }
}

impl EventFacts {
    /// Reads [`FACTS`]' columns.
    fn read(columns: &mut Columns) -> Result<Self, DbErr> {
        Ok(Self {
            summary: columns.optional()?,
            occurred_until: columns.optional()?,
            time_precision: columns.read()?,
            time_text: columns.optional()?,
            time_inferred: columns.read()?,
            time_note: columns.optional()?,
            place_id: columns.optional()?,
            certainty: columns.read()?,
            cameo_code: columns.optional()?,
        })
    }
}

impl MeetingColumns {
    /// Reads [`MEETING_TABLE`]'s columns: `None` when the row has no meeting.
    fn read(columns: &mut Columns) -> Result<Option<Self>, DbErr> {
        columns.joined(4, |format, columns| {
            Ok(Self {
                format,
                status: columns.read()?,
                expected_duration_minutes: columns.optional()?,
                open_to_press: columns.optional()?,
            })
        })
    }
}

impl StatementColumns {
    /// Reads [`STATEMENT_TABLE`]'s columns, then [`SPEAKER_TABLE`]'s if `speakers`:
    /// `None` when the row has no statement.
    fn read(columns: &mut Columns, speakers: bool) -> Result<Option<Self>, DbErr> {
        let width = 6 + if speakers { ACTOR_COLUMNS } else { 0 };
        columns.joined(width, |speaker_id, columns| {
            Ok(Self {
                speaker_id,
                kind: columns.read()?,
                text: columns.read()?,
                channel: columns.read()?,
                channel_name: columns.optional()?,
                outlet_id: columns.optional()?,
                speaker: match speakers {
                    true => read_actor(columns)?,
                    false => None,
                },
            })
        })
    }
}

impl MilitaryColumns {
    /// Reads [`MILITARY_TABLE`]'s columns: `None` when the row has no military event.
    fn read(columns: &mut Columns) -> Result<Option<Self>, DbErr> {
        columns.joined(4, |kind, columns| {
            Ok(Self {
                kind,
                weapons: columns.optional()?,
                effects: columns.optional()?,
                casualties: columns.optional()?,
            })
        })
    }
}

impl Keyed for EventRow {
    fn cursor(&self) -> Cursor {
        Cursor {
            key: SortKey::Time(self.occurred_at),
            id: self.id,
        }
    }
}

/// The key columns of [`EventRow`], read from `events e` by every statement.
const KEY_COLUMNS: &str = "e.id, e.slug, e.kind, e.title, e.occurred_at";

/// The rest of the events table's columns, [`EventFacts`]: nothing to join.
const FACTS: Table = Table {
    join: "",
    columns: ", e.summary, e.occurred_until, e.time_precision, e.time_text, e.time_inferred, \
         e.time_note, e.place_id, e.certainty, e.cameo_code",
};

/// Each kind table: how it is joined to `events e`, and its columns. The first column of
/// each is never NULL in the table, so a NULL there means the row has none.
const MEETING_TABLE: Table = Table {
    join: " LEFT JOIN meetings m ON m.event_id = e.id",
    columns: ", m.format, m.status, m.expected_duration_minutes, m.open_to_press",
};
const STATEMENT_TABLE: Table = Table {
    join: " LEFT JOIN statements s ON s.event_id = e.id",
    columns: ", s.speaker_id, s.kind, s.text, s.channel, s.channel_name, s.outlet_id",
};
/// The speaker of each statement, joined after the statements table.
const SPEAKER_TABLE: Table = Table {
    join: " LEFT JOIN actors sa ON sa.id = s.speaker_id",
    columns: ", sa.id, sa.slug, sa.name, sa.kind, sa.country, sa.description",
};
const MILITARY_TABLE: Table = Table {
    join: " LEFT JOIN military_events x ON x.event_id = e.id",
    columns: ", x.kind, x.weapons, x.effects, x.casualties",
};

struct Table {
    join: &'static str,
    columns: &'static str,
}

/// What the nodes of a list ask for beyond the events table's key columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Wanted {
    /// A field read from the events table's other columns ([`EventFacts`]).
    pub facts: bool,
    /// A field of a kind's own, read from its kind table.
    pub details: bool,
    /// A statement's speaker.
    pub speakers: bool,
}

/// The columns a statement reads for each [`EventRow`] beyond its key columns: the
/// events table's others ([`FACTS`]), the kind tables (`m`, `s`, `x`) joined to
/// `events e`, and the statements' speakers (`sa`). A list reads what its nodes ask for:
/// only the key columns when they ask for nothing else, the tables of the kinds it can
/// hold when they ask for a kind's own field, the speakers when they ask for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct EventColumns {
    facts: bool,
    meetings: bool,
    statements: bool,
    military: bool,
    speakers: bool,
}

impl EventColumns {
    /// Every column of the events and kind tables; speakers are left to the actor loader.
    pub const ALL: Self = Self {
        facts: true,
        meetings: true,
        statements: true,
        military: true,
        speakers: false,
    };

    /// The columns a list of `kinds` (every kind when empty) reads for `wanted`.
    pub fn of(kinds: &[EventKind], wanted: Wanted) -> Self {
        let holds = |kind| wanted.details && (kinds.is_empty() || kinds.contains(&kind));
        Self {
            facts: wanted.facts,
            meetings: holds(EventKind::Meeting),
            statements: holds(EventKind::Statement),
            military: holds(EventKind::MilitaryEvent),
            speakers: wanted.speakers && holds(EventKind::Statement),
        }
    }

    fn union(self, other: Self) -> Self {
        Self {
            facts: self.facts || other.facts,
            meetings: self.meetings || other.meetings,
            statements: self.statements || other.statements,
            military: self.military || other.military,
            speakers: self.speakers || other.speakers,
        }
    }

    /// Each table, in the order of its columns in [`EventRow`] and of the joins.
    fn each(self) -> [(bool, Table); 5] {
        [
            (self.facts, FACTS),
            (self.meetings, MEETING_TABLE),
            (self.statements, STATEMENT_TABLE),
            (self.speakers, SPEAKER_TABLE),
            (self.military, MILITARY_TABLE),
        ]
    }

    /// Writes the columns of [`EventRow`]: the key columns, then those asked for.
    fn push_columns(self, sql: &mut Sql) {
        sql.push(KEY_COLUMNS);
        for (joined, table) in self.each() {
            if joined {
                sql.push(table.columns);
            }
        }
    }

    /// Writes the joins from `events e`.
    fn push_joins(self, sql: &mut Sql) {
        for (joined, table) in self.each() {
            if joined {
                sql.push(table.join);
            }
        }
    }
}

/// Keeps one of the rows `ep` of an actor who takes part in an event in two roles: the
/// first role's. SQLite's way (PostgreSQL's is [`distinct_events`]). A scalar subquery
/// is an index probe per candidate row in every plan, including the generic plan
/// PostgreSQL caches for a prepared statement; the same condition as an anti-join can be
/// planned as a scan of all the actor's participations per row, which for the busiest
/// actor is 19,000 rows each.
const FIRST_ROLE: &str = " AND ep.role = (SELECT MIN(other.role) FROM event_participants other \
     WHERE other.event_id = ep.event_id AND other.actor_id = ep.actor_id)";

/// What a list of events may be narrowed to. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EventQuery {
    /// Only these kinds.
    pub kinds: Vec<EventKind>,
    /// Only events this actor takes part in…
    pub actor: Option<i64>,
    /// …in this role.
    pub role: Option<ParticipantRole>,
    /// Only events at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only events before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Only events at this place or any place within it.
    pub place: Option<i64>,
    /// Only events of these certainties.
    pub certainty: Vec<Certainty>,
    /// Only events cited by this source.
    pub source: Option<i64>,
    pub meeting_format: Option<MeetingFormat>,
    pub meeting_status: Option<MeetingStatus>,
    pub statement_kind: Option<StatementKind>,
    pub speaker: Option<i64>,
    /// Only statements about, accounting for or responding to this event.
    pub about: Option<i64>,
    pub channel: Option<ChannelKind>,
    pub military_kind: Option<MilitaryEventKind>,
    /// Newest first.
    pub descending: bool,
}

impl EventQuery {
    /// The columns of the event's time and id to filter and order by: the
    /// participation's copies when the query names an actor, or the statement's when it
    /// names a speaker, so their (actor or speaker, time, event) index serves both and a
    /// page is a range scan cut at the page size.
    fn key_columns(&self) -> (&'static str, &'static str) {
        if self.actor.is_some() {
            ("ep.occurred_at", "ep.event_id")
        } else if self.speaker.is_some() {
            ("s.occurred_at", "s.event_id")
        } else {
            ("e.occurred_at", "e.id")
        }
    }

    /// Whether the statement keeps each of the actor's events once with `DISTINCT`.
    fn distinct_events(&self, backend: DbBackend) -> bool {
        self.actor.is_some() && distinct_events(backend, self.role)
    }

    /// The kind tables the filters read.
    fn filtered_tables(&self) -> EventColumns {
        EventColumns {
            facts: false,
            meetings: self.meeting_format.is_some() || self.meeting_status.is_some(),
            statements: self.statement_kind.is_some()
                || self.channel.is_some()
                || self.speaker.is_some(),
            military: self.military_kind.is_some(),
            speakers: false,
        }
    }

    /// Writes the FROM clause: events with the kind tables `tables`, reached through the
    /// actor's participations (`ep`) when the query names an actor.
    fn push_from(&self, sql: &mut Sql, tables: EventColumns) {
        if self.actor.is_some() {
            sql.push(" FROM event_participants ep JOIN events e ON e.id = ep.event_id");
        } else {
            sql.push(" FROM events e");
        }
        tables.push_joins(sql);
    }

    /// Writes the WHERE clause (always opened, so callers may append `AND …`).
    fn push_where(&self, sql: &mut Sql) {
        sql.push(" WHERE 1 = 1");
        push_any(sql, "e.kind", &self.kinds);
        if let Some(actor) = self.actor {
            sql.push(" AND ep.actor_id = ").bind(actor);
            push_role(sql, self.role);
        }
        let (time, _) = self.key_columns();
        if let Some(from) = self.from {
            sql.push(&format!(" AND {time} >= ")).bind(from);
        }
        if let Some(to) = self.to {
            sql.push(&format!(" AND {time} < ")).bind(to);
        }
        if let Some(place) = self.place {
            // The place tree as a subquery of its own, not a `WITH` clause in front: a
            // read as of an import puts its own `WITH` clause there.
            sql.push(
                " AND e.place_id IN (WITH RECURSIVE within_place(id) AS (SELECT id FROM places WHERE id = ",
            );
            sql.bind(place);
            sql.push(
                " UNION ALL SELECT p.id FROM places p JOIN within_place w ON p.parent_id = w.id) \
                 SELECT id FROM within_place)",
            );
        }
        push_any(sql, "e.certainty", &self.certainty);
        if let Some(source) = self.source {
            sql.push(
                " AND EXISTS (SELECT 1 FROM citations c WHERE c.record_kind = 'event' AND c.record_id = e.id AND c.source_id = ",
            );
            sql.bind(source).push(")");
        }
        push_eq(sql, "m.format", self.meeting_format);
        push_eq(sql, "m.status", self.meeting_status);
        push_eq(sql, "s.kind", self.statement_kind);
        push_eq(sql, "s.channel", self.channel);
        push_eq(sql, "x.kind", self.military_kind);
        if let Some(speaker) = self.speaker {
            sql.push(" AND s.speaker_id = ").bind(speaker);
        }
        if let Some(about) = self.about {
            sql.push(
                " AND EXISTS (SELECT 1 FROM event_relations r WHERE r.event_id = e.id \
                 AND r.kind IN ('about', 'account_of', 'responds_to') AND r.related_event_id = ",
            );
            sql.bind(about).push(")");
        }
    }

    /// The count of every event the query matches, as known at `known`.
    pub fn count(&self, backend: DbBackend, known: Known) -> Count {
        let mut sql = Sql::new(backend);
        sql.push(match self.distinct_events(backend) {
            true => "SELECT COUNT(DISTINCT ep.event_id) AS n",
            false => "SELECT COUNT(*) AS n",
        });
        self.push_from(&mut sql, self.filtered_tables());
        self.push_where(&mut sql);
        Count::Query(known.statement(sql.build()))
    }

    /// One page of the matching events, in time order, with what the nodes want.
    pub async fn page(
        &self,
        db: &DatabaseConnection,
        known: Known,
        page: &Page,
        wanted: Wanted,
    ) -> Result<PageOf<EventRow>, DbErr> {
        let tables = EventColumns::of(&self.kinds, wanted).union(self.filtered_tables());
        let (time, id) = self.key_columns();
        let mut sql = Sql::new(db.get_database_backend());
        sql.push("SELECT ");
        if self.distinct_events(sql.backend()) {
            sql.push(&format!("DISTINCT ON ({time}, {id}) "));
        }
        tables.push_columns(&mut sql);
        self.push_from(&mut sql, tables);
        self.push_where(&mut sql);
        page.push_window(&mut sql, time, id, self.descending);
        let rows = read_rows(db, known, sql, |columns| EventRow::read(columns, tables)).await?;
        Ok(page.finish(rows))
    }
}

/// True when a statement over an actor's participations `ep` in `role` (any role when
/// `None`) must select `DISTINCT ON` the event's time and id, so that an actor in two
/// roles at one event has it once: PostgreSQL with no role given. The index the
/// participations are read by lists an event's rows side by side, so the plan drops the
/// second one as it streams, where [`FIRST_ROLE`] probes the index again for every row.
fn distinct_events(backend: DbBackend, role: Option<ParticipantRole>) -> bool {
    role.is_none() && backend == DbBackend::Postgres
}

/// Narrows the participations `ep` to `role`; without one, on SQLite, to each event's
/// first role (PostgreSQL selects [`distinct_events`] instead).
fn push_role(sql: &mut Sql, role: Option<ParticipantRole>) {
    match role {
        Some(role) => {
            sql.push(" AND ep.role = ").bind(role.to_value());
        }
        None if distinct_events(sql.backend(), role) => {}
        None => {
            sql.push(FIRST_ROLE);
        }
    }
}

fn push_eq<E: ActiveEnum<Value = String>>(sql: &mut Sql, column: &str, value: Option<E>) {
    if let Some(value) = value {
        sql.push(" AND ")
            .push(column)
            .push(" = ")
            .bind(value.to_value());
    }
}

fn push_any<E: ActiveEnum<Value = String>>(sql: &mut Sql, column: &str, values: &[E]) {
    if values.is_empty() {
        return;
    }
    sql.push(" AND ").push(column).push(" IN (");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(value.to_value());
    }
    sql.push(")");
}

/// Events by id, in no particular order.
pub async fn by_ids(
    db: &DatabaseConnection,
    known: Known,
    ids: &[i64],
) -> Result<Vec<EventRow>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT ");
    EventColumns::ALL.push_columns(&mut sql);
    sql.push(" FROM events e");
    EventColumns::ALL.push_joins(&mut sql);
    sql.push(" WHERE e.id").in_ids(ids);
    read_rows(db, known, sql, |columns| {
        EventRow::read(columns, EventColumns::ALL)
    })
    .await
}

/// An actor's part in an event, with the actor.
#[derive(Debug, Clone)]
pub struct ParticipantRow {
    pub participation: event_participant::Model,
    pub actor: actor::Model,
}

impl FromQueryResult for ParticipantRow {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        let mut columns = Columns::new(row);
        Ok(Self {
            participation: event_participant::Model {
                id: columns.read()?,
                event_id: columns.read()?,
                actor_id: columns.read()?,
                role: columns.read()?,
                occurred_at: columns.read()?,
            },
            actor: read_actor(&mut columns)?
                .ok_or_else(|| DbErr::Custom("a participant without its actor".into()))?,
        })
    }
}

/// How many columns [`read_actor`] reads.
const ACTOR_COLUMNS: usize = 6;

/// Reads an actor's columns (id, slug, name, kind, country, description), or skips them
/// when the id is NULL: no actor was joined.
fn read_actor(columns: &mut Columns) -> Result<Option<actor::Model>, DbErr> {
    columns.joined(ACTOR_COLUMNS, |id, columns| {
        Ok(actor::Model {
            id,
            slug: columns.read()?,
            name: columns.read()?,
            kind: columns.read()?,
            country: columns.optional()?,
            description: columns.optional()?,
        })
    })
}

/// The participants of `events` with their actors, in order of role, then id.
pub async fn participants(
    db: &DatabaseConnection,
    known: Known,
    events: &[i64],
) -> Result<Vec<ParticipantRow>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT ep.id, ep.event_id, ep.actor_id, ep.role, ep.occurred_at, \
         a.id, a.slug, a.name, a.kind, a.country, a.description \
         FROM event_participants ep JOIN actors a ON a.id = ep.actor_id WHERE ep.event_id",
    )
    .in_ids(events)
    .push(" ORDER BY ep.role, ep.id");
    rows(db, known, sql).await
}

/// Which events of an actor a nested list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorEvents {
    /// Events the actor takes part in, in any role or in one role.
    Participation(Option<ParticipantRole>),
    /// Statements the actor made.
    Statements,
}

/// The page a nested list of an actor's events asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActorPage {
    pub which: ActorEvents,
    pub page: Page,
    /// What the nodes ask for beyond the events table.
    pub wanted: Wanted,
}

impl ActorPage {
    fn tables(&self) -> EventColumns {
        match self.which {
            ActorEvents::Participation(_) => EventColumns::of(&[], self.wanted),
            ActorEvents::Statements => EventColumns::of(&[EventKind::Statement], self.wanted),
        }
    }
}

/// Most actors whose pages one statement reads; a larger batch takes one statement per
/// this many actors (SQLite allows 500 terms in a compound SELECT).
const ACTORS_PER_STATEMENT: usize = 100;

/// For each actor, one page of its events (or statements). Each actor's page is its own
/// `UNION ALL` branch: a range scan of the (actor, time, event) index cut at the page
/// size, so the cost follows the page, not the actor's whole history.
pub async fn pages_by_actor(
    db: &DatabaseConnection,
    known: Known,
    actors: &[i64],
    request: &ActorPage,
) -> Result<Vec<Parented<EventRow>>, DbErr> {
    let mut pages = Vec::new();
    for chunk in actors.chunks(ACTORS_PER_STATEMENT) {
        pages.extend(pages_of_chunk(db, known, chunk, request).await?);
    }
    Ok(pages)
}

async fn pages_of_chunk(
    db: &DatabaseConnection,
    known: Known,
    actors: &[i64],
    request: &ActorPage,
) -> Result<Vec<Parented<EventRow>>, DbErr> {
    let ActorPage { which, page, .. } = request;
    let tables = request.tables();
    let backend = db.get_database_backend();
    // Statement pages read the statements' own columns in their branches, and the
    // branches stand in for the statements table `s`; the joins leave it out.
    let (table, owner, owned, own_columns, joins) = match which {
        ActorEvents::Participation(_) => {
            ("event_participants ep", "ep.actor_id", "owned", "", tables)
        }
        ActorEvents::Statements => (
            "statements s",
            "s.speaker_id",
            "s",
            if tables.statements {
                STATEMENT_TABLE.columns
            } else {
                ""
            },
            EventColumns {
                statements: false,
                ..tables
            },
        ),
    };
    let distinct = match which {
        ActorEvents::Participation(role) => distinct_events(backend, *role),
        ActorEvents::Statements => false,
    };
    let mut sql = Sql::new(backend);
    sql.push(&format!("SELECT {owned}.parent_id, "));
    tables.push_columns(&mut sql);
    sql.push(" FROM (");
    for (i, actor) in actors.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!(
            "SELECT * FROM (SELECT {} {owner} AS parent_id, event_id, occurred_at{own_columns} \
             FROM {table} WHERE {owner} = ",
            if distinct {
                "DISTINCT ON (occurred_at, event_id)"
            } else {
                ""
            }
        ));
        sql.bind(*actor);
        if let ActorEvents::Participation(role) = *which {
            push_role(&mut sql, role);
        }
        page.push_window(&mut sql, "occurred_at", "event_id", false);
        sql.push(&format!(") branch_{i}"));
    }
    sql.push(&format!(
        ") {owned} JOIN events e ON e.id = {owned}.event_id"
    ));
    joins.push_joins(&mut sql);
    let direction = page.direction(false);
    sql.push(&format!(
        " ORDER BY {owned}.parent_id, {owned}.occurred_at {direction}, {owned}.event_id {direction}"
    ));
    read_rows(db, known, sql, |columns| {
        Ok(Parented {
            parent: columns.read()?,
            row: EventRow::read(columns, tables)?,
        })
    })
    .await
}

/// How many events (or statements) each of `actors` has.
pub async fn counts_by_actor(
    db: &DatabaseConnection,
    known: Known,
    actors: &[i64],
    which: ActorEvents,
) -> Result<Vec<(i64, i64)>, DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        actor_id: i64,
        n: i64,
    }
    let mut sql = Sql::new(db.get_database_backend());
    match which {
        ActorEvents::Participation(role) => {
            sql.push("SELECT actor_id, COUNT(DISTINCT event_id) AS n FROM event_participants WHERE actor_id");
            sql.in_ids(actors);
            if let Some(role) = role {
                sql.push(" AND role = ").bind(role.to_value());
            }
        }
        ActorEvents::Statements => {
            sql.push(
                "SELECT speaker_id AS actor_id, COUNT(*) AS n FROM statements WHERE speaker_id",
            );
            sql.in_ids(actors);
        }
    }
    sql.push(" GROUP BY 1");
    let counts: Vec<Count> = rows(db, known, sql).await?;
    Ok(counts.into_iter().map(|c| (c.actor_id, c.n)).collect())
}
