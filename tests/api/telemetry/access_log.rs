//! One access log line per request, at info level with the default filter: plain text
//! without colour codes when stderr is not a terminal, or JSON with
//! `COMMUNIQUE_LOG_FORMAT=json`. Logging does not depend on the backend: SQLite only.

use serde_json::Value;

use super::process::Server;
use crate::helpers::TestDb;

const QUERY: &str = "query AccessProbe { actor(slug: \"vladimir-putin\") { name } }";

/// Serves with `env`, sends a named GraphQL request and a health check, each with its own
/// request id, stops, and returns stderr.
async fn serve_two_requests(env: &[(&str, &str)]) -> Vec<String> {
    let test_db = TestDb::sqlite().await;
    let server = Server::start(&test_db.url, env);
    let graphql = server
        .graphql(
            QUERY,
            "AccessProbe",
            &[("x-request-id", "access-probe-graphql")],
        )
        .await;
    assert_eq!(graphql.status, 200);
    let health = server
        .send(
            "GET",
            "/health",
            &[("x-request-id", "access-probe-health")],
            "",
        )
        .await;
    assert_eq!(health.status, 200);
    server.stop().await
}

/// The lines of `lines` that mention `needle`.
fn lines_with<'a>(lines: &'a [String], needle: &str) -> Vec<&'a String> {
    lines.iter().filter(|line| line.contains(needle)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_lines_log_each_request_once_with_its_fields_and_no_colour() {
    let lines = serve_two_requests(&[]).await;
    let all = lines.join("\n");
    assert!(
        !all.contains('\u{1b}'),
        "colour codes in piped logs:\n{all}"
    );
    let access = lines_with(&lines, "communique::access");
    assert_eq!(access.len(), 2, "one line per request:\n{all}");

    let graphql = lines_with(&lines, "request_id=\"access-probe-graphql\"");
    assert_eq!(graphql.len(), 1, "{all}");
    let line = graphql[0];
    for field in [
        " INFO ",
        "method=POST",
        "path=\"/graphql\"",
        "status=200",
        "latency_ms=",
        "operation=\"AccessProbe\"",
        "statements=",
    ] {
        assert!(line.contains(field), "`{field}` missing from: {line}");
    }

    let health = lines_with(&lines, "request_id=\"access-probe-health\"");
    assert_eq!(health.len(), 1, "{all}");
    for field in [
        "method=GET",
        "path=\"/health\"",
        "status=200",
        "latency_ms=",
    ] {
        assert!(
            health[0].contains(field),
            "`{field}` missing from: {}",
            health[0]
        );
    }
    assert!(!health[0].contains("operation="), "{}", health[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_carry_the_fields_and_the_request_span() {
    let lines = serve_two_requests(&[("COMMUNIQUE_LOG_FORMAT", "json")]).await;
    let objects: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let access: Vec<&Value> = objects
        .iter()
        .filter(|object| object["target"] == "communique::access")
        .collect();
    assert_eq!(access.len(), 2, "one line per request: {objects:?}");

    let graphql = access
        .iter()
        .find(|object| object["span"]["request_id"] == "access-probe-graphql")
        .expect("the GraphQL request's line");
    assert_eq!(graphql["level"], "INFO");
    assert_eq!(graphql["span"]["method"], "POST");
    assert_eq!(graphql["span"]["path"], "/graphql");
    assert_eq!(graphql["fields"]["status"], 200);
    assert_eq!(graphql["fields"]["operation"], "AccessProbe");
    assert!(
        graphql["fields"]["latency_ms"]
            .as_f64()
            .is_some_and(|ms| ms > 0.0),
        "{graphql}"
    );
    assert!(
        graphql["fields"]["statements"]
            .as_u64()
            .is_some_and(|n| n >= 1),
        "{graphql}"
    );

    let health = access
        .iter()
        .find(|object| object["span"]["request_id"] == "access-probe-health")
        .expect("the health check's line");
    assert_eq!(health["span"]["method"], "GET");
    assert_eq!(health["span"]["path"], "/health");
    assert_eq!(health["fields"]["status"], 200);
    assert!(health["fields"].get("operation").is_none(), "{health}");
}
