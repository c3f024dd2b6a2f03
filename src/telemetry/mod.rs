//! The operations view: logs, the access log and request ids, metrics, and traces.
//!
//! - [`init`] installs the log subscriber (plain or JSON lines on stderr, filtered by
//!   `RUST_LOG`) and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the OpenTelemetry
//!   pipeline that exports spans over OTLP; [`Telemetry::shutdown`] flushes it.
//! - [`track`] runs around every HTTP request (the edge service calls it): a request id,
//!   a span when spans are wanted, one access log line, the request's metrics, and the
//!   W3C `traceparent` when tracing is on.
//! - [`Metrics`] holds the Prometheus registry that `GET /metrics` renders ([`metrics`]).
//! - [`instrument`] makes a database connection report each SQL statement: counted for
//!   the request that ran it, and a span of its own when tracing is on.
//!
//! The GraphQL handler tells the middleware what it ran through a [`GraphqlOutcome`] in
//! the response's extensions; nothing else here knows GraphQL.

mod labels;
mod logs;
mod metrics;
mod request;
mod statements;
mod traces;

pub use self::logs::{DEFAULT_FILTER, Telemetry, init};
pub use self::metrics::{Metrics, render as metrics};
pub use self::request::{GraphqlOutcome, compression, track};
pub use self::statements::instrument;

/// The last segment of `T`'s path (`ActorById` for `communique::graphql::loaders::ActorById`),
/// to name spans after a type without allocating.
pub fn short_type_name<T: ?Sized>() -> &'static str {
    let name = std::any::type_name::<T>();
    // A generic type's parameters hold `::` too: cut at the last one before them.
    let end = name.find('<').unwrap_or(name.len());
    let start = name[..end].rfind("::").map_or(0, |at| at + 2);
    &name[start..]
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    struct Plain;
    struct Generic<T>(T);

    #[test]
    fn short_type_name_keeps_the_last_segment() {
        assert_eq!(short_type_name::<Plain>(), "Plain");
        assert_eq!(
            short_type_name::<Generic<Plain>>(),
            "Generic<communique::telemetry::tests::Plain>"
        );
        assert_eq!(short_type_name::<u32>(), "u32");
    }
}
