//! Plans that follow the data: a server's pooled SQLite connections plan with the
//! statistics of the store as it is, not as it was when they opened.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestDb, ask, write_document};

/// Events of the bulk source; five claims each (the event, its time, its meeting, two
/// participants), one hundred thousand in all.
const EVENTS: usize = 20_000;

/// A source of `EVENTS` calls between two of the seed's actors.
fn bulk_document() -> Value {
    let events: Vec<Value> = (0..EVENTS)
        .map(|n| {
            json!({
                "slug": format!("bulk-call-{n}"),
                "title": format!("Bulk call {n}"),
                "time": {
                    "at": format!("2024-{:02}-{:02}T00:00:00Z", 1 + n % 12, 1 + n % 28),
                    "precision": "DAY",
                    "text": "that day"
                },
                "certainty": "CONFIRMED",
                "citations": [{ "excerpt": format!("call number {n}") }],
                "meeting": { "format": "PHONE_CALL", "status": "HELD" },
                "participants": [
                    { "actor": "donald-trump", "role": "PARTICIPANT",
                      "citations": [{ "excerpt": format!("Trump in call {n}") }] },
                    { "actor": "vladimir-putin", "role": "PARTICIPANT" }
                ]
            })
        })
        .collect();
    json!({
        "source": {
            "slug": "bulk-calls",
            "title": "A ledger of calls",
            "language": "en",
            "published": { "at": "2026-01-01T00:00:00Z", "precision": "DAY", "text": "1 January 2026" }
        },
        "events": events
    })
}

/// After `communique import` loaded a large source beside a running server, the
/// server's connections kept plans and statistics from before it: the new source's
/// timeline ran past the 30 s request timeout, against 34 ms on a new server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_import_beside_a_running_sqlite_server_is_read_with_fresh_plans() {
    let test_db = TestDb::sqlite().await;
    test_db.seeded().await;
    let options = communique::http::Options {
        request_timeout: Duration::from_secs(5),
        ..communique::http::Options::default()
    };
    let router = communique::http::router_with(test_db.db.clone(), options);
    let query = json!({ "query": "{ timeline(filter: {source: \"bulk-calls\"}, first: 20) { totalCount nodes { slug } } }" });
    // The server has planned the query before the import.
    let (status, body, _) = ask(&router, &query).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The import comes from another process's pool, as `communique import` does.
    let dir = tempfile::tempdir().expect("a folder");
    let file = write_document(dir.path(), "bulk-calls.json", &bulk_document());
    let other = communique::db::connect(&test_db.url, 1)
        .await
        .expect("connect");
    let summary = communique::import::import_files(&other, &[file], None)
        .await
        .expect("import the bulk source");
    assert_eq!(summary.added(), 5 * EVENTS);
    other.close().await.expect("close");

    // The pool notices within half a second; the best of three answers is fast.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut fastest = Duration::MAX;
    for _ in 0..3 {
        let (status, body, took) = ask(&router, &query).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["timeline"]["totalCount"], EVENTS, "{body}");
        fastest = fastest.min(took);
    }
    assert!(
        fastest < Duration::from_millis(100),
        "the timeline took {fastest:?}"
    );
}
