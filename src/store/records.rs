//! Keyset lists of actors, places, sources and proposals.

use sea_orm::{ActiveEnum, DatabaseConnection, DbErr, FromQueryResult};

use super::known::Known;
use super::page::{Count, Cursor, Keyed, Page, PageOf, SortKey};
use super::rows::rows;
use crate::db::entities::{actor, place, proposal, source};
use crate::db::sql::Sql;
use crate::domain::{ActorKind, PlaceKind, ProposalKind, ProposalStatus};

impl Keyed for actor::Model {
    fn cursor(&self) -> Cursor {
        Cursor {
            key: SortKey::Text(self.name.clone()),
            id: self.id,
        }
    }
}

impl Keyed for place::Model {
    fn cursor(&self) -> Cursor {
        Cursor {
            key: SortKey::Text(self.name.clone()),
            id: self.id,
        }
    }
}

impl Keyed for source::Model {
    fn cursor(&self) -> Cursor {
        Cursor {
            key: SortKey::Text(self.title.clone()),
            id: self.id,
        }
    }
}

impl Keyed for proposal::Model {
    fn cursor(&self) -> Cursor {
        Cursor {
            key: SortKey::Text(self.title.clone()),
            id: self.id,
        }
    }
}

/// A keyset list over one table `t`, ordered by `key` then id.
pub struct Listing {
    /// The table, aliased `t`.
    table: &'static str,
    key: &'static str,
    conditions: Vec<Condition>,
    descending: bool,
}

enum Condition {
    Equals(&'static str, sea_orm::Value),
    /// A raw condition with one bound value.
    Sql(&'static str, sea_orm::Value),
}

impl Listing {
    fn new(table: &'static str, key: &'static str, descending: bool) -> Self {
        Self {
            table,
            key,
            conditions: Vec::new(),
            descending,
        }
    }

    fn equals(mut self, column: &'static str, value: Option<impl Into<sea_orm::Value>>) -> Self {
        if let Some(value) = value {
            self.conditions
                .push(Condition::Equals(column, value.into()));
        }
        self
    }

    fn push_query(&self, sql: &mut Sql, select: &str) {
        sql.push(select)
            .push(" FROM ")
            .push(self.table)
            .push(" t WHERE 1 = 1");
        for condition in &self.conditions {
            match condition {
                Condition::Equals(column, value) => {
                    sql.push(" AND t.")
                        .push(column)
                        .push(" = ")
                        .bind(value.clone());
                }
                Condition::Sql(text, value) => {
                    sql.push(" AND ").push(text);
                    sql.bind(value.clone()).push(")");
                }
            }
        }
    }

    /// The count of every matching row, as known at `known`.
    pub fn count(&self, db: &DatabaseConnection, known: Known) -> Count {
        let mut sql = Sql::new(db.get_database_backend());
        self.push_query(&mut sql, "SELECT COUNT(*) AS n");
        Count::Query(known.statement(sql.build()))
    }

    /// One page of the matching rows, as known at `known`.
    pub async fn page<M: FromQueryResult>(
        &self,
        db: &DatabaseConnection,
        known: Known,
        page: &Page,
    ) -> Result<PageOf<M>, DbErr> {
        let mut sql = Sql::new(db.get_database_backend());
        self.push_query(&mut sql, "SELECT t.*");
        page.push_window(
            &mut sql,
            &format!("t.{}", self.key),
            "t.id",
            self.descending,
        );
        Ok(page.finish(rows(db, known, sql).await?))
    }
}

/// Actors by name, narrowed by kind and country.
pub fn actors(kind: Option<ActorKind>, country: Option<String>, descending: bool) -> Listing {
    Listing::new("actors", "name", descending)
        .equals("kind", kind.map(|k| k.to_value()))
        .equals("country", country)
}

/// Places by name, narrowed by kind and by the place they lie directly within.
pub fn places(kind: Option<PlaceKind>, parent: Option<i64>, descending: bool) -> Listing {
    Listing::new("places", "name", descending)
        .equals("kind", kind.map(|k| k.to_value()))
        .equals("parent_id", parent)
}

/// Sources by title.
pub fn sources(descending: bool) -> Listing {
    Listing::new("sources", "title", descending)
}

/// Proposals by title, narrowed by kind, status and a party to them.
pub fn proposals(
    kind: Option<ProposalKind>,
    status: Option<ProposalStatus>,
    party: Option<i64>,
    descending: bool,
) -> Listing {
    let mut listing = Listing::new("proposals", "title", descending)
        .equals("kind", kind.map(|k| k.to_value()))
        .equals("status", status.map(|s| s.to_value()));
    if let Some(party) = party {
        listing.conditions.push(Condition::Sql(
            "EXISTS (SELECT 1 FROM proposal_parties pp WHERE pp.proposal_id = t.id AND pp.actor_id = ",
            party.into(),
        ));
    }
    listing
}
