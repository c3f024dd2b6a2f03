//! A database that goes away and comes back, on a private PostgreSQL cluster (its own
//! port on 127.0.0.1; the shared server is never stopped).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::helpers::{TestDb, exchange};

async fn ask(router: &axum::Router, query: Option<&Value>) -> (StatusCode, Value, Duration) {
    let request = match query {
        Some(body) => Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => Request::get("/health").body(Body::empty()),
    }
    .expect("a request");
    let started = Instant::now();
    let (status, _, bytes) = exchange(router.clone(), request).await;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_answers_503_quickly_and_recovery_needs_no_restart() {
    let cluster = Cluster::start().unwrap_or_else(|reason| {
        panic!("this test needs a PostgreSQL cluster of its own and cannot start one: {reason}")
    });
    let test_db = TestDb::postgres_on(&cluster.url("postgres")).await;
    test_db.migrated().await;
    // The server's pool: a 2 s wait for a connection.
    let pool = communique::db::Pool {
        acquire_timeout: Duration::from_secs(2),
        statement_timeout: Some(Duration::from_secs(30)),
        ..communique::db::Pool::new(8)
    };
    let db = communique::db::connect_with(&test_db.url, pool)
        .await
        .expect("connect");
    let router = communique::http::router(db, 1 << 20);
    let query = json!({ "query": "{ actors { totalCount } }" });
    let (status, body, _) = ask(&router, Some(&query)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    cluster.stop().expect("stop the cluster");
    // Under load: sixteen clients at once, each answered within the pool's wait.
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let router = router.clone();
            let query = query.clone();
            tokio::spawn(async move { ask(&router, Some(&query)).await })
        })
        .collect();
    for client in clients {
        let (status, body, took) = client.await.expect("a client");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
            "{body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains("database:") && !message.contains("Error:"),
            "a database error reached the client: {body}"
        );
        assert!(took < Duration::from_secs(5), "answered after {took:?}");
    }
    let (status, body, took) = ask(&router, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        took < Duration::from_millis(1_500),
        "/health answered after {took:?}"
    );

    cluster.resume().expect("start the cluster again");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body, _) = ask(&router, Some(&query)).await;
        if status == StatusCode::OK {
            assert!(body["data"]["actors"]["totalCount"].is_number(), "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, _, _) = ask(&router, None).await;
    assert_eq!(status, StatusCode::OK);
}
