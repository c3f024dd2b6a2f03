//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the server exports its spans over OTLP/HTTP:
//! the request under the client's `traceparent`, a span per loader batch, and a span per
//! SQL statement, flushed when the server stops.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use sea_orm::DatabaseBackend;

use super::process::Server;
use crate::on_both_backends;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";
/// Aliases and affiliations load through batched loaders.
const QUERY: &str =
    "query Traced { actor(slug: \"vladimir-putin\") { name aliases affiliations { role } } }";

/// A stand-in OTLP collector: keeps every export request sent to `/v1/traces`.
struct Collector {
    url: String,
    received: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
}

impl Collector {
    async fn start() -> Self {
        let received: Arc<Mutex<Vec<ExportTraceServiceRequest>>> = Arc::default();
        let app = axum::Router::new()
            .route("/v1/traces", post(collect))
            .with_state(Arc::clone(&received));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the collector");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, received }
    }

    /// Every span received so far, with the service name of its resource.
    fn spans(&self) -> Vec<(String, Span)> {
        let received = self.received.lock().expect("received");
        let mut spans = Vec::new();
        for request in received.iter() {
            for resource in &request.resource_spans {
                let service = resource
                    .resource
                    .as_ref()
                    .and_then(|resource| text(&resource.attributes, "service.name"))
                    .unwrap_or_default();
                for scope in &resource.scope_spans {
                    for span in &scope.spans {
                        spans.push((service.clone(), span.clone()));
                    }
                }
            }
        }
        spans
    }
}

async fn collect(
    State(received): State<Arc<Mutex<Vec<ExportTraceServiceRequest>>>>,
    body: Bytes,
) -> ([(&'static str, &'static str); 1], Vec<u8>) {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP trace export");
    received.lock().expect("received").push(request);
    ([("content-type", "application/x-protobuf")], Vec::new())
}

/// The string value of attribute `key`.
fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(text) => Some(text.clone()),
            _ => None,
        }
    })
}

/// The integer value of attribute `key`.
fn integer(attributes: &[KeyValue], key: &str) -> Option<i64> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::IntValue(n) => Some(*n),
            _ => None,
        }
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

on_both_backends! {
    async fn spans_of_a_request_reach_the_collector_under_the_clients_trace(test_db: &TestDb) {
        let system = match test_db.db.get_database_backend() {
            DatabaseBackend::Postgres => "postgresql",
            _ => "sqlite",
        };
        let collector = Collector::start().await;
        let server = Server::start(&test_db.url, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.url)]);
        let traceparent = format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01");
        let reply = server.graphql(QUERY, "Traced", &[("traceparent", &traceparent)]).await;
        assert_eq!(reply.status, 200);
        assert!(reply.json().get("errors").is_none(), "{}", reply.json());
        let answered = reply.header("traceparent").expect("a traceparent in the answer").to_owned();
        let parts: Vec<&str> = answered.split('-').collect();
        assert_eq!(parts.len(), 4, "{answered}");
        assert_eq!((parts[0], parts[1], parts[3]), ("00", TRACE_ID, "01"), "{answered}");
        assert!(reply.header("tracestate").is_none(), "no state, no tracestate header");
        let request_span_id = parts[2].to_owned();
        assert_ne!(request_span_id, PARENT_SPAN_ID, "the answer names the server's span");
        let lines = server.stop().await;

        let spans = collector.spans();
        assert!(!spans.is_empty(), "no span arrived; server stderr:\n{}", lines.join("\n"));
        for (service, span) in &spans {
            assert_eq!(service, "communique", "the default service name");
            assert_eq!(hex(&span.trace_id), TRACE_ID, "every span joins the client's trace: {}", span.name);
        }
        let request = spans
            .iter()
            .map(|(_, span)| span)
            .find(|span| span.name == "request")
            .expect("the request span");
        assert_eq!(hex(&request.span_id), request_span_id);
        assert_eq!(hex(&request.parent_span_id), PARENT_SPAN_ID);
        assert_eq!(request.kind, SpanKind::Server as i32);
        assert_eq!(text(&request.attributes, "path").as_deref(), Some("/graphql"));
        assert_eq!(integer(&request.attributes, "http.response.status_code"), Some(200));
        assert_eq!(text(&request.attributes, "graphql.operation.name").as_deref(), Some("Traced"));

        let loaders: Vec<&Span> = spans
            .iter()
            .map(|(_, span)| span)
            .filter(|span| span.name == "loader")
            .collect();
        let names: Vec<String> = loaders
            .iter()
            .filter_map(|span| text(&span.attributes, "loader"))
            .collect();
        assert!(names.iter().any(|name| name == "AliasesByActor"), "{names:?}");
        assert!(names.iter().any(|name| name == "AffiliationsByActor"), "{names:?}");
        for loader in &loaders {
            assert_eq!(hex(&loader.parent_span_id), request_span_id, "a batch runs under its request");
            assert!(integer(&loader.attributes, "keys").is_some_and(|keys| keys >= 1), "{:?}", loader.attributes);
        }

        let statements: Vec<&Span> = spans
            .iter()
            .map(|(_, span)| span)
            .filter(|span| span.kind == SpanKind::Client as i32)
            .collect();
        assert!(!statements.is_empty(), "no statement span");
        let loader_ids: Vec<String> = loaders.iter().map(|span| hex(&span.span_id)).collect();
        for statement in &statements {
            assert_eq!(text(&statement.attributes, "db.system").as_deref(), Some(system));
            let sql = text(&statement.attributes, "db.statement").expect("the SQL text");
            assert!(sql.to_ascii_uppercase().contains("SELECT"), "{sql}");
            let parent = hex(&statement.parent_span_id);
            assert!(parent == request_span_id || loader_ids.contains(&parent), "{sql} has parent {parent}");
            assert!(statement.end_time_unix_nano >= statement.start_time_unix_nano);
        }
        assert!(
            statements.iter().any(|statement| loader_ids.contains(&hex(&statement.parent_span_id))),
            "some statements run inside loader batches"
        );
    }
}
