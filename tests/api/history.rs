//! Known time and provenance: the import log, `asOf` on root fields, the claims behind a
//! record and its fields, retraction of a source, and re-imports that change nothing.

use std::collections::BTreeMap;

use communique::import::{import_files, retract};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{root, seed_body, seed_file, seed_json, write_document};
use crate::on_both_backends;
use crate::sources::{data, error_codes};

const SECOND_REPORT: &str = "2025-12-29-mar-a-lago-talks";
const REMOVED: &str = "lavrov-european-ambitions-blinding-leaders";

/// Imports the seed (version 1), then version 2: Putin's description changed and one
/// of Lavrov's statements removed.
async fn two_versions(db: &DatabaseConnection, dir: &tempfile::TempDir) {
    import_files(db, &[seed_file()], None)
        .await
        .expect("version 1");
    let mut document = seed_json();
    for actor in document["actors"].as_array_mut().expect("actors") {
        if actor["slug"] == "vladimir-putin" {
            actor["description"] = json!("President of the Russian Federation.");
        }
    }
    document["events"]
        .as_array_mut()
        .expect("events")
        .retain(|event| event["slug"] != REMOVED);
    let second = write_document(dir.path(), "version-2.json", &document);
    import_files(db, &[second], None).await.expect("version 2");
}

/// The imports, newest first, as the API lists them.
async fn imports(db: &DatabaseConnection) -> Vec<Value> {
    let listed = data(
        db,
        "{ imports { totalCount nodes { sequence kind sourceSlug recordedAt added kept retracted documentSha256 } } }",
    )
    .await;
    let nodes = listed["imports"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(listed["imports"]["totalCount"], json!(nodes.len()));
    nodes
}

/// What `query` answers with `asOf: at` on its root field (written `AS_OF` in it).
async fn as_of(db: &DatabaseConnection, query: &str, at: &Value) -> Value {
    let at = at.as_str().expect("an instant");
    data(db, &query.replace("AS_OF", &format!("asOf: \"{at}\""))).await
}

/// Every table's rows, as text, sorted: the store's whole contents.
async fn contents(db: &DatabaseConnection) -> BTreeMap<String, Vec<String>> {
    let backend = db.get_database_backend();
    let run = |sql: String| db.query_all_raw(Statement::from_string(backend, sql));
    let tables = match backend {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let mut contents = BTreeMap::new();
    for table in run(tables.to_owned()).await.expect("tables") {
        let table: String = table.try_get("", "name").expect("a name");
        let select = match backend {
            DbBackend::Sqlite => {
                let columns = run(format!("SELECT name FROM pragma_table_info('{table}')"))
                    .await
                    .expect("columns");
                let quoted: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        format!(
                            "quote(\"{}\")",
                            c.try_get::<String>("", "name").expect("a column")
                        )
                    })
                    .collect();
                format!(
                    "SELECT {} AS r FROM \"{table}\"",
                    quoted.join(" || ',' || ")
                )
            }
            _ => format!("SELECT t::text AS r FROM \"{table}\" t"),
        };
        let mut rows: Vec<String> = run(select)
            .await
            .expect("rows")
            .iter()
            .map(|row| row.try_get("", "r").expect("a row"))
            .collect();
        rows.sort();
        contents.insert(table, rows);
    }
    contents
}

on_both_backends! {
    async fn every_import_is_listed_newest_first_with_its_counts(test_db: &TestDb) {
        let db = test_db.migrated().await;
        let dir = tempfile::tempdir().expect("temporary folder");
        two_versions(db, &dir).await;
        let runs = imports(db).await;
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0]["sequence"], 2);
        assert_eq!(runs[1]["sequence"], 1);
        assert!(runs[0]["recordedAt"].as_str() > runs[1]["recordedAt"].as_str(), "{runs:?}");
        assert_eq!(runs[1]["retracted"], 0);
        assert_eq!(runs[1]["kept"], 0);
        assert!(runs[1]["added"].as_i64() > Some(100), "{runs:?}");
        // Version 2 replaces one actor claim and drops the statement with its links.
        assert!(runs[0]["added"].as_i64() >= Some(1), "{runs:?}");
        assert!(runs[0]["retracted"].as_i64() >= Some(2), "{runs:?}");
        assert!(runs[0]["kept"].as_i64() > Some(100), "{runs:?}");
        for run in &runs {
            assert_eq!(run["kind"], "IMPORT");
            assert_eq!(run["sourceSlug"], "2025-12-28-trump-putin-zelenskyy");
            assert_eq!(run["documentSha256"].as_str().map(str::len), Some(64), "{run}");
        }
        let of_source = data(db, r#"{ source(slug: "2025-12-28-trump-putin-zelenskyy") { imports(first: 1) { nodes { sequence } } } }"#).await;
        assert_eq!(of_source["source"]["imports"]["nodes"], json!([{ "sequence": 2 }]));
    }

    async fn as_of_before_version_2_answers_version_1_and_after_it_version_2(test_db: &TestDb) {
        let db = test_db.migrated().await;
        let dir = tempfile::tempdir().expect("temporary folder");
        two_versions(db, &dir).await;
        let runs = imports(db).await;
        let (v1, v2) = (&runs[1]["recordedAt"], &runs[0]["recordedAt"]);
        let putin = r#"{ actor(AS_OF, slug: "vladimir-putin") { description statements(first: 100) { totalCount } } }"#;
        let removed = format!(r#"{{ event(AS_OF, slug: "{REMOVED}") {{ title }} }}"#);
        let timeline = "{ timeline(AS_OF) { totalCount } }";
        let search = r#"{ search(AS_OF, query: "blinding") { totalCount nodes { result { ... on Statement { slug } } } } }"#;

        let then = as_of(db, putin, v1).await;
        assert_eq!(then["actor"]["description"], "President of Russia.");
        let removed_then = as_of(db, &removed, v1).await;
        assert!(removed_then["event"]["title"].is_string(), "{removed_then}");
        let lavrov_then = as_of(db, r#"{ actor(AS_OF, slug: "sergei-lavrov") { statements(first: 100) { totalCount nodes { slug } } } }"#, v1).await;
        assert!(lavrov_then.to_string().contains(REMOVED), "{lavrov_then}");
        let found_then = as_of(db, search, v1).await;
        assert_eq!(found_then["search"]["totalCount"], 1, "{found_then}");
        assert_eq!(found_then["search"]["nodes"][0]["result"]["slug"], REMOVED);

        let now = as_of(db, putin, v2).await;
        assert_eq!(now["actor"]["description"], "President of the Russian Federation.");
        assert_eq!(now, data(db, &putin.replace("AS_OF, ", "")).await);
        assert_eq!(error_codes(db, &removed.replace("AS_OF", &format!("asOf: \"{}\"", v2.as_str().unwrap()))).await, vec!["NOT_FOUND"]);
        assert_eq!(as_of(db, search, v2).await["search"]["totalCount"], 0);
        let count = |value: Value| value["timeline"]["totalCount"].as_i64().expect("a count");
        assert_eq!(count(as_of(db, timeline, v1).await), count(as_of(db, timeline, v2).await) + 1);

        // Before the first import the store knew nothing.
        let nothing = as_of(db, "{ actors(AS_OF) { totalCount } timeline { totalCount } }", &json!("2001-01-01T00:00:00Z")).await;
        assert_eq!(nothing["actors"]["totalCount"], 0);
        // `asOf` belongs to its root field: the other one reads the store now.
        assert!(nothing["timeline"]["totalCount"].as_i64() > Some(10), "{nothing}");
    }

    async fn a_records_claims_list_both_versions_with_their_times(test_db: &TestDb) {
        let db = test_db.migrated().await;
        let dir = tempfile::tempdir().expect("temporary folder");
        two_versions(db, &dir).await;
        let runs = imports(db).await;
        let provenance = data(db, r#"{ actor(slug: "vladimir-putin") {
            provenance(includeRetracted: true) { description { value claim { sourceSlug recordedAt retractedAt live recordedBy { sequence } } } }
            live: provenance { description { value } }
        } }"#).await;
        let descriptions = &provenance["actor"]["provenance"]["description"];
        assert_eq!(descriptions, &json!([
            { "value": "President of Russia.", "claim": {
                "sourceSlug": "2025-12-28-trump-putin-zelenskyy", "recordedAt": runs[1]["recordedAt"],
                "retractedAt": runs[0]["recordedAt"], "live": false, "recordedBy": { "sequence": 1 } } },
            { "value": "President of the Russian Federation.", "claim": {
                "sourceSlug": "2025-12-28-trump-putin-zelenskyy", "recordedAt": runs[0]["recordedAt"],
                "retractedAt": null, "live": true, "recordedBy": { "sequence": 2 } } },
        ]));
        assert_eq!(provenance["actor"]["live"]["description"], json!([{ "value": "President of the Russian Federation." }]));
        // As of version 1, version 2's claim was not yet known and version 1's was live.
        let then = as_of(db, r#"{ actor(AS_OF, slug: "vladimir-putin") { provenance(includeRetracted: true) { description { value claim { live retractedAt } } } } }"#, &runs[1]["recordedAt"]).await;
        assert_eq!(then["actor"]["provenance"]["description"], json!([
            { "value": "President of Russia.", "claim": { "live": true, "retractedAt": null } },
        ]));
    }

    async fn an_identical_reimport_adds_and_retracts_nothing_and_touches_no_row(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_files(db, &[seed_file()], Some(&seed_body())).await.expect("the seed");
        let before = contents(db).await;
        assert!(before.get("claims").is_some_and(|rows| rows.len() > 100), "{:?}", before.keys());
        let again = import_files(db, &[seed_file()], Some(&seed_body())).await.expect("the seed again");
        assert_eq!((again.added(), again.retracted()), (0, 0));
        let after = contents(db).await;
        for (table, rows) in &before {
            assert_eq!(Some(rows), after.get(table), "table {table} changed");
        }
        assert_eq!(before.len(), after.len());
    }

    async fn a_withdrawn_source_leaves_what_only_it_said_and_keeps_its_history(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_files(db, &[seed_file()], Some(&seed_body())).await.expect("the seed");
        let seed_only = data(db, MEETING).await;
        let dir = root().join("tests/fixtures");
        import_files(db, &[dir.join(format!("{SECOND_REPORT}.json"))], Some(&dir.join(format!("{SECOND_REPORT}.txt"))))
            .await
            .expect("the second report");
        assert_ne!(data(db, MEETING).await, seed_only);
        let applied = retract(db, SECOND_REPORT).await.expect("retract").expect("something retracted");
        assert!(applied.retracted > 10, "{}", applied.retracted);
        // The meeting both described is the seed's again; what only the report said is gone.
        assert_eq!(data(db, MEETING).await, seed_only);
        assert_eq!(error_codes(db, r#"{ event(slug: "trump-putin-call-2025-12-29") { title } }"#).await, vec!["NOT_FOUND"]);
        assert_eq!(error_codes(db, &format!(r#"{{ source(slug: "{SECOND_REPORT}") {{ title }} }}"#)).await, vec!["NOT_FOUND"]);
        let runs = imports(db).await;
        assert_eq!(runs[0]["kind"], "RETRACTION");
        assert_eq!(runs[0]["sourceSlug"], SECOND_REPORT);
        assert_eq!(runs[0]["added"], 0);
        // The report's words are still known as of before the retraction.
        let then = as_of(db, r#"{ event(AS_OF, slug: "trump-putin-call-2025-12-29") { title } }"#, &runs[1]["recordedAt"]).await;
        assert!(then["event"]["title"].is_string(), "{then}");
        // Withdrawing it again changes nothing.
        assert!(retract(db, SECOND_REPORT).await.expect("retract again").is_none());
    }

    async fn a_record_shows_which_fields_its_sources_disagree_on_and_who_supports_each_link(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_files(db, &[seed_file()], Some(&seed_body())).await.expect("the seed");
        let dir = root().join("tests/fixtures");
        import_files(db, &[dir.join(format!("{SECOND_REPORT}.json"))], Some(&dir.join(format!("{SECOND_REPORT}.txt"))))
            .await
            .expect("the second report");
        let meeting = data(db, r#"{ event(slug: "trump-zelenskyy-mar-a-lago-meeting-2025-12-28") {
            title
            provenance {
                disagreements
                title { value claim { sourceSlug } }
                time { value { at precision } claim { sourceSlug } }
                place { value claim { sourceSlug } }
            }
            participants { actor { slug } claims { sourceSlug } }
            citations { quote { exact prefix suffix } position { start end } claims { sourceSlug } source { slug } }
        } }"#).await;
        let event = &meeting["event"];
        let provenance = &event["provenance"];
        let disagreements: Vec<&str> = provenance["disagreements"].as_array().expect("a list").iter().filter_map(Value::as_str).collect();
        assert!(disagreements.contains(&"title") && disagreements.contains(&"time"), "{disagreements:?}");
        assert!(!disagreements.contains(&"place"), "{disagreements:?}");
        let titles = provenance["title"].as_array().expect("titles");
        assert_eq!(titles.len(), 2, "{titles:?}");
        // The record shows the newer source's title, and both are listed.
        assert!(titles.iter().any(|t| t["value"] == event["title"] && t["claim"]["sourceSlug"] == SECOND_REPORT), "{titles:?}");
        assert!(titles.iter().any(|t| t["claim"]["sourceSlug"] == "2025-12-28-trump-putin-zelenskyy" && t["value"] != event["title"]), "{titles:?}");
        // Only the seed gives the place: one claim.
        assert_eq!(provenance["place"].as_array().map(Vec::len), Some(1), "{provenance}");
        // Trump takes part by both accounts.
        let trump = event["participants"].as_array().expect("participants").iter()
            .find(|p| p["actor"]["slug"] == "donald-trump").expect("trump takes part");
        let mut supporters: Vec<&str> = trump["claims"].as_array().expect("claims").iter().filter_map(|c| c["sourceSlug"].as_str()).collect();
        supporters.sort();
        assert_eq!(supporters, vec!["2025-12-28-trump-putin-zelenskyy", SECOND_REPORT]);
        // Citations carry both W3C selectors; each is supported by its own source.
        for citation in event["citations"].as_array().expect("citations") {
            let (start, end) = (citation["position"]["start"].as_i64().expect("start"), citation["position"]["end"].as_i64().expect("end"));
            assert_eq!(end - start, citation["quote"]["exact"].as_str().expect("exact").chars().count() as i64, "{citation}");
            assert!(citation["quote"]["prefix"].is_string() && citation["quote"]["suffix"].is_string(), "{citation}");
            assert_eq!(citation["claims"], json!([{ "sourceSlug": citation["source"]["slug"] }]));
        }
    }
}

const MEETING: &str = r#"{ event(slug: "trump-zelenskyy-mar-a-lago-meeting-2025-12-28") {
    title summary certainty time { at precision text } place { slug }
    ... on Meeting { status expectedDurationMinutes openToPress }
    participants { role actor { slug } }
} }"#;
