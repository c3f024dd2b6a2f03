//! Around every HTTP request: its id, its span, its access log line, its metrics and its
//! trace context; and response compression.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{And, DefaultPredicate, Predicate, SizeAbove};
use tracing::{Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::labels::NONE;
use super::metrics::Metrics;
use super::{logs, statements, traces};

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The longest request id taken from a client, in bytes; a longer one is replaced.
pub const MAX_REQUEST_ID_LEN: usize = 128;
/// Responses smaller than this many bytes go uncompressed: under a packet, compressing
/// saves nothing worth the time.
pub const COMPRESS_ABOVE: u16 = 1024;
/// The longest operation name an access log line shows, in bytes.
const MAX_LOGGED_OPERATION: usize = 128;
/// The path whose requests count as GraphQL requests in the metrics, refused ones too.
const GRAPHQL_PATH: &str = "/graphql";

/// What the GraphQL handler ran, for the access log and the metrics: the handler puts it
/// into its response's extensions, and [`track`] reads it there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphqlOutcome {
    /// The name of the operation that ran: the one the client asked for, or the
    /// document's only named operation.
    pub operation: Option<String>,
    /// The `extensions.code` of each error in the response, in order; `(none)` for an
    /// error without one.
    pub error_codes: Vec<String>,
}

impl GraphqlOutcome {
    /// The outcome of `response`, an execution of the operation the client named
    /// `operation`.
    pub fn new(operation: Option<String>, response: &async_graphql::Response) -> Self {
        let error_codes = response
            .errors
            .iter()
            .map(
                |error| match error.extensions.as_ref().and_then(|e| e.get("code")) {
                    Some(async_graphql::Value::String(code)) => code.clone(),
                    _ => NONE.to_owned(),
                },
            )
            .collect();
        Self {
            operation,
            error_codes,
        }
    }
}

/// gzip or brotli, as `Accept-Encoding` asks, for responses of [`COMPRESS_ABOVE`] bytes
/// and more (and never for images, gRPC or event streams).
pub fn compression() -> CompressionLayer<And<DefaultPredicate, SizeAbove>> {
    CompressionLayer::new()
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(COMPRESS_ABOVE)))
}

/// Runs `request` through `run` (the rest of the edge and the router): takes the client's
/// `x-request-id` (when it is at most [`MAX_REQUEST_ID_LEN`] visible ASCII characters) or
/// makes one, runs the request named by it (in a span under the client's `traceparent` when
/// tracing is on; see [`logs::request_spans`]), counts its SQL statements, records its
/// metrics, logs one line at info level (target `communique::access`), and answers with the
/// id, and with `traceparent` when tracing is on.
pub async fn track(
    metrics: &Metrics,
    request: Request,
    run: impl AsyncFnOnce(Request) -> Response,
) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers());
    if !logs::request_spans() {
        let fields = logs::RequestFields::new(request.method(), request.uri(), &id);
        let served = serve(metrics, request, run, started, id, None);
        return logs::in_request(fields, served).await;
    }
    let tracing = traces::tracer().is_some();
    // One callsite each way: span kind is read when the span is made, and logs without
    // tracing should not show it.
    let span = if tracing {
        tracing::info_span!(
            "request",
            otel.kind = "server",
            method = %request.method(),
            path = request.uri().path(),
            request_id = id.to_str().unwrap_or_default(),
        )
    } else {
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = request.uri().path(),
            request_id = id.to_str().unwrap_or_default(),
        )
    };
    if tracing {
        traces::adopt_parent(&span, request.headers());
    }
    serve(metrics, request, run, started, id, Some(span)).await
}

/// [`track`]'s work once the request is named: in `span` when it has one.
async fn serve(
    metrics: &Metrics,
    request: Request,
    run: impl AsyncFnOnce(Request) -> Response,
    started: Instant,
    id: HeaderValue,
    span: Option<Span>,
) -> Response {
    let graphql = request.uri().path() == GRAPHQL_PATH;
    let in_flight = metrics.in_flight();
    let run = statements::counted(run(request));
    let (mut response, statements) = match &span {
        Some(span) => run.instrument(span.clone()).await,
        None => run.await,
    };
    drop(in_flight);
    let elapsed = started.elapsed();
    let status = response.status();
    let outcome = response.extensions().get::<GraphqlOutcome>();
    let operation = outcome.and_then(|outcome| outcome.operation.as_deref());
    if graphql || outcome.is_some() {
        let codes = outcome.map_or(&[][..], |outcome| &outcome.error_codes[..]);
        let failed = status.is_client_error() || status.is_server_error() || !codes.is_empty();
        metrics.record_graphql(operation, failed, elapsed, statements, codes);
    }
    tracing::info!(
        target: "communique::access",
        parent: span.as_ref().and_then(Span::id),
        status = status.as_u16(),
        latency_ms = millis(elapsed),
        operation = operation.map(|name| statements::truncate(name, MAX_LOGGED_OPERATION)),
        statements,
        "served",
    );
    if let Some(span) = span.filter(|_| traces::tracer().is_some()) {
        span.set_attribute("http.response.status_code", i64::from(status.as_u16()));
        if let Some(name) = operation {
            span.set_attribute(
                "graphql.operation.name",
                statements::truncate(name, MAX_LOGGED_OPERATION).to_owned(),
            );
        }
        if status.is_server_error() {
            span.set_status(opentelemetry::trace::Status::error(status.to_string()));
        }
        traces::write_context(&span, response.headers_mut());
    }
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// `elapsed` in milliseconds, to the microsecond.
fn millis(elapsed: Duration) -> f64 {
    (elapsed.as_secs_f64() * 1e6).round() / 1e3
}

/// The client's request id when it is sane, else a new one.
fn request_id(headers: &HeaderMap) -> HeaderValue {
    headers
        .get(REQUEST_ID)
        .filter(|id| is_sane_request_id(id.as_bytes()))
        .cloned()
        .unwrap_or_else(new_request_id)
}

/// At most [`MAX_REQUEST_ID_LEN`] visible ASCII characters: safe in a log line and a
/// header, and short enough to store.
fn is_sane_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id.iter().all(|byte| (0x21..=0x7e).contains(byte))
}

/// 32 hex digits: a number hashed with keys drawn once per process, so ids never repeat
/// within a process and are unguessable and, across processes, unique in practice. The
/// number is the thread's own count beside the thread's turn to ask, so that making one
/// touches no memory another core is writing.
fn new_request_id() -> HeaderValue {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    static THREADS: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static MADE: (u64, Cell<u64>) = (THREADS.fetch_add(1, Ordering::Relaxed), Cell::new(0));
    }
    let keys = KEYS.get_or_init(RandomState::new);
    let (thread, n) = MADE.with(|(thread, made)| {
        let n = made.get();
        made.set(n + 1);
        (*thread, n)
    });
    let bits = (u128::from(keys.hash_one((thread, n, 0u8))) << 64)
        | u128::from(keys.hash_one((thread, n, 1u8)));
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 32];
    for (i, digit) in text.iter_mut().enumerate() {
        *digit = HEX[((bits >> (124 - 4 * i)) & 0xf) as usize];
    }
    HeaderValue::from_bytes(&text).unwrap_or(HeaderValue::from_static("0"))
}

#[cfg(test)]
mod tests {
    use super::{is_sane_request_id, new_request_id};

    #[test]
    fn sane_request_ids_are_short_visible_ascii() {
        assert!(is_sane_request_id(b"4bf92f35-77b3-4da6-a3ce-929d0e0e4736"));
        assert!(!is_sane_request_id(b""));
        assert!(!is_sane_request_id(b"has space"));
        assert!(!is_sane_request_id("caf\u{e9}".as_bytes()));
        assert!(!is_sane_request_id(&[b'a'; 129]));
        assert!(is_sane_request_id(&[b'a'; 128]));
    }

    #[test]
    fn new_request_ids_are_32_hex_digits_and_differ() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_eq!(a.len(), 32);
        assert!(a.as_bytes().iter().all(u8::is_ascii_hexdigit));
        assert_ne!(a, b);
    }
}
