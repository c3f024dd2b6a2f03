//! Parsed GraphQL documents, kept so that a query sent again is not parsed again.
//!
//! Clients send the same few operations over and over, and parsing is not cheap: for a
//! query of one node and six fields it was about a seventh of the server's time under
//! load (perf). The cache is bounded: at most [`CAPACITY`] documents, each from a query
//! of at most [`LONGEST_QUERY`] bytes; when it is full, an arbitrary entry makes room.
//! Only documents that parse are kept, as [`Shapes::prepare`] left them, each with
//! whether it has passed full validation: once it has, the request's variables are all
//! that is left to check (see [`crate::graphql::variables`]), and it runs on the schema
//! that skips full validation. Its cost is kept too, when the page sizes it asks for do
//! not come from variables, and so is the check of the arguments written in it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use async_graphql::parser::types::ExecutableDocument;
use foldhash::HashMap;

use crate::graphql::cost::{self, Cost, Limits, Refusal};
use crate::graphql::inputs::{self, BadInput};
use crate::graphql::response::Shapes;

/// Most documents kept.
const CAPACITY: usize = 512;
/// Longest query text whose document is kept, in bytes.
const LONGEST_QUERY: usize = 16 * 1024;

/// A parsed and prepared document.
pub struct Parsed {
    pub document: ExecutableDocument,
    valid: AtomicBool,
    /// The first check of the document, when it read no variable.
    checked: OnceLock<KeptCheck>,
    /// [`inputs::check_arguments`] of the document, which reads nothing else.
    arguments: Result<(), BadInput>,
}

/// A kept [`cost::check`] of a document: the operation it was for, and its outcome.
struct KeptCheck {
    operation_name: Option<String>,
    outcome: Result<Option<Cost>, Refusal>,
}

impl Parsed {
    /// Whether the document has passed full validation.
    pub fn is_valid(&self) -> bool {
        self.valid.load(Ordering::Relaxed)
    }

    /// Whether the arguments written in the document are within their bounds.
    pub fn arguments(&self) -> Result<(), &BadInput> {
        self.arguments.as_ref().copied()
    }

    /// Records that the document passed full validation.
    pub fn validated(&self) {
        self.valid.store(true, Ordering::Relaxed);
    }

    /// [`cost::check`] of the document for `operation_name` and `variables`: the kept
    /// outcome when it is for the same operation and read no variable, else checked now
    /// (and kept, the first time, if it read none).
    pub fn check(
        &self,
        shapes: &Shapes,
        limits: &Limits,
        operation_name: Option<&str>,
        variables: &async_graphql::Variables,
    ) -> Result<Option<Cost>, Refusal> {
        if let Some(checked) = self.checked.get()
            && checked.operation_name.as_deref() == operation_name
        {
            return checked.outcome.clone();
        }
        let checked = cost::check(shapes, limits, &self.document, operation_name, variables);
        if !checked.reads_variables {
            let _ = self.checked.set(KeptCheck {
                operation_name: operation_name.map(str::to_owned),
                outcome: checked.outcome.clone(),
            });
        }
        checked.outcome
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
            arguments: inputs::check_arguments(&document),
            document,
            valid: AtomicBool::new(false),
            checked: OnceLock::new(),
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
    fn a_check_is_kept_unless_it_read_variables() {
        let shapes = Shapes::from_sdl(&crate::graphql::sdl());
        let documents = Documents::default();
        let check = |query: &str, name: Option<&str>, variables: serde_json::Value| {
            let parsed = documents.parse(query, &shapes).expect("parses");
            let variables = async_graphql::Variables::from_json(variables);
            let cost = parsed.check(&shapes, &Limits::DEFAULT, name, &variables);
            (
                parsed,
                cost.expect("within limits").map(|cost| cost.requested),
            )
        };
        let literal = "query A { actors(first: 5) { nodes { name } } }";
        let (parsed, first) = check(literal, Some("A"), serde_json::json!({}));
        assert!(parsed.checked.get().is_some());
        assert_eq!(check(literal, Some("A"), serde_json::json!({})).1, first);
        // Another operation name is checked again: it picks no operation.
        assert_eq!(check(literal, Some("B"), serde_json::json!({})).1, None);

        let paged = "query($n: Int) { actors(first: $n) { nodes { name } } }";
        let (parsed, two) = check(paged, None, serde_json::json!({ "n": 2 }));
        assert!(parsed.checked.get().is_none());
        let (_, three) = check(paged, None, serde_json::json!({ "n": 3 }));
        assert!(three > two, "{three:?} > {two:?}");
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
