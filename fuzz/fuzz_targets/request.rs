//! The request path, body to answer: JSON, the GraphQL parse, the size and cost checks,
//! validation, the input bounds and, for what passes, execution over the seed on SQLite.
//! No input may panic or answer 500, every answer is JSON, and the checks stay linear
//! in the text (libFuzzer's `-timeout` catches one that is not).
//!
//! An input that starts with `{` is sent as the body; any other is sent as the query
//! text of a body, so that mutations land in GraphQL rather than in JSON.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

/// The router over a seeded database, built once per fuzzing process.
struct Server {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("fuzz.db").display());
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds");
        let router = runtime.block_on(async {
            let db = communique::db::connect(&url, 4)
                .await
                .expect("the database");
            communique::store::migrate(&db).await.expect("migrations");
            communique::seeds::load_if_empty(&db, &seeds)
                .await
                .expect("the seed");
            communique::http::router(db, 1 << 20)
        });
        Server {
            runtime,
            router,
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let server = server();
    let body = if data.first() == Some(&b'{') {
        data.to_vec()
    } else {
        let query = String::from_utf8_lossy(data);
        serde_json::to_vec(&serde_json::json!({ "query": query })).expect("JSON")
    };
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/graphql-response+json")
        .body(Body::from(body))
        .expect("a request");
    let (status, answer) = server.runtime.block_on(async {
        let response = server
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("a response");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        (status, bytes)
    });
    assert_ne!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", String::from_utf8_lossy(&answer));
    });
    // An INTERNAL error is a fault of ours that user input reached.
    if let Some(errors) = answer["errors"].as_array() {
        for error in errors {
            assert_ne!(error["extensions"]["code"], "INTERNAL", "{answer}");
        }
    }
});
