//! GraphQL over HTTP at the edge: methods, media types, status codes and limits, as the
//! GraphQL-over-HTTP specification asks. Transport does not depend on the backend, so
//! these run on SQLite only.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use crate::helpers::{TestDb, exchange};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// A query over the seed that succeeds.
const ACTORS: &str = "{ actors(first: 2) { nodes { slug } } }";

/// A whole response: status, headers and body.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    /// The `Content-Type` header, or `""` when there is none.
    fn content_type(&self) -> &str {
        self.header(header::CONTENT_TYPE.as_str())
    }

    /// The header `name`, or `""` when there is none.
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("an ASCII header"))
            .unwrap_or_default()
    }

    /// The body as JSON.
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the status and the media type of the body, with the body in the message.
    fn assert(&self, status: StatusCode, media_type: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_media_type(self.content_type(), media_type);
    }
}

/// Asserts that `content_type` is `media_type`, perhaps with parameters.
fn assert_media_type(content_type: &str, media_type: &str) {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    assert_eq!(essence, media_type, "Content-Type: {content_type}");
}

/// Sends `request` through the real router with a body limit of `max_body_bytes`.
async fn call_with_limit(
    db: &DatabaseConnection,
    max_body_bytes: usize,
    request: Request<Body>,
) -> Reply {
    send_through(
        communique::http::router(db.clone(), max_body_bytes),
        request,
    )
    .await
}

/// Sends `request` through `router`.
async fn send_through(router: axum::Router, request: Request<Body>) -> Reply {
    let (status, headers, body) = exchange(router, request).await;
    Reply {
        status,
        headers,
        body,
    }
}

/// Sends `request` through the real router, as the service runs it.
async fn call(db: &DatabaseConnection, request: Request<Body>) -> Reply {
    call_with_limit(db, 1 << 20, request).await
}

/// `POST /graphql` with these headers, when given, and `body`.
fn post(content_type: Option<&str>, accept: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post("/graphql");
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    request.body(body.into()).expect("a request")
}

/// `POST /graphql` of `body` as `application/json`, accepting `accept`.
fn post_json(accept: &str, body: &Value) -> Request<Body> {
    post(Some(JSON), Some(accept), body.to_string())
}

/// `GET /graphql` with `params` URL-encoded as the query string, accepting `accept`.
fn get(params: &[(&str, &str)], accept: &str) -> Request<Body> {
    let query = serde_urlencoded::to_string(params).expect("a query string");
    Request::get(format!("/graphql?{query}"))
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .expect("a request")
}

/// The `message` of the first error in `body`.
fn first_message(body: &Value) -> &str {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("an error message: {body}"))
}

/// Asserts that `body` holds at least one error.
fn assert_has_errors(body: &Value) {
    assert!(
        body["errors"].as_array().is_some_and(|e| !e.is_empty()),
        "errors: {body}"
    );
}

/// Asserts that `body` holds errors and no `data` key at all.
fn assert_errors_without_data(body: &Value) {
    assert_has_errors(body);
    assert!(body.get("data").is_none(), "no data: {body}");
}

// Response media types, from `Accept`.

/// `Accept` headers and the media type each must be answered in; `None` means 406.
/// RFC 9110 §12.5.1: the most specific matching range sets a media type's quality, so
/// `q=0` on one of ours is not undone by `*/*`.
const NEGOTIATION: &[(Option<&str>, Option<&str>)] = &[
    (Some(GRAPHQL_RESPONSE_JSON), Some(GRAPHQL_RESPONSE_JSON)),
    (Some(JSON), Some(JSON)),
    (None, Some(JSON)),
    (Some("*/*"), Some(JSON)),
    (Some("application/*"), Some(JSON)),
    (
        Some("application/json, application/graphql-response+json"),
        Some(JSON),
    ),
    (
        Some("application/graphql-response+json, application/json"),
        Some(GRAPHQL_RESPONSE_JSON),
    ),
    (
        Some("application/graphql-response+json, */*;q=0.8"),
        Some(GRAPHQL_RESPONSE_JSON),
    ),
    (Some("text/html, */*"), Some(JSON)),
    (
        Some("application/json;q=0.9, application/graphql-response+json;q=0.5"),
        Some(JSON),
    ),
    (
        Some("application/json; q=0.5, application/graphql-response+json; q=0.9"),
        Some(GRAPHQL_RESPONSE_JSON),
    ),
    (
        Some("application/graphql-response+json;q=0, application/json;q=0.1"),
        Some(JSON),
    ),
    (
        Some("application/graphql-response+json;q=0, */*"),
        Some(JSON),
    ),
    (
        Some("application/json;q=0, application/*;q=0.2"),
        Some(GRAPHQL_RESPONSE_JSON),
    ),
    (Some("application/json;q=0"), None),
    (Some("text/html"), None),
    (Some("text/html, image/*"), None),
];

#[tokio::test]
async fn post_answers_in_the_media_type_accept_prefers() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for &(accept, expected) in NEGOTIATION {
        let body = json!({ "query": ACTORS }).to_string();
        let reply = call(db, post(Some(JSON), accept, body)).await;
        let context = format!("Accept: {accept:?}");
        match expected {
            Some(media_type) => {
                assert_eq!(reply.status, StatusCode::OK, "{context}: {}", reply.text());
                assert_media_type(reply.content_type(), media_type);
                let body = reply.json();
                let nodes = body["data"]["actors"]["nodes"].as_array();
                assert_eq!(nodes.map(Vec::len), Some(2), "{context}: {body}");
                assert!(body.get("errors").is_none(), "{context}: {body}");
            }
            None => {
                reply.assert(StatusCode::NOT_ACCEPTABLE, JSON);
                let body = reply.json();
                assert_errors_without_data(&body);
                assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_ACCEPTABLE");
            }
        }
    }
}

#[tokio::test]
async fn get_with_an_accept_allowing_neither_media_type_is_406() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let reply = call(db, get(&[("query", ACTORS)], "text/html")).await;
    reply.assert(StatusCode::NOT_ACCEPTABLE, JSON);
}

// Request media types.

#[tokio::test]
async fn post_without_content_type_is_415() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": ACTORS }).to_string();
    let reply = call(db, post(None, Some(GRAPHQL_RESPONSE_JSON), body)).await;
    reply.assert(StatusCode::UNSUPPORTED_MEDIA_TYPE, GRAPHQL_RESPONSE_JSON);
    assert_errors_without_data(&reply.json());
}

#[tokio::test]
async fn post_as_text_plain_is_415() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": ACTORS }).to_string();
    let reply = call(
        db,
        post(Some("text/plain"), Some(GRAPHQL_RESPONSE_JSON), body),
    )
    .await;
    reply.assert(StatusCode::UNSUPPORTED_MEDIA_TYPE, GRAPHQL_RESPONSE_JSON);
}

#[tokio::test]
async fn post_as_a_form_is_415() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = serde_urlencoded::to_string([("query", ACTORS)]).expect("a form");
    let content_type = Some("application/x-www-form-urlencoded");
    let reply = call(db, post(content_type, Some(GRAPHQL_RESPONSE_JSON), body)).await;
    reply.assert(StatusCode::UNSUPPORTED_MEDIA_TYPE, GRAPHQL_RESPONSE_JSON);
}

#[tokio::test]
async fn post_as_graphql_response_json_is_415() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": ACTORS }).to_string();
    let content_type = Some(GRAPHQL_RESPONSE_JSON);
    let reply = call(db, post(content_type, Some(GRAPHQL_RESPONSE_JSON), body)).await;
    reply.assert(StatusCode::UNSUPPORTED_MEDIA_TYPE, GRAPHQL_RESPONSE_JSON);
}

#[tokio::test]
async fn the_415_answer_follows_accept() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": ACTORS }).to_string();
    let reply = call(db, post(Some("text/plain"), Some(JSON), body)).await;
    reply.assert(StatusCode::UNSUPPORTED_MEDIA_TYPE, JSON);
}

#[tokio::test]
async fn post_as_json_in_utf8_is_accepted() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for content_type in [
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "application/json; charset=\"utf-8\"",
        "Application/JSON",
    ] {
        let body = json!({ "query": ACTORS }).to_string();
        let reply = call(
            db,
            post(Some(content_type), Some(GRAPHQL_RESPONSE_JSON), body),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{content_type}: {}",
            reply.text()
        );
    }
}

#[tokio::test]
async fn post_as_json_in_another_charset_is_415() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": ACTORS }).to_string();
    let content_type = Some("application/json; charset=latin1");
    let reply = call(db, post(content_type, Some(GRAPHQL_RESPONSE_JSON), body)).await;
    reply.assert(StatusCode::UNSUPPORTED_MEDIA_TYPE, GRAPHQL_RESPONSE_JSON);
}

// Bodies that are not one GraphQL request.

#[tokio::test]
async fn a_body_that_is_not_json_is_400_in_either_media_type() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for accept in [GRAPHQL_RESPONSE_JSON, JSON] {
        let reply = call(db, post(Some(JSON), Some(accept), "{ not json")).await;
        reply.assert(StatusCode::BAD_REQUEST, accept);
        let body = reply.json();
        assert_errors_without_data(&body);
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

#[tokio::test]
async fn an_empty_body_is_400() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let reply = call(db, post(Some(JSON), Some(GRAPHQL_RESPONSE_JSON), "")).await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
}

#[tokio::test]
async fn a_batch_is_400_and_says_batches_are_not_supported() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let batch = json!([{ "query": ACTORS }, { "query": ACTORS }]);
    for accept in [GRAPHQL_RESPONSE_JSON, JSON] {
        let reply = call(db, post_json(accept, &batch)).await;
        reply.assert(StatusCode::BAD_REQUEST, accept);
        let body = reply.json();
        assert_errors_without_data(&body);
        assert!(first_message(&body).contains("batch"), "{body}");
    }
}

#[tokio::test]
async fn a_json_value_that_is_not_an_object_is_400() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for body in [
        json!("{ actors { nodes { slug } } }"),
        json!(42),
        json!(null),
    ] {
        let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
        reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    }
}

#[tokio::test]
async fn a_request_without_query_is_400() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for body in [
        json!({}),
        json!({ "query": null }),
        json!({ "variables": {} }),
    ] {
        for accept in [GRAPHQL_RESPONSE_JSON, JSON] {
            let reply = call(db, post_json(accept, &body)).await;
            reply.assert(StatusCode::BAD_REQUEST, accept);
            let body = reply.json();
            assert_errors_without_data(&body);
            assert!(first_message(&body).contains("query"), "{body}");
        }
    }
}

#[tokio::test]
async fn a_query_that_is_not_a_string_is_400() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for query in [json!(42), json!({ "actors": true }), json!(["{ actors }"])] {
        let reply = call(db, post_json(JSON, &json!({ "query": query }))).await;
        reply.assert(StatusCode::BAD_REQUEST, JSON);
        assert!(first_message(&reply.json()).contains("`query`"));
    }
}

#[tokio::test]
async fn variables_that_are_not_an_object_are_400() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for variables in [json!([1]), json!("{}"), json!(3)] {
        let body = json!({ "query": ACTORS, "variables": variables });
        let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
        reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
        assert!(first_message(&reply.json()).contains("`variables`"));
    }
}

#[tokio::test]
async fn an_operation_name_that_is_not_a_string_is_400() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": ACTORS, "operationName": 7 });
    let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
}

#[tokio::test]
async fn null_variables_operation_name_and_extensions_are_allowed() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({
        "query": ACTORS,
        "variables": null,
        "operationName": null,
        "extensions": null,
    });
    let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
    reply.assert(StatusCode::OK, GRAPHQL_RESPONSE_JSON);
}

#[tokio::test]
async fn unknown_request_keys_and_extensions_are_ignored() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({
        "query": ACTORS,
        "extensions": { "somethingElse": { "version": 1 } },
        "somethingElse": true,
    });
    let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
    reply.assert(StatusCode::OK, GRAPHQL_RESPONSE_JSON);
}

#[tokio::test]
async fn a_malformed_persisted_query_extension_is_400() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for persisted in [
        json!({ "version": 1 }),
        json!({ "version": 1, "sha256Hash": "abc" }),
        json!("x"),
    ] {
        let body = json!({ "query": ACTORS, "extensions": { "persistedQuery": persisted } });
        let reply = call(db, post_json(JSON, &body)).await;
        reply.assert(StatusCode::BAD_REQUEST, JSON);
        assert_eq!(
            reply.json()["errors"][0]["extensions"]["code"],
            "BAD_REQUEST",
            "{persisted}"
        );
    }
}

// Requests that fail before execution: 400 in graphql-response+json, 200 in json.

#[tokio::test]
async fn a_syntax_error_is_400_without_data_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": "{ actors(first: ) " });
    let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    assert_errors_without_data(&reply.json());
}

#[tokio::test]
async fn a_syntax_error_is_200_with_errors_in_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": "{ actors(first: ) " });
    let reply = call(db, post_json(JSON, &body)).await;
    reply.assert(StatusCode::OK, JSON);
    let body = reply.json();
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()));
    assert!(body["data"].is_null(), "{body}");
}

/// The GraphQL spec leaves `data` out when an error is raised before execution begins,
/// and GraphQL over HTTP recommends 2xx whenever `data` is present, even as `null`.
#[tokio::test]
async fn a_request_error_has_no_data_entry() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let depth = communique::graphql::MAX_DEPTH + 1;
    let too_deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
        "ofType { ".repeat(depth),
        " }".repeat(depth)
    );
    let query = "query($s: String!) { actor(slug: $s) { name } }";
    let cases = [
        ("syntax error", json!({ "query": "{ actors(" })),
        ("unknown field", json!({ "query": "{ nope }" })),
        ("too deep", json!({ "query": too_deep })),
        (
            "unknown operation",
            json!({ "query": ACTORS, "operationName": "B" }),
        ),
        (
            "no operation name",
            json!({ "query": "query A { __typename } query B { __typename }" }),
        ),
        (
            "bad variable",
            json!({ "query": query, "variables": { "s": 1 } }),
        ),
        ("missing variable", json!({ "query": query })),
        ("no mutations", json!({ "query": "mutation { x }" })),
    ];
    let mut with_data = Vec::new();
    for (case, body) in cases {
        let body = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body))
            .await
            .json();
        assert_has_errors(&body);
        if body.get("data").is_some() {
            with_data.push(format!("{case}: {body}"));
        }
    }
    assert!(
        with_data.is_empty(),
        "a data entry in:\n{}",
        with_data.join("\n")
    );
}

#[tokio::test]
async fn a_validation_error_is_400_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let reply = call(
        db,
        post_json(GRAPHQL_RESPONSE_JSON, &json!({ "query": "{ nope }" })),
    )
    .await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    let body = reply.json();
    assert_has_errors(&body);
    assert!(first_message(&body).contains("nope"), "{body}");
}

#[tokio::test]
async fn a_validation_error_is_200_in_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let reply = call(db, post_json(JSON, &json!({ "query": "{ nope }" }))).await;
    reply.assert(StatusCode::OK, JSON);
    assert!(first_message(&reply.json()).contains("nope"));
}

#[tokio::test]
async fn a_query_over_the_depth_limit_is_400_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let depth = communique::graphql::MAX_DEPTH + 1;
    let query = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
        "ofType { ".repeat(depth),
        " }".repeat(depth)
    );
    let reply = call(
        db,
        post_json(GRAPHQL_RESPONSE_JSON, &json!({ "query": query })),
    )
    .await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    assert_has_errors(&reply.json());
}

#[tokio::test]
async fn a_missing_required_variable_is_400_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query($s: String!) { actor(slug: $s) { name } }";
    let reply = call(
        db,
        post_json(GRAPHQL_RESPONSE_JSON, &json!({ "query": query })),
    )
    .await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    assert_has_errors(&reply.json());
}

#[tokio::test]
async fn a_variable_of_the_wrong_type_is_400_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query($s: String!) { actor(slug: $s) { name } }";
    let body = json!({ "query": query, "variables": { "s": { "not": "a string" } } });
    let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    assert_has_errors(&reply.json());
}

/// Sends each of `bodies` in turn through one router, as one server sees them.
async fn call_in_turn(db: &DatabaseConnection, bodies: &[Value]) -> Vec<Reply> {
    let router = communique::http::router(db.clone(), 1 << 20);
    let mut replies = Vec::new();
    for body in bodies {
        let request = post_json(GRAPHQL_RESPONSE_JSON, body);
        replies.push(send_through(router.clone(), request).await);
    }
    replies
}

#[tokio::test]
async fn a_kept_document_still_refuses_a_variable_of_the_wrong_type() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query($n: Int, $kinds: [EventKind!], $filter: EventFilter) { \
        timeline(first: $n, kinds: $kinds, filter: $filter) { nodes { id } } }";
    let bodies = [
        json!({ "query": query, "variables": { "n": 2 } }),
        json!({ "query": query, "variables": { "n": "two" } }),
        json!({ "query": query, "variables": { "n": 2_147_483_648_i64 } }),
        json!({ "query": query, "variables": { "kinds": ["MEETING", "PLANET"] } }),
        json!({ "query": query, "variables": { "filter": { "certainty": [null] } } }),
        json!({ "query": query, "variables": { "filter": { "colour": "red" } } }),
        json!({ "query": query, "variables": { "n": 1, "kinds": "STATEMENT" } }),
    ];
    let replies = call_in_turn(db, &bodies).await;
    replies[0].assert(StatusCode::OK, GRAPHQL_RESPONSE_JSON);
    let refused = ["$n", "$n", "$kinds[1]", "$filter.certainty[0]", "$filter"];
    for (reply, variable) in replies[1..6].iter().zip(refused) {
        reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
        let body = reply.json();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["argument"], variable,
            "{body}"
        );
        assert!(body.get("data").is_none(), "{body}");
    }
    // One item for a list is a list of one, as input coercion has it.
    replies[6].assert(StatusCode::OK, GRAPHQL_RESPONSE_JSON);
    let nodes = &replies[6].json()["data"]["timeline"]["nodes"];
    assert_eq!(nodes.as_array().map(Vec::len), Some(1), "{nodes}");
}

#[tokio::test]
async fn a_document_that_failed_validation_fails_it_again() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": "{ actors(first: 1) { nodes { noSuchField } } }" });
    let replies = call_in_turn(db, &[body.clone(), body]).await;
    for reply in &replies {
        reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
        let body = reply.json();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_variable_of_an_unknown_type_is_400_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query($s: NoSuchType!) { actor(slug: $s) { name } }";
    let body = json!({ "query": query, "variables": { "s": "sergei-lavrov" } });
    let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    assert_has_errors(&reply.json());
}

#[tokio::test]
async fn an_unknown_operation_name_is_400_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body =
        json!({ "query": "query A { actors(first: 1) { nodes { slug } } }", "operationName": "B" });
    let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    assert_has_errors(&reply.json());
}

#[tokio::test]
async fn the_operation_name_picks_the_operation_to_run() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query A { actors(first: 1) { nodes { slug } } } \
                 query B { actor(slug: \"sergei-lavrov\") { name } }";
    let body = json!({ "query": query, "operationName": "B" });
    let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
    reply.assert(StatusCode::OK, GRAPHQL_RESPONSE_JSON);
    assert_eq!(
        reply.json()["data"],
        json!({ "actor": { "name": "Sergei Lavrov" } })
    );
}

#[tokio::test]
async fn several_operations_without_an_operation_name_are_400_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query A { actors(first: 1) { nodes { slug } } } query B { __typename }";
    let reply = call(
        db,
        post_json(GRAPHQL_RESPONSE_JSON, &json!({ "query": query })),
    )
    .await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    assert_has_errors(&reply.json());
}

#[tokio::test]
async fn a_mutation_by_post_is_not_refused_for_its_method() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    // The schema has no mutations yet: the request is invalid, not sent the wrong way.
    let reply = call(
        db,
        post_json(GRAPHQL_RESPONSE_JSON, &json!({ "query": "mutation { x }" })),
    )
    .await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    assert!(reply.headers.get(header::ALLOW).is_none());
    assert_has_errors(&reply.json());
}

// Errors during execution.

#[tokio::test]
async fn a_field_error_is_200_even_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": "{ actor(slug: \"nobody\") { name } }" });
    let reply = call(db, post_json(GRAPHQL_RESPONSE_JSON, &body)).await;
    reply.assert(StatusCode::OK, GRAPHQL_RESPONSE_JSON);
    let body = reply.json();
    // `actor` is non-null, so its error nulls the whole of `data`, which is still sent.
    assert!(body.get("data").is_some(), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body}"
    );
    assert_eq!(body["errors"][0]["path"], json!(["actor"]));
}

#[tokio::test]
async fn a_field_error_beside_data_is_200_with_both() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "{ actors(first: 1000) { nodes { slug } } __typename }";
    let reply = call(
        db,
        post_json(GRAPHQL_RESPONSE_JSON, &json!({ "query": query })),
    )
    .await;
    reply.assert(StatusCode::OK, GRAPHQL_RESPONSE_JSON);
    let body = reply.json();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(body.get("data").is_some(), "{body}");
}

// GET.

#[tokio::test]
async fn get_runs_a_query_from_the_query_string() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let reply = call(
        db,
        get(
            &[("query", "{actors(first:2){nodes{slug}}}")],
            GRAPHQL_RESPONSE_JSON,
        ),
    )
    .await;
    reply.assert(StatusCode::OK, GRAPHQL_RESPONSE_JSON);
    let body = reply.json();
    assert_eq!(
        body["data"]["actors"]["nodes"]
            .as_array()
            .expect("nodes")
            .len(),
        2,
        "{body}"
    );
}

#[tokio::test]
async fn get_takes_variables_as_url_encoded_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query($slug: String!) { actor(slug: $slug) { name } }";
    let variables = json!({ "slug": "sergei-lavrov" }).to_string();
    let params = [("query", query), ("variables", variables.as_str())];
    let reply = call(db, get(&params, GRAPHQL_RESPONSE_JSON)).await;
    reply.assert(StatusCode::OK, GRAPHQL_RESPONSE_JSON);
    assert_eq!(
        reply.json()["data"],
        json!({ "actor": { "name": "Sergei Lavrov" } })
    );
}

#[tokio::test]
async fn get_takes_an_operation_name() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query A { __typename } query B { actor(slug: \"sergei-lavrov\") { name } }";
    let params = [("query", query), ("operationName", "B")];
    let reply = call(db, get(&params, JSON)).await;
    reply.assert(StatusCode::OK, JSON);
    assert_eq!(
        reply.json()["data"],
        json!({ "actor": { "name": "Sergei Lavrov" } })
    );
}

#[tokio::test]
async fn get_with_malformed_variables_is_400() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query($slug: String!) { actor(slug: $slug) { name } }";
    for accept in [GRAPHQL_RESPONSE_JSON, JSON] {
        let params = [("query", query), ("variables", "{slug:")];
        let reply = call(db, get(&params, accept)).await;
        reply.assert(StatusCode::BAD_REQUEST, accept);
        let body = reply.json();
        assert_errors_without_data(&body);
        assert!(first_message(&body).contains("`variables`"), "{body}");
    }
}

#[tokio::test]
async fn get_with_variables_that_are_not_an_object_is_400() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let params = [("query", ACTORS), ("variables", "[1, 2]")];
    let reply = call(db, get(&params, GRAPHQL_RESPONSE_JSON)).await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
}

#[tokio::test]
async fn get_refuses_a_mutation_with_405_and_allow_post() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for accept in [GRAPHQL_RESPONSE_JSON, JSON] {
        let reply = call(db, get(&[("query", "mutation { x }")], accept)).await;
        reply.assert(StatusCode::METHOD_NOT_ALLOWED, accept);
        assert_eq!(reply.header("allow"), "POST");
        assert_errors_without_data(&reply.json());
    }
}

#[tokio::test]
async fn get_refuses_a_subscription_with_405() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let reply = call(
        db,
        get(&[("query", "subscription { x }")], GRAPHQL_RESPONSE_JSON),
    )
    .await;
    reply.assert(StatusCode::METHOD_NOT_ALLOWED, GRAPHQL_RESPONSE_JSON);
    assert_eq!(reply.header("allow"), "POST");
}

#[tokio::test]
async fn get_refuses_a_mutation_chosen_by_operation_name_with_405() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query Q { __typename } mutation M { x }";
    let params = [("query", query), ("operationName", "M")];
    let reply = call(db, get(&params, GRAPHQL_RESPONSE_JSON)).await;
    reply.assert(StatusCode::METHOD_NOT_ALLOWED, GRAPHQL_RESPONSE_JSON);
    assert_eq!(reply.header("allow"), "POST");
}

#[tokio::test]
async fn get_runs_the_query_chosen_by_operation_name_beside_a_mutation() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = "query Q { __typename } mutation M { x }";
    let params = [("query", query), ("operationName", "Q")];
    let reply = call(db, get(&params, GRAPHQL_RESPONSE_JSON)).await;
    // Not refused for its method; whatever the mutation's validity, the answer is not 405.
    assert_ne!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.text()
    );
    assert!(reply.headers.get(header::ALLOW).is_none());
}

#[tokio::test]
async fn get_of_a_lone_named_mutation_without_operation_name_is_405() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let reply = call(
        db,
        get(&[("query", "mutation M { x }")], GRAPHQL_RESPONSE_JSON),
    )
    .await;
    reply.assert(StatusCode::METHOD_NOT_ALLOWED, GRAPHQL_RESPONSE_JSON);
    assert_eq!(reply.header("allow"), "POST");
}

#[tokio::test]
async fn get_without_a_query_is_400() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for accept in [GRAPHQL_RESPONSE_JSON, JSON] {
        let request = Request::get("/graphql")
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .expect("a request");
        let reply = call(db, request).await;
        reply.assert(StatusCode::BAD_REQUEST, accept);
        assert!(first_message(&reply.json()).contains("query"));
    }
    let reply = call(db, get(&[("variables", "{}")], GRAPHQL_RESPONSE_JSON)).await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
}

#[tokio::test]
async fn get_with_a_syntax_error_is_400_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let reply = call(db, get(&[("query", "{ actors(")], GRAPHQL_RESPONSE_JSON)).await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    assert_has_errors(&reply.json());
    let reply = call(db, get(&[("query", "{ actors(")], JSON)).await;
    reply.assert(StatusCode::OK, JSON);
}

#[tokio::test]
async fn get_with_a_validation_error_is_400_in_graphql_response_json() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let reply = call(db, get(&[("query", "{ nope }")], GRAPHQL_RESPONSE_JSON)).await;
    reply.assert(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON);
    let reply = call(db, get(&[("query", "{ nope }")], JSON)).await;
    reply.assert(StatusCode::OK, JSON);
}

#[tokio::test]
async fn get_needs_no_content_type() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let query = serde_urlencoded::to_string([("query", ACTORS)]).expect("a query string");
    let request = Request::get(format!("/graphql?{query}"))
        .body(Body::empty())
        .expect("a request");
    let reply = call(db, request).await;
    reply.assert(StatusCode::OK, JSON);
}

// Methods and limits.

#[tokio::test]
async fn other_methods_on_graphql_are_405_with_allow() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    for method in ["PUT", "DELETE", "PATCH"] {
        let request = Request::builder()
            .method(method)
            .uri("/graphql")
            .header(header::CONTENT_TYPE, JSON)
            .body(Body::from(json!({ "query": ACTORS }).to_string()))
            .expect("a request");
        let reply = call(db, request).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        let allow = reply.header("allow");
        assert!(
            allow.contains("GET") && allow.contains("POST"),
            "{method}: Allow: {allow}"
        );
    }
}

#[tokio::test]
async fn an_oversized_body_is_413_with_a_code() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let padding = " ".repeat(10 * 1024);
    let body = format!("{{\"query\": \"{ACTORS}\"{padding}}}");
    let reply = call_with_limit(
        db,
        1024,
        post(Some(JSON), Some(GRAPHQL_RESPONSE_JSON), body),
    )
    .await;
    reply.assert(StatusCode::PAYLOAD_TOO_LARGE, GRAPHQL_RESPONSE_JSON);
    assert_eq!(
        reply.json()["errors"][0]["extensions"]["code"],
        "PAYLOAD_TOO_LARGE",
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn a_body_under_the_limit_is_accepted() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let body = json!({ "query": ACTORS }).to_string();
    assert!(body.len() < 1024);
    let reply = call_with_limit(
        db,
        1024,
        post(Some(JSON), Some(GRAPHQL_RESPONSE_JSON), body),
    )
    .await;
    reply.assert(StatusCode::OK, GRAPHQL_RESPONSE_JSON);
}

// The other routes.

#[tokio::test]
async fn health_is_ok() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let request = Request::get("/health")
        .body(Body::empty())
        .expect("a request");
    let reply = call(db, request).await;
    reply.assert(StatusCode::OK, JSON);
    assert_eq!(reply.json(), json!({ "status": "ok" }));
}

#[tokio::test]
async fn the_root_serves_graphiql() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.seeded().await;
    let request = Request::get("/").body(Body::empty()).expect("a request");
    let reply = call(db, request).await;
    reply.assert(StatusCode::OK, "text/html");
    assert!(reply.text().contains("GraphiQL"));
    assert!(
        !reply.text().contains("__DEFAULT_QUERY__"),
        "the default query is filled in"
    );
}
