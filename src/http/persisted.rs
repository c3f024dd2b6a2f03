//! Persisted operations: a request may name its query by the SHA-256 of its text.
//!
//! - **Automatic persisted queries** (Apollo's protocol, the default): a request with
//!   `extensions.persistedQuery = { version: 1, sha256Hash }` and no `query` runs the
//!   query registered under that hash, or gets `PERSISTED_QUERY_NOT_FOUND`, on which the
//!   client sends the query with its hash: the hash is checked and the query registered
//!   in a bounded cache.
//! - **Trusted documents** (`--persisted-only MANIFEST`): only the operations of a
//!   manifest run. A request names one by `extensions.persistedQuery.sha256Hash` or by
//!   `documentId` (`sha256:<hex>` or the bare hash); a `query` runs only when its text is
//!   in the manifest. Nothing is registered.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use anyhow::Context;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Most queries the automatic cache keeps.
const CAPACITY: usize = 1024;
/// Longest query text the automatic cache registers, in bytes.
const LONGEST_QUERY: usize = 64 * 1024;

/// How the server treats persisted operations.
pub enum Persisted {
    /// Apollo's automatic persisted queries, registered by clients.
    Automatic(Mutex<HashMap<String, String>>),
    /// Only the operations of a manifest, by hash.
    Trusted(HashMap<String, String>),
}

impl Default for Persisted {
    fn default() -> Self {
        Persisted::Automatic(Mutex::default())
    }
}

/// Why a request's persisted operation cannot run.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The stable `extensions.code`.
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

/// What a request says about its query: its text, a persisted-query extension, a
/// document id.
#[derive(Debug, Default)]
pub struct Named<'a> {
    pub query: Option<String>,
    pub extensions: Option<&'a serde_json::Value>,
    pub document_id: Option<&'a str>,
}

/// `extensions.persistedQuery`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistedQuery {
    version: i64,
    sha256_hash: String,
}

/// A manifest entry: Apollo's persisted query manifest format.
#[derive(Deserialize)]
struct ManifestOperation {
    id: String,
    body: String,
}

/// A manifest: `{"format":"apollo-persisted-query-manifest","version":1,"operations":[…]}`
/// or a plain map of hash to document, as GraphQL Code Generator writes it.
#[derive(Deserialize)]
#[serde(untagged)]
enum Manifest {
    Apollo { operations: Vec<ManifestOperation> },
    Map(HashMap<String, String>),
}

impl Persisted {
    /// Trusted-documents mode with the operations of the manifest at `path`; every
    /// entry's id must be the SHA-256 of its body.
    pub fn trusted(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the manifest {}", path.display()))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a persisted-operation manifest", path.display()))?;
        let entries: Vec<(String, String)> = match manifest {
            Manifest::Apollo { operations } => operations
                .into_iter()
                .map(|operation| (operation.id, operation.body))
                .collect(),
            Manifest::Map(map) => map.into_iter().collect(),
        };
        let mut operations = HashMap::with_capacity(entries.len());
        for (id, body) in entries {
            let id = id
                .strip_prefix("sha256:")
                .unwrap_or(&id)
                .to_ascii_lowercase();
            anyhow::ensure!(
                id == sha256_hex(&body),
                "{}: operation `{id}` is not the SHA-256 of its body",
                path.display()
            );
            operations.insert(id, body);
        }
        anyhow::ensure!(
            !operations.is_empty(),
            "{}: the manifest lists no operation",
            path.display()
        );
        Ok(Persisted::Trusted(operations))
    }

    /// The query text the request runs.
    pub fn resolve(&self, named: Named<'_>) -> Result<String, Refusal> {
        let hash = requested_hash(&named)?;
        match self {
            Persisted::Automatic(cache) => match (named.query, hash) {
                (Some(query), None) => Ok(query),
                (Some(query), Some(hash)) => {
                    if sha256_hex(&query) != hash {
                        return Err(Refusal::new(
                            "BAD_REQUEST",
                            "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of `query`",
                        ));
                    }
                    if query.len() <= LONGEST_QUERY {
                        let mut cache = lock(cache);
                        if cache.len() >= CAPACITY
                            && let Some(evicted) = cache.keys().next().cloned()
                        {
                            cache.remove(&evicted);
                        }
                        cache.insert(hash, query.clone());
                    }
                    Ok(query)
                }
                (None, Some(hash)) => lock(cache).get(&hash).cloned().ok_or_else(not_found),
                (None, None) => Err(no_query()),
            },
            Persisted::Trusted(operations) => match (named.query, hash) {
                (_, Some(hash)) => operations.get(&hash).cloned().ok_or_else(not_found),
                (Some(query), None) => {
                    if operations.contains_key(&sha256_hex(&query)) {
                        Ok(query)
                    } else {
                        Err(Refusal::new(
                            "PERSISTED_QUERY_NOT_IN_LIST",
                            "this server runs only the operations of its manifest; the query is not one of them",
                        ))
                    }
                }
                (None, None) => Err(no_query()),
            },
        }
    }
}

/// The hash a request names its query by, lower-case hex, if any.
fn requested_hash(named: &Named<'_>) -> Result<Option<String>, Refusal> {
    let persisted = match named.extensions {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Object(extensions)) => extensions.get("persistedQuery"),
        Some(_) => {
            return Err(Refusal::new(
                "BAD_REQUEST",
                "`extensions` must be an object",
            ));
        }
    };
    let from_extension = match persisted {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => {
            let persisted = PersistedQuery::deserialize(value).map_err(|e| {
                Refusal::new(
                    "BAD_REQUEST",
                    format!("`extensions.persistedQuery` is malformed: {e}"),
                )
            })?;
            if persisted.version != 1 {
                return Err(Refusal::new(
                    "BAD_REQUEST",
                    format!(
                        "persisted query version {} is not supported; send version 1",
                        persisted.version
                    ),
                ));
            }
            Some(persisted.sha256_hash)
        }
    };
    let from_id = named
        .document_id
        .map(|id| id.strip_prefix("sha256:").unwrap_or(id).to_owned());
    let Some(hash) = from_extension.or(from_id) else {
        return Ok(None);
    };
    let hash = hash.to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Refusal::new(
            "BAD_REQUEST",
            "a persisted query's hash must be 64 hexadecimal digits (SHA-256)",
        ));
    }
    Ok(Some(hash))
}

fn not_found() -> Refusal {
    // Apollo clients match this exact message as well as the code.
    Refusal::new("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
}

fn no_query() -> Refusal {
    Refusal::new(
        "BAD_REQUEST",
        "the request has no `query` (and names no persisted query)",
    )
}

/// The SHA-256 of `text`, lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn lock(cache: &Mutex<HashMap<String, String>>) -> MutexGuard<'_, HashMap<String, String>> {
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_hash(query: Option<&str>, hash: &str) -> (Option<String>, serde_json::Value) {
        (
            query.map(str::to_owned),
            json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }),
        )
    }

    #[test]
    fn an_unknown_hash_is_not_found_until_registered() {
        let persisted = Persisted::default();
        let query = "{ actors { totalCount } }";
        let hash = sha256_hex(query);
        let (none, extensions) = with_hash(None, &hash);
        let named = || Named {
            query: none.clone(),
            extensions: Some(&extensions),
            document_id: None,
        };
        assert_eq!(
            persisted.resolve(named()).unwrap_err().code,
            "PERSISTED_QUERY_NOT_FOUND"
        );
        let (some, extensions_with_query) = with_hash(Some(query), &hash);
        let registered = persisted.resolve(Named {
            query: some,
            extensions: Some(&extensions_with_query),
            document_id: None,
        });
        assert_eq!(registered.as_deref(), Ok(query));
        assert_eq!(persisted.resolve(named()).as_deref(), Ok(query));
    }

    #[test]
    fn a_wrong_hash_or_version_is_refused() {
        let persisted = Persisted::default();
        let (query, extensions) = with_hash(Some("{ a }"), &sha256_hex("{ b }"));
        let refusal = persisted
            .resolve(Named {
                query,
                extensions: Some(&extensions),
                document_id: None,
            })
            .unwrap_err();
        assert!(refusal.message.contains("not the SHA-256"), "{refusal:?}");
        let extensions =
            json!({ "persistedQuery": { "version": 2, "sha256Hash": sha256_hex("{ a }") } });
        let refusal = persisted
            .resolve(Named {
                query: None,
                extensions: Some(&extensions),
                document_id: None,
            })
            .unwrap_err();
        assert!(refusal.message.contains("version 2"), "{refusal:?}");
    }

    #[test]
    fn the_cache_stays_at_its_capacity() {
        let persisted = Persisted::default();
        for i in 0..CAPACITY + 5 {
            let query = format!("{{ a{i} }}");
            let (query, extensions) = with_hash(Some(&query), &sha256_hex(&query));
            persisted
                .resolve(Named {
                    query,
                    extensions: Some(&extensions),
                    document_id: None,
                })
                .expect("registered");
        }
        let Persisted::Automatic(cache) = &persisted else {
            panic!("automatic");
        };
        assert_eq!(lock(cache).len(), CAPACITY);
    }
}
