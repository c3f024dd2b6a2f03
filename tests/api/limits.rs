//! Hostile but lawful requests: each is refused quickly, with its code, and the answer
//! stays small.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use crate::helpers::exchange;
use crate::on_both_backends;

/// Posts `body`; returns the status, the JSON answer and its size in bytes.
async fn post(db: &DatabaseConnection, body: &Value) -> (StatusCode, Value, usize) {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/graphql-response+json")
        .body(Body::from(body.to_string()))
        .expect("a request");
    let (status, _, bytes) = exchange(communique::http::router(db.clone(), 4 << 20), request).await;
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, json, bytes.len())
}

/// The codes of `body`'s errors.
fn codes(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| error["extensions"]["code"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// A document of about 1 KB whose fragments each spread the next twice: 2^`levels`
/// fields once expanded.
fn fragment_bomb(levels: usize) -> String {
    let mut query = String::from("query Bomb { ...F0 }\n");
    for i in 0..levels {
        query.push_str(&format!(
            "fragment F{i} on Query {{ ...F{} ...F{} }}\n",
            i + 1,
            i + 1
        ));
    }
    query.push_str(&format!(
        "fragment F{levels} on Query {{ actors {{ totalCount }} }}\n"
    ));
    query
}

mod documents {
    use super::*;

    on_both_backends! {
        async fn a_fragment_bomb_is_refused_as_too_complex(test_db: &TestDb) {
            let db = test_db.seeded().await;
            for levels in [22, 24] {
                let (status, body, _) = post(db, &json!({ "query": fragment_bomb(levels) })).await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
                assert_eq!(codes(&body), ["QUERY_TOO_COMPLEX"], "{body}");
                let requested = body["extensions"]["cost"]["requested"].as_u64().expect("the cost");
                assert_eq!(requested, (1u64 << levels) * (1 + 20), "{body}");
            }
        }

        async fn nested_pages_count_in_the_cost(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let alias = "actors(first: 100) { nodes { statements(first: 100) { nodes { citations { source { title } } } } } }";
            let query = format!("{{ {} }}", (0..20).map(|i| format!("a{i}: {alias}")).collect::<Vec<_>>().join(" "));
            let (status, body, _) = post(db, &json!({ "query": query })).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(codes(&body), ["QUERY_TOO_COMPLEX"], "{body}");
            assert_eq!(body["extensions"]["cost"]["limit"], 25_000, "{body}");
        }

        async fn every_response_that_ran_reports_its_cost(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let query = "{ actors(first: 20) { nodes { name statements(first: 10) { nodes { text } } } } }";
            let (status, body, _) = post(db, &json!({ "query": query })).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["extensions"]["cost"], json!({ "requested": 461, "limit": 25_000 }));
            assert!(body["data"]["actors"]["nodes"].as_array().is_some_and(|nodes| !nodes.is_empty()));
        }

        async fn long_names_many_aliases_and_directives_are_refused_without_echo(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let long_name = format!("{{ {} }}", "a".repeat(900_000));
            let aliases = format!("{{ {} }}", (0..10_000).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" "));
            let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(10_000));
            for query in [long_name, aliases, directives] {
                let (status, body, size) = post(db, &json!({ "query": query })).await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
                assert_eq!(codes(&body), ["QUERY_TOO_LARGE"], "{body}");
                assert!(size < 1_000, "a {size}-byte answer: {body}");
            }
        }

        async fn errors_per_response_are_bounded(test_db: &TestDb) {
            let db = test_db.seeded().await;
            // 60 fields the schema does not have: 60 validation errors.
            let query = format!("{{ {} }}", (0..60).map(|i| format!("nope{i}")).collect::<Vec<_>>().join(" "));
            let (status, body, _) = post(db, &json!({ "query": query })).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            let errors = body["errors"].as_array().expect("errors");
            assert_eq!(errors.len(), communique::http::MAX_ERRORS, "{body}");
            let last = errors.last().expect("a last error");
            assert_eq!(last["extensions"]["code"], "TOO_MANY_ERRORS");
            assert!(last["message"].as_str().is_some_and(|m| m.starts_with("41 more errors")), "{last}");
        }
    }
}

/// Posts `query` with `variables`; returns the status and the JSON answer.
async fn run(db: &DatabaseConnection, query: &str, variables: Value) -> (StatusCode, Value) {
    let (status, body, _) = post(db, &json!({ "query": query, "variables": variables })).await;
    (status, body)
}

/// Asserts `body` is one BAD_USER_INPUT error naming `argument`.
fn assert_bad_input(body: &Value, argument: &str) {
    assert_eq!(codes(body), ["BAD_USER_INPUT"], "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["argument"], argument,
        "{body}"
    );
}

mod inputs {
    use super::*;

    on_both_backends! {
        async fn oversized_and_control_character_inputs_are_bad_user_input(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let actors = "query($country: String, $after: String) { actors(country: $country, after: $after) { totalCount } }";
            let (_, body) = run(db, actors, json!({ "after": "A".repeat(10_000) })).await;
            assert_bad_input(&body, "$after");
            let (_, body) = run(db, actors, json!({ "country": "U\u{0}S" })).await;
            assert_bad_input(&body, "$country");
            let (_, body) = run(db, r#"{ actors(country: "U\u0000S") { totalCount } }"#, json!({})).await;
            assert_bad_input(&body, "actors.country");
            let kinds = vec!["MEETING"; 40_000];
            let (_, body) = run(db, "query($k: [EventKind!]) { timeline(kinds: $k) { totalCount } }", json!({ "k": kinds })).await;
            assert_bad_input(&body, "$k");
            let search = "query($q: String!) { search(query: $q) { totalCount } }";
            let (_, body) = run(db, search, json!({ "q": "peace ".repeat(200_000) })).await;
            assert_bad_input(&body, "$q");
            let (_, body) = run(db, search, json!({ "q": "peace ".repeat(100) })).await;
            assert_bad_input(&body, "query");
            let (_, body) = run(db, search, json!({ "q": "cease\u{0}fire" })).await;
            assert_bad_input(&body, "$q");
        }

        async fn times_outside_the_supported_years_are_bad_user_input(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let timeline = "query($from: DateTime) { timeline(filter: { from: $from }) { totalCount } }";
            let (_, body) = run(db, timeline, json!({ "from": "-262143-01-01T00:00:00Z" })).await;
            assert_bad_input(&body, "filter.from");
            let (_, body) = run(db, "query($t: DateTime) { actors(asOf: $t) { totalCount } }", json!({ "t": "0000-06-01T00:00:00Z" })).await;
            assert_bad_input(&body, "asOf");
            // A cursor of the timeline's shape, at a time no list gives out.
            use base64::Engine as _;
            let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(br#"{"l":"timeline","k":{"t":"0000-01-01T00:00:00Z"},"i":1}"#);
            let (_, body) = run(db, "query($c: String) { timeline(after: $c) { totalCount } }", json!({ "c": cursor })).await;
            assert_bad_input(&body, "after");
        }

        async fn a_literal_of_another_kind_for_a_scalar_is_bad_user_input(test_db: &TestDb) {
            // Found by the request fuzz target: these were INTERNAL.
            let db = test_db.seeded().await;
            for query in [
                "{ timeline(asOf: t) { totalCount } }",
                "{ actors(asOf: 5) { totalCount } }",
                "{ timeline(filter: { from: true }) { totalCount } }",
            ] {
                let (_, body) = run(db, query, json!({})).await;
                assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{query}: {body}");
            }
        }

        async fn a_cursor_from_another_list_is_bad_user_input(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let end = |list: &str| format!("{{ {list}(first: 1) {{ pageInfo {{ endCursor }} }} }}");
            let cursor = |body: &Value, list: &str| body["data"][list]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
            let (_, actors) = run(db, &end("actors"), json!({})).await;
            let (_, places) = run(db, &end("places"), json!({})).await;
            let (_, timeline) = run(db, &end("timeline"), json!({})).await;
            let (actors, places, timeline) = (cursor(&actors, "actors"), cursor(&places, "places"), cursor(&timeline, "timeline"));
            // Each list takes its own cursors back.
            for (list, own) in [("actors", &actors), ("places", &places), ("timeline", &timeline)] {
                let (status, body) = run(db, &format!("query($c: String) {{ {list}(after: $c) {{ totalCount }} }}"), json!({ "c": own })).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                assert!(body.get("errors").is_none(), "{body}");
            }
            // A key of another type (names against times: PostgreSQL could not compare
            // them), a key of the same type from another list (SQLite gave an arbitrary
            // page), and another event list's cursor.
            for (list, argument, foreign) in [
                ("timeline", "after", &actors),
                ("actors", "before", &places),
                ("meetings", "after", &timeline),
            ] {
                let query = format!("query($c: String) {{ {list}({argument}: $c) {{ totalCount }} }}");
                let (_, body) = run(db, &query, json!({ "c": foreign })).await;
                assert_bad_input(&body, argument);
                assert!(body["errors"][0]["message"].as_str().unwrap().contains("not a cursor of this list"), "{body}");
            }
        }
    }
}

mod deadlines {
    use std::time::{Duration, Instant};

    use communique::graphql::error::AppError;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    use super::*;

    /// A statement that runs for seconds on `backend`.
    fn slow(backend: DbBackend) -> Statement {
        let sql = match backend {
            DbBackend::Postgres => "SELECT pg_sleep(30)",
            _ => {
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c"
            }
        };
        Statement::from_string(backend, sql)
    }

    on_both_backends! {
        async fn a_statement_over_its_timeout_is_cancelled_and_the_pool_stays_whole(test_db: &TestDb) {
            test_db.migrated().await;
            let pool = communique::db::Pool {
                max_connections: 2,
                acquire_timeout: Duration::from_secs(2),
                statement_timeout: Some(Duration::from_millis(300)),
            };
            let db = communique::db::connect_with(&test_db.url, pool).await.expect("connect");
            let backend = db.get_database_backend();
            let started = Instant::now();
            let error = db.query_one_raw(slow(backend)).await.expect_err("cancelled");
            let took = started.elapsed();
            assert_eq!(AppError::from(error), AppError::Timeout);
            assert!(took < Duration::from_secs(5), "cancelled after {took:?}");
            if backend == DbBackend::Postgres {
                let running = test_db
                    .db
                    .query_one_raw(Statement::from_string(
                        backend,
                        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
                         AND state = 'active' AND query LIKE '%pg_sleep%' AND query NOT LIKE '%pg_stat_activity%'",
                    ))
                    .await
                    .expect("pg_stat_activity")
                    .expect("a row");
                assert_eq!(running.try_get::<i64>("", "n").expect("a count"), 0, "the statement still runs");
            }
            // Both connections of the pool answer at once.
            let one = || db.query_one_raw(Statement::from_string(backend, "SELECT 1 AS one"));
            let (a, b) = tokio::join!(one(), one());
            assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        }

        async fn a_request_over_its_deadline_answers_504_timeout(test_db: &TestDb) {
            test_db.seeded().await;
            // A pool of one connection, held by a transaction: the request waits for
            // it until its deadline.
            let db = communique::db::connect_with(&test_db.url, communique::db::Pool::new(1))
                .await
                .expect("connect");
            let options = communique::http::Options {
                request_timeout: Duration::from_millis(300),
                ..communique::http::Options::default()
            };
            let router = communique::http::router_with(db.clone(), options);
            let request = || {
                Request::post("/graphql")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(json!({ "query": "{ actors { totalCount } }" }).to_string()))
                    .expect("a request")
            };
            let held = sea_orm::TransactionTrait::begin(&db).await.expect("hold the connection");
            let started = Instant::now();
            let (status, _, bytes) = exchange(router.clone(), request()).await;
            let took = started.elapsed();
            let body: Value = serde_json::from_slice(&bytes).expect("JSON");
            assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
            assert_eq!(codes(&body), ["TIMEOUT"], "{body}");
            assert!(took < Duration::from_secs(3), "answered after {took:?}");
            held.rollback().await.expect("release the connection");
            let (status, _, bytes) = exchange(router, request()).await;
            assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
        }
    }

    /// SQLite's watchdog took a statement's waits for a core, with every core busy, for
    /// the start of new statements and started its clock again: timed-out statements
    /// ran on for 15 s to minutes after their 504, holding the pool. (PostgreSQL's
    /// `statement_timeout` is the server's own.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_statements_stop_at_their_timeout_on_a_saturated_machine() {
        let test_db = crate::helpers::TestDb::sqlite().await;
        test_db.migrated().await;
        const SLOW: usize = 16;
        let timeout = Duration::from_secs(2);
        let pool = communique::db::Pool {
            max_connections: SLOW as u32 + 1,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Some(timeout),
        };
        let db = communique::db::connect_with(&test_db.url, pool)
            .await
            .expect("connect");
        let backend = db.get_database_backend();
        let burner = crate::helpers::CpuBurner::start();
        let started = Instant::now();
        let mut slow_statements = tokio::task::JoinSet::new();
        for _ in 0..SLOW {
            let db = db.clone();
            slow_statements.spawn(async move {
                let error = db
                    .query_one_raw(slow(backend))
                    .await
                    .expect_err("cancelled");
                (AppError::from(error), started.elapsed())
            });
        }
        // Another client's small statement is answered meanwhile.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let asked = Instant::now();
        db.query_one_raw(Statement::from_string(backend, "SELECT 1 AS one"))
            .await
            .expect("a small statement");
        let small = asked.elapsed();
        let mut last = Duration::ZERO;
        let all_answered = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(answer) = slow_statements.join_next().await {
                let (error, took) = answer.expect("a slow statement");
                assert_eq!(error, AppError::Timeout);
                last = last.max(took);
            }
        })
        .await;
        assert!(
            all_answered.is_ok(),
            "statements still ran 10 s after they began"
        );
        drop(burner);
        assert!(
            last < timeout + Duration::from_millis(500),
            "the last was cancelled after {last:?}"
        );
        assert!(
            small < Duration::from_secs(1),
            "the small statement took {small:?}"
        );
    }
}

mod connection_budget {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use communique::config::DEFAULT_CONNECTIONS_PER_REQUEST;

    use super::*;

    /// The most of `spans` (start, end) that overlap at one instant.
    fn most_at_once(spans: &[(Instant, Instant)]) -> usize {
        let mut edges: Vec<(Instant, i32)> = spans
            .iter()
            .flat_map(|(start, end)| [(*start, 1), (*end, -1)])
            .collect();
        // At one instant an end comes before a start.
        edges.sort();
        let (mut now, mut most) = (0i32, 0i32);
        for (_, step) in edges {
            now += step;
            most = most.max(now);
        }
        usize::try_from(most).unwrap_or(0)
    }

    on_both_backends! {
        async fn one_request_runs_at_most_its_budget_of_statements_at_once(test_db: &TestDb) {
            // Sixty searches in one request (cost about 18,000, under the limit) took
            // every connection of the pool at once, and other clients' requests got
            // 503 waiting for one.
            test_db.seeded().await;
            let mut db = communique::db::connect(&test_db.url, 16).await.expect("connect");
            let spans = Arc::new(Mutex::new(Vec::new()));
            let seen = Arc::clone(&spans);
            db.set_metric_callback(move |info| {
                let end = Instant::now();
                seen.lock().expect("spans").push((end - info.elapsed, end));
            });
            let fields: String = (0..60)
                .map(|n| format!("s{n}: search(query: \"trump zelenskyy\") {{ totalCount nodes {{ __typename }} }} "))
                .collect();
            let (status, body) = crate::helpers::graphql(&db, &format!("{{ {fields} }}"), json!({})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert!(body.get("errors").is_none(), "{body}");
            assert!(body["data"]["s59"]["totalCount"].as_i64().unwrap_or(0) > 0, "{body}");
            let spans = spans.lock().expect("spans").clone();
            assert!(spans.len() >= 60, "{} statements", spans.len());
            let most = most_at_once(&spans);
            assert!(
                most <= DEFAULT_CONNECTIONS_PER_REQUEST,
                "one request ran {most} statements at once"
            );
        }
    }
}

mod admission {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;
    use communique::http::{Options, Rate, router_with};

    use super::*;
    use crate::helpers::TestDb;

    /// A GraphQL request from `client`.
    fn from(client: SocketAddr) -> Request<Body> {
        let mut request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "query": "{ __typename }" }).to_string()))
            .expect("a request");
        request.extensions_mut().insert(ConnectInfo(client));
        request
    }

    #[tokio::test]
    async fn beyond_the_request_cap_a_request_gets_503_at_once_but_health_answers() {
        let test_db = TestDb::sqlite().await;
        let db = test_db.migrated().await;
        let options = Options {
            max_concurrent_requests: 0,
            ..Options::default()
        };
        let router = router_with(db.clone(), options);
        let (status, headers, bytes) =
            exchange(router.clone(), from(([127, 0, 0, 1], 1).into())).await;
        let body: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(codes(&body), ["SERVICE_UNAVAILABLE"]);
        assert_eq!(
            headers.get(header::RETRY_AFTER).map(|v| v.as_bytes()),
            Some(&b"1"[..])
        );
        let health = Request::get("/health")
            .body(Body::empty())
            .expect("a request");
        let (status, _, _) = exchange(router, health).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_client_over_its_rate_gets_429_with_retry_after_and_others_do_not() {
        let test_db = TestDb::sqlite().await;
        let db = test_db.migrated().await;
        let options = Options {
            rate: Some(Rate {
                per_second: 0.5,
                burst: 2.0,
            }),
            ..Options::default()
        };
        let router = router_with(db.clone(), options);
        let greedy: SocketAddr = ([192, 0, 2, 1], 4000).into();
        for _ in 0..2 {
            let (status, _, _) = exchange(router.clone(), from(greedy)).await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, headers, bytes) = exchange(router.clone(), from(greedy)).await;
        let body: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(codes(&body), ["RATE_LIMITED"]);
        assert_eq!(
            headers.get(header::RETRY_AFTER).map(|v| v.as_bytes()),
            Some(&b"2"[..])
        );
        let other: SocketAddr = ([192, 0, 2, 2], 4000).into();
        let (status, _, _) = exchange(router, from(other)).await;
        assert_eq!(status, StatusCode::OK);
    }
}

mod connections {
    use std::time::{Duration, Instant};

    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use crate::helpers::TestDb;
    use crate::telemetry::process::{Reply, Server};

    /// Reads `stream` until the server closes it; how long that took from `since`, or
    /// `None` when it was still open after `limit`.
    async fn closed_after(
        stream: &mut (impl AsyncRead + Unpin),
        since: Instant,
        limit: Duration,
    ) -> Option<Duration> {
        let mut buffer = [0u8; 4096];
        loop {
            match tokio::time::timeout_at((since + limit).into(), stream.read(&mut buffer)).await {
                Err(_) => return None,
                Ok(Ok(0) | Err(_)) => return Some(since.elapsed()),
                Ok(Ok(_)) => {}
            }
        }
    }

    /// A request whose body stopped arriving was answered only 5 s after the request
    /// timeout, with 408 and an empty body.
    #[tokio::test]
    async fn a_body_that_does_not_arrive_in_time_gets_408_timeout() {
        let test_db = TestDb::sqlite().await;
        let server = Server::start(&test_db.url, &[("COMMUNIQUE_REQUEST_TIMEOUT_MS", "500")]);
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        let started = Instant::now();
        stream
            .write_all(
                b"POST /graphql HTTP/1.1\r\nhost: communique\r\nconnection: close\r\n\
                  content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"query\":",
            )
            .await
            .expect("a request");
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .expect("an answer within 10 s")
            .expect("read");
        let took = started.elapsed();
        let reply = Reply::parse(&answer);
        assert_eq!(reply.status, 408, "{}", String::from_utf8_lossy(&answer));
        let body = reply.json();
        assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");
        assert!(took < Duration::from_secs(3), "answered after {took:?}");
        server.stop().await;
    }

    /// Idle, slow and kept-alive connections each stayed open for more than 150 s.
    #[tokio::test]
    async fn idle_slow_and_kept_alive_connections_are_closed_at_the_header_read_timeout() {
        let test_db = TestDb::sqlite().await;
        let server = Server::start(
            &test_db.url,
            &[("COMMUNIQUE_HEADER_READ_TIMEOUT_MS", "1000")],
        );
        let limit = Duration::from_secs(10);
        let started = Instant::now();
        let mut idle = TcpStream::connect(server.addr).await.expect("connect");
        let mut slow = TcpStream::connect(server.addr).await.expect("connect");
        let mut kept = TcpStream::connect(server.addr).await.expect("connect");
        kept.write_all(b"GET /health HTTP/1.1\r\nhost: communique\r\n\r\n")
            .await
            .expect("a request");
        let (mut slow_reader, mut slow_writer) = slow.split();
        let trickle = async {
            for byte in b"GET /health HTTP/1.1\r\nhost: communique\r\n" {
                if slow_writer.write_all(&[*byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        };
        let ((), slow_closed, idle_closed, kept_closed) = tokio::join!(
            async {
                tokio::select! {
                    () = trickle => {},
                    () = tokio::time::sleep(limit) => {},
                }
            },
            closed_after(&mut slow_reader, started, limit),
            closed_after(&mut idle, started, limit),
            closed_after(&mut kept, started, limit),
        );
        for (what, closed) in [
            ("idle", idle_closed),
            ("slow", slow_closed),
            ("kept-alive", kept_closed),
        ] {
            let closed = closed
                .unwrap_or_else(|| panic!("the {what} connection was still open after {limit:?}"));
            assert!(
                closed < Duration::from_secs(5),
                "the {what} connection closed after {closed:?}"
            );
        }
        server.stop().await;
    }
}
