//! Parsed GraphQL documents, kept so that a query sent again is not parsed again.
//!
//! Clients send the same few operations over and over, and parsing is not cheap: for a
//! query of one node and six fields it was about a seventh of the server's time under
//! load (perf). The cache is bounded: at most [`CAPACITY`] documents, each from a query
//! of at most [`LONGEST_QUERY`] bytes; when it is full, an arbitrary entry makes room.
//! Only documents that parse are kept, as [`Shapes::prepare`] left them, each with
//! whether it has passed full validation: once it has, the request's variables are all
//! that is left to check (see [`crate::graphql::variables`]), and it runs on the schema
//! that skips full validation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_graphql::parser::types::ExecutableDocument;

use crate::graphql::response::Shapes;

/// Most documents kept.
const CAPACITY: usize = 512;
/// Longest query text whose document is kept, in bytes.
const LONGEST_QUERY: usize = 16 * 1024;

/// A parsed and prepared document.
pub struct Parsed {
    pub document: ExecutableDocument,
    valid: AtomicBool,
}

impl Parsed {
    /// Whether the document has passed full validation.
    pub fn is_valid(&self) -> bool {
        self.valid.load(Ordering::Relaxed)
    }

    /// Records that the document passed full validation.
    pub fn validated(&self) {
        self.valid.store(true, Ordering::Relaxed);
    }
}

/// The parsed documents of recent queries, by query text.
#[derive(Default)]
pub struct Documents {
    parsed: Mutex<HashMap<String, Arc<Parsed>>>,
}

impl Documents {
    /// The prepared document of `query`: the kept one, or parsed now (and kept).
    pub fn parse(
        &self,
        query: &str,
        shapes: &Shapes,
    ) -> Result<Arc<Parsed>, async_graphql::parser::Error> {
        if let Some(document) = self.lock().get(query) {
            return Ok(Arc::clone(document));
        }
        let mut document = async_graphql::parser::parse_query(query)?;
        shapes.prepare(&mut document);
        let document = Arc::new(Parsed {
            document,
            valid: AtomicBool::new(false),
        });
        if query.len() <= LONGEST_QUERY {
            let mut parsed = self.lock();
            if parsed.len() >= CAPACITY
                && let Some(evicted) = parsed.keys().next().cloned()
            {
                parsed.remove(&evicted);
            }
            parsed.insert(query.to_owned(), Arc::clone(&document));
        }
        Ok(document)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<Parsed>>> {
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_sent_again_gets_the_kept_document() {
        let documents = Documents::default();
        let first = documents
            .parse("{ a }", &Shapes::default())
            .expect("parses");
        let second = documents
            .parse("{ a }", &Shapes::default())
            .expect("parses");
        assert_eq!(documents.lock().len(), 1);
        assert!(Arc::ptr_eq(&first, &second));
    }

    #[test]
    fn unparsable_and_overlong_queries_are_not_kept() {
        let documents = Documents::default();
        assert!(documents.parse("{ a", &Shapes::default()).is_err());
        let long = format!("{{ a{} }}", " ".repeat(LONGEST_QUERY));
        assert!(documents.parse(&long, &Shapes::default()).is_ok());
        assert!(documents.lock().is_empty());
    }

    #[test]
    fn a_full_cache_stays_at_its_capacity() {
        let documents = Documents::default();
        for i in 0..CAPACITY + 10 {
            documents
                .parse(&format!("{{ a{i} }}"), &Shapes::default())
                .expect("parses");
        }
        assert_eq!(documents.lock().len(), CAPACITY);
    }
}
