//! Full-text search results.

use async_graphql::{Object, Union};

use super::event::{Event, Meeting, MilitaryEvent, Statement};
use super::proposal::Proposal;

/// A record that matches a search.
#[derive(Union)]
pub enum SearchResult {
    Meeting(Meeting),
    Statement(Statement),
    MilitaryEvent(MilitaryEvent),
    Proposal(Proposal),
}

impl From<Event> for SearchResult {
    fn from(event: Event) -> Self {
        match event {
            Event::Meeting(meeting) => SearchResult::Meeting(meeting),
            Event::Statement(statement) => SearchResult::Statement(statement),
            Event::MilitaryEvent(military) => SearchResult::MilitaryEvent(military),
        }
    }
}

/// One search match and how well it matches.
pub struct SearchHit {
    pub rank: f64,
    pub result: SearchResult,
}

/// One search match and how well it matches.
#[Object]
impl SearchHit {
    /// Relevance: higher matches better. Comparable within one search only.
    async fn score(&self) -> f64 {
        -self.rank
    }

    /// The matching record.
    async fn result(&self) -> &SearchResult {
        &self.result
    }
}
