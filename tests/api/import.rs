//! Import: idempotent, checked against the body, and all or nothing on bad documents.

use std::path::PathBuf;

use communique::import::{ImportError, Rejection, check_files, import_files};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestDb, row_counts, seed_body, seed_file, seed_json, write_document};
use crate::on_both_backends;

/// Imports `files`, expecting a rejection at `path` whose reason contains `reason`, and
/// checks that nothing was written.
async fn assert_rejected(
    test_db: &TestDb,
    files: &[PathBuf],
    body: Option<PathBuf>,
    path: &str,
    reason: &str,
) {
    let db = test_db.migrated().await;
    let before = row_counts(test_db).await;
    let error = import_files(db, files, body.as_deref())
        .await
        .expect_err("the import should be rejected");
    let ImportError::Rejected(report) = error else {
        panic!("expected a rejection, got {error:?}");
    };
    let rejections = report.shown;
    let found = rejections
        .iter()
        .find(|r| r.path == path)
        .unwrap_or_else(|| {
            panic!("no rejection at {path}; got {rejections:#?}");
        });
    assert!(
        found.reason.contains(reason),
        "reason {:?} should contain {reason:?}",
        found.reason
    );
    assert!(
        files.contains(&found.file),
        "rejection names {:?}, not one of {files:?}",
        found.file
    );
    assert_eq!(
        row_counts(test_db).await,
        before,
        "a rejected import wrote rows"
    );
}

/// The seed with `change` applied, written to a temporary file.
fn altered_seed(dir: &tempfile::TempDir, change: impl FnOnce(&mut Value)) -> PathBuf {
    let mut document = seed_json();
    change(&mut document);
    write_document(dir.path(), "altered.json", &document)
}

on_both_backends! {
    async fn importing_the_seed_twice_changes_no_row_count(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let first = row_counts(test_db).await;
        assert!(first.iter().all(|(_, n)| *n > 0), "every table has seed rows: {first:?}");
        import_files(db, &[seed_file()], None).await.expect("second import");
        assert_eq!(row_counts(test_db).await, first);
    }

    async fn importing_with_the_body_stores_offsets_and_keeps_them(test_db: &TestDb) {
        let db = test_db.migrated().await;
        import_files(db, &[seed_file()], Some(&seed_body())).await.expect("import with body");
        let citations = test_db.count("citations").await;
        let with_offsets = test_db.count("citations WHERE start_offset IS NOT NULL AND end_offset > start_offset").await;
        assert_eq!(with_offsets, citations);
        assert_eq!(test_db.count("sources WHERE body IS NOT NULL AND content_sha256 IS NOT NULL").await, 1);
        // A later import without the body neither duplicates nor forgets the offsets.
        import_files(db, &[seed_file()], None).await.expect("import without body");
        assert_eq!(test_db.count("citations WHERE start_offset IS NOT NULL").await, citations);
        assert_eq!(test_db.count("sources WHERE body IS NOT NULL").await, 1);
    }

    async fn loading_seeds_on_a_second_start_duplicates_nothing(test_db: &TestDb) {
        let db = test_db.migrated().await;
        let seeds = crate::helpers::root().join("seeds");
        communique::seeds::load_if_empty(db, &seeds).await.expect("first start");
        let first = row_counts(test_db).await;
        communique::seeds::load_if_empty(db, &seeds).await.expect("second start");
        assert_eq!(row_counts(test_db).await, first);
        assert_eq!(test_db.count("sources").await, 1);
    }

    async fn an_unknown_slug_is_rejected(test_db: &TestDb) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = altered_seed(&dir, |doc| doc["events"][0]["participants"][0]["actor"] = json!("nobody-at-all"));
        assert_rejected(test_db, &[file], None, "$.events[0].participants[0].actor", "unknown actor slug `nobody-at-all`").await;
    }

    async fn a_bad_date_is_rejected(test_db: &TestDb) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = altered_seed(&dir, |doc| doc["events"][1]["time"]["at"] = json!("Sunday 1800 GMT"));
        assert_rejected(test_db, &[file], None, "$.events[1].time.at", "not an RFC 3339 date-time").await;
    }

    async fn a_duplicate_slug_is_rejected(test_db: &TestDb) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = altered_seed(&dir, |doc| doc["actors"][2]["slug"] = doc["actors"][0]["slug"].clone());
        assert_rejected(test_db, &[file], None, "$.actors[2].slug", "duplicate actor slug").await;
    }

    async fn a_wrong_enum_value_is_rejected(test_db: &TestDb) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = altered_seed(&dir, |doc| doc["actors"][0]["kind"] = json!("WIZARD"));
        assert_rejected(test_db, &[file], None, "$.actors[0].kind", "unknown variant `WIZARD`").await;
    }

    async fn an_unknown_field_is_rejected(test_db: &TestDb) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = altered_seed(&dir, |doc| doc["places"][0]["population"] = json!(1000));
        assert_rejected(test_db, &[file], None, "$.places[0].population", "unknown field `population`").await;
    }

    async fn an_excerpt_missing_from_the_body_is_rejected(test_db: &TestDb) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = altered_seed(&dir, |doc| {
            doc["events"][0]["citations"][0]["excerpt"] = json!("words the report never used");
        });
        assert_rejected(test_db, &[file], Some(seed_body()), "$.events[0].citations[0].excerpt", "not found in the body").await;
    }

    async fn malformed_json_is_rejected(test_db: &TestDb) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = dir.path().join("broken.json");
        std::fs::write(&file, "{ \"source\": { \"slug\": ").expect("write");
        assert_rejected(test_db, &[file], None, "$.source.slug", "not valid JSON").await;
    }

    async fn one_bad_document_keeps_the_good_one_out_too(test_db: &TestDb) {
        // The second document's unknown slug is found only against the database, after
        // the first document was written inside the transaction.
        let dir = tempfile::tempdir().expect("temporary folder");
        let second = write_document(dir.path(), "second.json", &json!({
            "source": { "slug": "second-report", "title": "A second report" },
            "events": [{
                "slug": "another-call",
                "title": "Another call",
                "time": { "at": "2025-12-29T10:00:00Z", "precision": "HOUR" },
                "certainty": "REPORTED",
                "participants": [{ "actor": "vladimir-putin", "role": "PARTICIPANT" }, { "actor": "no-such-actor", "role": "PARTICIPANT" }],
                "meeting": { "format": "PHONE_CALL", "status": "HELD" }
            }]
        }));
        assert_rejected(test_db, &[seed_file(), second], None, "$.events[0].participants[1].actor", "unknown actor slug `no-such-actor`").await;
        assert_eq!(test_db.count("sources").await, 0);
    }

    async fn a_document_may_refer_to_records_imported_before(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let dir = tempfile::tempdir().expect("temporary folder");
        let second = write_document(dir.path(), "second.json", &json!({
            "source": { "slug": "second-report", "title": "A second report" },
            "events": [{
                "slug": "another-call",
                "title": "Another call",
                "time": { "at": "2025-12-29T10:00:00Z", "precision": "HOUR" },
                "certainty": "REPORTED",
                "participants": [{ "actor": "vladimir-putin", "role": "PARTICIPANT", "citations": [{ "excerpt": "Putin" }] }],
                "relations": [{ "kind": "FOLLOWS", "event": "trump-putin-call-2025-12-28" }],
                "meeting": { "format": "PHONE_CALL", "status": "HELD" }
            }]
        }));
        let actors = test_db.count("actors").await;
        import_files(db, &[second], None).await.expect("the second document refers to the seed's actor");
        assert_eq!(test_db.count("actors").await, actors, "the shared actor is not duplicated");
        assert_eq!(test_db.count("sources").await, 2);
    }
}

/// A document of source `source` declaring `places`.
fn places_document(source: &str, places: Value) -> Value {
    json!({ "source": { "slug": source, "title": source }, "places": places })
}

/// The rejections of importing `files`, which must be refused.
async fn rejections(db: &sea_orm::DatabaseConnection, files: &[PathBuf]) -> Vec<Rejection> {
    match import_files(db, files, None).await {
        Err(ImportError::Rejected(found)) => found.shown,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Every place's slug with its parent's, by slug.
async fn parents(db: &sea_orm::DatabaseConnection) -> Vec<(String, Option<String>)> {
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT slug, (SELECT p.slug FROM places p WHERE p.id = places.parent_id) AS parent \
             FROM places ORDER BY slug",
        ))
        .await
        .expect("places");
    rows.iter()
        .map(|row| {
            (
                row.try_get("", "slug").expect("slug"),
                row.try_get("", "parent").expect("parent"),
            )
        })
        .collect()
}

fn owned((slug, parent): (&str, Option<&str>)) -> (String, Option<String>) {
    (slug.to_owned(), parent.map(str::to_owned))
}

#[test]
fn a_cycle_within_a_document_is_found_without_a_database() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = write_document(
        dir.path(),
        "atlas.json",
        &places_document(
            "atlas",
            json!([
                { "slug": "a-land", "name": "A", "kind": "COUNTRY", "parent": "b-land" },
                { "slug": "b-land", "name": "B", "kind": "COUNTRY", "parent": "c-land" },
                { "slug": "c-land", "name": "C", "kind": "COUNTRY", "parent": "a-land" },
            ]),
        ),
    );
    let Err(ImportError::Rejected(found)) = check_files(std::slice::from_ref(&file), None) else {
        panic!("the cycle should be refused");
    };
    assert_eq!(
        found.shown,
        [Rejection::new(
            &file,
            "$.places[2].parent",
            "closes a cycle of parents: c-land in a-land in b-land in c-land"
        )]
    );
}

/// A document of 150 actors, each with one fault: a country that is no ISO code.
fn faulty_actors(dir: &tempfile::TempDir) -> PathBuf {
    let actors: Vec<Value> = (0..150)
        .map(|i| json!({ "slug": format!("actor-{i}"), "name": format!("Actor {i}"), "kind": "PERSON", "country": "xx" }))
        .collect();
    let document = json!({ "source": { "slug": "faulty", "title": "Faulty" }, "actors": actors });
    write_document(dir.path(), "faulty.json", &document)
}

/// Checks that `report`, of the document [`faulty_actors`] wrote at `file`, shows the
/// first 100 faults in reading order and counts all 150.
fn assert_capped(report: &communique::import::Report, file: &std::path::Path) {
    let expected: Vec<Rejection> = (0..100)
        .map(|i| {
            Rejection::new(
                file,
                format!("$.actors[{i}].country"),
                "`xx` is not an ISO 3166-1 alpha-3 code such as `UKR`",
            )
        })
        .collect();
    assert_eq!(report.shown, expected);
    assert_eq!(report.total, 150);
    let text = report.to_string();
    assert_eq!(text.lines().count(), 101, "{text}");
    assert_eq!(
        text.lines().last(),
        Some("… and 50 more problems (150 in all)")
    );
}

#[test]
fn communique_check_prints_the_first_100_problems_and_counts_the_rest() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = faulty_actors(&dir);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_communique"))
        .arg("check")
        .arg(&file)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("communique check runs");
    assert!(!output.status.success());
    let printed = String::from_utf8(output.stderr).expect("UTF-8");
    let mut expected: Vec<String> = (0..100)
        .map(|i| {
            format!(
                "{}: $.actors[{i}].country: `xx` is not an ISO 3166-1 alpha-3 code such as `UKR`",
                file.display()
            )
        })
        .collect();
    expected[0] = format!("Error: {}", expected[0]);
    expected.push("… and 50 more problems (150 in all)".to_owned());
    assert_eq!(printed.lines().collect::<Vec<_>>(), expected);
}

mod report {
    use super::*;

    on_both_backends! {
        async fn an_import_reports_the_first_100_problems_and_counts_the_rest(test_db: &TestDb) {
            let db = test_db.migrated().await;
            let dir = tempfile::tempdir().expect("temporary folder");
            let file = faulty_actors(&dir);
            let Err(ImportError::Rejected(report)) = import_files(db, std::slice::from_ref(&file), None).await else {
                panic!("the faulty actors should be refused");
            };
            assert_capped(&report, &file);
            assert_eq!(test_db.count("actors").await, 0);
        }
    }
}

#[test]
fn a_document_is_checked_without_a_database() {
    check_files(&[seed_file()], Some(&seed_body())).expect("the seed has no fault");
    let dir = tempfile::tempdir().expect("temporary folder");
    let bad = altered_seed(&dir, |doc| {
        doc["actors"][0]["slug"] = json!("Not A Slug");
        doc["events"][1]["time"]["precision"] = json!("FORTNIGHT");
    });
    let Err(ImportError::Rejected(found)) = check_files(std::slice::from_ref(&bad), None) else {
        panic!("the altered seed should be refused");
    };
    let found = found.shown;
    let paths: Vec<&str> = found.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["$.actors[0].slug", "$.events[1].time.precision"],
        "{found:#?}"
    );
    assert!(found.iter().all(|r| r.file == bad));
}

mod hostile {
    use super::*;

    on_both_backends! {
        async fn every_part_of_a_slug_is_checked_in_declarations_and_references(test_db: &TestDb) {
            let dir = tempfile::tempdir().expect("temporary folder");
            let declared = altered_seed(&dir, |doc| doc["actors"][0]["slug"] = json!("a/vladimir-putin"));
            assert_rejected(test_db, &[declared], None, "$.actors[0].slug", "is not a slug").await;
            let dir = tempfile::tempdir().expect("temporary folder");
            let referred = altered_seed(&dir, |doc| doc["events"][0]["participants"][0]["actor"] = json!("x/vladimir-putin"));
            assert_rejected(test_db, &[referred], None, "$.events[0].participants[0].actor", "is not a slug").await;
        }

        async fn control_characters_and_overlong_text_are_refused_with_their_paths(test_db: &TestDb) {
            let dir = tempfile::tempdir().expect("temporary folder");
            let nul = altered_seed(&dir, |doc| doc["actors"][0]["name"] = json!("Vladimir\u{0}Putin"));
            assert_rejected(test_db, &[nul], None, "$.actors[0].name", "control character U+0000").await;
            let dir = tempfile::tempdir().expect("temporary folder");
            let long = altered_seed(&dir, |doc| doc["events"][0]["title"] = json!("x".repeat(50_000_000 / 1_000)));
            assert_rejected(test_db, &[long], None, "$.events[0].title", "longer than 20000 characters").await;
        }

        async fn a_name_too_long_for_the_store_s_indexes_is_refused_with_its_path(test_db: &TestDb) {
            // Letters that do not compress: PostgreSQL refused such a name at its index
            // ("index row requires 10024 bytes"), with no file or path.
            let mut state = 1u32;
            let long: String = (0..10_000)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    char::from(b'a' + (state >> 16) as u8 % 26)
                })
                .collect();
            let dir = tempfile::tempdir().expect("temporary folder");
            let name = altered_seed(&dir, |doc| doc["actors"][0]["name"] = json!(long));
            assert_rejected(test_db, &[name], None, "$.actors[0].name", "longer than 500 characters").await;
            let dir = tempfile::tempdir().expect("temporary folder");
            let alias = altered_seed(&dir, |doc| doc["actors"][0]["aliases"] = json!([&long[..501]]));
            assert_rejected(test_db, &[alias], None, "$.actors[0].aliases[0]", "longer than 500 characters").await;
        }

        async fn a_database_refusal_is_reported_with_the_file_and_the_other_documents_still_checked(test_db: &TestDb) {
            // Every refusal the checks know of is caught before the database; a trigger
            // stands in for one they do not.
            let db = test_db.migrated().await;
            let backend = db.get_database_backend();
            let trigger: &[&str] = match backend {
                sea_orm::DbBackend::Postgres => &[
                    "CREATE OR REPLACE FUNCTION refuse_forbidden() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'a forbidden title'; END $$ LANGUAGE plpgsql",
                    "CREATE TRIGGER refuse_forbidden BEFORE INSERT ON sources FOR EACH ROW WHEN (NEW.title LIKE '%forbidden%') EXECUTE FUNCTION refuse_forbidden()",
                ],
                _ => &["CREATE TRIGGER refuse_forbidden BEFORE INSERT ON sources WHEN NEW.title LIKE '%forbidden%' BEGIN SELECT RAISE(ABORT, 'a forbidden title'); END"],
            };
            for sql in trigger {
                db.execute_unprepared(sql).await.expect("the trigger");
            }
            let dir = tempfile::tempdir().expect("temporary folder");
            let refused = altered_seed(&dir, |doc| doc["source"]["title"] = json!("A forbidden report"));
            let other = write_document(dir.path(), "other.json", &places_document("other-atlas", json!([
                { "slug": "alpha-land", "name": "Alpha", "kind": "COUNTRY", "parent": "no-such-place" },
            ])));
            let before = row_counts(test_db).await;
            let error = import_files(db, &[refused.clone(), other.clone()], None)
                .await
                .expect_err("the import should be rejected");
            let ImportError::Rejected(report) = error else {
                panic!("expected a rejection, got {error:?}");
            };
            let rejections = report.shown;
            let by_database = rejections
                .iter()
                .find(|r| r.file == refused)
                .unwrap_or_else(|| panic!("no rejection of {refused:?}: {rejections:#?}"));
            assert_eq!(by_database.path, "$");
            assert!(by_database.reason.contains("the database refused the document") && by_database.reason.contains("a forbidden title"), "{by_database:?}");
            assert!(rejections.iter().any(|r| r.file == other && r.path == "$.places[0].parent"), "{rejections:#?}");
            assert_eq!(row_counts(test_db).await, before, "a rejected import wrote rows");
        }

        async fn a_year_outside_the_supported_range_is_refused(test_db: &TestDb) {
            let dir = tempfile::tempdir().expect("temporary folder");
            let file = altered_seed(&dir, |doc| {
                doc["events"][1]["time"] = json!({ "at": "0000-01-01T00:00:00Z", "precision": "YEAR" });
            });
            assert_rejected(test_db, &[file], None, "$.events[1].time.at", "outside the supported years").await;
        }

        async fn a_byte_order_mark_is_read_past(test_db: &TestDb) {
            let db = test_db.migrated().await;
            let dir = tempfile::tempdir().expect("temporary folder");
            let file = dir.path().join("with-bom.json");
            let text = std::fs::read_to_string(seed_file()).expect("the seed");
            std::fs::write(&file, format!("\u{feff}{text}")).expect("write");
            import_files(db, &[file], None).await.expect("a document with a byte-order mark imports");
            assert_eq!(test_db.count("sources").await, 1);
        }

        async fn a_cycle_closed_by_a_later_import_is_refused_at_the_parent_that_closes_it(test_db: &TestDb) {
            let db = test_db.migrated().await;
            let dir = tempfile::tempdir().expect("temporary folder");
            let first = write_document(dir.path(), "first.json", &places_document("first-atlas", json!([
                { "slug": "alpha-land", "name": "Alpha", "kind": "COUNTRY" },
                { "slug": "beta-city", "name": "Beta", "kind": "CITY", "parent": "alpha-land" },
            ])));
            import_files(db, &[first], None).await.expect("the first atlas");
            let second = write_document(dir.path(), "second.json", &places_document("second-atlas", json!([
                { "slug": "alpha-land", "parent": "beta-city" },
            ])));
            let before = row_counts(test_db).await;
            assert_eq!(
                rejections(db, std::slice::from_ref(&second)).await,
                [Rejection::new(&second, "$.places[0].parent", "closes a cycle of parents: alpha-land in beta-city in alpha-land")]
            );
            assert_eq!(row_counts(test_db).await, before, "a rejected import wrote rows");
            assert_eq!(parents(db).await, [("alpha-land", None), ("beta-city", Some("alpha-land"))].map(owned));
        }

        async fn a_cycle_closed_by_the_second_file_of_one_run_is_refused(test_db: &TestDb) {
            let db = test_db.migrated().await;
            let dir = tempfile::tempdir().expect("temporary folder");
            let first = write_document(dir.path(), "first.json", &places_document("first-atlas", json!([
                { "slug": "alpha-land", "name": "Alpha", "kind": "COUNTRY" },
                { "slug": "beta-city", "name": "Beta", "kind": "CITY", "parent": "alpha-land" },
            ])));
            let second = write_document(dir.path(), "second.json", &places_document("second-atlas", json!([
                { "slug": "alpha-land", "parent": "beta-city" },
            ])));
            assert_eq!(
                rejections(db, &[first, second.clone()]).await,
                [Rejection::new(&second, "$.places[0].parent", "closes a cycle of parents: alpha-land in beta-city in alpha-land")]
            );
            assert_eq!(test_db.count("places").await, 0, "a rejected run wrote places");
            assert_eq!(test_db.count("sources").await, 0, "a rejected run wrote sources");
        }

        async fn a_cycle_another_source_s_claim_would_close_is_refused(test_db: &TestDb) {
            // Each place's parent is the most recently published source's: the newest
            // atlas puts beta-city in gamma-region, so the oldest may put alpha-land in
            // beta-city. Dropping the newest atlas's parent would hand beta-city's parent
            // back to the first atlas, alpha-land: a cycle.
            let db = test_db.migrated().await;
            let dir = tempfile::tempdir().expect("temporary folder");
            let atlas = |name: &str, published: &str, places: Value| {
                let mut document = places_document(name, places);
                document["source"]["published"] = json!({ "at": published, "precision": "DAY" });
                write_document(dir.path(), &format!("{name}.json"), &document)
            };
            let first = atlas("first-atlas", "2025-01-01T00:00:00Z", json!([
                { "slug": "alpha-land", "name": "Alpha", "kind": "COUNTRY" },
                { "slug": "beta-city", "name": "Beta", "kind": "CITY", "parent": "alpha-land" },
            ]));
            let newest = atlas("newest-atlas", "2026-01-01T00:00:00Z", json!([
                { "slug": "gamma-region", "name": "Gamma", "kind": "REGION" },
                { "slug": "beta-city", "parent": "gamma-region" },
            ]));
            let oldest = atlas("oldest-atlas", "2024-01-01T00:00:00Z", json!([
                { "slug": "alpha-land", "parent": "beta-city" },
            ]));
            import_files(db, &[first, newest, oldest], None).await.expect("no cycle yet");
            let landed = [("alpha-land", Some("beta-city")), ("beta-city", Some("gamma-region")), ("gamma-region", None)].map(owned);
            assert_eq!(parents(db).await, landed);
            let before = row_counts(test_db).await;
            let newest = atlas("newest-atlas", "2026-01-01T00:00:00Z", json!([
                { "slug": "gamma-region", "name": "Gamma", "kind": "REGION" },
                { "slug": "beta-city" },
            ]));
            assert_eq!(
                rejections(db, std::slice::from_ref(&newest)).await,
                [Rejection::new(&newest, "$.places[1]", "leaves its parent to another source, whose claim closes a cycle of parents: beta-city in alpha-land in beta-city")]
            );
            let withdrawn = communique::import::retract(db, "newest-atlas").await.expect_err("the withdrawal should be refused");
            assert_eq!(
                withdrawn.to_string(),
                "withdrawing `newest-atlas` leaves parents to other sources, whose claims close a cycle of parents: beta-city in alpha-land in beta-city"
            );
            assert_eq!(row_counts(test_db).await, before, "a refused change wrote rows");
            assert_eq!(parents(db).await, landed);
        }

    }
}
