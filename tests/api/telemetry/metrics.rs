//! `GET /metrics`: the Prometheus text format, with requests, latency and SQL statements
//! by operation and outcome, errors by code, the pool, and the build.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use super::requests::graphql_request;
use crate::helpers::{TestDb, count_statements, exchange};
use crate::on_both_backends;

const PROBE: &str = "query Probe { actors(first: 3) { nodes { slug aliases } } }";
const MISSING: &str = "query Missing { actor(slug: \"nobody\") { name } }";

/// One sample: metric name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of a Prometheus text exposition; panics on a line that is not one.
fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("no value: {line}"));
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("not a number: {line}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => {
                    let labels = labels
                        .strip_suffix('}')
                        .unwrap_or_else(|| panic!("unclosed labels: {line}"));
                    let labels = labels
                        .split(',')
                        .map(|pair| {
                            let (key, value) = pair
                                .split_once('=')
                                .unwrap_or_else(|| panic!("bad label: {line}"));
                            let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
                            (
                                key.to_owned(),
                                value
                                    .unwrap_or_else(|| panic!("unquoted label: {line}"))
                                    .to_owned(),
                            )
                        })
                        .collect();
                    (name, labels)
                }
                None => (series, BTreeMap::new()),
            };
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "bad metric name: {line}"
            );
            Sample {
                name: name.to_owned(),
                labels,
                value,
            }
        })
        .collect()
}

/// The value of the one sample of `name` with exactly `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|sample| sample.name == name && sample.labels == wanted)
        .collect();
    assert_eq!(found.len(), 1, "one sample of {name}{labels:?}: {found:?}");
    found[0].value
}

async fn scrape(router: &Router) -> Vec<Sample> {
    let (status, headers, body) = exchange(
        router.clone(),
        Request::get("/metrics")
            .body(Body::empty())
            .expect("a request"),
    )
    .await;
    assert_eq!(status, 200);
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    parse(std::str::from_utf8(&body).expect("UTF-8"))
}

on_both_backends! {
    async fn metrics_count_requests_errors_statements_and_the_pool(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let (per_request, _) = count_statements(db, PROBE, json!({})).await;
        assert!(per_request >= 2, "the probe pages actors and loads their aliases");
        let router = communique::http::router(db.clone(), 1 << 20);
        for _ in 0..2 {
            assert_eq!(exchange(router.clone(), graphql_request(PROBE, Some("Probe"), &[])).await.0, 200);
        }
        let (_, _, missing) = exchange(router.clone(), graphql_request(MISSING, Some("Missing"), &[])).await;
        assert!(String::from_utf8_lossy(&missing).contains("NOT_FOUND"));
        exchange(router.clone(), graphql_request("{ __typename }", None, &[])).await;

        let samples = scrape(&router).await;
        let requests = "communique_graphql_requests_total";
        assert_eq!(value(&samples, requests, &[("operation", "Probe"), ("outcome", "ok")]), 2.0);
        assert_eq!(value(&samples, requests, &[("operation", "Missing"), ("outcome", "error")]), 1.0);
        assert_eq!(value(&samples, requests, &[("operation", "(none)"), ("outcome", "ok")]), 1.0);
        assert_eq!(value(&samples, "communique_graphql_errors_total", &[("code", "NOT_FOUND")]), 1.0);

        let probe = [("operation", "Probe"), ("outcome", "ok")];
        let duration = "communique_graphql_request_duration_seconds";
        assert_eq!(value(&samples, &format!("{duration}_count"), &probe), 2.0);
        assert!(value(&samples, &format!("{duration}_sum"), &probe) > 0.0);
        let mut buckets: Vec<(f64, f64)> = samples
            .iter()
            .filter(|s| s.name == format!("{duration}_bucket") && s.labels.get("operation").is_some_and(|o| o == "Probe"))
            .map(|s| (s.labels["le"].parse::<f64>().expect("a bound"), s.value))
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(buckets.len() > 10, "{buckets:?}");
        assert!(buckets.windows(2).all(|pair| pair[0].1 <= pair[1].1), "buckets accumulate: {buckets:?}");
        assert_eq!(buckets.last().copied(), Some((f64::INFINITY, 2.0)));

        let statements = "communique_graphql_request_sql_statements";
        assert_eq!(value(&samples, &format!("{statements}_count"), &probe), 2.0);
        assert_eq!(value(&samples, &format!("{statements}_sum"), &probe), 2.0 * per_request as f64);
        let none = [("operation", "(none)"), ("outcome", "ok")];
        assert_eq!(value(&samples, &format!("{statements}_sum"), &none), 0.0, "__typename reads nothing");

        // A connection goes back to the pool in a task of its own once its statement is
        // done, which a loaded machine may not have run yet: scrape again until one has.
        let pool = |samples: &[Sample]| {
            let state = |state| value(samples, "communique_db_pool_connections", &[("state", state)]);
            (state("in_use"), state("idle"))
        };
        let (mut in_use, mut idle) = pool(&samples);
        for _ in 0..50 {
            if idle >= 1.0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            (in_use, idle) = pool(&scrape(&router).await);
        }
        assert!(in_use >= 0.0 && idle >= 1.0, "in use {in_use}, idle {idle}");
        assert_eq!(value(&samples, "communique_db_pool_max_connections", &[]), 4.0, "TestDb pools 4");
        assert_eq!(value(&samples, "communique_http_requests_in_flight", &[]), 1.0, "the scrape itself");
        let build = samples
            .iter()
            .find(|s| s.name == "communique_build_info")
            .expect("build info");
        assert_eq!(build.labels.get("version").map(String::as_str), Some(env!("CARGO_PKG_VERSION")));
        assert_eq!(build.value, 1.0);
    }
}

/// Operation names are label values only while there are few: past the cap, and for
/// names that are not GraphQL names, requests count under `(other)`. No database work,
/// so SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operation_names_past_the_cap_count_as_other() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.migrated().await;
    let router = communique::http::router(db.clone(), 1 << 20);
    let cap = 100;
    for n in 0..cap + 2 {
        let name = format!("Op{n}");
        let query = format!("query {name} {{ __typename }}");
        assert_eq!(
            exchange(router.clone(), graphql_request(&query, Some(&name), &[]))
                .await
                .0,
            200
        );
    }
    // Not a GraphQL name, so no operation of the document: a request error.
    exchange(
        router.clone(),
        graphql_request("{ __typename }", Some("not a name"), &[]),
    )
    .await;

    let samples = scrape(&router).await;
    let requests = "communique_graphql_requests_total";
    let named: Vec<&String> = samples
        .iter()
        .filter(|s| s.name == requests)
        .filter_map(|s| s.labels.get("operation"))
        .filter(|name| name.starts_with("Op"))
        .collect();
    assert_eq!(named.len(), cap, "{named:?}");
    assert_eq!(
        value(
            &samples,
            requests,
            &[("operation", "Op0"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &samples,
            requests,
            &[("operation", "(other)"), ("outcome", "ok")]
        ),
        2.0
    );
    assert_eq!(
        value(
            &samples,
            requests,
            &[("operation", "(other)"), ("outcome", "error")]
        ),
        1.0
    );
}
