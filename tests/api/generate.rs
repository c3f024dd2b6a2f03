//! Synthetic data: deterministic, valid, and skewed like real reporting.

use communique::generate::{Scale, generate};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::TestDb;
use crate::on_both_backends;

/// Every event's id, time and kind, in id order: a fingerprint of the rows.
async fn fingerprint(db: &DatabaseConnection) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT e.id, e.kind, e.title FROM events e ORDER BY e.id",
        ))
        .await
        .expect("events");
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get("", "id").expect("id");
            let kind: String = row.try_get("", "kind").expect("kind");
            let title: String = row.try_get("", "title").expect("title");
            format!("{id} {kind} {title}")
        })
        .collect()
}

on_both_backends! {
    async fn the_same_seed_gives_the_same_rows_and_another_seed_others(test_db: &TestDb) {
        let scale = Scale::times(0.002);
        let first = test_db.migrated().await;
        generate(first, scale, 7).await.expect("generate");
        let again = TestDb::sqlite().await;
        generate(again.migrated().await, scale, 7).await.expect("generate again");
        let other = TestDb::sqlite().await;
        generate(other.migrated().await, scale, 8).await.expect("generate with another seed");

        let rows = fingerprint(first).await;
        assert_eq!(rows.len(), scale.events());
        assert_eq!(rows, fingerprint(&again.db).await);
        assert_ne!(rows, fingerprint(&other.db).await);
    }

    async fn generated_data_is_skewed_toward_a_few_busy_actors(test_db: &TestDb) {
        let db = test_db.migrated().await;
        generate(db, Scale::times(0.01), 1).await.expect("generate");
        let busiest = test_db.count("(SELECT DISTINCT event_id FROM event_participants WHERE actor_id = (SELECT id FROM actors WHERE slug = 'actor-000000')) busy").await;
        let events = test_db.count("events").await;
        assert!(busiest * 10 > events, "actor-000000 is in over a tenth of events: {busiest} of {events}");
        let meetings = test_db.count("meetings").await;
        let crowded = test_db.count("(SELECT event_id FROM event_participants p JOIN meetings m USING (event_id) GROUP BY event_id HAVING COUNT(*) BETWEEN 2 AND 8) ok").await;
        assert_eq!(crowded, meetings, "every meeting has 2 to 8 participants");
    }
}
