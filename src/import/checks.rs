//! The checks of a planned document that need the store, run inside the import's
//! transaction: references to records the document does not declare, records declared
//! without the fields a new one needs, an event declared as another kind than it is,
//! and new actors or places that look like known ones.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect};

use super::error::Rejection;
use super::plan::{Declared, Plan, RefKind};
use crate::db::entities::*;
use crate::db::sql::IDS_PER_STATEMENT;
use crate::db::sql::{Sql, one_of};
use crate::domain::{EventKind, SubjectKind};
use crate::store::resolve::Seen;

/// Every problem of `plan` that the store shows, and what was seen of the store on the
/// way. `skip` holds ids declared by documents of this run that were refused:
/// references to them are not reported again.
pub async fn against_store<C: ConnectionTrait>(
    db: &C,
    plan: &Plan,
    skip: &HashSet<i64>,
) -> Result<(Vec<Rejection>, Seen), DbErr> {
    let mut seen = Seen::default();
    let mut found = missing_references(db, plan, skip, &mut seen).await?;
    let known = known_declarations(db, plan).await?;
    for declared in &plan.declared {
        if known.kinds.contains_key(&declared.id) {
            seen.existing.insert(declared.id);
        } else {
            seen.absent.insert(declared.id);
        }
    }
    for declared in &plan.declared {
        let exists = known.kinds.contains_key(&declared.id);
        if !exists && !declared.lacks.is_empty() {
            found.push(Rejection::new(
                &plan.file,
                &declared.path,
                new_needs(declared),
            ));
        }
        if let (Some(Some(stored)), Some(given)) =
            (known.kinds.get(&declared.id), declared.event_kind)
            && *stored != given
        {
            found.push(Rejection::new(
                &plan.file,
                &declared.path,
                format!(
                    "event `{}` is a {} in the store; this document makes it a {}",
                    declared.slug,
                    kind_name(*stored),
                    kind_name(given)
                ),
            ));
        }
    }
    found.extend(duplicates(db, plan, &known).await?);
    Ok((found, seen))
}

/// The message for a record the store does not know, declared without what it needs.
fn new_needs(declared: &Declared) -> String {
    let noun = match declared.kind {
        SubjectKind::Actor => "actor",
        SubjectKind::Place => "place",
        SubjectKind::Event => "event",
        SubjectKind::Proposal => "proposal",
        _ => "provision",
    };
    let fields: Vec<String> = declared.lacks.iter().map(|f| format!("`{f}`")).collect();
    format!(
        "{noun} `{}` is new to the store, so it needs {}",
        declared.slug,
        fields.join(" and ")
    )
}

fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Meeting => "meeting",
        EventKind::Statement => "statement",
        EventKind::MilitaryEvent => "military event",
    }
}

/// The plan's references to records it does not declare and the store lacks.
async fn missing_references<C: ConnectionTrait>(
    db: &C,
    plan: &Plan,
    skip: &HashSet<i64>,
    seen: &mut Seen,
) -> Result<Vec<Rejection>, DbErr> {
    let mut wanted: HashMap<RefKind, Vec<i64>> = HashMap::new();
    for reference in &plan.external {
        wanted.entry(reference.kind).or_default().push(reference.id);
    }
    let mut found: HashMap<RefKind, HashSet<i64>> = HashMap::new();
    for (kind, mut ids) in wanted {
        ids.sort_unstable();
        ids.dedup();
        let existing = match kind {
            RefKind::Actor => existing::<actor::Entity>(db, actor::Column::Id, &ids).await?,
            RefKind::Place => existing::<place::Entity>(db, place::Column::Id, &ids).await?,
            RefKind::Event => existing::<event::Entity>(db, event::Column::Id, &ids).await?,
            // By id alone, then the kind: with a condition on the kind, the planner may
            // walk the (kind, time) index instead.
            RefKind::Statement => event_kinds(db, &ids)
                .await?
                .into_iter()
                .filter(|(_, kind)| *kind == EventKind::Statement)
                .map(|(id, _)| id)
                .collect(),
            RefKind::Proposal => {
                existing::<proposal::Entity>(db, proposal::Column::Id, &ids).await?
            }
            RefKind::Provision => {
                existing::<provision::Entity>(db, provision::Column::Id, &ids).await?
            }
        };
        seen.existing.extend(&existing);
        found.insert(kind, existing.into_iter().collect());
    }
    Ok(plan
        .external
        .iter()
        .filter(|r| !skip.contains(&r.id))
        .filter(|r| !found.get(&r.kind).is_some_and(|ids| ids.contains(&r.id)))
        .map(|r| {
            let reason = format!(
                "unknown {} slug `{}`: neither declared in this document nor imported before",
                r.kind.noun(),
                r.slug
            );
            Rejection::new(&plan.file, r.path.clone(), reason)
        })
        .collect())
}

/// The ids among `ids` of rows of `E`.
async fn existing<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let query =
            E::find()
                .select_only()
                .column(id)
                .filter(one_of(id, chunk, db.get_database_backend()));
        found.extend(query.into_tuple::<i64>().all(db).await?);
    }
    Ok(found)
}

/// The kind of each event among `ids`.
async fn event_kinds(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<(i64, EventKind)>, DbErr> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let rows: Vec<(i64, EventKind)> = event::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .column(event::Column::Kind)
            .filter(one_of(event::Column::Id, chunk, db.get_database_backend()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// What the store knows of the records a plan declares.
struct Known {
    /// The declared records the store has, with the kind of those that are events.
    kinds: HashMap<i64, Option<EventKind>>,
}

async fn known_declarations<C: ConnectionTrait>(db: &C, plan: &Plan) -> Result<Known, DbErr> {
    let mut by_kind: BTreeMap<SubjectKind, Vec<i64>> = BTreeMap::new();
    for declared in &plan.declared {
        by_kind.entry(declared.kind).or_default().push(declared.id);
    }
    let mut kinds = HashMap::new();
    for (kind, ids) in by_kind {
        match kind {
            SubjectKind::Event => {
                let rows = event_kinds(db, &ids).await?;
                kinds.extend(rows.into_iter().map(|(id, kind)| (id, Some(kind))));
            }
            SubjectKind::Actor => {
                let found = existing::<actor::Entity>(db, actor::Column::Id, &ids).await?;
                kinds.extend(found.into_iter().map(|id| (id, None)));
            }
            SubjectKind::Place => {
                let found = existing::<place::Entity>(db, place::Column::Id, &ids).await?;
                kinds.extend(found.into_iter().map(|id| (id, None)));
            }
            SubjectKind::Proposal => {
                let found = existing::<proposal::Entity>(db, proposal::Column::Id, &ids).await?;
                kinds.extend(found.into_iter().map(|id| (id, None)));
            }
            _ => {
                let found = existing::<provision::Entity>(db, provision::Column::Id, &ids).await?;
                kinds.extend(found.into_iter().map(|id| (id, None)));
            }
        }
    }
    Ok(Known { kinds })
}

/// A name as compared for duplicates: lowercase, with single spaces.
fn normalized(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// New actors and places whose name or alias another record of their kind has (in the
/// store, or new in this document too), unless they say they are distinct from it.
async fn duplicates<C: ConnectionTrait>(
    db: &C,
    plan: &Plan,
    known: &Known,
) -> Result<Vec<Rejection>, DbErr> {
    let mut found = Vec::new();
    for (kind, noun) in [(SubjectKind::Actor, "actor"), (SubjectKind::Place, "place")] {
        let new: Vec<&Declared> = plan
            .declared
            .iter()
            .filter(|d| d.kind == kind && !known.kinds.contains_key(&d.id) && !d.names.is_empty())
            .collect();
        if new.is_empty() {
            continue;
        }
        let mut named: HashMap<String, Vec<String>> = HashMap::new();
        for (slug, name) in stored_names(db, kind).await? {
            named.entry(normalized(&name)).or_default().push(slug);
        }
        for declared in new {
            for (path, name) in &declared.names {
                let key = normalized(name);
                let others: Vec<&String> = named
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .filter(|slug| {
                        **slug != declared.slug && !declared.distinct_from.contains(slug)
                    })
                    .collect();
                if let Some(other) = others.first() {
                    found.push(Rejection::new(
                        &plan.file,
                        path,
                        format!(
                            "`{name}` is already the name or an alias of {noun} `{other}`: refer to that slug, \
                             or list it in `distinctFrom` if this is another {noun}"
                        ),
                    ));
                }
            }
            for (_, name) in &declared.names {
                named
                    .entry(normalized(name))
                    .or_default()
                    .push(declared.slug.clone());
            }
        }
    }
    Ok(found)
}

/// Every name (and, for actors, alias) in the store of records of `kind`, with the slug
/// of the record.
async fn stored_names<C: ConnectionTrait>(
    db: &C,
    kind: SubjectKind,
) -> Result<Vec<(String, String)>, DbErr> {
    #[derive(FromQueryResult)]
    struct Named {
        slug: String,
        name: String,
    }
    let text = match kind {
        SubjectKind::Actor => {
            "SELECT slug, name FROM actors UNION ALL \
             SELECT a.slug, al.alias AS name FROM actor_aliases al JOIN actors a ON a.id = al.actor_id"
        }
        _ => "SELECT slug, name FROM places",
    };
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(text);
    let rows = Named::find_by_statement(sql.build()).all(db).await?;
    Ok(rows.into_iter().map(|row| (row.slug, row.name)).collect())
}
