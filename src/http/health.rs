//! Health as load balancers and orchestrators read it: `/health/live` says the process
//! serves, `/health/ready` (and `/health`, its older name) that the database answers.
//!
//! The database check runs on a connection of its own, outside the pool that requests
//! share: a check that waited for a pool connection behind user queries read "down" when
//! the server was only busy, and an orchestrator that restarts a busy server makes the
//! overload worse. One check runs at a time, and probes that arrive meanwhile wait for
//! it; a recent success answers without a new check, so probes cost the database almost
//! nothing, and a slow check soon after a success does not read as an outage.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{ConnectOptions, Executor};
use sea_orm::{DatabaseConnection, DatabaseConnectionType};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::AppState;

/// Longest a probe waits for the check under way.
const PROBE_TIMEOUT: Duration = Duration::from_millis(800);

/// A success this recent answers ready without a new check.
const FRESH: Duration = Duration::from_secs(2);

/// A check slower than [`PROBE_TIMEOUT`] still answers ready while the last success is
/// this recent: one slow answer of a busy database is not an outage.
const TOLERANCE: Duration = Duration::from_secs(5);

/// Longest one check may take, connecting included; then its connection is dropped and
/// the next check opens another.
const CHECK_LIMIT: Duration = Duration::from_secs(3);

/// `GET /health/live`: the process serves. It never touches the database, so an
/// outage of the database does not get a healthy server restarted.
pub async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /health/ready` and `GET /health`: `{"status":"ok"}` when the database answers
/// (see [`Readiness::ready`]), 503 otherwise.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.readiness.ready().await {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable" })),
        )
    }
}

/// The database check of the health probes, on a connection reserved for it.
#[derive(Clone)]
pub struct Readiness(Arc<Checker>);

struct Checker {
    connector: Connector,
    state: Mutex<CheckState>,
}

#[derive(Default)]
struct CheckState {
    /// When a check last succeeded.
    succeeded: Option<Instant>,
    /// The verdict of the check under way, `None` until it ends.
    under_way: Option<watch::Receiver<Option<bool>>>,
    /// The reserved connection, while no check holds it; opened by the first check.
    connection: Option<Reserved>,
}

/// How to open the reserved connection: the pool's own options, so that it reaches the
/// same database with the same settings.
enum Connector {
    Postgres(PgConnectOptions),
    Sqlite(SqliteConnectOptions),
    /// A connection of no sqlx pool (such as sea-orm's `Disconnected`): never ready.
    None,
}

/// The connection the checks run on.
enum Reserved {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl Readiness {
    /// Checks for the database that `db` pools, on a connection of its own opened at
    /// the first check.
    pub fn new(db: &DatabaseConnection) -> Self {
        let connector = match &db.inner {
            DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
                Connector::Postgres((*db.get_postgres_connection_pool().connect_options()).clone())
            }
            // Only reads, and never creates the file: a check must not make an empty
            // database where the served one went missing.
            DatabaseConnectionType::SqlxSqlitePoolConnection(_) => Connector::Sqlite(
                (*db.get_sqlite_connection_pool().connect_options())
                    .clone()
                    .read_only(true)
                    .create_if_missing(false),
            ),
            _ => Connector::None,
        };
        Readiness(Arc::new(Checker {
            connector,
            state: Mutex::default(),
        }))
    }

    /// Whether the database answers: at once when a check succeeded within [`FRESH`];
    /// else the verdict of the check under way (or of a new one), awaited for at most
    /// [`PROBE_TIMEOUT`]. A check that takes longer answers ready while the last
    /// success is within [`TOLERANCE`]; a check that fails answers not ready.
    pub async fn ready(&self) -> bool {
        let (mut verdict, succeeded) = {
            let mut state = self.0.lock();
            let succeeded = state.succeeded;
            if succeeded.is_some_and(|at| at.elapsed() < FRESH) {
                return true;
            }
            let verdict = match &state.under_way {
                Some(verdict) => verdict.clone(),
                None => self.start_check(&mut state),
            };
            (verdict, succeeded)
        };
        let waited = tokio::time::timeout(PROBE_TIMEOUT, verdict.wait_for(Option::is_some))
            .await
            .map(|answer| answer.map(|answer| *answer == Some(true)));
        match waited {
            Ok(Ok(ready)) => ready,
            // The check's task ended without a verdict: it panicked. The next probe
            // starts a new check rather than wait on this one forever.
            Ok(Err(_)) => {
                let mut state = self.0.lock();
                if state
                    .under_way
                    .as_ref()
                    .is_some_and(|under_way| under_way.same_channel(&verdict))
                {
                    state.under_way = None;
                }
                false
            }
            Err(_) => {
                let recent = succeeded.is_some_and(|at| at.elapsed() < TOLERANCE);
                if !recent {
                    tracing::error!(
                        "health check: the database did not answer within {PROBE_TIMEOUT:?}"
                    );
                }
                recent
            }
        }
    }

    /// Starts a check in a task of its own, so that it ends even when every probe
    /// waiting for it has given up, and returns where its verdict will be.
    fn start_check(&self, state: &mut CheckState) -> watch::Receiver<Option<bool>> {
        let (sender, verdict) = watch::channel(None);
        state.under_way = Some(verdict.clone());
        let connection = state.connection.take();
        let checker = Arc::clone(&self.0);
        tokio::spawn(async move {
            let checked = tokio::time::timeout(CHECK_LIMIT, checker.check(connection)).await;
            let connection = checked.unwrap_or_else(|_| {
                tracing::error!("health check: no answer from the database within {CHECK_LIMIT:?}");
                None
            });
            let ready = connection.is_some();
            {
                let mut state = checker.lock();
                state.under_way = None;
                state.connection = connection;
                if ready {
                    state.succeeded = Some(Instant::now());
                }
            }
            sender.send_replace(Some(ready));
        });
        verdict
    }
}

impl Checker {
    fn lock(&self) -> std::sync::MutexGuard<'_, CheckState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs the check on `connection`, or on a new connection when there is none or it
    /// failed (it may only have gone stale); the connection that answered, or `None`
    /// when the database did not.
    async fn check(&self, connection: Option<Reserved>) -> Option<Reserved> {
        if let Some(mut connection) = connection {
            match connection.check().await {
                Ok(()) => return Some(connection),
                Err(error) => {
                    tracing::warn!(%error, "health check: reconnecting after a failed check");
                }
            }
        }
        let checked = async {
            let mut connection = self.connect().await?;
            connection.check().await?;
            Ok::<_, sea_orm::sqlx::Error>(connection)
        };
        match checked.await {
            Ok(connection) => Some(connection),
            Err(error) => {
                tracing::error!(%error, "health check: database unreachable");
                None
            }
        }
    }

    async fn connect(&self) -> Result<Reserved, sea_orm::sqlx::Error> {
        match &self.connector {
            Connector::Postgres(options) => options.connect().await.map(Reserved::Postgres),
            Connector::Sqlite(options) => options.connect().await.map(Reserved::Sqlite),
            Connector::None => Err(sea_orm::sqlx::Error::Configuration(
                "the database connection is not an sqlx pool".into(),
            )),
        }
    }
}

impl Reserved {
    /// One statement that only reads; on SQLite it reads the file's schema, so that a
    /// file gone unreadable fails.
    async fn check(&mut self) -> Result<(), sea_orm::sqlx::Error> {
        match self {
            Reserved::Postgres(connection) => connection.execute("SELECT 1").await.map(drop),
            Reserved::Sqlite(connection) => connection
                .execute("SELECT count(*) FROM sqlite_schema")
                .await
                .map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A readiness whose new checks always fail (no pool to connect to), with `state`.
    fn with_state(state: CheckState) -> Readiness {
        Readiness(Arc::new(Checker {
            connector: Connector::None,
            state: Mutex::new(state),
        }))
    }

    fn succeeded(ago: Duration) -> Option<Instant> {
        Instant::now().checked_sub(ago)
    }

    #[tokio::test]
    async fn a_fresh_success_answers_ready_without_a_check() {
        let readiness = with_state(CheckState {
            succeeded: succeeded(Duration::from_millis(500)),
            ..CheckState::default()
        });
        assert!(readiness.ready().await);
        assert!(readiness.0.lock().under_way.is_none(), "a check started");
    }

    #[tokio::test]
    async fn a_success_past_fresh_starts_a_check_whose_failure_answers_not_ready() {
        let readiness = with_state(CheckState {
            succeeded: succeeded(FRESH + Duration::from_millis(500)),
            ..CheckState::default()
        });
        assert!(!readiness.ready().await);
    }

    #[tokio::test]
    async fn probes_share_the_check_under_way() {
        let (sender, verdict) = watch::channel(None);
        let readiness = with_state(CheckState {
            under_way: Some(verdict),
            ..CheckState::default()
        });
        let probes: Vec<_> = (0..4)
            .map(|_| {
                let readiness = readiness.clone();
                tokio::spawn(async move { readiness.ready().await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        sender.send_replace(Some(true));
        for probe in probes {
            assert!(
                probe.await.expect("a probe"),
                "a probe ran a check of its own"
            );
        }
    }

    #[tokio::test]
    async fn a_check_that_ended_without_a_verdict_is_not_waited_on_again() {
        let (sender, verdict) = watch::channel(None);
        drop(sender);
        let readiness = with_state(CheckState {
            under_way: Some(verdict),
            ..CheckState::default()
        });
        assert!(!readiness.ready().await);
        assert!(readiness.0.lock().under_way.is_none());
    }

    #[tokio::test]
    async fn a_slow_check_answers_ready_while_the_last_success_is_recent() {
        let (_sender, verdict) = watch::channel(None);
        let readiness = with_state(CheckState {
            succeeded: succeeded(FRESH + Duration::from_millis(500)),
            under_way: Some(verdict.clone()),
            ..CheckState::default()
        });
        let started = Instant::now();
        assert!(readiness.ready().await);
        assert!(
            started.elapsed() >= PROBE_TIMEOUT,
            "{:?}",
            started.elapsed()
        );
        let stale = with_state(CheckState {
            succeeded: succeeded(TOLERANCE + Duration::from_millis(500)),
            under_way: Some(verdict),
            ..CheckState::default()
        });
        assert!(!stale.ready().await);
    }
}
