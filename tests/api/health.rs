//! The health probes as orchestrators read them: liveness never waits for anything,
//! readiness and `/health` check the database on a connection of their own.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use communique::http::{Options, Rate, router, router_with};
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
use serde_json::{Value, json};

use crate::helpers::{TestDb, exchange, get_json};
use crate::on_both_backends;

/// A GraphQL request that reads the database.
fn count_actors() -> Request<Body> {
    Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "query": "{ actors { totalCount } }" }).to_string(),
        ))
        .expect("a request")
}

on_both_backends! {
    async fn readiness_and_health_answer_while_waiting_queries_hold_the_whole_pool(test_db: &TestDb) {
        test_db.migrated().await;
        let pool = communique::db::Pool {
            max_connections: 2,
            acquire_timeout: Duration::from_millis(500),
            statement_timeout: None,
        };
        let db = communique::db::connect_with(&test_db.url, pool).await.expect("connect");
        // Another connection holds the write lock on `sources`, so that the server's
        // writes wait for it, each on a connection of the pool: slow queries that burn
        // no processor.
        let holder = test_db.db.begin().await.expect("a transaction");
        let lock = match db.get_database_backend() {
            DbBackend::Postgres => "LOCK TABLE sources IN EXCLUSIVE MODE",
            _ => "DELETE FROM sources",
        };
        holder.execute_unprepared(lock).await.expect("take the lock");
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { db.execute_unprepared("DELETE FROM sources").await })
            })
            .collect();
        // Saturated: a request waits for a connection and gives up, unavailable.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, _, bytes) = exchange(router(db.clone(), 1 << 20), count_actors()).await;
            if status == StatusCode::SERVICE_UNAVAILABLE {
                let body: Value = serde_json::from_slice(&bytes).expect("JSON");
                assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE", "{body}");
                break;
            }
            assert!(Instant::now() < deadline, "the waiting queries never held the pool: {status}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Each router remembers its own last check: each answer comes from a new check.
        for path in ["/health", "/health/ready"] {
            let (status, body) = get_json(&router(db.clone(), 1 << 20), path).await;
            assert_eq!((status, body), (StatusCode::OK, json!({ "status": "ok" })), "{path}");
        }
        assert!(waiting.iter().all(|query| !query.is_finished()), "a query ended before the probes");
        holder.rollback().await.expect("release the lock");
        for query in waiting {
            query.await.expect("a task").expect("the write, once the lock is free");
        }
    }
}

#[tokio::test]
async fn the_probes_are_admitted_past_the_request_cap_and_the_rate_limit() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.migrated().await;
    let options = Options {
        max_concurrent_requests: 0,
        rate: Some(Rate {
            per_second: 0.001,
            burst: 1.0,
        }),
        ..Options::default()
    };
    let router = router_with(db.clone(), options);
    let client = axum::extract::ConnectInfo(std::net::SocketAddr::from(([192, 0, 2, 1], 4000)));
    let from_client = |mut request: Request<Body>| {
        request.extensions_mut().insert(client);
        request
    };
    // The client's one token goes to a request the cap refuses; the next is over the rate.
    let (status, _, _) = exchange(router.clone(), from_client(count_actors())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _, _) = exchange(router.clone(), from_client(count_actors())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    for path in ["/health/live", "/health/ready", "/health"] {
        let request = Request::get(path).body(Body::empty()).expect("a request");
        let (status, _, bytes) = exchange(router.clone(), from_client(request)).await;
        let body: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({ "status": "ok" })),
            "{path}"
        );
    }
}
