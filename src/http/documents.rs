//! Parsed GraphQL documents, kept so that a query sent again is not parsed again.
//!
//! Clients send the same few operations over and over, and parsing is not cheap: for a
//! query of one node and six fields it was about a seventh of the server's time under
//! load (perf). The cache is bounded: at most [`CAPACITY`] documents, each from a query
//! of at most [`LONGEST_QUERY`] bytes; when it is full, an arbitrary entry makes room.
//! Only documents that parse are kept; validation still runs on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;

/// Most documents kept.
const CAPACITY: usize = 512;
/// Longest query text whose document is kept, in bytes.
const LONGEST_QUERY: usize = 16 * 1024;

/// The parsed documents of recent queries, by query text.
#[derive(Default)]
pub struct Documents {
    parsed: Mutex<HashMap<String, Arc<ExecutableDocument>>>,
}

impl Documents {
    /// Gives `request` its parsed document: a copy of the kept one, or parsed now and
    /// kept. A query that does not parse is left for execution to report.
    pub fn prepare(&self, request: &mut Request) {
        if request.query.len() > LONGEST_QUERY {
            return;
        }
        let kept = self.lock().get(&request.query).cloned();
        if let Some(document) = kept {
            request.set_parsed_query(ExecutableDocument::clone(&document));
            return;
        }
        let Ok(document) = request.parsed_query() else {
            return;
        };
        let document = Arc::new(document.clone());
        let mut parsed = self.lock();
        if parsed.len() >= CAPACITY
            && let Some(evicted) = parsed.keys().next().cloned()
        {
            parsed.remove(&evicted);
        }
        parsed.insert(request.query.clone(), document);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<ExecutableDocument>>> {
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_sent_again_gets_the_kept_document() {
        let documents = Documents::default();
        let mut first = Request::new("{ a }");
        documents.prepare(&mut first);
        assert_eq!(documents.lock().len(), 1);
        let mut second = Request::new("{ a }");
        documents.prepare(&mut second);
        assert_eq!(documents.lock().len(), 1);
        let (Ok(first), Ok(second)) = (first.parsed_query(), second.parsed_query()) else {
            panic!("both parse");
        };
        assert_eq!(format!("{first:?}"), format!("{second:?}"));
    }

    #[test]
    fn unparsable_and_overlong_queries_are_not_kept() {
        let documents = Documents::default();
        documents.prepare(&mut Request::new("{ a"));
        let long = format!("{{ a{} }}", " ".repeat(LONGEST_QUERY));
        documents.prepare(&mut Request::new(long));
        assert!(documents.lock().is_empty());
    }

    #[test]
    fn a_full_cache_stays_at_its_capacity() {
        let documents = Documents::default();
        for i in 0..CAPACITY + 10 {
            documents.prepare(&mut Request::new(format!("{{ a{i} }}")));
        }
        assert_eq!(documents.lock().len(), CAPACITY);
    }
}
