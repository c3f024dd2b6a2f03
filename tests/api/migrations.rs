//! Migrations go up, down one at a time, and up again, on both backends.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::DOMAIN_TABLES;
use crate::on_both_backends;

/// The domain tables present, in `DOMAIN_TABLES` order.
async fn domain_tables(db: &DatabaseConnection) -> Vec<&'static str> {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        _ => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("list tables");
    let names: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<String>("", "name").expect("a name"))
        .collect();
    DOMAIN_TABLES
        .into_iter()
        .filter(|table| names.iter().any(|name| name == table))
        .collect()
}

/// The schema as text: every table, column and index, sorted.
async fn schema_fingerprint(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') AS item FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'"
        }
        _ => {
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS item \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'seaql_migrations' \
             UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' \
             AND tablename <> 'seaql_migrations'"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("describe the schema");
    let mut items: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<String>("", "item").expect("an item"))
        .collect();
    items.sort();
    items
}

/// Migrates `db` up, down one step at a time and up again, asserting that each step
/// changes the schema and that the round trip ends where it began.
async fn round_trip(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("up");
    assert_eq!(domain_tables(db).await, DOMAIN_TABLES.to_vec());
    assert_eq!(
        Migrator::get_pending_migrations(db)
            .await
            .expect("status")
            .len(),
        0
    );
    let migrated = schema_fingerprint(db).await;

    // Down one step at a time: each undoes something of its own.
    let mut before = migrated.clone();
    for step in 0..Migrator::migrations().len() {
        Migrator::down(db, Some(1))
            .await
            .unwrap_or_else(|e| panic!("down step {step}: {e}"));
        let now = schema_fingerprint(db).await;
        assert_ne!(now, before, "down step {step} changed nothing");
        before = now;
    }
    assert!(
        domain_tables(db).await.is_empty(),
        "tables left after every down"
    );

    Migrator::up(db, None).await.expect("up again");
    assert_eq!(
        schema_fingerprint(db).await,
        migrated,
        "the schema after a round trip"
    );
}

on_both_backends! {
    async fn migrations_go_up_down_and_up_again(test_db: &TestDb) {
        round_trip(&test_db.db).await;
        // The schema after a round trip takes the seed like a fresh one.
        test_db.seeded().await;
        assert!(test_db.count("events").await > 0);
    }

    async fn fresh_leaves_a_seeded_store_migrated_and_empty(test_db: &TestDb) {
        let db = test_db.seeded().await;
        Migrator::fresh(db).await.expect("fresh");
        assert_eq!(domain_tables(db).await, DOMAIN_TABLES.to_vec());
        assert_eq!(Migrator::get_pending_migrations(db).await.expect("status").len(), 0);
        let counts = crate::helpers::row_counts(test_db).await;
        assert!(counts.iter().all(|(_, n)| *n == 0), "rows left: {counts:?}");
    }

    async fn the_event_time_copies_match_their_events(test_db: &TestDb) {
        let db = test_db.seeded().await;
        assert_event_time_copies(test_db).await;
        // Rows that predate the copies get them from the migration.
        Migrator::down(db, Some(1)).await.expect("down one");
        Migrator::up(db, None).await.expect("up again");
        assert_event_time_copies(test_db).await;
    }
}

/// Asserts every participant and statement row holds its event's time.
async fn assert_event_time_copies(test_db: &crate::helpers::TestDb) {
    let db = &test_db.db;
    for table in ["event_participants", "statements"] {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {table} t JOIN events e ON e.id = t.event_id \
             WHERE t.occurred_at IS NULL OR t.occurred_at <> e.occurred_at"
        );
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("count")
            .expect("a row");
        assert_eq!(row.try_get::<i64>("", "n").expect("n"), 0, "{table}");
        assert!(test_db.count(table).await > 0, "{table} is empty");
    }
}

/// Round trips at once, and how many each runs in turn.
const PARALLEL_TRIPS: usize = 8;
const TRIPS_EACH: usize = 8;

/// Eight round trips at once on SQLite, eight each, beside a thread spinning on every
/// core: a migration must never meet a schema that another pooled connection changed
/// (it once found an index that the step before had dropped, one full run in two).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_round_trips_hold_under_parallel_load() {
    let _burner = crate::helpers::CpuBurner::start();
    let mut trips = tokio::task::JoinSet::new();
    for _ in 0..PARALLEL_TRIPS {
        trips.spawn(async {
            for _ in 0..TRIPS_EACH {
                let test_db = crate::helpers::TestDb::sqlite().await;
                // Another user of the pool, as a server's health check is, keeps a
                // second connection open beside the one migrating.
                let db = test_db.db.clone();
                let other = tokio::spawn(async move {
                    loop {
                        db.ping().await.ok();
                        tokio::task::yield_now().await;
                    }
                });
                round_trip(&test_db.db).await;
                other.abort();
            }
        });
    }
    while let Some(trip) = trips.join_next().await {
        if let Err(error) = trip {
            std::panic::resume_unwind(error.into_panic());
        }
    }
}
