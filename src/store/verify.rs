//! Verifying a store: its invariants checked after the fact, on either backend.
//!
//! On PostgreSQL the resolved tables have no foreign keys (migration 8 dropped them for
//! load speed), so only the resolver keeps their references whole. This module checks
//! what the resolver promises, one set-based statement per check, and names each row
//! that breaks it:
//!
//! - every reference of a resolved row names an existing row: the foreign keys that
//!   migration 8 lists, and a citation's record, whose table its kind names;
//! - every resolved row is backed by a live claim about it, and every subject of a live
//!   claim has its row or waits in `unresolved`;
//! - a record's versions, the current one in its table and the replaced ones in its
//!   history, are known over intervals of imports that do not overlap.
//!
//! The checks read one snapshot of the store (a read-only, repeatable-read transaction
//! on PostgreSQL; one read transaction on SQLite), so an import running meanwhile is
//! not mistaken for a fault.

use std::collections::HashMap;
use std::fmt;

use migration::{FOREIGN_KEYS, Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, ActiveEnum, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, IsolationLevel,
    Iterable, QueryResult, TransactionTrait,
};

use super::resolve::{cited_kind, table_of};
use super::tables::{self, resolved_tables};
use super::upgrade;
use crate::db::entities::{meeting, military_event, statement};
use crate::db::sql::Sql;
use crate::domain::{CitedRecord, SubjectKind};

/// Rows named per check at most: a store broken wholesale names the first ones of each
/// check, in key order, and says that more were left out.
pub const FINDINGS_PER_CHECK: usize = 100;

/// The `known_to` of a current version, which no import has replaced yet.
const NOT_REPLACED: i64 = i64::MAX;

/// A row that breaks an invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The table the row is in.
    pub table: String,
    /// The row's key (for a claim, its subject).
    pub id: i64,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.table, self.id, self.problem)
    }
}

/// What verifying a store checked and found.
#[derive(Debug, Default)]
pub struct Report {
    /// The rows that break an invariant, check by check.
    pub findings: Vec<Finding>,
    /// Checks that found more than [`FINDINGS_PER_CHECK`] rows, of which only the first
    /// are in `findings`.
    pub cut: usize,
    /// References checked: foreign-key columns, and citations' records by kind.
    pub references: usize,
    /// Resolved tables whose rows were checked for a live claim behind each.
    pub backed: usize,
    /// Kinds of live claims checked for a row or a wait in `unresolved`.
    pub claim_kinds: usize,
    /// Tables whose versions were checked for overlapping intervals.
    pub histories: usize,
}

impl Report {
    /// Whether every invariant holds.
    pub fn holds(&self) -> bool {
        self.findings.is_empty()
    }

    /// One line on what was checked, and what was found.
    pub fn summary(&self) -> String {
        let checked = format!(
            "{} references, the live claims behind {} resolved tables, the rows of {} kinds \
             of live claims, and the histories of {} tables",
            self.references, self.backed, self.claim_kinds, self.histories
        );
        match self.findings.len() {
            0 => format!("verified {checked}: every invariant holds"),
            n => {
                let cut = match self.cut {
                    0 => String::new(),
                    checks => format!(
                        " ({checks} checks found more than {FINDINGS_PER_CHECK} and name only \
                         the first)"
                    ),
                };
                let rows = match n {
                    1 => "1 row breaks".to_owned(),
                    n => format!("{n} rows break"),
                };
                format!("checked {checked}: {rows} an invariant{cut}")
            }
        }
    }
}

/// Why a store could not be verified.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Some migration is not applied, so the tables the checks read may not exist yet.
    #[error("the database is not migrated ({0} migrations pending): run `communique migrate up`")]
    NotMigrated(usize),
    /// The schema is migrated, but the rows of a store made before it kept claims are not
    /// claims yet (`communique::store::migrate` makes them so).
    #[error("the store's rows are not claims yet: run `communique migrate up` to make them claims")]
    NotClaimed,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Checks every invariant of the store, which must be migrated: its schema, and its
/// rows made claims.
pub async fn verify(db: &DatabaseConnection) -> Result<Report, VerifyError> {
    let pending = Migrator::get_pending_migrations(db).await?.len();
    if pending > 0 {
        return Err(VerifyError::NotMigrated(pending));
    }
    if !upgrade::claimed(db).await? {
        return Err(VerifyError::NotClaimed);
    }
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        _ => db.begin().await?,
    };
    let mut report = Report::default();
    for check in checks(db.get_database_backend(), &mut report) {
        check.run(&txn, &mut report).await?;
    }
    txn.commit().await?;
    Ok(report)
}

/// What one offending row of a check is found to be.
type Describe = Box<dyn Fn(&QueryResult) -> Result<Finding, DbErr> + Send + Sync>;

/// One check: a statement that selects the offending rows, in key order, and how to
/// say what is wrong with each.
struct Check {
    sql: Sql,
    describe: Describe,
}

impl Check {
    async fn run<C: ConnectionTrait>(self, db: &C, report: &mut Report) -> Result<(), DbErr> {
        let Check { mut sql, describe } = self;
        sql.push(" LIMIT ").bind(FINDINGS_PER_CHECK as i64 + 1);
        let rows = db.query_all_raw(sql.build()).await?;
        if rows.len() > FINDINGS_PER_CHECK {
            report.cut += 1;
        }
        for row in rows.iter().take(FINDINGS_PER_CHECK) {
            report.findings.push(describe(row)?);
        }
        Ok(())
    }
}

/// The finding of row `id` of `table`, whose key the row selects as `id`.
fn finding(table: &str, row: &QueryResult, problem: String) -> Result<Finding, DbErr> {
    Ok(Finding {
        table: table.to_owned(),
        id: row.try_get("", "id")?,
        problem,
    })
}

/// Every check, counted in `report` by what it covers.
fn checks(backend: DbBackend, report: &mut Report) -> Vec<Check> {
    let mut checks = Vec::new();
    let keys: HashMap<&str, &str> = resolved_tables()
        .into_iter()
        .filter_map(|(table, columns)| Some((table, *columns.first()?)))
        .collect();
    for (table, column, target, _) in FOREIGN_KEYS {
        let key = keys.get(table).copied().unwrap_or("id");
        checks.push(reference(backend, table, key, column, target));
    }
    for record in CitedRecord::iter() {
        checks.push(cited(backend, record));
    }
    report.references = checks.len();

    // The kind tables of events, keyed by their event: backed by the event's claims.
    let event_kinds = [
        tables::columns::<meeting::Entity>(),
        tables::columns::<statement::Entity>(),
        tables::columns::<military_event::Entity>(),
    ]
    .into_iter()
    .filter_map(|(table, columns)| Some((SubjectKind::Event, (table, *columns.first()?))));
    let records = SubjectKind::iter().map(|kind| (kind, table_of(kind)));
    let before = checks.len();
    for (kind, (table, key)) in records.chain(event_kinds) {
        checks.push(backed(backend, kind, table, key));
    }
    report.backed = checks.len() - before;

    checks.push(resolved(backend));
    report.claim_kinds = SubjectKind::iter().count();

    let before = checks.len();
    for (table, columns) in resolved_tables() {
        if let Some(key) = columns.first() {
            checks.push(history(backend, table, key));
        }
    }
    report.histories = checks.len() - before;
    checks
}

/// Rows of `table` whose `column` names no row of `target`.
fn reference(
    backend: DbBackend,
    table: &'static str,
    key: &'static str,
    column: &'static str,
    target: &'static str,
) -> Check {
    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "SELECT r.{key} AS id, r.{column} AS missing FROM {table} r \
         WHERE r.{column} IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.id = r.{column}) ORDER BY r.{key}"
    ));
    Check {
        sql,
        describe: Box::new(move |row| {
            let missing: i64 = row.try_get("", "missing")?;
            finding(
                table,
                row,
                format!("`{column}` is {missing}, which names no row of `{target}`"),
            )
        }),
    }
}

/// Citations of records of kind `record` that name no row of its table.
fn cited(backend: DbBackend, record: CitedRecord) -> Check {
    let (target, key) = table_of(cited_kind(record));
    let kind = record.to_value();
    let mut sql = Sql::new(backend);
    sql.push("SELECT c.id, c.record_id AS missing FROM citations c WHERE c.record_kind = ")
        .bind(kind.clone())
        .push(&format!(
            " AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.{key} = c.record_id) ORDER BY c.id"
        ));
    Check {
        sql,
        describe: Box::new(move |row| {
            let missing: i64 = row.try_get("", "missing")?;
            finding(
                "citations",
                row,
                format!("cites {kind} {missing}, which names no row of `{target}`"),
            )
        }),
    }
}

/// Rows of `table` that no live claim of kind `kind` is about (for a citation, no live
/// claim of its own source: a citation is one source's).
fn backed(backend: DbBackend, kind: SubjectKind, table: &'static str, key: &'static str) -> Check {
    let own = kind == SubjectKind::Citation;
    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "SELECT r.{key} AS id FROM {table} r WHERE NOT EXISTS (SELECT 1 FROM claims c \
         WHERE c.subject_id = r.{key} AND c.retracted_by IS NULL AND c.subject_kind = "
    ))
    .bind(kind.to_value())
    .push(if own {
        " AND c.source_id = r.source_id"
    } else {
        ""
    })
    .push(&format!(") ORDER BY r.{key}"));
    let claim = if own {
        "live claim of its source"
    } else {
        "live claim"
    };
    let kind = kind.to_value();
    Check {
        sql,
        describe: Box::new(move |row| {
            finding(table, row, format!("no {claim} of kind `{kind}` states it"))
        }),
    }
}

/// Subjects of live claims that have no row and wait in no `unresolved` row: what the
/// resolver should have written, or noted as waiting. One pass over the claims, each
/// looked up in the table of its kind.
fn resolved(backend: DbBackend) -> Check {
    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT c.subject_id AS id, c.subject_kind AS kind, MIN(c.source_id) AS source \
         FROM claims c WHERE c.retracted_by IS NULL \
         AND NOT EXISTS (SELECT 1 FROM unresolved u WHERE u.subject_id = c.subject_id) \
         AND CASE c.subject_kind",
    );
    for kind in SubjectKind::iter() {
        let (table, key) = table_of(kind);
        sql.push(" WHEN ").bind(kind.to_value()).push(&format!(
            " THEN NOT EXISTS (SELECT 1 FROM {table} r WHERE r.{key} = c.subject_id)"
        ));
    }
    // A claim of a kind the store does not know has no table to be resolved into.
    sql.push(
        " ELSE 1 = 1 END GROUP BY c.subject_id, c.subject_kind ORDER BY c.subject_id, c.subject_kind",
    );
    Check {
        sql,
        describe: Box::new(move |row| {
            let kind: String = row.try_get("", "kind")?;
            let source: i64 = row.try_get("", "source")?;
            let table = SubjectKind::try_from_value(&kind)
                .map(|kind| format!("no row in `{}`", table_of(kind).0))
                .unwrap_or_else(|_| "no table of their kind".to_owned());
            finding(
                "claims",
                row,
                format!(
                    "live `{kind}` claims (source {source} among them) have {table} and wait \
                     in no `unresolved` row"
                ),
            )
        }),
    }
}

/// Versions of the rows of `table` (current ones in it, replaced ones in its history)
/// whose interval of known time is empty or overlaps the one before it. Versions are
/// ordered by when they became known; the intervals hold when each ends before the
/// next begins, so comparing neighbours finds every overlap.
fn history(backend: DbBackend, table: &'static str, key: &'static str) -> Check {
    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "SELECT id, known_from, known_to, before_to, current FROM (\
         SELECT id, known_from, known_to, current, LAG(known_to) OVER \
         (PARTITION BY id ORDER BY known_from, known_to) AS before_to FROM (\
         SELECT {key} AS id, known_from, known_to, 0 AS current FROM {table}_history \
         UNION ALL SELECT {key}, known_from, {NOT_REPLACED}, 1 FROM {table}) versions) ordered \
         WHERE known_to <= known_from OR before_to > known_from ORDER BY id, known_from"
    ));
    Check {
        sql,
        describe: Box::new(move |row| {
            let known_from: i64 = row.try_get("", "known_from")?;
            let known_to: i64 = row.try_get("", "known_to")?;
            let before_to: Option<i64> = row.try_get("", "before_to")?;
            let current: i32 = row.try_get("", "current")?;
            let until = match known_to {
                NOT_REPLACED => "now".to_owned(),
                to => format!("import {to}"),
            };
            let version = format!("its version known from import {known_from} until {until}");
            let problem = match before_to {
                Some(before) if known_to > known_from => {
                    format!("{version} overlaps the one before it, known until import {before}")
                }
                _ => format!("{version} is an empty interval"),
            };
            let table = match current {
                1 => table.to_owned(),
                _ => format!("{table}_history"),
            };
            finding(&table, row, problem)
        }),
    }
}
