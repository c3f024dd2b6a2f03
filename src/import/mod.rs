//! Imports source documents: parse, check, then apply every document's claims in one
//! transaction.
//!
//! A document is rejected with the file, the JSON path and the reason for every fault
//! found, in path order; nothing is written unless every document given is accepted.
//! Each accepted document replaces its source's claims (see [`crate::store::accounts`]),
//! so importing the same document again changes nothing.

mod checks;
pub mod document;
mod error;
mod plan;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use self::document::Document;
use self::error::Problems;
pub use self::error::{ImportError, MAX_REPORTED, Rejection, Report};
pub use self::plan::Counts;
use self::plan::{Plan, hex_sha256};
use crate::store::{accounts, imports};

/// What importing one document did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    pub file: PathBuf,
    /// The source's slug.
    pub source: String,
    /// The import recorded; `None` when the document changed nothing.
    pub import: Option<i64>,
    /// Claims recorded, kept and retracted.
    pub added: usize,
    pub kept: usize,
    pub retracted: usize,
    /// What the document declares.
    pub counts: Counts,
    /// Records and links of other sources that wait, unresolved, for a record this
    /// document no longer gives.
    pub waiting: usize,
}

/// What an import run did, document by document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub documents: Vec<DocumentSummary>,
}

impl ImportSummary {
    /// Claims recorded over every document.
    pub fn added(&self) -> usize {
        self.documents.iter().map(|d| d.added).sum()
    }

    /// Claims retracted over every document.
    pub fn retracted(&self) -> usize {
        self.documents.iter().map(|d| d.retracted).sum()
    }
}

/// The text of `file`, or why it cannot be read.
fn read_text(file: &Path, what: &str) -> Result<String, Rejection> {
    std::fs::read_to_string(file)
        .map_err(|e| Rejection::new(file, "$", format!("cannot read the {what}: {e}")))
}

/// A document planned: its plan, the faults found without the store, and the records
/// that could not be read.
type Planned = (Plan, Problems, Unread);

/// Plans the text of a document read from `file`. A document with faults is planned
/// from the records that can be read, so that one run shows every problem; `Err` when
/// none can be (not JSON, no readable source).
fn plan_text(file: &Path, text: &str, body: Option<&str>) -> Result<Planned, Problems> {
    match parse_document(file, text) {
        Ok(document) => {
            let (mut plan, found) = plan::plan(file, &document, body);
            plan.account.document_sha256 = Some(hex_sha256(text));
            Ok((plan, found, Unread::default()))
        }
        Err(faults) => {
            let (document, unread) = read_in_part(text, faults)?;
            let (plan, found) = plan::plan(file, &document, body);
            Ok((plan, found, unread))
        }
    }
}

/// Checks the text of a document read from `file` without a database: every fault the
/// schema and the document's own rules find, in the order a reader meets them. What
/// needs the store (references to records imported before, names shared with them) is
/// checked at import.
pub fn check_document(file: &Path, text: &str, body: Option<&str>) -> Report {
    Report::of([check_text(file, text, body)])
}

/// The faults [`check_document`] reports, as they are found.
fn check_text(file: &Path, text: &str, body: Option<&str>) -> Problems {
    match plan_text(file, text, body) {
        Ok((_, found, unread)) => unread.in_file(found),
        Err(faults) => faults,
    }
}

/// The problems of a file that cannot be read, or of the body given with it.
fn unreadable(rejection: Rejection) -> Problems {
    let mut problems = Problems::default();
    problems.push(rejection);
    problems
}

/// Checks `files` without a database (see [`check_document`]), each on its own.
pub fn check_files(files: &[PathBuf], body: Option<&Path>) -> Result<(), ImportError> {
    let body = read_body(files, body)?;
    let mut found = Vec::with_capacity(files.len());
    for file in files {
        match read_text(file, "file") {
            Ok(text) => found.push(check_text(file, &text, body.as_deref())),
            Err(rejection) => found.push(unreadable(rejection)),
        }
    }
    let report = Report::of(found);
    if report.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Rejected(report))
    }
}

/// Parses the text of a document read from `file`. A fault in one record does not hide
/// those in the others: each record is read on its own to find them all.
fn parse_document(file: &Path, text: &str) -> Result<Document, Problems> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found = content_faults(file, text);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let first = match serde_path_to_error::deserialize::<_, Document>(&mut deserializer) {
        Ok(document) if found.is_empty() => return Ok(document),
        Ok(_) => return Err(found),
        Err(e) => e,
    };
    let path = json_path(&first.path().to_string());
    let inner = first.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        let reason = format!("not valid JSON: {inner}");
        return Err(unreadable(Rejection::new(file, path, reason)));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| unreadable(Rejection::new(file, "$", format!("not valid JSON: {e}"))))?;
    let content = std::mem::take(&mut found);
    faults_by_record(file, &value, &mut found);
    if found.is_empty() {
        found.push(Rejection::new(
            file,
            path,
            without_position(&inner.to_string()),
        ));
    }
    found.absorb(content);
    Err(found)
}

/// Longest text of any string in a document, in characters: a name, a title, a quote.
pub const MAX_TEXT: usize = 20_000;

/// Longest name or alias of an actor or place, in characters. The store indexes them,
/// and an index entry in PostgreSQL holds at most about 2,700 bytes: a longer name
/// failed at the database with no path.
pub const MAX_NAME: usize = 500;

/// The strings of a document's `text` that hold a control character (but tab and line
/// breaks) or run longer than [`MAX_TEXT`], by JSON path. Cheap for the usual document:
/// it is walked only when its text has an escape that may hide a control character or
/// is long enough to hold an overlong string.
fn content_faults(file: &Path, text: &str) -> Problems {
    let mut found = Problems::default();
    if !text.contains("\\u") && !text.contains('\u{7f}') && text.len() <= MAX_TEXT {
        return found;
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        // Not JSON: the parse says so.
        return found;
    };
    strings_within(file, &value, &mut String::from("$"), &mut found);
    found
}

fn strings_within(file: &Path, value: &Value, path: &mut String, found: &mut Problems) {
    let at = path.len();
    match value {
        Value::String(text) => {
            if let Some(reason) = crate::domain::control_character(text) {
                found.push(Rejection::new(file, path.clone(), reason));
            } else if text.chars().count() > MAX_TEXT {
                let reason = format!("is longer than {MAX_TEXT} characters");
                found.push(Rejection::new(file, path.clone(), reason));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                strings_within(file, item, path, found);
                path.truncate(at);
            }
        }
        Value::Object(fields) => {
            for (name, item) in fields {
                path.push('.');
                path.push_str(name);
                strings_within(file, item, path, found);
                path.truncate(at);
            }
        }
        _ => {}
    }
}

/// What was left out of a document read in part: the faults of the records that could
/// not be read, their ids (what refers to them is not refused again), and where each
/// record read stood in the file. Empty for a document read whole.
#[derive(Default)]
struct Unread {
    faults: Problems,
    ids: HashSet<i64>,
    /// For each section, the index in the file of each record read, in order.
    indices: Vec<(&'static str, Vec<usize>)>,
}

impl Unread {
    /// The faults of the records left out, with `found` (of the document read in part)
    /// at their paths in the file.
    fn in_file(mut self, mut found: Problems) -> Problems {
        // Records keep their order when the unread ones are left out, so do paths.
        found.rewrite_paths(|path| self.path_in_file(path));
        let mut all = std::mem::take(&mut self.faults);
        all.absorb(found);
        all
    }

    /// `path` in the document read in part, as a path in the file.
    fn path_in_file(&self, path: &str) -> String {
        for (section, indices) in &self.indices {
            let prefix = format!("$.{section}[");
            if let Some(rest) = path.strip_prefix(&prefix)
                && let Some((index, tail)) = rest.split_once(']')
                && let Some(original) = index.parse::<usize>().ok().and_then(|i| indices.get(i))
            {
                return format!("{prefix}{original}]{tail}");
            }
        }
        path.to_owned()
    }
}

/// The records of a document's `text` that can be read, as a document of their own,
/// when the text is valid JSON with a readable source and only some records have `faults`.
fn read_in_part(text: &str, faults: Problems) -> Result<(Document, Unread), Problems> {
    use self::document::*;
    let Ok(value) = serde_json::from_str::<Value>(text.strip_prefix('\u{feff}').unwrap_or(text))
    else {
        return Err(faults);
    };
    let Some(source) = value
        .get("source")
        .and_then(|source| serde_json::from_value::<SourceDoc>(source.clone()).ok())
    else {
        return Err(faults);
    };
    let mut unread = Unread {
        faults,
        ..Unread::default()
    };
    fn section<T: DeserializeOwned>(
        value: &Value,
        name: &'static str,
        kind: Option<&str>,
        unread: &mut Unread,
    ) -> Vec<T> {
        let mut read = Vec::new();
        let mut indices = Vec::new();
        let records = value.get(name).and_then(Value::as_array);
        for (i, record) in records.into_iter().flatten().enumerate() {
            match serde_json::from_value::<T>(record.clone()) {
                Ok(record) => {
                    read.push(record);
                    indices.push(i);
                }
                Err(_) => {
                    if let (Some(kind), Some(slug)) =
                        (kind, record.get("slug").and_then(Value::as_str))
                    {
                        unread.ids.insert(crate::ids::record_id(kind, &[slug]));
                    }
                }
            }
        }
        unread.indices.push((name, indices));
        read
    }
    let document = Document {
        schema: None,
        source,
        actors: section(&value, "actors", Some("actor"), &mut unread),
        affiliations: section(&value, "affiliations", None, &mut unread),
        places: section(&value, "places", Some("place"), &mut unread),
        events: section(&value, "events", Some("event"), &mut unread),
        proposals: section(&value, "proposals", Some("proposal"), &mut unread),
    };
    Ok((document, unread))
}

/// A serde_json message without the position it appends: the path already says where.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message.to_owned(),
    }
}

/// Reads `value` as `T`, or the JSON path (under `at`) and reason of its first fault.
fn read_as<T: DeserializeOwned>(value: &Value, at: &str) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = json_path(&e.path().to_string());
        let path = match (at, inner.as_str()) {
            ("", _) => inner.clone(),
            (at, "$") => at.to_owned(),
            (at, inner) => format!("{at}{}", &inner[1..]),
        };
        (path, without_position(&e.into_inner().to_string()))
    })
}

/// Every record's first fault, each record read on its own, and the document's own,
/// into `found`.
fn faults_by_record(file: &Path, value: &Value, found: &mut Problems) {
    use self::document::*;
    let mut fault = |(path, reason): (String, String)| {
        found.push(Rejection::new(file, path, reason));
    };
    let Some(document) = value.as_object() else {
        return fault(("$".to_owned(), "a document is a JSON object".to_owned()));
    };
    const SECTIONS: [&str; 7] = [
        "$schema",
        "source",
        "actors",
        "affiliations",
        "places",
        "events",
        "proposals",
    ];
    for key in document.keys() {
        if !SECTIONS.contains(&key.as_str()) {
            fault((
                format!("$.{key}"),
                format!(
                    "unknown field `{key}`, expected one of {}",
                    SECTIONS.join(", ")
                ),
            ));
        }
    }
    match document.get("source") {
        Some(source) => read_as::<SourceDoc>(source, "$.source")
            .err()
            .into_iter()
            .for_each(&mut fault),
        None => fault(("$".to_owned(), "missing field `source`".to_owned())),
    }
    fn each<T: DeserializeOwned>(
        document: &serde_json::Map<String, Value>,
        section: &str,
        fault: &mut impl FnMut((String, String)),
    ) {
        match document.get(section) {
            None => {}
            Some(Value::Array(records)) => {
                for (i, record) in records.iter().enumerate() {
                    if let Err(found) = read_as::<T>(record, &format!("$.{section}[{i}]")) {
                        fault(found);
                    }
                }
            }
            Some(_) => fault((format!("$.{section}"), "expected an array".to_owned())),
        }
    }
    each::<ActorDoc>(document, "actors", &mut fault);
    each::<AffiliationDoc>(document, "affiliations", &mut fault);
    each::<PlaceDoc>(document, "places", &mut fault);
    each::<EventDoc>(document, "events", &mut fault);
    each::<ProposalDoc>(document, "proposals", &mut fault);
}

/// Turns serde_path_to_error's `events[2].time` into `$.events[2].time`.
fn json_path(path: &str) -> String {
    match path {
        "" | "." => "$".to_owned(),
        p if p.starts_with('[') => format!("${p}"),
        p => format!("$.{p}"),
    }
}

/// The text of `body`, which goes with exactly one of `files`.
fn read_body(files: &[PathBuf], body: Option<&Path>) -> Result<Option<String>, Rejection> {
    let Some(path) = body else {
        return Ok(None);
    };
    if files.len() != 1 {
        return Err(Rejection::new(
            path,
            "$",
            "--body goes with exactly one document",
        ));
    }
    read_text(path, "body").map(Some)
}

/// Imports `files` in one transaction. `body`, the text of the source, may be given with
/// a single file: every excerpt must then occur in it, and their positions are stored.
pub async fn import_files(
    db: &DatabaseConnection,
    files: &[PathBuf],
    body: Option<&Path>,
) -> Result<ImportSummary, ImportError> {
    let body = read_body(files, body)?;
    let mut planned = Vec::with_capacity(files.len());
    let mut rejections = Vec::new();
    for file in files {
        match read_text(file, "file") {
            Ok(text) => match plan_text(file, &text, body.as_deref()) {
                Ok(plan) => planned.push(plan),
                Err(faults) => rejections.push(faults),
            },
            Err(rejection) => rejections.push(unreadable(rejection)),
        }
    }
    let summary = import_plans(db, planned, rejections).await?;
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
    let planned = documents
        .iter()
        .map(|document| {
            let (plan, found) = plan::plan(name, document, None);
            (plan, found, Unread::default())
        })
        .collect();
    import_plans(db, planned, Vec::new()).await
}

/// Checks each plan against the store and applies it, in one transaction, after the
/// documents before it: a later document may refer to what an earlier one declares.
/// `refused` holds the faults of documents that could not be read at all.
async fn import_plans(
    db: &DatabaseConnection,
    planned: Vec<Planned>,
    mut refused: Vec<Problems>,
) -> Result<ImportSummary, ImportError> {
    let txn = db.begin().await?;
    imports::lock(&txn).await?;
    let mut summary = ImportSummary::default();
    // Ids declared by refused documents: what refers to them is not refused again.
    let mut skip: HashSet<i64> = HashSet::new();
    for (mut plan, mut found, unread) in planned {
        skip.extend(&unread.ids);
        let (problems, seen) = checks::against_store(&txn, &plan, &skip).await?;
        found.extend(problems);
        plan.account.seen = seen;
        if !found.is_empty() || !unread.faults.is_empty() || !refused.is_empty() {
            skip.extend(plan.declared.iter().map(|declared| declared.id));
            let found = unread.in_file(found);
            if !found.is_empty() {
                refused.push(found);
            }
            continue;
        }
        let Plan {
            file,
            account,
            paths,
            counts,
            declared,
            parents,
            ..
        } = plan;
        let source = account.source.slug.clone();
        // Within a savepoint: when the database refuses what the document holds, the
        // document is rejected with the database's reason, and the others are still
        // checked.
        let savepoint = txn.begin().await?;
        let applied = match accounts::apply(&savepoint, account).await {
            Ok(applied) => {
                savepoint.commit().await?;
                applied
            }
            Err(error) => {
                let crate::db::Failure::Refused(refusal) = crate::db::failure(&error) else {
                    return Err(error.into());
                };
                let reason = format!("the database refused the document: {}", refusal.message());
                refused.push(unreadable(Rejection::new(&file, "$", reason)));
                savepoint.rollback().await?;
                skip.extend(declared.iter().map(|declared| declared.id));
                continue;
            }
        };
        let mut waiting = 0;
        let mut unresolved = Problems::default();
        unresolved.extend(
            applied
                .cycles
                .iter()
                .map(|cycle| plan::closing(&file, cycle, &paths, &parents)),
        );
        for subject in &applied.unresolved {
            match paths.get(&subject.subject) {
                Some(path) => unresolved.push(Rejection::new(
                    &file,
                    path,
                    format!("does not resolve: {}", subject.reason),
                )),
                None => waiting += 1,
            }
        }
        if !unresolved.is_empty() {
            refused.push(unresolved);
            continue;
        }
        summary.documents.push(DocumentSummary {
            file,
            source,
            import: applied.import,
            added: applied.added,
            kept: applied.kept,
            retracted: applied.retracted,
            counts,
            waiting,
        });
    }
    if !refused.is_empty() {
        // Dropping the transaction rolls it back.
        return Err(ImportError::Rejected(Report::of(refused)));
    }
    txn.commit().await?;
    Ok(summary)
}

/// Withdraws the source `slug`: every claim it makes is retracted, in one transaction.
/// `None` when no source has the slug.
pub async fn retract(
    db: &DatabaseConnection,
    slug: &str,
) -> Result<Option<accounts::Applied>, ImportError> {
    let txn = db.begin().await?;
    imports::lock(&txn).await?;
    let applied = accounts::retract(&txn, slug).await?;
    if let Some(cycle) = applied.iter().flat_map(|applied| &applied.cycles).next() {
        // Dropping the transaction rolls it back.
        return Err(ImportError::Withdrawal(format!(
            "withdrawing `{slug}` leaves parents to other sources, whose claims close a cycle of parents: {}",
            plan::cycle_of_parents(&cycle.slugs())
        )));
    }
    txn.commit().await?;
    crate::db::analyze(db).await?;
    Ok(applied)
}

/// A key that sorts JSON paths as a reader meets them: the document's sections in the
/// format's order, array elements by index, the fields of a record by name.
pub(crate) fn path_order(path: &str) -> Vec<(u8, u64, String)> {
    const SECTIONS: [&str; 6] = [
        "source",
        "actors",
        "affiliations",
        "places",
        "events",
        "proposals",
    ];
    let mut key = Vec::new();
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').unwrap_or(after.len());
            let index = after[..end].parse::<u64>().unwrap_or(u64::MAX);
            key.push((1, index, String::new()));
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            let after = rest.strip_prefix('.').unwrap_or(rest);
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = &after[..end];
            let section = if key.is_empty() {
                SECTIONS
                    .iter()
                    .position(|s| *s == name)
                    .map_or(u64::MAX, |i| i as u64)
            } else {
                0
            };
            key.push((0, section, name.to_owned()));
            rest = &after[end..];
        }
    }
    key
}

/// The JSON Schema of import documents, pretty-printed.
pub fn json_schema() -> String {
    // Every string is bounded, as `parse_document` checks.
    let settings = schemars::generate::SchemaSettings::default().with_transform(
        schemars::transform::RecursiveTransform(|schema: &mut schemars::Schema| {
            let is_string = match schema.get("type") {
                Some(Value::String(ty)) => ty == "string",
                Some(Value::Array(types)) => types.iter().any(|ty| ty == "string"),
                _ => false,
            };
            let fixed = schema.get("const").is_some() || schema.get("enum").is_some();
            if is_string && !fixed && schema.get("maxLength").is_none() {
                schema.insert("maxLength".to_owned(), MAX_TEXT.into());
            }
        }),
    );
    let schema = settings.into_generator().into_root_schema_for::<Document>();
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::path_order;

    #[test]
    fn paths_sort_as_a_reader_meets_them() {
        let mut paths = vec![
            "$.events[10].title",
            "$.proposals[0]",
            "$.events[2].time.at",
            "$.actors[1].name",
            "$.source.slug",
            "$.events[2].certainty",
        ];
        paths.sort_by_cached_key(|path| path_order(path));
        assert_eq!(
            paths,
            vec![
                "$.source.slug",
                "$.actors[1].name",
                "$.events[2].certainty",
                "$.events[2].time.at",
                "$.events[10].title",
                "$.proposals[0]",
            ]
        );
    }
}
