//! The HTTP edge: routes, GraphQL over HTTP, GraphiQL, health, and graceful shutdown.

mod documents;
mod graphiql;
mod graphql;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use self::documents::Documents;
use crate::config::ServeArgs;
use crate::graphql::{AppSchema, schema};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    pub documents: Arc<Documents>,
}

/// Longest a request may run before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Every route of the service.
pub fn router(db: DatabaseConnection, max_body_bytes: usize) -> Router {
    let state = AppState {
        schema: schema(db.clone()),
        db,
        documents: Arc::default(),
    };
    Router::new()
        .route("/", get(graphiql::page))
        .route("/graphiql/{name}", get(graphiql::asset))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/health", get(health))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the API until Ctrl-C or SIGTERM, then finishes the requests under way.
pub async fn serve(db: DatabaseConnection, args: &ServeArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    let address = listener.local_addr()?;
    tracing::info!("GraphiQL on http://{address}/ and the API on http://{address}/graphql");
    axum::serve(listener, router(db, args.max_body_bytes))
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
