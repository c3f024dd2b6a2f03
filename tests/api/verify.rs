//! `communique verify`: a sound store verifies clean, and each broken invariant is
//! reported naming its row, by the store function and by the command.

use std::process::{Command, Output};

use communique::store::verify::{Finding, VerifyError, verify};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::TestDb;
use crate::on_both_backends;

/// What verifying the seed's store checks, when every invariant holds.
const CLEAN: &str = "verified 35 references, the live claims behind 16 resolved tables, the rows \
                     of 13 kinds of live claims, and the histories of 17 tables: every \
                     invariant holds";

/// An id no record of the seed has.
const NOWHERE: i64 = 4242;

/// The first column of the first row of `sql`, as an integer.
async fn number(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("an integer")
}

/// Runs `sql` where no foreign key stops it: on SQLite, on a connection of its own with
/// foreign keys off; on PostgreSQL, where the resolved tables have none.
async fn without_foreign_keys(test_db: &TestDb, sql: &str) {
    let own = match test_db.db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            let db = communique::db::connect(&test_db.url, 1)
                .await
                .expect("connect");
            db.execute_unprepared("PRAGMA foreign_keys = OFF")
                .await
                .expect("foreign keys off");
            Some(db)
        }
        _ => None,
    };
    own.as_ref()
        .unwrap_or(&test_db.db)
        .execute_unprepared(sql)
        .await
        .expect("break the store");
    if let Some(db) = own {
        db.close().await.expect("close");
    }
}

/// The findings of verifying `test_db`'s store.
async fn findings(test_db: &TestDb) -> Vec<Finding> {
    let report = verify(&test_db.db).await.expect("verify");
    assert!(!report.holds());
    report.findings
}

/// A finding of `table`'s row `id`.
fn found(table: &str, id: i64, problem: &str) -> Finding {
    Finding {
        table: table.to_owned(),
        id,
        problem: problem.to_owned(),
    }
}

/// The seed's store with an actor that no claim states, inserted by hand.
async fn with_an_unclaimed_actor(test_db: &TestDb) {
    test_db.seeded().await;
    test_db.broken_on_purpose();
    test_db
        .db
        .execute_unprepared(&format!(
            "INSERT INTO actors (id, slug, name, kind, known_from) \
             VALUES ({NOWHERE}, 'nobody-claims', 'Nobody Claims', 'person', 1)"
        ))
        .await
        .expect("insert an actor");
}

/// `communique verify` on `test_db`'s store.
fn run_verify(test_db: &TestDb) -> Output {
    let work = tempfile::tempdir().expect("a temporary folder");
    let mut command = Command::new(env!("CARGO_BIN_EXE_communique"));
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("COMMUNIQUE_") || text.starts_with("OTEL_") || text == "RUST_LOG" {
            command.env_remove(&name);
        }
    }
    command
        .current_dir(work.path())
        .env("DATABASE_URL", &test_db.url)
        .arg("verify")
        .output()
        .expect("run communique verify")
}

on_both_backends! {
    async fn the_seeded_store_verifies_clean(test_db: &TestDb) {
        let report = verify(test_db.seeded().await).await.expect("verify");
        assert_eq!(report.findings, vec![]);
        assert_eq!(report.summary(), CLEAN);
    }

    async fn a_participant_naming_a_missing_actor_is_named(test_db: &TestDb) {
        let db = test_db.seeded().await;
        test_db.broken_on_purpose();
        let id = number(db, "SELECT MIN(id) FROM event_participants").await;
        without_foreign_keys(
            test_db,
            &format!("UPDATE event_participants SET actor_id = {NOWHERE} WHERE id = {id}"),
        )
        .await;
        assert_eq!(
            findings(test_db).await,
            vec![found(
                "event_participants",
                id,
                "`actor_id` is 4242, which names no row of `actors`"
            )]
        );
    }

    async fn a_citation_of_a_missing_record_is_named(test_db: &TestDb) {
        let db = test_db.seeded().await;
        test_db.broken_on_purpose();
        let id = number(db, "SELECT MIN(id) FROM citations WHERE record_kind = 'actor'").await;
        db.execute_unprepared(&format!(
            "UPDATE citations SET record_id = {NOWHERE} WHERE id = {id}"
        ))
        .await
        .expect("break a citation");
        assert_eq!(
            findings(test_db).await,
            vec![found("citations", id, "cites actor 4242, which names no row of `actors`")]
        );
    }

    async fn a_row_no_live_claim_states_is_named(test_db: &TestDb) {
        with_an_unclaimed_actor(test_db).await;
        assert_eq!(
            findings(test_db).await,
            vec![found("actors", NOWHERE, "no live claim of kind `actor` states it")]
        );
    }

    async fn a_live_claim_without_its_row_is_named(test_db: &TestDb) {
        let db = test_db.seeded().await;
        test_db.broken_on_purpose();
        let id = number(db, "SELECT MIN(id) FROM actor_aliases").await;
        let source = number(db, &format!("SELECT MIN(source_id) FROM claims WHERE subject_id = {id}")).await;
        db.execute_unprepared(&format!("DELETE FROM actor_aliases WHERE id = {id}"))
            .await
            .expect("delete an alias");
        assert_eq!(
            findings(test_db).await,
            vec![found(
                "claims",
                id,
                &format!(
                    "live `alias` claims (source {source} among them) have no row in \
                     `actor_aliases` and wait in no `unresolved` row"
                )
            )]
        );
    }

    async fn overlapping_history_intervals_are_named(test_db: &TestDb) {
        let db = test_db.seeded().await;
        test_db.broken_on_purpose();
        let id = number(db, "SELECT MIN(id) FROM actors").await;
        let known_from = number(db, &format!("SELECT known_from FROM actors WHERE id = {id}")).await;
        // A replaced version known until after the current one became known.
        db.execute_unprepared(&format!(
            "INSERT INTO actors_history \
             (id, slug, name, kind, country, description, known_from, known_to) \
             SELECT id, slug, name, kind, country, description, known_from - 1, known_from + 1 \
             FROM actors WHERE id = {id}"
        ))
        .await
        .expect("insert a version");
        assert_eq!(
            findings(test_db).await,
            vec![found(
                "actors",
                id,
                &format!(
                    "its version known from import {known_from} until now overlaps the one \
                     before it, known until import {}",
                    known_from + 1
                )
            )]
        );
    }

    async fn a_store_not_migrated_is_not_verified(test_db: &TestDb) {
        let error = verify(&test_db.db).await.expect_err("not migrated");
        assert!(matches!(error, VerifyError::NotMigrated(8)), "{error:?}");
    }

    async fn a_store_whose_rows_are_not_claims_yet_is_not_verified(test_db: &TestDb) {
        let db = test_db.seeded().await;
        // Migration 8 applied again by itself leaves the rows without claims, as in a
        // store made before claims until `store::migrate` makes them so.
        Migrator::down(db, Some(1)).await.expect("down one");
        Migrator::up(db, None).await.expect("up again");
        let error = verify(db).await.expect_err("rows not claims");
        assert!(matches!(error, VerifyError::NotClaimed), "{error:?}");
        communique::store::migrate(db).await.expect("make the rows claims");
        assert_eq!(verify(db).await.expect("verify").findings, vec![]);
    }

    async fn the_command_prints_what_it_checked_of_a_sound_store(test_db: &TestDb) {
        test_db.seeded().await;
        let output = run_verify(test_db);
        assert!(output.status.success(), "{output:?}");
        assert_eq!(String::from_utf8_lossy(&output.stdout), format!("{CLEAN}\n"));
    }

    async fn the_command_exits_non_zero_naming_the_broken_rows(test_db: &TestDb) {
        with_an_unclaimed_actor(test_db).await;
        let output = run_verify(test_db);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "actors 4242: no live claim of kind `actor` states it\n"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("1 row breaks an invariant"), "{stderr}");
    }
}
