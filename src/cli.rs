//! Runs the command the user asked for.

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
            let db = connect(&cli.database).await?;
            store::migrate(&db)
                .await
                .context("migrating the database")?;
            seeds::load_if_empty(&db, &args.seeds).await?;
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

async fn connect(
    args: &crate::config::DatabaseArgs,
) -> anyhow::Result<sea_orm::DatabaseConnection> {
    db::connect(&args.database_url, args.db_connections)
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
