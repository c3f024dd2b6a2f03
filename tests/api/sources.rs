//! Many sources side by side: a document states claims, and no document erases what
//! another says. Each test imports the seed and a second, real-shaped report of other
//! events that shares actors with it (`tests/fixtures/`), both with their bodies.

use std::path::PathBuf;

use communique::import::import_files;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use crate::helpers::{graphql, root, seed_body, seed_file, seed_json, write_document};
use crate::on_both_backends;

/// The second report's import document and its body.
fn second_report() -> (PathBuf, PathBuf) {
    let dir = root().join("tests/fixtures");
    (
        dir.join("2025-12-29-mar-a-lago-talks.json"),
        dir.join("2025-12-29-mar-a-lago-talks.txt"),
    )
}

/// Imports the seed, then the second report, each with its body.
async fn import_both(db: &DatabaseConnection) {
    import_files(db, &[seed_file()], Some(&seed_body()))
        .await
        .expect("import the seed");
    let (document, body) = second_report();
    import_files(db, &[document], Some(&body))
        .await
        .expect("import the second report");
}

/// The `data` of `query`, which must answer without errors.
pub async fn data(db: &DatabaseConnection, query: &str) -> Value {
    let (status, body) = graphql(db, query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// The errors' codes of `query`.
pub async fn error_codes(db: &DatabaseConnection, query: &str) -> Vec<String> {
    let (_, body) = graphql(db, query, json!({})).await;
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|error| {
            error["extensions"]["code"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

/// The seed with `change` applied, written to `name` in `dir`.
fn seed_version(dir: &tempfile::TempDir, name: &str, change: impl FnOnce(&mut Value)) -> PathBuf {
    let mut document = seed_json();
    change(&mut document);
    write_document(dir.path(), name, &document)
}

/// The element of the array at `list` whose `key` is `value`.
fn element<'a>(list: &'a mut Value, key: &str, value: &str) -> &'a mut Value {
    list.as_array_mut()
        .expect("an array")
        .iter_mut()
        .find(|item| item[key] == value)
        .unwrap_or_else(|| panic!("no element with {key} = {value}"))
}

const MEETING_QUERY: &str = r#"{ event(slug: "trump-zelenskyy-mar-a-lago-meeting-2025-12-28") {
    title certainty time { at precision text } place { slug }
    ... on Meeting { status expectedDurationMinutes openToPress }
} }"#;

on_both_backends! {
    async fn a_document_that_cites_an_actor_with_fewer_fields_erases_none_of_them(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_both(db).await;
        let putin = data(db, r#"{ actor(slug: "vladimir-putin") { name kind country description aliases } }"#).await;
        assert_eq!(putin["actor"], json!({
            "name": "Vladimir Putin",
            "kind": "PERSON",
            "country": "RUS",
            "description": "President of Russia.",
            "aliases": ["President Putin of Russia", "Putin"],
        }));
    }

    async fn a_provision_added_by_a_second_document_keeps_the_proposal_and_follows_the_first_ones(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_both(db).await;
        let plan = data(db, r#"{ proposal(slug: "revised-us-peace-plan-for-ukraine") {
            title status summary provisions { slug ordinal }
        } }"#).await;
        let plan = &plan["proposal"];
        // The second report is the newer source: its title and status win; the seed's
        // summary, which it does not state, stays.
        assert_eq!(plan["title"], "U.S. peace plan for Ukraine, as amended with security guarantees");
        assert_eq!(plan["status"], "PROPOSED");
        assert!(plan["summary"].as_str().is_some_and(|s| s.starts_with("The U.S. plan to end")), "{plan}");
        assert_eq!(plan["provisions"], json!([
            { "slug": "halt-fighting-along-front-lines", "ordinal": 1 },
            { "slug": "withdrawal-for-buffer-zones", "ordinal": 2 },
            { "slug": "withdrawal-from-donetsk", "ordinal": 3 },
            { "slug": "security-guarantees-for-fifteen-years", "ordinal": 4 },
        ]));
    }

    async fn two_documents_that_disagree_about_a_meeting_resolve_to_the_newer_and_keep_the_place(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_both(db).await;
        let meeting = data(db, MEETING_QUERY).await;
        assert_eq!(meeting["event"], json!({
            "title": "Trump and Zelenskyy hold more than two hours of talks in Florida",
            "certainty": "CONFIRMED",
            "time": { "at": "2025-12-28T18:15:00+00:00", "precision": "MINUTE", "text": "1:15 p.m. Eastern time" },
            "place": { "slug": "mar-a-lago" },
            "status": "HELD",
            "expectedDurationMinutes": 120,
            "openToPress": true,
        }));
    }

    async fn importing_the_older_document_again_flips_nothing(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_both(db).await;
        let before = data(db, MEETING_QUERY).await;
        import_files(db, &[seed_file()], Some(&seed_body())).await.expect("the seed again");
        assert_eq!(data(db, MEETING_QUERY).await, before);
        assert_eq!(before["event"]["status"], "HELD");
    }

    async fn correcting_a_participants_role_leaves_only_the_new_role(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_files(db, &[seed_file()], None).await.expect("the seed");
        let dir = tempfile::tempdir().expect("temporary folder");
        let corrected = seed_version(&dir, "corrected.json", |doc| {
            let call = element(&mut doc["events"], "slug", "trump-zelenskyy-european-leaders-call-2025-12-28");
            element(&mut call["participants"], "actor", "donald-tusk")["role"] = json!("PARTICIPANT");
        });
        import_files(db, &[corrected], None).await.expect("the corrected seed");
        let call = data(db, r#"{ event(slug: "trump-zelenskyy-european-leaders-call-2025-12-28") {
            participants { role actor { slug } }
        } }"#).await;
        let tusk: Vec<&Value> = call["event"]["participants"].as_array().expect("participants").iter()
            .filter(|p| p["actor"]["slug"] == "donald-tusk").map(|p| &p["role"]).collect();
        assert_eq!(tusk, vec!["PARTICIPANT"]);
    }

    async fn correcting_a_positions_stance_leaves_only_the_new_stance(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_files(db, &[seed_file()], None).await.expect("the seed");
        let dir = tempfile::tempdir().expect("temporary folder");
        let corrected = seed_version(&dir, "corrected.json", |doc| {
            let plan = element(&mut doc["proposals"], "slug", "revised-us-peace-plan-for-ukraine");
            element(&mut plan["positions"], "actor", "vladimir-putin")["stance"] = json!("OPPOSES");
        });
        import_files(db, &[corrected], None).await.expect("the corrected seed");
        let plan = data(db, r#"{ proposal(slug: "revised-us-peace-plan-for-ukraine") {
            positions { stance actor { slug } }
        } }"#).await;
        let putin: Vec<&Value> = plan["proposal"]["positions"].as_array().expect("positions").iter()
            .filter(|p| p["actor"]["slug"] == "vladimir-putin").map(|p| &p["stance"]).collect();
        assert_eq!(putin, vec!["OPPOSES"]);
    }

    async fn a_record_removed_from_a_document_is_gone_once_it_is_imported_again(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_files(db, &[seed_file()], None).await.expect("the seed");
        let dir = tempfile::tempdir().expect("temporary folder");
        let shorter = seed_version(&dir, "shorter.json", |doc| {
            let events = doc["events"].as_array_mut().expect("events");
            events.retain(|event| event["slug"] != "lavrov-european-ambitions-blinding-leaders");
        });
        import_files(db, &[shorter], None).await.expect("the shorter seed");
        let codes = error_codes(db, r#"{ event(slug: "lavrov-european-ambitions-blinding-leaders") { title } }"#).await;
        assert_eq!(codes, vec!["NOT_FOUND"]);
        let lavrov = data(db, r#"{ actor(slug: "sergei-lavrov") { statements(first: 10) { totalCount nodes { slug } } } }"#).await;
        let slugs: Vec<&Value> = lavrov["actor"]["statements"]["nodes"].as_array().expect("nodes").iter().map(|n| &n["slug"]).collect();
        assert!(!slugs.contains(&&json!("lavrov-european-ambitions-blinding-leaders")), "{slugs:?}");
        assert_eq!(lavrov["actor"]["statements"]["totalCount"], json!(slugs.len()));
    }
}
