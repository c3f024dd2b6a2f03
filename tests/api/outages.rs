//! A database that goes away and comes back, on a private PostgreSQL cluster (its own
//! port on 127.0.0.1; the shared server is never stopped).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;

use crate::cluster::Cluster;
use crate::helpers::{TestDb, ask, get_json};

/// A private cluster, a migrated database on it, and a router over a pool of `pool`
/// (the server's: a 2 s wait for a connection).
async fn serve_on_a_private_cluster(pool: u32) -> (Cluster, TestDb, axum::Router) {
    let cluster = Cluster::start().unwrap_or_else(|reason| {
        panic!("this test needs a PostgreSQL cluster of its own and cannot start one: {reason}")
    });
    let test_db = TestDb::postgres_on(&cluster.url("postgres")).await;
    test_db.migrated().await;
    let pool = communique::db::Pool {
        acquire_timeout: Duration::from_secs(2),
        statement_timeout: Some(Duration::from_secs(30)),
        ..communique::db::Pool::new(pool)
    };
    let db = communique::db::connect_with(&test_db.url, pool)
        .await
        .expect("connect");
    let router = communique::http::router(db, 1 << 20);
    (cluster, test_db, router)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_answers_503_quickly_and_recovery_needs_no_restart() {
    let (cluster, _test_db, router) = serve_on_a_private_cluster(8).await;
    let query = json!({ "query": "{ actors { totalCount } }" });
    let (status, body, _) = ask(&router, &query).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    cluster.stop().expect("stop the cluster");
    // Under load: sixteen clients at once, each answered within the pool's wait.
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let router = router.clone();
            let query = query.clone();
            tokio::spawn(async move { ask(&router, &query).await })
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
    let started = Instant::now();
    let (status, body) = get_json(&router, "/health").await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        took < Duration::from_millis(1_500),
        "/health answered after {took:?}"
    );

    cluster.resume().expect("start the cluster again");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body, _) = ask(&router, &query).await;
        if status == StatusCode::OK {
            assert!(body["data"]["actors"]["totalCount"].is_number(), "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, body) = get_json(&router, "/health").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_503_through_an_outage_and_liveness_200() {
    let (cluster, _test_db, router) = serve_on_a_private_cluster(2).await;
    let ok = json!({ "status": "ok" });
    for path in ["/health/live", "/health/ready"] {
        assert_eq!(
            get_json(&router, path).await,
            (StatusCode::OK, ok.clone()),
            "{path}"
        );
    }

    cluster.stop().expect("stop the cluster");
    let stopped = Instant::now();
    // The last success answers for a moment; then a check fails and says so.
    loop {
        let (status, body) = get_json(&router, "/health/ready").await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(body, json!({ "status": "unavailable" }));
            break;
        }
        assert_eq!((status, &body), (StatusCode::OK, &ok));
        assert!(
            stopped.elapsed() < Duration::from_secs(4),
            "still ready {:?} into the outage",
            stopped.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = get_json(&router, "/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let started = Instant::now();
    assert_eq!(
        get_json(&router, "/health/live").await,
        (StatusCode::OK, ok.clone())
    );
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "liveness took {:?}",
        started.elapsed()
    );

    cluster.resume().expect("start the cluster again");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = get_json(&router, "/health/ready").await;
        if status == StatusCode::OK {
            assert_eq!(body, ok);
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
