//! Writes a checked plan: reference checks against earlier imports, then upserts by id.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic,
    Iterable, QueryFilter, QuerySelect,
};

use super::error::Rejection;
use super::plan::{Plan, RefKind, SearchDocument};
use crate::db::entities::*;
use crate::db::sql::Sql;
use crate::domain::EventKind;

/// Rows per INSERT: well under the bind-parameter limits of SQLite and PostgreSQL.
const ROWS_PER_STATEMENT: usize = 1000;

/// The plan's references to records it does not declare and the database lacks.
pub async fn missing_references<C: ConnectionTrait>(
    db: &C,
    plan: &Plan,
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
            RefKind::Actor => {
                existing_ids::<actor::Entity, _>(db, actor::Column::Id, ids, None).await?
            }
            RefKind::Place => {
                existing_ids::<place::Entity, _>(db, place::Column::Id, ids, None).await?
            }
            RefKind::Event => {
                existing_ids::<event::Entity, _>(db, event::Column::Id, ids, None).await?
            }
            RefKind::Statement => {
                let statements = event::Column::Kind.eq(EventKind::Statement);
                existing_ids::<event::Entity, _>(db, event::Column::Id, ids, Some(statements))
                    .await?
            }
            RefKind::Proposal => {
                existing_ids::<proposal::Entity, _>(db, proposal::Column::Id, ids, None).await?
            }
            RefKind::Provision => {
                existing_ids::<provision::Entity, _>(db, provision::Column::Id, ids, None).await?
            }
        };
        found.insert(kind, existing.into_iter().collect());
    }
    Ok(plan
        .external
        .iter()
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

async fn existing_ids<E, C>(
    db: &C,
    id: E::Column,
    ids: Vec<i64>,
    condition: Option<sea_orm::sea_query::SimpleExpr>,
) -> Result<Vec<i64>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let mut query = E::find()
            .select_only()
            .column(id)
            .filter(id.is_in(chunk.iter().copied()));
        if let Some(condition) = &condition {
            query = query.filter(condition.clone());
        }
        found.extend(query.into_tuple::<i64>().all(db).await?);
    }
    Ok(found)
}

/// Inserts or updates every row of the plan, parents before children. Without a body,
/// stored bodies and excerpt offsets are left as they are.
pub async fn write_plan<C: ConnectionTrait>(
    db: &C,
    plan: Plan,
    with_body: bool,
) -> Result<(), DbErr> {
    let keep_without_body: &[&str] = if with_body {
        &[]
    } else {
        &["body", "content_sha256"]
    };
    upsert(db, plan.sources, keep_without_body).await?;
    upsert(db, plan.actors, &[]).await?;
    upsert(db, plan.aliases, &[]).await?;
    upsert(db, plan.affiliations, &[]).await?;
    upsert(db, plan.places, &[]).await?;
    upsert(db, plan.proposals, &[]).await?;
    upsert(db, plan.provisions, &[]).await?;
    upsert(db, plan.events, &[]).await?;
    upsert(db, plan.meetings, &[]).await?;
    upsert(db, plan.statements, &[]).await?;
    upsert(db, plan.military_events, &[]).await?;
    upsert(db, plan.participants, &[]).await?;
    upsert(db, plan.relations, &[]).await?;
    upsert(db, plan.event_proposals, &[]).await?;
    upsert(db, plan.parties, &[]).await?;
    upsert(db, plan.positions, &[]).await?;
    let keep_offsets: &[&str] = if with_body {
        &[]
    } else {
        &["start_offset", "end_offset"]
    };
    upsert(db, plan.citations, keep_offsets).await?;
    write_search(db, &plan.search).await
}

/// Replaces the full-text documents of the records written.
async fn write_search<C: ConnectionTrait>(
    db: &C,
    documents: &[SearchDocument],
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    if documents.is_empty() {
        return Ok(());
    }
    if backend != DbBackend::Sqlite {
        // One statement per document set: the rows travel as four arrays, so the server
        // parses one short statement instead of thousands of placeholders.
        let mut upsert = Sql::new(backend);
        upsert.push(
            "INSERT INTO search_documents (record_id, record_kind, title, body) \
             SELECT * FROM unnest(",
        );
        upsert
            .bind(documents.iter().map(|d| d.record_id).collect::<Vec<i64>>())
            .push("::BIGINT[], ");
        upsert
            .bind(
                documents
                    .iter()
                    .map(|d| d.record_kind.to_owned())
                    .collect::<Vec<String>>(),
            )
            .push("::TEXT[], ");
        upsert
            .bind(
                documents
                    .iter()
                    .map(|d| d.title.clone())
                    .collect::<Vec<String>>(),
            )
            .push("::TEXT[], ");
        upsert
            .bind(
                documents
                    .iter()
                    .map(|d| d.body.clone())
                    .collect::<Vec<String>>(),
            )
            .push("::TEXT[])");
        upsert.push(
            " ON CONFLICT (record_id) DO UPDATE SET record_kind = excluded.record_kind, \
             title = excluded.title, body = excluded.body",
        );
        db.execute_raw(upsert.build()).await?;
        return Ok(());
    }
    for chunk in documents.chunks(ROWS_PER_STATEMENT / 4) {
        // FTS5 tables have no upsert: delete the old documents, then insert.
        let ids: Vec<i64> = chunk.iter().map(|d| d.record_id).collect();
        let mut delete = Sql::new(backend);
        delete
            .push("DELETE FROM search_documents WHERE rowid")
            .in_ids(&ids);
        db.execute_raw(delete.build()).await?;
        let mut insert = Sql::new(backend);
        insert.push("INSERT INTO search_documents (rowid, record_kind, title, body) VALUES ");
        for (i, document) in chunk.iter().enumerate() {
            insert.push(if i == 0 { "(" } else { ", (" });
            insert
                .bind(document.record_id)
                .push(", ")
                .bind(document.record_kind)
                .push(", ");
            insert
                .bind(document.title.as_str())
                .push(", ")
                .bind(document.body.as_str())
                .push(")");
        }
        db.execute_raw(insert.build()).await?;
    }
    Ok(())
}

/// Inserts `rows`, updating every column but the key and `keep` where the key exists.
async fn upsert<A, C>(db: &C, rows: Vec<A>, keep: &[&str]) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    let Some(key) = <A::Entity as EntityTrait>::Column::iter().next() else {
        return Ok(());
    };
    let updated: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
        .skip(1)
        .filter(|column| !keep.contains(&column.as_str()))
        .collect();
    let mut on_conflict = OnConflict::column(key);
    if updated.is_empty() {
        on_conflict.do_nothing();
    } else {
        on_conflict.update_columns(updated);
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .on_conflict(on_conflict.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
