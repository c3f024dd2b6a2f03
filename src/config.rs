//! Command-line and environment configuration, one `clap` struct per concern.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Most database connections one request holds at once, by default: a quarter of the
/// default pool, so that four requests asking for many fields at once still leave
/// others a connection.
pub const DEFAULT_CONNECTIONS_PER_REQUEST: usize = 4;

/// communique: a GraphQL API over cited, structured data about diplomacy and war.
#[derive(Debug, Parser)]
#[command(
    name = "communique",
    version,
    after_help = "Logging: set RUST_LOG (default `communique=info,tower_http=info`), such as RUST_LOG=debug.\n\
                  Tracing: set OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP) and OTEL_SERVICE_NAME."
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// With no command, `serve` runs with these options.
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Log lines as plain text (coloured only on a terminal) or as JSON objects.
    #[arg(
        long,
        env = "COMMUNIQUE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event, its spans' fields before it.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` (created on first run) or
    /// `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://communique.db?mode=rwc",
        global = true
    )]
    pub database_url: String,
    /// Most database connections kept in the pool.
    #[arg(
        long,
        env = "COMMUNIQUE_DB_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_connections: u32,
    /// Longest a statement of `serve` waits for a pooled connection, in milliseconds,
    /// before the request fails with `SERVICE_UNAVAILABLE` (503). Batch commands wait
    /// 10 s.
    #[arg(
        long,
        env = "COMMUNIQUE_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 2_000,
        global = true
    )]
    pub db_acquire_timeout_ms: u64,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, load the seeds into an empty database, and serve the API (the default).
    Serve(ServeArgs),
    /// Apply, roll back or inspect schema migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Import source documents in one transaction (migrating first).
    Import(ImportArgs),
    /// Check source documents without a database: every fault but those that need the
    /// store (references to records imported before, names they share).
    Check(ImportArgs),
    /// Withdraw a source: retract every claim it makes (migrating first).
    Retract {
        /// The source's slug.
        source: String,
    },
    /// Check the store's invariants (references, claims behind rows, history
    /// intervals): name every row that breaks one and exit non-zero, or print what was
    /// checked. Reads only; the database must be migrated.
    Verify,
    /// Generate deterministic synthetic data (for benchmarks) into the database.
    Generate(GenerateArgs),
    /// Print the GraphQL schema in SDL, as committed in `schema.graphql`.
    ExportSchema,
    /// Print the JSON Schema of import documents, as committed in `seeds/import.schema.json`.
    ImportSchema,
}

/// How to serve.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "COMMUNIQUE_ADDR", default_value = "127.0.0.1:8000")]
    pub addr: SocketAddr,
    /// Folder of import documents loaded when the database holds no source yet.
    #[arg(long, env = "COMMUNIQUE_SEEDS", default_value = "seeds")]
    pub seeds: PathBuf,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "COMMUNIQUE_MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Origins whose browser pages may call the API, comma-separated
    /// (`https://app.example.org,http://localhost:5173`), or `*` for any (a public
    /// read-only deployment). None by default: only same-origin pages.
    #[arg(long, env = "COMMUNIQUE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Run only the operations of this persisted-operation manifest (trusted
    /// documents), by hash; any other query is refused. Without it, clients may
    /// register automatic persisted queries.
    #[arg(long, env = "COMMUNIQUE_PERSISTED_ONLY", value_name = "MANIFEST")]
    pub persisted_only: Option<PathBuf>,
    /// Longest a GraphQL request may take, in milliseconds, its body's arrival included:
    /// then it is answered with `TIMEOUT` (408 while the body arrives, 504 once it runs)
    /// and the database cancels the statement under way.
    #[arg(long, env = "COMMUNIQUE_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// Longest a connection may take to send a request's headers, in milliseconds; also
    /// how long a kept-alive connection may sit idle between requests.
    #[arg(
        long,
        env = "COMMUNIQUE_HEADER_READ_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub header_read_timeout_ms: u64,
    /// Most requests served at once; beyond it a request gets 503 at once.
    #[arg(
        long,
        env = "COMMUNIQUE_MAX_CONCURRENT_REQUESTS",
        default_value_t = 256
    )]
    pub max_concurrent_requests: usize,
    /// Most database connections one request holds at once; its other statements wait
    /// for one of them, so that no request takes the whole pool.
    #[arg(
        long,
        env = "COMMUNIQUE_DB_CONNECTIONS_PER_REQUEST",
        default_value_t = DEFAULT_CONNECTIONS_PER_REQUEST
    )]
    pub db_connections_per_request: usize,
    /// Requests per second allowed to each client address (0: no limit); over it, 429
    /// with `Retry-After`.
    #[arg(long, env = "COMMUNIQUE_RATE_LIMIT", default_value_t = 0.0)]
    pub rate_limit: f64,
    /// Requests a client may send at once under the rate limit.
    #[arg(long, env = "COMMUNIQUE_RATE_BURST", default_value_t = 20.0)]
    pub rate_burst: f64,
}

/// A migration step.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last `steps` migrations.
    Down {
        /// How many migrations to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations with whether each is applied.
    Status,
    /// Drop every table and apply all migrations again (destroys data).
    Fresh,
}

/// What to import.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Import documents (JSON), all in one transaction.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The source's full text, with a single document: every excerpt must occur in it,
    /// and the body and excerpt offsets are stored.
    #[arg(long)]
    pub body: Option<PathBuf>,
}

/// What to generate.
#[derive(Debug, Clone, Copy, Args)]
pub struct GenerateArgs {
    /// Size: 1 is about 10,000 actors and 130,000 events; 7.7 reaches a million events.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Seed of the generator: the same seed gives the same rows.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}
