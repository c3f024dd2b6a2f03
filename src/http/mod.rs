//! The HTTP edge: routes, GraphQL over HTTP, GraphiQL, health, metrics, and graceful
//! shutdown.

mod codes;
mod cors;
mod documents;
mod graphiql;
mod graphql;
mod guard;
mod health;
mod listen;
pub mod persisted;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use sea_orm::DatabaseConnection;

pub use self::codes::MAX_ERRORS;
pub use self::cors::CorsOrigins;
use self::documents::Documents;
pub use self::guard::Rate;
use self::persisted::Persisted;
use crate::config::ServeArgs;
use crate::graphql::cost::Limits;
use crate::graphql::response::Shapes;
use crate::graphql::variables::InputTypes;
use crate::graphql::{AppSchema, schema, schema_for_valid_documents};
use crate::telemetry;

/// What every handler shares: one reference, so that handing it to a request is one
/// atomic increment, not one per part (the router clones it for every request).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub schema: AppSchema,
    /// The same schema without full validation, for documents that have passed it.
    schema_for_valid_documents: AppSchema,
    pub db: DatabaseConnection,
    documents: Documents,
    shapes: Shapes,
    input_types: InputTypes,
    persisted: Persisted,
    limits: Limits,
    request_timeout: Duration,
    /// Most database connections one request holds at once.
    connections_per_request: usize,
    /// The database check of `/health` and `/health/ready`.
    readiness: health::Readiness,
}

/// How the HTTP edge is set up.
pub struct Options {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Origins whose browser pages may call the API.
    pub cors: CorsOrigins,
    /// Automatic persisted queries, or only a manifest's operations.
    pub persisted: Persisted,
    /// What a document may ask for.
    pub limits: Limits,
    /// Longest a GraphQL request may take, its body's arrival included, before it is
    /// answered with `TIMEOUT`.
    pub request_timeout: Duration,
    /// Most requests served at once; beyond it, 503 at once.
    pub max_concurrent_requests: usize,
    /// Most database connections one request holds at once.
    pub connections_per_request: usize,
    /// Requests allowed per client address, if limited.
    pub rate: Option<Rate>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_body_bytes: 1 << 20,
            cors: CorsOrigins::default(),
            persisted: Persisted::default(),
            limits: Limits::default(),
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 256,
            connections_per_request: crate::config::DEFAULT_CONNECTIONS_PER_REQUEST,
            rate: None,
        }
    }
}

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
    // Shapes and input types read the served schema's own SDL.
    let schema = schema(db.clone());
    let sdl = schema.sdl();
    let state = AppState(Arc::new(Shared {
        schema,
        schema_for_valid_documents: schema_for_valid_documents(db.clone()),
        readiness: health::Readiness::new(&db),
        db,
        documents: Documents::default(),
        shapes: Shapes::from_sdl(&sdl),
        input_types: InputTypes::from_sdl(&sdl),
        persisted: options.persisted,
        limits: options.limits,
        request_timeout: options.request_timeout,
        connections_per_request: options.connections_per_request,
    }));
    let max_body_bytes = options.max_body_bytes;
    let router = Router::new()
        .route("/", get(graphiql::page))
        .route("/graphiql/{name}", get(graphiql::asset))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/health", get(health::ready))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route(
            "/metrics",
            get(telemetry::metrics).with_state(metrics.clone()),
        )
        // No timeout around the routes: `/graphql` keeps its own, in one timer with the
        // reading of its body, the health checks their own, and the others answer from
        // memory.
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(telemetry::compression());
    let router = match cors::layer(&options.cors) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    let edge = Edge(Arc::new(EdgeParts {
        router: router.with_state(state),
        metrics,
        guard: guard::Guard::new(options.max_concurrent_requests, options.rate),
    }));
    Router::new().fallback_service(edge)
}

/// Around the whole router, once per request rather than once per route: the request's
/// id, access log line and metrics ([`telemetry::track`]), then admission
/// ([`guard::Guard::admit`]). Outermost, so preflights and refusals get a request id and
/// a log line too.
#[derive(Clone)]
struct Edge(Arc<EdgeParts>);

struct EdgeParts {
    router: Router,
    metrics: telemetry::Metrics,
    guard: guard::Guard,
}

impl tower::Service<axum::extract::Request> for Edge {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        let edge = Arc::clone(&self.0);
        Box::pin(async move {
            let route = async |request| {
                let Ok(response) = edge.router.clone().call(request).await;
                response
            };
            let run = async |request| edge.guard.admit(request, route).await;
            Ok(telemetry::track(&edge.metrics, request, run).await)
        })
    }
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
        limits: Limits::default(),
        request_timeout: Duration::from_millis(args.request_timeout_ms),
        max_concurrent_requests: args.max_concurrent_requests,
        connections_per_request: args.db_connections_per_request,
        rate: (args.rate_limit > 0.0).then_some(Rate {
            per_second: args.rate_limit,
            burst: args.rate_burst.max(1.0),
        }),
    };
    let header_read_timeout = Duration::from_millis(args.header_read_timeout_ms);
    listen::serve(
        listener,
        router_with(db, options),
        header_read_timeout,
        shutdown_signal(),
    )
    .await;
    Ok(())
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
