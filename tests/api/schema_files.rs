//! Generated files stay in step with the code that generates them.

use crate::helpers::root;

fn assert_matches(file: &str, generated: &str, command: &str) {
    let committed = std::fs::read_to_string(root().join(file)).unwrap_or_default();
    assert!(
        committed == generated,
        "{file} is out of date with the code; regenerate it with `{command}`"
    );
}

#[test]
fn schema_graphql_matches_the_code() {
    assert_matches(
        "schema.graphql",
        &communique::graphql::sdl(),
        "cargo run -- export-schema > schema.graphql",
    );
}

#[test]
fn import_json_schema_matches_the_code() {
    let generated = format!("{}\n", communique::import::json_schema());
    assert_matches(
        "seeds/import.schema.json",
        &generated,
        "cargo run -- import-schema > seeds/import.schema.json",
    );
}
