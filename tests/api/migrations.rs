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

on_both_backends! {
    async fn migrations_go_up_down_and_up_again(test_db: &TestDb) {
        let db = &test_db.db;
        Migrator::up(db, None).await.expect("up");
        assert_eq!(domain_tables(db).await, DOMAIN_TABLES.to_vec());
        assert_eq!(Migrator::get_pending_migrations(db).await.expect("status").len(), 0);
        let migrated = schema_fingerprint(db).await;

        // Down one step at a time: each undoes something of its own.
        let mut before = migrated.clone();
        for step in 0..Migrator::migrations().len() {
            Migrator::down(db, Some(1)).await.unwrap_or_else(|e| panic!("down step {step}: {e}"));
            let now = schema_fingerprint(db).await;
            assert_ne!(now, before, "down step {step} changed nothing");
            before = now;
        }
        assert!(domain_tables(db).await.is_empty(), "tables left after every down");

        Migrator::up(db, None).await.expect("up again");
        assert_eq!(schema_fingerprint(db).await, migrated, "the schema after a round trip");
        // The schema after a round trip takes the seed like a fresh one.
        test_db.seeded().await;
        assert!(test_db.count("events").await > 0);
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
