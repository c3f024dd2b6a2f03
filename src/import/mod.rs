//! Imports source documents: parse, check, then write everything in one transaction.
//!
//! A document is rejected with the file, the JSON path and the reason for every fault
//! found; nothing is written unless every document given is accepted. Records get
//! deterministic ids, so importing the same documents again changes nothing.

pub mod document;
mod error;
mod plan;
mod write;

use std::path::{Path, PathBuf};

use sea_orm::{DatabaseConnection, TransactionTrait};

pub use self::document::Document;
pub use self::error::{ImportError, Rejection};
use self::plan::Plan;

/// What an import wrote, per record kind (rows inserted or updated).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub documents: usize,
    pub actors: usize,
    pub places: usize,
    pub events: usize,
    pub proposals: usize,
    pub citations: usize,
}

/// Reads and parses one document, rejecting it with the JSON path of the first fault.
pub fn read_document(file: &Path) -> Result<Document, Rejection> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Rejection::new(file, "$", format!("cannot read the file: {e}")))?;
    parse_document(file, &text)
}

/// Parses the text of a document read from `file`.
pub fn parse_document(file: &Path, text: &str) -> Result<Document, Rejection> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = json_path(&e.path().to_string());
        let inner = e.into_inner();
        let reason = if inner.is_syntax() || inner.is_eof() {
            format!("not valid JSON: {inner}")
        } else {
            // serde_json appends the position; the path already says where.
            let message = inner.to_string();
            match message.rfind(" at line ") {
                Some(cut) => message[..cut].to_owned(),
                None => message,
            }
        };
        Rejection::new(file, path, reason)
    })
}

/// Turns serde_path_to_error's `events[2].time` into `$.events[2].time`.
fn json_path(path: &str) -> String {
    match path {
        "" | "." => "$".to_owned(),
        p if p.starts_with('[') => format!("${p}"),
        p => format!("$.{p}"),
    }
}

/// Imports `files` in one transaction. `body`, the text of the source, may be given with
/// a single file: every excerpt must then occur in it, and their offsets are stored.
pub async fn import_files(
    db: &DatabaseConnection,
    files: &[PathBuf],
    body: Option<&Path>,
) -> Result<ImportSummary, ImportError> {
    let body_text = match body {
        Some(path) => {
            if files.len() != 1 {
                return Err(
                    Rejection::new(path, "$", "--body goes with exactly one document").into(),
                );
            }
            Some(
                std::fs::read_to_string(path)
                    .map_err(|e| Rejection::new(path, "$", format!("cannot read the body: {e}")))?,
            )
        }
        None => None,
    };
    let mut plans = Vec::with_capacity(files.len());
    let mut rejections = Vec::new();
    for file in files {
        match read_document(file)
            .map_err(|r| vec![r])
            .and_then(|doc| plan::plan(file, &doc, body_text.as_deref()))
        {
            Ok(plan) => plans.push(plan),
            Err(mut found) => rejections.append(&mut found),
        }
    }
    if !rejections.is_empty() {
        return Err(ImportError::Rejected(rejections));
    }
    let summary = import_plans(db, plans, body_text.is_some()).await?;
    crate::db::analyze(db).await?;
    Ok(summary)
}

/// Imports documents built in memory (named by `name` in messages), in one transaction,
/// with the same checks as files.
pub async fn import_documents(
    db: &DatabaseConnection,
    name: &Path,
    documents: &[Document],
) -> Result<ImportSummary, ImportError> {
    let mut plans = Vec::with_capacity(documents.len());
    for document in documents {
        plans.push(plan::plan(name, document, None).map_err(ImportError::Rejected)?);
    }
    import_plans(db, plans, false).await
}

/// Writes checked plans in one transaction, after checking their references to records
/// of earlier imports.
async fn import_plans(
    db: &DatabaseConnection,
    plans: Vec<Plan>,
    with_body: bool,
) -> Result<ImportSummary, ImportError> {
    let txn = db.begin().await?;
    let mut summary = ImportSummary::default();
    // Later documents may refer to what earlier ones declare: check each document's
    // external references after writing the ones before it, inside the transaction.
    for plan in plans {
        let missing = write::missing_references(&txn, &plan).await?;
        if !missing.is_empty() {
            // Dropping the transaction rolls it back.
            return Err(ImportError::Rejected(missing));
        }
        summary.documents += 1;
        summary.actors += plan.actors.len();
        summary.places += plan.places.len();
        summary.events += plan.events.len();
        summary.proposals += plan.proposals.len();
        summary.citations += plan.citations.len();
        write::write_plan(&txn, plan, with_body).await?;
    }
    txn.commit().await?;
    Ok(summary)
}

/// The JSON Schema of import documents, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Document);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
