//! GraphQL object types. Each wraps its row privately and chooses what to expose, so
//! the API and the tables can change apart; relations load through batched loaders.

mod actor;
mod event;
mod history;
mod node;
mod place;
mod proposal;
mod search;
mod source;

use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};

pub use self::actor::{Actor, Affiliation};
pub use self::event::{
    Event, EventProposalLink, EventRelation, Meeting, MilitaryEvent, Participant, Statement,
    Subject, wanted_by_nodes,
};
pub use self::history::{Claim, Import, imports_connection};
pub use self::node::{Node, node_by_id};
pub use self::place::Place;
pub use self::proposal::{Position, Proposal, ProposalParty, Provision};
pub use self::search::{SearchHit, SearchResult};
pub use self::source::{Citation, Source};
use super::error::AppError;
use super::loaders::{CitationsByRecord, Fetch, load_one};
use crate::domain::{CitedRecord, TimePrecision};

/// A time as a source gives it: an instant in UTC, how precisely it is known, and the
/// words the source used.
pub struct Time {
    pub at: DateTime<Utc>,
    /// All but the instant; `None` when the record was read without them, because only
    /// the instant was asked for.
    pub details: Option<TimeDetails>,
}

/// What a [`Time`] says beside its instant.
pub struct TimeDetails {
    pub until: Option<DateTime<Utc>>,
    pub precision: TimePrecision,
    pub text: Option<String>,
    pub inferred: bool,
    pub note: Option<String>,
}

impl Time {
    /// The details: an internal error when the record was read without them.
    fn details(&self) -> Result<&TimeDetails, AppError> {
        self.details
            .as_ref()
            .ok_or_else(|| AppError::internal("a time was read without its details"))
    }
}

/// A time as a source gives it: an instant in UTC, how precisely it is known, and the
/// words the source used.
#[Object]
impl Time {
    /// The instant, in RFC 3339 UTC; exact only to `precision` (a `DAY` is that day's
    /// start, `BEFORE` an upper bound).
    async fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The end of the span, when the source gives one.
    async fn until(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self.details()?.until)
    }

    /// How precisely `at` is known.
    async fn precision(&self) -> Result<TimePrecision> {
        Ok(self.details()?.precision)
    }

    /// The time as the source wrote it, such as "Sunday" or "1800 GMT".
    async fn text(&self) -> Result<Option<&str>> {
        Ok(self.details()?.text.as_deref())
    }

    /// True when the instant was resolved from context rather than read from the source
    /// (a date from a weekday name); `note` says how.
    async fn inferred(&self) -> Result<bool> {
        Ok(self.details()?.inferred)
    }

    /// How an inferred time was resolved.
    async fn note(&self) -> Result<Option<&str>> {
        Ok(self.details()?.note.as_deref())
    }
}

/// The citations of one record, in order of their place in the source.
async fn citations_of(ctx: &Context<'_>, kind: CitedRecord, id: i64) -> Result<Vec<Citation>> {
    list::<CitationsByRecord, _>(ctx, (kind, id)).await
}

/// The rows question `F` gives for `key`, each mapped to its GraphQL type.
async fn list<F, T>(ctx: &Context<'_>, key: F::Key) -> Result<Vec<T>>
where
    F: Fetch,
    F::Value: IntoIterator,
    T: From<<F::Value as IntoIterator>::Item>,
{
    Ok(load_one::<F>(ctx, key)
        .await?
        .into_iter()
        .flatten()
        .map(T::from)
        .collect())
}

/// The row question `F` gives for `key`, mapped to its GraphQL type.
async fn one<F, T>(ctx: &Context<'_>, key: Option<F::Key>) -> Result<Option<T>>
where
    F: Fetch,
    T: From<F::Value>,
{
    match key {
        Some(key) => Ok(load_one::<F>(ctx, key).await?.map(T::from)),
        None => Ok(None),
    }
}

/// The row question `F` gives for `key`, which a foreign key guarantees; its absence is
/// an internal error.
async fn required<F, T>(ctx: &Context<'_>, key: F::Key) -> Result<T>
where
    F: Fetch,
    F::Key: std::fmt::Debug,
    T: From<F::Value>,
{
    match load_one::<F>(ctx, key.clone()).await? {
        Some(value) => Ok(T::from(value)),
        None => Err(super::error::AppError::internal(format!(
            "{} found no row for {key:?}, which a foreign key guarantees",
            std::any::type_name::<F>()
        ))
        .into()),
    }
}
