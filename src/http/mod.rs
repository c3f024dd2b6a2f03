//! The HTTP edge: routes, GraphQL over HTTP, GraphiQL, health, metrics, and graceful
//! shutdown.

mod codes;
mod cors;
mod documents;
mod graphiql;
mod graphql;
pub mod persisted;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tower_http::timeout::TimeoutLayer;

pub use self::cors::CorsOrigins;
use self::documents::Documents;
use self::persisted::Persisted;
use crate::config::ServeArgs;
use crate::graphql::response::Shapes;
use crate::graphql::{AppSchema, schema};
use crate::telemetry;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    documents: Arc<Documents>,
    shapes: Arc<Shapes>,
    persisted: Arc<Persisted>,
}

/// How the HTTP edge is set up.
#[derive(Default)]
pub struct Options {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Origins whose browser pages may call the API.
    pub cors: CorsOrigins,
    /// Automatic persisted queries, or only a manifest's operations.
    pub persisted: Persisted,
}

/// Longest a request may run before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Every route of the service, with default options but the body limit.
pub fn router(db: DatabaseConnection, max_body_bytes: usize) -> Router {
    router_with(
        db,
        Options {
            max_body_bytes,
            ..Options::default()
        },
    )
}

/// Every route of the service.
pub fn router_with(db: DatabaseConnection, options: Options) -> Router {
    let metrics = telemetry::Metrics::new(db.clone());
    // The served schema's own SDL: no second schema is built for it.
    let schema = schema(db.clone());
    let shapes = Arc::new(Shapes::from_sdl(&schema.sdl()));
    let state = AppState {
        schema,
        db,
        documents: Arc::default(),
        shapes,
        persisted: Arc::new(options.persisted),
    };
    let max_body_bytes = options.max_body_bytes;
    let router = Router::new()
        .route("/", get(graphiql::page))
        .route("/graphiql/{name}", get(graphiql::asset))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/health", get(health))
        .route(
            "/metrics",
            get(telemetry::metrics).with_state(metrics.clone()),
        )
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(telemetry::compression());
    let router = match cors::layer(&options.cors) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    // Outermost, so preflights and refusals get a request id and a log line too.
    router
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            telemetry::track,
        ))
        .with_state(state)
}

/// Serves the API until Ctrl-C or SIGTERM, then finishes the requests under way.
pub async fn serve(db: DatabaseConnection, args: &ServeArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    let address = listener.local_addr()?;
    tracing::info!("GraphiQL on http://{address}/ and the API on http://{address}/graphql");
    let persisted = match &args.persisted_only {
        Some(manifest) => Persisted::trusted(manifest)?,
        None => Persisted::default(),
    };
    let options = Options {
        max_body_bytes: args.max_body_bytes,
        cors: CorsOrigins::parse(&args.cors_origins)?,
        persisted,
    };
    axum::serve(listener, router_with(db, options))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")
}

/// `{"status":"ok"}` when the database answers, 503 otherwise.
async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, Json<serde_json::Value>) {
    match state.db.ping().await {
        Ok(()) => (axum::http::StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests under way");
}
