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

on_both_backends! {
    async fn migrations_go_up_down_and_up_again(test_db: &TestDb) {
        let db = &test_db.db;
        Migrator::up(db, None).await.expect("up");
        assert_eq!(domain_tables(db).await, DOMAIN_TABLES.to_vec());
        assert_eq!(Migrator::get_pending_migrations(db).await.expect("status").len(), 0);

        // Down one step at a time: each removes only its own tables.
        let mut remaining = DOMAIN_TABLES.len();
        for step in 0..Migrator::migrations().len() {
            Migrator::down(db, Some(1)).await.unwrap_or_else(|e| panic!("down step {step}: {e}"));
            let now = domain_tables(db).await.len();
            assert!(now < remaining, "down step {step} dropped no table");
            remaining = now;
        }
        assert!(domain_tables(db).await.is_empty(), "tables left after every down");

        Migrator::up(db, None).await.expect("up again");
        assert_eq!(domain_tables(db).await, DOMAIN_TABLES.to_vec());
        // The schema after a round trip takes the seed like a fresh one.
        test_db.seeded().await;
        assert!(test_db.count("events").await > 0);
    }
}
