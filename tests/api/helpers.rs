//! Test databases on both backends, the seed, and requests through the real router.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use tower::ServiceExt;

/// Runs an async test body once per backend: `sqlite` and `postgres` submodules.
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($db:ident: &TestDb) $body:block)+) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test_db = $crate::helpers::TestDb::sqlite().await;
                    super::$name(&test_db).await;
                }
            )+
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test_db = $crate::helpers::TestDb::postgres().await;
                    super::$name(&test_db).await;
                }
            )+
        }
        $(async fn $name($db: &$crate::helpers::TestDb) $body)+
    };
}

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed document.
pub fn seed_file() -> PathBuf {
    root().join("seeds/2025-12-28-trump-putin-zelenskyy.json")
}

/// The seed's report, kept outside the repository in `../shared/seeds/`. A checkout
/// without it beside the repository fails here, saying where the report was looked for.
pub fn seed_body() -> PathBuf {
    let path = root().join("../shared/seeds/2025-12-28-trump-putin-zelenskyy.txt");
    assert!(
        path.is_file(),
        "the seed's report is not at {}: tests that import with the body need the \
         shared folder beside the repository",
        path.display()
    );
    path
}

/// A fresh, unmigrated database, dropped with this value. On PostgreSQL, where no
/// foreign key backs the resolver, a migrated store is verified before it is dropped
/// (`communique::store::verify`), and a test whose store breaks an invariant fails
/// naming the rows.
pub struct TestDb {
    pub db: DatabaseConnection,
    /// The URL `db` connected to, for a server process of its own.
    pub url: String,
    cleanup: Cleanup,
    /// Whether the store is verified when dropped; not when a test breaks it on purpose.
    verify_on_drop: AtomicBool,
}

enum Cleanup {
    /// The folder holding the SQLite file; removed on drop.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// The database to drop, and the server URL to drop it from.
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A SQLite database in a new temporary folder.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let db = communique::db::connect(&url, 4)
            .await
            .expect("connect to SQLite");
        Self {
            db,
            url,
            cleanup: Cleanup::Sqlite(dir),
            verify_on_drop: AtomicBool::new(true),
        }
    }

    /// A new database on the PostgreSQL server of `TEST_DATABASE_URL`, or when it is not
    /// set on a throwaway cluster of this process's own ([`crate::cluster::shared`]).
    pub async fn postgres() -> Self {
        let admin_url = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) => url,
            Err(_) => crate::cluster::shared().clone().unwrap_or_else(|reason| {
                panic!(
                    "TEST_DATABASE_URL is not set and no throwaway PostgreSQL cluster could \
                     be started, so the PostgreSQL half of this test cannot run: {reason}"
                )
            }),
        };
        Self::postgres_on(&admin_url).await
    }

    /// A new database on the PostgreSQL server of `admin_url`.
    pub async fn postgres_on(admin_url: &str) -> Self {
        let admin_url = admin_url.to_owned();
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "communique_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default()
        );
        let admin = communique::db::connect(&admin_url, 1)
            .await
            .expect("connect to TEST_DATABASE_URL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = with_database(&admin_url, &name);
        let db = communique::db::connect(&url, 4)
            .await
            .expect("connect to the test database");
        Self {
            db,
            url,
            cleanup: Cleanup::Postgres { admin_url, name },
            verify_on_drop: AtomicBool::new(true),
        }
    }

    /// Says that the test breaks the store's invariants on purpose: it is not verified
    /// when dropped.
    pub fn broken_on_purpose(&self) {
        self.verify_on_drop.store(false, Ordering::Relaxed);
    }

    /// The database, migrated.
    pub async fn migrated(&self) -> &DatabaseConnection {
        communique::store::migrate(&self.db).await.expect("migrate");
        &self.db
    }

    /// The database, migrated and seeded from `seeds/`.
    pub async fn seeded(&self) -> &DatabaseConnection {
        let db = self.migrated().await;
        communique::import::import_files(db, &[seed_file()], None)
            .await
            .expect("import the seed");
        db
    }

    /// Rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count rows")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("a count")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name, url) = (admin_url.clone(), name.clone(), self.url.clone());
            let label = name.clone();
            // A panic while the test unwinds would abort the whole run: a failed test is
            // not verified.
            let verify = self.verify_on_drop.load(Ordering::Relaxed) && !std::thread::panicking();
            // Drop runs inside the test's runtime; a thread of its own can block on a new one.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let verified = match verify {
                        true => verify_before_drop(&url).await,
                        false => Ok(()),
                    };
                    let admin = communique::db::connect(&admin_url, 1)
                        .await
                        .map_err(std::io::Error::other)?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await
                        .map_err(std::io::Error::other)?;
                    admin.close().await.map_err(std::io::Error::other)?;
                    Ok::<_, std::io::Error>(verified)
                })
            })
            .join();
            match dropped {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(broken))) => panic!("the store of {label} breaks invariants:\n{broken}"),
                _ => eprintln!("warning: could not drop test database {label}"),
            }
        }
    }
}

/// Verifies the store at `url`, when it is migrated: the findings as text when an
/// invariant fails or the checks cannot run. A database that cannot be reached (a test
/// stopped its server) or is not migrated (its schema, or its rows made claims) is not
/// verified.
async fn verify_before_drop(url: &str) -> Result<(), String> {
    use communique::store::verify::{VerifyError, verify};
    let Ok(db) = communique::db::connect(url, 1).await else {
        return Ok(());
    };
    let verified = verify(&db).await;
    db.close().await.ok();
    match verified {
        Ok(report) if report.holds() => Ok(()),
        Ok(report) => {
            let mut lines: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
            lines.push(report.summary());
            Err(lines.join("\n"))
        }
        Err(VerifyError::NotMigrated(_) | VerifyError::NotClaimed) => Ok(()),
        Err(error) => Err(format!("verifying failed: {error}")),
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// The tables every migration together creates, each after the tables it refers to.
pub const DOMAIN_TABLES: [&str; 18] = [
    "sources",
    "actors",
    "actor_aliases",
    "affiliations",
    "places",
    "events",
    "meetings",
    "statements",
    "military_events",
    "event_participants",
    "event_relations",
    "proposals",
    "event_proposals",
    "proposal_parties",
    "provisions",
    "positions",
    "citations",
    "search_documents",
];

/// Row counts of every domain table.
pub async fn row_counts(test_db: &TestDb) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in DOMAIN_TABLES {
        counts.push((table, test_db.count(table).await));
    }
    counts
}

/// Sends a GraphQL query through the real router; returns the status and JSON body.
pub async fn graphql(
    db: &DatabaseConnection,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let body = serde_json::json!({ "query": query, "variables": variables }).to_string();
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(Body::from(body))
        .expect("a request");
    send(db, request).await
}

/// Runs `query` through the router on a connection that counts the SQL statements it
/// sends; asserts the answer has no errors and returns the count and the data.
pub async fn count_statements(
    db: &DatabaseConnection,
    query: &str,
    variables: Value,
) -> (usize, Value) {
    let counter = Arc::new(AtomicUsize::new(0));
    let mut counting = db.clone();
    let seen = Arc::clone(&counter);
    counting.set_metric_callback(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let (status, body) = graphql(&counting, query, variables).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    (counter.load(Ordering::SeqCst), body["data"].clone())
}

/// Sends `GET path` through `router`; returns the status and the JSON body.
pub async fn get_json(router: &axum::Router, path: &str) -> (StatusCode, Value) {
    let request = Request::get(path).body(Body::empty()).expect("a request");
    let (status, _, bytes) = exchange(router.clone(), request).await;
    (status, json_or_text(&bytes))
}

/// Sends `request` through `router`; returns the status, the headers and the body.
pub async fn exchange(
    router: axum::Router,
    request: Request<Body>,
) -> (StatusCode, HeaderMap, Bytes) {
    let response = router.oneshot(request).await.expect("a response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (status, headers, bytes)
}

/// POSTs the GraphQL request `query` through `router`; returns the status, the JSON
/// body (null when it is not JSON) and how long the answer took.
pub async fn ask(router: &axum::Router, query: &Value) -> (StatusCode, Value, std::time::Duration) {
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(query.to_string()))
        .expect("a request");
    let started = std::time::Instant::now();
    let (status, _, bytes) = exchange(router.clone(), request).await;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body, started.elapsed())
}

/// Sends `request` through the real router; returns the status and JSON body.
pub async fn send(db: &DatabaseConnection, request: Request<Body>) -> (StatusCode, Value) {
    let (status, _, bytes) = exchange(communique::http::router(db.clone(), 1 << 20), request).await;
    (status, json_or_text(&bytes))
}

/// `bytes` as JSON, or as a JSON string when they are not JSON.
fn json_or_text(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into()))
}

/// Threads that keep every core busy until dropped, to show what holds when the
/// machine is saturated.
pub struct CpuBurner {
    stop: Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl CpuBurner {
    /// Four spinning threads per core, so that every other thread waits for a core.
    pub fn start() -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let threads = 4 * std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = (0..threads)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut x: u64 = 1;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..10_000 {
                            x = std::hint::black_box(
                                x.wrapping_mul(6364136223846793005).wrapping_add(1),
                            );
                        }
                    }
                })
            })
            .collect();
        CpuBurner { stop, threads }
    }
}

impl Drop for CpuBurner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            thread.join().ok();
        }
    }
}

/// Writes `document` as JSON to a file named `name` in `dir`.
pub fn write_document(dir: &Path, name: &str, document: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(document).expect("JSON"))
        .expect("write the document");
    path
}

/// The seed document as JSON, to alter in tests.
pub fn seed_json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(seed_file()).expect("read the seed"))
        .expect("seed JSON")
}
