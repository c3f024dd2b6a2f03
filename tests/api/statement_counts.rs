//! The SQL statements one request runs depend on the query's shape, not on how many rows
//! come back: every relation loads through a batched loader.

use serde_json::{Value, json};

use crate::helpers::{count_statements, write_document};
use crate::on_both_backends;

/// A document of `count` meetings, each with three of the seed's actors.
fn many_meetings(count: usize) -> Value {
    let actors = [
        "donald-trump",
        "vladimir-putin",
        "volodymyr-zelenskyy",
        "donald-tusk",
        "sergei-lavrov",
        "kremlin",
        "tass",
    ];
    let meetings: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "slug": format!("synthetic-meeting-{i}"),
                "title": format!("Synthetic meeting {i}"),
                "time": { "at": format!("2026-01-01T{:02}:{:02}:00Z", (i / 60) % 24, i % 60), "precision": "MINUTE" },
                "certainty": "REPORTED",
                "participants": [
                    { "actor": actors[i % actors.len()], "role": "HOST" },
                    { "actor": actors[(i + 1) % actors.len()], "role": "GUEST" },
                    { "actor": actors[(i + 3) % actors.len()], "role": "PARTICIPANT" }
                ],
                "meeting": { "format": "IN_PERSON", "status": "HELD" }
            })
        })
        .collect();
    json!({ "source": { "slug": "synthetic-meetings", "title": "Synthetic meetings for statement counts" }, "events": meetings })
}

fn meetings_query(first: usize) -> String {
    format!(
        "{{ meetings(first: {first}) {{ nodes {{ title participants {{ role actor {{ name affiliations {{ role of {{ name }} }} }} }} }} }} }}"
    )
}

on_both_backends! {
    async fn a_page_of_5_and_of_100_meetings_run_the_same_few_statements(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = write_document(dir.path(), "meetings.json", &many_meetings(120));
        communique::import::import_files(db, &[file], None).await.expect("import the meetings");

        let (small, small_data) = count_statements(db, &meetings_query(5), json!({})).await;
        let (large, large_data) = count_statements(db, &meetings_query(100), json!({})).await;
        assert_eq!(small_data["meetings"]["nodes"].as_array().map(Vec::len), Some(5));
        assert_eq!(large_data["meetings"]["nodes"].as_array().map(Vec::len), Some(100));
        let participants = large_data["meetings"]["nodes"].as_array().expect("meetings").iter()
            .map(|m| m["participants"].as_array().map_or(0, Vec::len)).sum::<usize>();
        assert!(participants >= 200, "the large page loads every participant: {participants}");
        eprintln!("statements per request: {small} for 5 meetings, {large} for 100 meetings");
        assert_eq!(small, large, "statements must not grow with the page");
        // meetings page, participants, actors, affiliations, the actors they point to.
        assert!(large <= 5, "{large} statements for a query four relations deep");
    }

    async fn nested_pages_per_actor_are_one_statement(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let query = |first: usize| format!(
            "{{ actors(first: {first}) {{ nodes {{ name statements(first: 2) {{ totalCount nodes {{ text }} }} }} }} }}"
        );
        let (few, _) = count_statements(db, &query(2), json!({})).await;
        let (many, data) = count_statements(db, &query(20), json!({})).await;
        assert_eq!(few, many, "statements must not grow with the number of actors");
        assert!(many <= 3, "{many} statements: actors, their statement pages, their counts");
        let pages = data["actors"]["nodes"].as_array().expect("actors");
        assert!(pages.iter().all(|a| a["statements"]["nodes"].as_array().map_or(0, Vec::len) <= 2));
        let trump = pages.iter().find(|a| a["name"] == "Donald Trump").expect("Trump");
        assert_eq!(trump["statements"]["nodes"].as_array().map(Vec::len), Some(2));
        assert!(trump["statements"]["totalCount"].as_i64().expect("a count") > 2);
    }
}
