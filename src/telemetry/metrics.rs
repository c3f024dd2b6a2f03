//! The Prometheus metrics `GET /metrics` renders.
//!
//! Each router has a registry of its own rather than the process-global recorder, so two
//! routers in one process (the tests make many) never mix their counts. Every series is
//! registered once and kept as a handle, so recording a request is a map lookup under a
//! read lock and a few atomic additions, with no allocation.
//!
//! Operation names come from clients: a label value is an operation name only when it is
//! a GraphQL name of at most [`MAX_LABEL_LEN`] bytes and one of the first
//! [`MAX_OPERATIONS`] seen; every other name counts under `(other)`, and a request that
//! names no operation under `(none)`. Error codes are bounded the same way.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics::{
    Counter, Gauge, Histogram, Key, KeyName, Label, Metadata, Recorder, SharedString, Unit,
};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use sea_orm::{DatabaseConnection, DatabaseConnectionType};

/// Distinct operation names kept as label values; later ones count as `(other)`.
pub const MAX_OPERATIONS: usize = 100;
/// Distinct error codes kept as label values; later ones count as `(other)`.
pub const MAX_CODES: usize = 32;
/// The longest operation name or error code kept as a label value, in bytes.
pub const MAX_LABEL_LEN: usize = 64;

/// The label value of a request that names no operation, or an error without a code.
pub const NONE: &str = "(none)";
/// The label value of every name past the limits.
pub const OTHER: &str = "(other)";

const REQUESTS: &str = "communique_graphql_requests_total";
const DURATION: &str = "communique_graphql_request_duration_seconds";
const STATEMENTS: &str = "communique_graphql_request_sql_statements";
const ERRORS: &str = "communique_graphql_errors_total";
const IN_FLIGHT: &str = "communique_http_requests_in_flight";
const POOL: &str = "communique_db_pool_connections";
const POOL_MAX: &str = "communique_db_pool_max_connections";
const BUILD_INFO: &str = "communique_build_info";

/// Seconds: from well under a millisecond (a cached lookup) to the 30 s request timeout.
const DURATION_BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Statements: a query runs one per relation level it selects, so few.
const STATEMENT_BUCKETS: [f64; 13] = [
    0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 64.0, 128.0,
];

/// Histogram samples wait in a queue until a render or an upkeep folds them in; an upkeep
/// every this many requests bounds the queue when nothing scrapes.
const UPKEEP_EVERY: u32 = 1024;

const METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// One router's metrics, shared by its middleware and its `/metrics` route.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    operations: Bounded<Outcomes>,
    codes: Bounded<Counter>,
    in_flight: Gauge,
    pool: PoolGauges,
    db: DatabaseConnection,
    since_upkeep: AtomicU32,
}

/// The series of one operation name, for each outcome, registered on first use.
struct Outcomes {
    operation: Box<str>,
    ok: OnceLock<Series>,
    error: OnceLock<Series>,
}

struct Series {
    requests: Counter,
    duration: Histogram,
    statements: Histogram,
}

struct PoolGauges {
    in_use: Gauge,
    idle: Gauge,
    max: Gauge,
}

impl Metrics {
    /// A fresh registry; the pool gauges read `db`'s pool.
    pub fn new(db: DatabaseConnection) -> Self {
        let recorder = builder().build_recorder();
        describe(&recorder);
        let gauge = |name: &'static str, labels: Vec<Label>| {
            recorder.register_gauge(&Key::from_parts(name, labels), &METADATA)
        };
        gauge(
            BUILD_INFO,
            vec![
                Label::new("version", env!("CARGO_PKG_VERSION")),
                Label::new(
                    "profile",
                    if cfg!(debug_assertions) {
                        "debug"
                    } else {
                        "release"
                    },
                ),
            ],
        )
        .set(1.0);
        let pool = PoolGauges {
            in_use: gauge(POOL, vec![Label::new("state", "in_use")]),
            idle: gauge(POOL, vec![Label::new("state", "idle")]),
            max: gauge(POOL_MAX, Vec::new()),
        };
        let in_flight = gauge(IN_FLIGHT, Vec::new());
        let operations = Bounded::new(MAX_OPERATIONS);
        let codes = Bounded::new(MAX_CODES);
        Self(Arc::new(Inner {
            handle: recorder.handle(),
            recorder,
            operations,
            codes,
            in_flight,
            pool,
            db,
            since_upkeep: AtomicU32::new(0),
        }))
    }

    /// Counts a request as under way until the guard drops.
    pub(super) fn in_flight(&self) -> InFlight {
        self.0.in_flight.increment(1.0);
        InFlight(self.0.in_flight.clone())
    }

    /// Records one GraphQL request: its operation name as the client sent it, whether it
    /// failed, how long it took, how many SQL statements it ran, and its errors' codes.
    pub(super) fn record_graphql(
        &self,
        operation: Option<&str>,
        failed: bool,
        elapsed: Duration,
        statements: u32,
        error_codes: &[String],
    ) {
        let inner = &self.0;
        let label = operation.map_or(
            NONE,
            |name| if is_graphql_name(name) { name } else { OTHER },
        );
        inner.operations.with(label, Outcomes::new, |outcomes| {
            let series = outcomes.series(&inner.recorder, failed);
            series.requests.increment(1);
            series.duration.record(elapsed.as_secs_f64());
            series.statements.record(f64::from(statements));
        });
        for code in error_codes {
            let label = if is_error_code(code) {
                code.as_str()
            } else {
                OTHER
            };
            inner.codes.with(
                label,
                |code| error_counter(&inner.recorder, code),
                |counter| counter.increment(1),
            );
        }
        if inner.since_upkeep.fetch_add(1, Ordering::Relaxed) + 1 >= UPKEEP_EVERY {
            inner.since_upkeep.store(0, Ordering::Relaxed);
            inner.handle.run_upkeep();
        }
    }

    /// Every metric in the Prometheus text format, the pool gauges read now.
    fn render(&self) -> String {
        let inner = &self.0;
        if let Some(pool) = pool_stats(&inner.db) {
            inner
                .pool
                .in_use
                .set(f64::from(pool.size.saturating_sub(pool.idle)));
            inner.pool.idle.set(f64::from(pool.idle));
            inner.pool.max.set(f64::from(pool.max));
        }
        inner.handle.render()
    }
}

/// `GET /metrics`.
pub async fn render(State(metrics): State<Metrics>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
}

/// Marks a request in flight until dropped, also when the client goes away mid-request.
pub(super) struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

impl Outcomes {
    fn new(operation: &str) -> Self {
        Self {
            operation: operation.into(),
            ok: OnceLock::new(),
            error: OnceLock::new(),
        }
    }

    /// The series of the failed or the successful requests.
    fn series(&self, recorder: &PrometheusRecorder, failed: bool) -> &Series {
        let (cell, outcome) = if failed {
            (&self.error, "error")
        } else {
            (&self.ok, "ok")
        };
        cell.get_or_init(|| {
            let labels = || {
                vec![
                    Label::new("operation", self.operation.to_string()),
                    Label::new("outcome", outcome),
                ]
            };
            Series {
                requests: recorder
                    .register_counter(&Key::from_parts(REQUESTS, labels()), &METADATA),
                duration: recorder
                    .register_histogram(&Key::from_parts(DURATION, labels()), &METADATA),
                statements: recorder
                    .register_histogram(&Key::from_parts(STATEMENTS, labels()), &METADATA),
            }
        })
    }
}

fn error_counter(recorder: &PrometheusRecorder, code: &str) -> Counter {
    recorder.register_counter(
        &Key::from_parts(ERRORS, vec![Label::new("code", code.to_owned())]),
        &METADATA,
    )
}

/// Label values mapped to their series, each registered on first use: at most `cap`
/// values from clients, then [`OTHER`]; [`NONE`] and [`OTHER`] take no client's place.
struct Bounded<T> {
    labels: RwLock<Labels<T>>,
    cap: usize,
}

struct Labels<T> {
    series: HashMap<Box<str>, T>,
    /// How many of `series` are clients' values.
    clients: usize,
}

impl<T> Bounded<T> {
    fn new(cap: usize) -> Self {
        Self {
            labels: RwLock::new(Labels {
                series: HashMap::new(),
                clients: 0,
            }),
            cap,
        }
    }

    /// Runs `record` on the series of `label`, registered with `register` on first use
    /// while there is room, else on [`OTHER`]'s.
    fn with(&self, label: &str, register: impl Fn(&str) -> T, record: impl FnOnce(&T)) {
        let reserved = label == NONE || label == OTHER;
        {
            let labels = self.labels.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(series) = labels.series.get(label) {
                return record(series);
            }
            if !reserved
                && labels.clients >= self.cap
                && let Some(series) = labels.series.get(OTHER)
            {
                return record(series);
            }
        }
        let mut labels = self.labels.write().unwrap_or_else(PoisonError::into_inner);
        let Labels { series, clients } = &mut *labels;
        let label = if reserved || series.contains_key(label) || *clients < self.cap {
            label
        } else {
            OTHER
        };
        if !series.contains_key(label) {
            if label != NONE && label != OTHER {
                *clients += 1;
            }
            series.insert(label.into(), register(label));
        }
        if let Some(series) = series.get(label) {
            record(series);
        }
    }
}

/// True for a GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`) short enough to be a label value.
fn is_graphql_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= MAX_LABEL_LEN
        && bytes
            .next()
            .is_some_and(|first| first == b'_' || first.is_ascii_alphabetic())
        && bytes.all(|byte| byte == b'_' || byte.is_ascii_alphanumeric())
}

/// True for an error code shaped like ours (`NOT_FOUND`), short enough to be a label value.
fn is_error_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_LABEL_LEN
        && code
            .bytes()
            .all(|byte| byte == b'_' || byte.is_ascii_uppercase() || byte.is_ascii_digit())
}

/// The builder with our histogram buckets. The bucket lists are constant and non-empty,
/// so the builder never refuses them; were it to, histograms would render as summaries.
fn builder() -> PrometheusBuilder {
    let with_buckets = || {
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), &DURATION_BUCKETS)?
            .set_buckets_for_metric(Matcher::Full(STATEMENTS.to_owned()), &STATEMENT_BUCKETS)
    };
    with_buckets().unwrap_or_else(|_| PrometheusBuilder::new())
}

fn describe(recorder: &PrometheusRecorder) {
    let help = |name: &'static str, unit: Option<Unit>, text: &'static str| {
        (
            KeyName::from_const_str(name),
            unit,
            SharedString::const_str(text),
        )
    };
    for (name, unit, text) in [
        help(
            REQUESTS,
            None,
            "GraphQL requests, by operation name and outcome (ok, or error: a GraphQL error or an HTTP error status)",
        ),
        help(
            ERRORS,
            None,
            "Errors in GraphQL responses, by extensions.code",
        ),
        help(IN_FLIGHT, None, "HTTP requests being served"),
    ] {
        recorder.describe_counter(name, unit, text);
    }
    for (name, unit, text) in [
        help(
            DURATION,
            Some(Unit::Seconds),
            "Time to answer a GraphQL request, by operation name and outcome",
        ),
        help(
            STATEMENTS,
            Some(Unit::Count),
            "SQL statements one GraphQL request ran, by operation name and outcome",
        ),
    ] {
        recorder.describe_histogram(name, unit, text);
    }
    for (name, unit, text) in [
        help(
            POOL,
            None,
            "Database connections open, by state: in_use or idle",
        ),
        help(
            POOL_MAX,
            None,
            "Most database connections the pool opens; tasks wait for one beyond it",
        ),
        help(
            BUILD_INFO,
            None,
            "Always 1; the labels say which build is running",
        ),
    ] {
        recorder.describe_gauge(name, unit, text);
    }
}

struct PoolStats {
    size: u32,
    idle: u32,
    max: u32,
}

/// The state of `db`'s connection pool, when it has one.
fn pool_stats(db: &DatabaseConnection) -> Option<PoolStats> {
    fn of<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolStats {
        PoolStats {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
    match &db.inner {
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            Some(of(db.get_postgres_connection_pool()))
        }
        DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
            Some(of(db.get_sqlite_connection_pool()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{Bounded, NONE, OTHER, is_error_code, is_graphql_name};

    #[test]
    fn only_short_graphql_names_are_label_values() {
        assert!(is_graphql_name("ActorBySlug"));
        assert!(is_graphql_name("_private2"));
        assert!(!is_graphql_name(""));
        assert!(!is_graphql_name("2fast"));
        assert!(!is_graphql_name("drop table"));
        assert!(!is_graphql_name("(none)"));
        assert!(!is_graphql_name(&"a".repeat(65)));
        assert!(is_graphql_name(&"a".repeat(64)));
    }

    #[test]
    fn only_code_shaped_strings_are_label_values() {
        assert!(is_error_code("NOT_FOUND"));
        assert!(is_error_code("E2"));
        assert!(!is_error_code("not found"));
        assert!(!is_error_code(""));
    }

    #[test]
    fn names_past_the_cap_share_the_other_series() {
        let bounded = Bounded::new(2);
        let seen = |label: &str| {
            let mut got = String::new();
            bounded.with(label, str::to_owned, |series| got = series.clone());
            got
        };
        assert_eq!(seen(NONE), NONE);
        assert_eq!(seen("A"), "A");
        assert_eq!(seen("B"), "B");
        assert_eq!(seen("C"), OTHER, "A and B took the two places");
        assert_eq!(seen("A"), "A");
        assert_eq!(seen(NONE), NONE, "reserved values take no place");
    }
}
