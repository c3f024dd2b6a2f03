//! Upgrade without loss: a store made by the release before claims (migrations 1 to 7,
//! the seed imported with its body; `tests/fixtures/pre-claims-seed.json`, dumped by
//! `dump_store.py`) migrates forward, its rows become claims of the sources that cite
//! them, and it answers every read as a store that imported the seed afresh does.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value as Sql};
use serde_json::{Value, json};

use crate::examples::examples;
use communique::import::import_files;

use crate::helpers::{DOMAIN_TABLES, TestDb, graphql, root, seed_body, seed_file};
use crate::on_both_backends;

/// The last migration of the release before claims.
const BEFORE_CLAIMS: u32 = 7;

/// Reads that between them touch every table and field: each example document, and
/// one that asks for everything of every record.
const EVERYTHING: &str = r#"{
  actors(first: 100) { totalCount nodes { id slug name kind country description aliases
    affiliations { id kind role of { slug } citations { id excerpt startOffset endOffset quote { exact prefix suffix } } }
    positions { id stance } citations { id excerpt startOffset endOffset } } }
  places(first: 100) { nodes { id slug name kind latitude longitude country parent { slug } citations { id } } }
  sources { nodes { id slug title publisher url language published { at precision text } contentSha256 body } }
  proposals(first: 100) { nodes { id slug kind title summary status time { at precision text }
    parties { id role actor { slug } } provisions { id slug ordinal text inclusion citations { id } }
    positions { id stance summary actor { slug } provision { slug } statement { slug } citations { id } } } }
  timeline(first: 100) { totalCount nodes { id slug title summary certainty cameoCode
    time { at until precision text inferred note } place { slug }
    participants { id role actor { slug } citations { id } }
    relations { id kind to { slug } } proposals { id kind proposal { slug } }
    citations { id excerpt startOffset endOffset note source { slug } }
    ... on Meeting { format status expectedDurationMinutes openToPress }
    ... on Statement { kind text channel channelName speaker { slug } outlet { slug } }
    ... on MilitaryEvent { kind weapons effects casualties } } }
  search(query: "ceasefire", first: 100) { totalCount edges { cursor node { score } } }
}"#;

/// The answer to every read, as (name, response).
async fn answers(db: &DatabaseConnection) -> Vec<(String, Value)> {
    let mut reads = examples();
    reads.push(("everything".to_owned(), EVERYTHING.to_owned(), json!({})));
    let mut answers = Vec::new();
    for (name, query, variables) in reads {
        let (status, body) = graphql(db, &query, variables).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert!(body.get("errors").is_none(), "{name}: {body}");
        answers.push((name, body));
    }
    answers
}

/// A JSON value as a value to bind.
fn bound(value: &Value) -> Sql {
    match value {
        Value::Null => Sql::String(None),
        Value::Bool(flag) => Sql::Bool(Some(*flag)),
        Value::Number(n) if n.is_i64() => Sql::BigInt(n.as_i64()),
        Value::Number(n) => Sql::Double(n.as_f64()),
        Value::String(text) => Sql::String(Some(text.clone())),
        other => panic!("a dump holds no {other}"),
    }
}

/// The dumped row of `rows` whose id is `id`.
fn rows_by_id(rows: &Value, id: i64) -> &Value {
    rows.as_array()
        .and_then(|rows| rows.iter().find(|row| row["id"] == id))
        .unwrap_or_else(|| panic!("no row {id}"))
}

/// Writes the dumped rows of the release before claims into `db`, migrated to it.
async fn load_dump(db: &DatabaseConnection) {
    let text = std::fs::read_to_string(root().join("tests/fixtures/pre-claims-seed.json"))
        .expect("read the dump");
    let dump: serde_json::Map<String, Value> = serde_json::from_str(&text).expect("the dump");
    let backend = db.get_database_backend();
    // Referenced tables before the tables that refer to them.
    assert_eq!(
        dump.len(),
        DOMAIN_TABLES.len(),
        "the dump holds other tables"
    );
    for table in DOMAIN_TABLES {
        let mut rows: Vec<&Value> = dump[table].as_array().expect("rows").iter().collect();
        if table == "places" {
            // Parents before the places within them.
            let depth = |row: &Value| {
                let mut depth = 0;
                let mut parent = row["parent_id"].clone();
                while let Some(id) = parent.as_i64() {
                    depth += 1;
                    parent = rows_by_id(&dump[table], id)["parent_id"].clone();
                }
                depth
            };
            rows.sort_by_key(|row| depth(row));
        }
        for row in rows {
            let row = row.as_object().expect("a row");
            let columns: Vec<&str> = row.keys().map(String::as_str).collect();
            let statement = match backend {
                DbBackend::Postgres => Statement::from_sql_and_values(
                    backend,
                    format!(
                        "INSERT INTO {table} ({list}) SELECT {list} FROM json_populate_record(NULL::{table}, $1::json)",
                        list = columns.join(", ")
                    ),
                    [Sql::String(Some(Value::Object(row.clone()).to_string()))],
                ),
                _ => {
                    let names: Vec<&str> = columns
                        .iter()
                        .map(|c| {
                            if table == "search_documents" && *c == "record_id" {
                                "rowid"
                            } else {
                                c
                            }
                        })
                        .collect();
                    let marks = vec!["?"; columns.len()].join(", ");
                    Statement::from_sql_and_values(
                        backend,
                        format!(
                            "INSERT INTO {table} ({}) VALUES ({marks})",
                            names.join(", ")
                        ),
                        row.values().map(bound),
                    )
                }
            };
            db.execute_raw(statement)
                .await
                .unwrap_or_else(|e| panic!("{table}: {e}"));
        }
    }
    // The dump leaves report bodies out; the release kept the seed's.
    let body = std::fs::read_to_string(seed_body()).expect("the seed's body");
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            DbBackend::Postgres => "UPDATE sources SET body = $1",
            _ => "UPDATE sources SET body = ?",
        },
        [Sql::String(Some(body))],
    ))
    .await
    .expect("put the body back");
}

on_both_backends! {
    async fn a_store_of_the_release_before_claims_migrates_and_answers_as_a_fresh_import(test_db: &TestDb) {
        let old = &test_db.db;
        Migrator::up(old, Some(BEFORE_CLAIMS)).await.expect("the release's migrations");
        load_dump(old).await;
        communique::store::migrate(old).await.expect("migrate forward");
        let upgraded = answers(old).await;

        let fresh_db = match old.get_database_backend() {
            DbBackend::Sqlite => TestDb::sqlite().await,
            _ => TestDb::postgres().await,
        };
        let fresh = fresh_db.migrated().await;
        import_files(fresh, &[seed_file()], Some(&seed_body())).await.expect("a fresh import");
        let fresh = answers(fresh).await;
        assert_eq!(upgraded.len(), fresh.len());
        for ((name, upgraded), (_, fresh)) in upgraded.iter().zip(&fresh) {
            assert_eq!(upgraded, fresh, "{name} answers otherwise after the upgrade");
        }
        // The rows are claims now, of the source that cites them: one upgrade run.
        let runs = crate::sources::data(old, "{ imports { nodes { kind sourceSlug added } } }").await;
        assert_eq!(runs["imports"]["nodes"][0]["kind"], "UPGRADE", "{runs}");
        assert!(runs["imports"]["nodes"][0]["added"].as_i64() > Some(100), "{runs}");
    }
}
