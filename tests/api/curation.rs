//! What a curator of many sources needs from the importer: every problem of a document
//! in one run and in path order, names that already belong to another record, excerpts
//! the body holds more than once, and times and statuses that contradict themselves.

use std::path::PathBuf;

use communique::import::{ImportError, import_files};
use serde_json::{Value, json};

use crate::helpers::{TestDb, row_counts, seed_body, seed_file, seed_json, write_document};
use crate::on_both_backends;

/// The rejections of importing `file` (with `body`), checking that nothing was written.
async fn rejections(
    test_db: &TestDb,
    file: PathBuf,
    body: Option<PathBuf>,
) -> Vec<(String, String)> {
    let db = &test_db.db;
    let before = row_counts(test_db).await;
    let error = import_files(db, &[file], body.as_deref())
        .await
        .expect_err("a rejection");
    let ImportError::Rejected(report) = error else {
        panic!("expected a rejection, got {error:?}");
    };
    assert_eq!(
        row_counts(test_db).await,
        before,
        "a rejected import wrote rows"
    );
    report
        .shown
        .into_iter()
        .map(|r| (r.path, r.reason))
        .collect()
}

/// The reason given at `path`.
fn reason<'a>(found: &'a [(String, String)], path: &str) -> &'a str {
    found
        .iter()
        .find(|(at, _)| at == path)
        .map(|(_, reason)| reason.as_str())
        .unwrap_or_else(|| panic!("no rejection at {path}: {found:#?}"))
}

/// A document of a new source declaring `actors` only.
fn new_source_with_actors(dir: &tempfile::TempDir, actors: Value) -> PathBuf {
    let mut document = seed_json();
    document["source"] =
        json!({ "slug": "curation-test-report", "title": "A report for the curation tests" });
    for section in ["affiliations", "places", "events", "proposals"] {
        document[section] = json!([]);
    }
    document["actors"] = actors;
    write_document(dir.path(), "new-source.json", &document)
}

on_both_backends! {
    async fn every_problem_of_a_document_is_reported_in_one_run_in_path_order(test_db: &TestDb) {
        test_db.migrated().await;
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut document = seed_json();
        document["events"][3]["participants"][0]["actor"] = json!("no-such-actor");
        document["actors"][5]["kind"] = json!("ROBOT");
        document["events"][0]["time"]["at"] = json!("2025-12-28T14:30:00Z");
        let file = write_document(dir.path(), "three-problems.json", &document);
        let found = rejections(test_db, file, None).await;
        assert!(reason(&found, "$.actors[5].kind").contains("ROBOT"), "{found:#?}");
        assert!(reason(&found, "$.events[0].time.at").contains("more exact than its precision"), "{found:#?}");
        assert!(reason(&found, "$.events[3].participants[0].actor").contains("no-such-actor"), "{found:#?}");
        let order: Vec<&str> = found.iter().map(|(path, _)| path.as_str()).collect();
        let position = |path: &str| order.iter().position(|p| *p == path).expect("listed");
        assert!(position("$.actors[5].kind") < position("$.events[0].time.at"), "{order:?}");
        assert!(position("$.events[0].time.at") < position("$.events[3].participants[0].actor"), "{order:?}");
    }

    async fn a_new_actor_named_like_an_existing_one_needs_distinct_from(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_files(db, &[seed_file()], None).await.expect("the seed");
        let dir = tempfile::tempdir().expect("temporary folder");
        let namesake = json!({ "slug": "vladimir-putin-2", "name": "Vladimir Putin", "kind": "PERSON" });
        let found = rejections(test_db, new_source_with_actors(&dir, json!([namesake.clone()])), None).await;
        let why = reason(&found, "$.actors[0].name");
        assert!(why.contains("`vladimir-putin`") && why.contains("distinctFrom"), "{why}");
        // An alias of an existing actor counts as its name too.
        let alias = json!({ "slug": "another-putin", "name": "Putin", "kind": "PERSON" });
        let found = rejections(test_db, new_source_with_actors(&dir, json!([alias])), None).await;
        assert!(reason(&found, "$.actors[0].name").contains("`vladimir-putin`"), "{found:#?}");
        let mut distinct = namesake;
        distinct["distinctFrom"] = json!(["vladimir-putin"]);
        import_files(db, &[new_source_with_actors(&dir, json!([distinct]))], None).await.expect("a namesake marked distinct");
    }

    async fn an_excerpt_found_more_than_once_needs_a_prefix_or_suffix(test_db: &TestDb) {
        test_db.migrated().await;
        let body = std::fs::read_to_string(seed_body()).expect("the body");
        let word = "Zelenskyy";
        let count = body.matches(word).count();
        assert!(count > 2, "the body names {word} {count} times");
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut document = seed_json();
        document["events"][0]["citations"] = json!([{ "excerpt": word }]);
        let file = write_document(dir.path(), "ambiguous.json", &document);
        let found = rejections(test_db, file, Some(seed_body())).await;
        let why = reason(&found, "$.events[0].citations[0].excerpt");
        assert!(why.contains(&format!("occurs {count} times")) && why.contains("prefix"), "{why}");
        // The words just before one occurrence say which.
        let at = body.find(word).expect("found");
        let prefix: String = body[..at].chars().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect();
        document["events"][0]["citations"] = json!([{ "excerpt": word, "prefix": prefix }]);
        let file = write_document(dir.path(), "anchored.json", &document);
        import_files(&test_db.db, &[file], Some(&seed_body())).await.expect("an excerpt with its prefix");
        let cited = crate::sources::data(&test_db.db, r#"{ event(slug: "trump-putin-call-2025-12-28") { citations { quote { exact prefix } position { start end } } } }"#).await;
        let citation = &cited["event"]["citations"][0];
        let start = body[..at].chars().count() as i64;
        assert_eq!(citation["position"], json!({ "start": start, "end": start + word.chars().count() as i64 }));
        assert_eq!(citation["quote"]["exact"], word);
    }

    async fn a_held_meeting_cannot_be_scheduled_nor_end_before_it_starts(test_db: &TestDb) {
        test_db.migrated().await;
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut document = seed_json();
        let events = document["events"].as_array_mut().expect("events");
        let meeting = events.iter().position(|e| e["meeting"]["status"] == "HELD").expect("a held meeting");
        events[meeting]["certainty"] = json!("SCHEDULED");
        let at = events[1]["time"]["at"].as_str().expect("an instant").to_owned();
        events[1]["time"]["until"] = json!("2001-01-01T00:00:00Z");
        assert!(at.as_str() > "2001", "{at}");
        let file = write_document(dir.path(), "contradictions.json", &document);
        let found = rejections(test_db, file, None).await;
        assert!(reason(&found, &format!("$.events[{meeting}].meeting.status")).contains("HELD meeting cannot be SCHEDULED"), "{found:#?}");
        assert!(reason(&found, "$.events[1].time.until").contains("before `at`"), "{found:#?}");
    }
}
