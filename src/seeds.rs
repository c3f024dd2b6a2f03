//! Loads the seed documents into a database that holds no source yet.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::db::entities::source;
use crate::import;

/// The import documents in `dir`, in name order (the JSON Schema file excluded).
pub fn seed_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(dir).with_context(|| format!("reading seeds from {}", dir.display()))?
    {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".json") && !name.ends_with(".schema.json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Imports every seed document when the database holds no source; otherwise does nothing.
pub async fn load_if_empty(db: &DatabaseConnection, dir: &Path) -> anyhow::Result<()> {
    if source::Entity::find().count(db).await? > 0 {
        tracing::info!("database already holds data; seeds not loaded");
        return Ok(());
    }
    if !dir.is_dir() {
        tracing::warn!(seeds = %dir.display(), "no seed folder; starting with an empty database");
        return Ok(());
    }
    let files = seed_files(dir)?;
    let summary = import::import_files(db, &files, None).await?;
    tracing::info!(
        documents = summary.documents.len(),
        claims = summary.added(),
        "seeds loaded"
    );
    Ok(())
}
