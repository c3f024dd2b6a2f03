//! The frontend documents in `examples/queries/` run against the seeded server, so the
//! examples can never go stale: each must answer without errors, with data in every
//! root field, in a number of SQL statements that does not depend on the data.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::helpers::{count_statements, root};
use crate::on_both_backends;

/// Most statements one example may run: one per root field and relation level.
const MOST_STATEMENTS: usize = 12;

/// Every `examples/queries/*.graphql`, sorted by name, with its variables (from the
/// `.variables.json` beside it, or none).
pub fn examples() -> Vec<(String, String, Value)> {
    let dir = root().join("examples/queries");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "graphql"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .expect("a file name")
                .to_owned();
            let query = std::fs::read_to_string(&path).expect("read the document");
            let variables_path = path.with_extension("variables.json");
            let variables = match std::fs::read_to_string(&variables_path) {
                Ok(text) => serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", variables_path.display())),
                Err(_) => json!({}),
            };
            (name, query, variables)
        })
        .collect()
}

/// Asserts each root field of `data` holds something: not null, and a list or a
/// connection's `nodes`/`edges` not empty.
fn assert_every_root_field_answered(name: &str, data: &Value) {
    let fields = data.as_object().expect("data is an object");
    assert!(!fields.is_empty(), "{name}: no root fields");
    for (field, value) in fields {
        let list = value
            .as_array()
            .or_else(|| value.get("nodes").and_then(Value::as_array))
            .or_else(|| value.get("edges").and_then(Value::as_array));
        assert!(!value.is_null(), "{name}: `{field}` is null");
        assert!(
            list.is_none_or(|items| !items.is_empty()),
            "{name}: `{field}` is empty"
        );
    }
}

on_both_backends! {
    async fn every_example_document_answers_over_the_seed(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let examples = examples();
        assert!(examples.len() >= 10, "expected the example documents, found {}", examples.len());
        for (name, query, variables) in examples {
            let (statements, data) = count_statements(db, &query, variables).await;
            assert_every_root_field_answered(&name, &data);
            eprintln!("example {name}: {statements} SQL statements");
            assert!(statements <= MOST_STATEMENTS, "{name}: {statements} statements");
        }
    }
}
