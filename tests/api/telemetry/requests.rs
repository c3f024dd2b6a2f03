//! Request ids and response compression, through the real router. Neither depends on
//! the backend: SQLite only.

use std::io::Read;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request};
use serde_json::Value;

use crate::helpers::{TestDb, exchange};

/// An answer well over the compression threshold, with no database work.
const LARGE: &str = "{ __schema { types { name description } } }";
/// An answer well under it.
const SMALL: &str = "{ __typename }";

/// A GraphQL POST of `query`, named `operation`, with extra `headers`.
pub fn graphql_request(
    query: &str,
    operation: Option<&str>,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let body = serde_json::json!({ "query": query, "operationName": operation }).to_string();
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::from(body)).expect("a request")
}

async fn router(test_db: &TestDb) -> Router {
    communique::http::router(test_db.migrated().await.clone(), 1 << 20)
}

fn request_id(headers: &HeaderMap) -> &str {
    headers
        .get("x-request-id")
        .expect("an x-request-id")
        .to_str()
        .expect("ASCII")
}

fn is_generated(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_an_id_gets_a_new_one_each_time() {
    let test_db = TestDb::sqlite().await;
    let router = router(&test_db).await;
    let (_, first, _) = exchange(router.clone(), graphql_request(SMALL, None, &[])).await;
    let (_, second, _) = exchange(router.clone(), graphql_request(SMALL, None, &[])).await;
    assert!(is_generated(request_id(&first)), "{}", request_id(&first));
    assert!(is_generated(request_id(&second)), "{}", request_id(&second));
    assert_ne!(request_id(&first), request_id(&second));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sane_request_id_from_the_client_is_kept() {
    let test_db = TestDb::sqlite().await;
    let router = router(&test_db).await;
    let id = "4bf92f35-77b3-4da6-a3ce-929d0e0e4736";
    let (_, headers, _) = exchange(
        router.clone(),
        graphql_request(SMALL, None, &[("x-request-id", id)]),
    )
    .await;
    assert_eq!(request_id(&headers), id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlong_or_unprintable_request_id_is_replaced() {
    let test_db = TestDb::sqlite().await;
    let router = router(&test_db).await;
    let long = "a".repeat(129);
    for unfit in [long.as_str(), "two words", ""] {
        let (_, headers, _) = exchange(
            router.clone(),
            graphql_request(SMALL, None, &[("x-request-id", unfit)]),
        )
        .await;
        assert!(
            is_generated(request_id(&headers)),
            "{unfit:?} became {}",
            request_id(&headers)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_a_request_id() {
    let test_db = TestDb::sqlite().await;
    let router = router(&test_db).await;
    let requests = [
        Request::get("/health").body(Body::empty()),
        Request::get("/metrics").body(Body::empty()),
        Request::get("/no-such-page").body(Body::empty()),
        Request::post("/graphql")
            .header("content-type", "text/plain")
            .body(Body::from("{}")),
    ];
    for request in requests {
        let request = request.expect("a request");
        let path = request.uri().path().to_owned();
        let (status, headers, _) = exchange(router.clone(), request).await;
        assert!(is_generated(request_id(&headers)), "{path} ({status})");
    }
}

/// The large answer, uncompressed, as JSON.
async fn plain_large(router: &Router) -> Value {
    let (status, headers, body) = exchange(router.clone(), graphql_request(LARGE, None, &[])).await;
    assert_eq!(status, 200);
    assert!(
        headers.get("content-encoding").is_none(),
        "no Accept-Encoding, no compression"
    );
    assert!(
        body.len() > 4 * 1024,
        "the large answer is {} bytes",
        body.len()
    );
    serde_json::from_slice(&body).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_answer_is_gzip_compressed_when_the_client_accepts_gzip() {
    let test_db = TestDb::sqlite().await;
    let router = router(&test_db).await;
    let plain = plain_large(&router).await;
    let (status, headers, body) = exchange(
        router.clone(),
        graphql_request(LARGE, None, &[("accept-encoding", "gzip")]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("content-encoding").map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    assert_eq!(
        headers.get("vary").map(|v| v.as_bytes()),
        Some(&b"accept-encoding"[..])
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .expect("gzip");
    assert!(
        body.len() < text.len() / 2,
        "{} bytes for {}",
        body.len(),
        text.len()
    );
    assert_eq!(serde_json::from_str::<Value>(&text).expect("JSON"), plain);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_answer_is_brotli_compressed_when_the_client_prefers_br() {
    let test_db = TestDb::sqlite().await;
    let router = router(&test_db).await;
    let plain = plain_large(&router).await;
    let accept = [("accept-encoding", "gzip;q=0.5, br")];
    let (status, headers, body) =
        exchange(router.clone(), graphql_request(LARGE, None, &accept)).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("content-encoding").map(|v| v.as_bytes()),
        Some(&b"br"[..])
    );
    let mut text = String::new();
    brotli::Decompressor::new(&body[..], 4096)
        .read_to_string(&mut text)
        .expect("brotli");
    assert_eq!(serde_json::from_str::<Value>(&text).expect("JSON"), plain);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_answer_is_sent_uncompressed() {
    let test_db = TestDb::sqlite().await;
    let router = router(&test_db).await;
    let accept = [("accept-encoding", "gzip, br")];
    let (status, headers, body) =
        exchange(router.clone(), graphql_request(SMALL, None, &accept)).await;
    assert_eq!(status, 200);
    assert!(headers.get("content-encoding").is_none());
    assert_eq!(
        serde_json::from_slice::<Value>(&body).expect("JSON")["data"],
        serde_json::json!({ "__typename": "Query" })
    );
}
