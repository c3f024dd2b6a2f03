//! Runs the command the user asked for.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};

use crate::config::{Cli, Command, MigrateAction};
use crate::{db, generate, graphql, http, import, seeds, store, telemetry};

/// Runs `cli`'s command; `serve` when none is given.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let telemetry = telemetry::init(cli.log_format)?;
    let result = run_command(cli).await;
    telemetry.shutdown().await;
    result
}

async fn run_command(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve(cli.serve));
    match command {
        Command::ExportSchema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::ImportSchema => {
            println!("{}", import::json_schema());
            Ok(())
        }
        Command::Serve(args) => {
            // Migrations and the seed run unbounded, on a pool of their own; requests
            // on one whose statements end with the request timeout.
            let setup = connect(&cli.database).await?;
            store::migrate(&setup)
                .await
                .context("migrating the database")?;
            seeds::load_if_empty(&setup, &args.seeds).await?;
            setup
                .close()
                .await
                .context("closing the setup connections")?;
            let deadline = Duration::from_millis(args.request_timeout_ms);
            let db = connect_serving(&cli.database, deadline).await?;
            http::serve(db, &args).await
        }
        Command::Migrate { action } => {
            let db = connect(&cli.database).await?;
            migrate(&db, action).await
        }
        Command::Generate(args) => {
            let db = connect(&cli.database).await?;
            store::migrate(&db)
                .await
                .context("migrating the database")?;
            let scale = generate::Scale::times(args.scale);
            let seconds = generate::generate(&db, scale, args.seed).await?;
            println!("generated {scale} in {seconds:.1} s");
            Ok(())
        }
        Command::Import(args) => {
            let db = connect(&cli.database).await?;
            store::migrate(&db)
                .await
                .context("migrating the database")?;
            let summary = import::import_files(&db, &args.files, args.body.as_deref()).await?;
            for document in &summary.documents {
                println!("{}", describe(document));
            }
            Ok(())
        }
        Command::Verify => {
            let db = connect(&cli.database).await?;
            let report = store::verify::verify(&db)
                .await
                .context("verifying the store")?;
            for finding in &report.findings {
                println!("{finding}");
            }
            if !report.holds() {
                anyhow::bail!("{}", report.summary());
            }
            println!("{}", report.summary());
            Ok(())
        }
        Command::Check(args) => {
            import::check_files(&args.files, args.body.as_deref())?;
            for file in &args.files {
                println!("{}: no fault found without the store", file.display());
            }
            Ok(())
        }
        Command::Retract { source } => {
            let db = connect(&cli.database).await?;
            store::migrate(&db)
                .await
                .context("migrating the database")?;
            match import::retract(&db, &source).await? {
                Some(applied) => {
                    println!(
                        "{source}: withdrawn by import {}: {} claims retracted",
                        applied.import.unwrap_or_default(),
                        applied.retracted
                    );
                    Ok(())
                }
                None => anyhow::bail!("no source has the slug `{source}`"),
            }
        }
    }
}

/// One line on what importing a document did.
fn describe(document: &import::DocumentSummary) -> String {
    let counts = document.counts;
    let declares = format!(
        "{} actors, {} places, {} events, {} proposals, {} citations",
        counts.actors, counts.places, counts.events, counts.proposals, counts.citations
    );
    let claims = format!(
        "{} claims added, {} kept, {} retracted",
        document.added, document.kept, document.retracted
    );
    let waiting = match document.waiting {
        0 => String::new(),
        n => format!(
            "; {n} records or links of other sources now wait for records it no longer gives"
        ),
    };
    match document.import {
        Some(import) => format!(
            "{}: import {import}: {claims} ({declares}){waiting}",
            document.source
        ),
        None => format!("{}: unchanged: {claims} ({declares})", document.source),
    }
}

/// Connects for batch work: see [`db::Pool::new`].
async fn connect(
    args: &crate::config::DatabaseArgs,
) -> anyhow::Result<sea_orm::DatabaseConnection> {
    connect_with(args, db::Pool::new(args.db_connections)).await
}

/// Connects for serving: a short wait for a connection, statements bounded by the
/// request timeout.
async fn connect_serving(
    args: &crate::config::DatabaseArgs,
    request_timeout: Duration,
) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let pool = db::Pool {
        max_connections: args.db_connections,
        acquire_timeout: Duration::from_millis(args.db_acquire_timeout_ms),
        statement_timeout: Some(request_timeout),
    };
    connect_with(args, pool).await
}

async fn connect_with(
    args: &crate::config::DatabaseArgs,
    pool: db::Pool,
) -> anyhow::Result<sea_orm::DatabaseConnection> {
    db::connect_with(&args.database_url, pool)
        .await
        .with_context(|| format!("connecting to {}", redact(&args.database_url)))
}

async fn migrate(db: &sea_orm::DatabaseConnection, action: MigrateAction) -> anyhow::Result<()> {
    match action {
        MigrateAction::Up => store::migrate(db).await?,
        MigrateAction::Down { steps } => Migrator::down(db, Some(steps)).await?,
        MigrateAction::Fresh => Migrator::fresh(db).await?,
        MigrateAction::Status => {
            let applied = Migrator::get_applied_migrations(db).await?;
            let pending = Migrator::get_pending_migrations(db).await?;
            for migration in &applied {
                println!("applied  {}", migration.name());
            }
            for migration in &pending {
                println!("pending  {}", migration.name());
            }
        }
    }
    Ok(())
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(
            redact("postgres://me:secret@db:5432/x"),
            "postgres://me:***@db:5432/x"
        );
        assert_eq!(redact("postgres://me@db/x"), "postgres://me@db/x");
        assert_eq!(
            redact("sqlite://communique.db?mode=rwc"),
            "sqlite://communique.db?mode=rwc"
        );
    }
}
