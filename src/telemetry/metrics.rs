//! The Prometheus metrics `GET /metrics` renders.
//!
//! Each router has a registry of its own rather than the process-global recorder, so two
//! routers in one process (the tests make many) never mix their counts. Every series is
//! registered once and kept as a handle, so recording a request is a map lookup under a
//! read lock and a few atomic additions, with no allocation.
//!
//! Operation names come from clients, so their label values are bounded (see
//! [`super::labels`]): the first [`MAX_OPERATIONS`] names, then `(other)`; error codes
//! likewise, up to [`MAX_CODES`].

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
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

use super::labels::{Bounded, NONE, OTHER, is_error_code, is_graphql_name};

/// Distinct operation names kept as label values; later ones count as `(other)`.
pub const MAX_OPERATIONS: usize = 100;
/// Distinct error codes kept as label values; later ones count as `(other)`.
pub const MAX_CODES: usize = 32;

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
/// every this many requests on a thread bounds the queue when nothing scrapes.
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
    /// Requests under way: counted here and copied to [`Self::in_flight_gauge`] at each
    /// render, one atomic addition per request instead of a gauge's compare-and-swap loops.
    in_flight: AtomicUsize,
    in_flight_gauge: Gauge,
    pool: PoolGauges,
    db: DatabaseConnection,
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
        let in_flight_gauge = gauge(IN_FLIGHT, Vec::new());
        let operations = Bounded::new(MAX_OPERATIONS);
        let codes = Bounded::new(MAX_CODES);
        Self(Arc::new(Inner {
            handle: recorder.handle(),
            recorder,
            operations,
            codes,
            in_flight: AtomicUsize::new(0),
            in_flight_gauge,
            pool,
            db,
        }))
    }

    /// Counts a request as under way until the guard drops.
    pub(super) fn in_flight(&self) -> InFlight<'_> {
        self.0.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.0.in_flight)
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
        // Counted per thread, not on a counter every core writes: each thread's requests
        // bound the queue as well.
        thread_local! {
            static SINCE_UPKEEP: Cell<u32> = const { Cell::new(0) };
        }
        let due = SINCE_UPKEEP.with(|since| {
            let count = since.get() + 1;
            let due = count >= UPKEEP_EVERY;
            since.set(if due { 0 } else { count });
            due
        });
        if due {
            inner.handle.run_upkeep();
        }
    }

    /// Every metric in the Prometheus text format, the pool gauges read now.
    fn render(&self) -> String {
        let inner = &self.0;
        let in_flight = inner.in_flight.load(Ordering::Relaxed);
        inner.in_flight_gauge.set(in_flight as f64);
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
pub(super) struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
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
        help(IN_FLIGHT, None, "HTTP requests being served"),
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
