//! Why an import was refused: the file, the JSON path within it and the reason.

use std::fmt;
use std::path::PathBuf;

/// An import failure. Nothing is written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The documents, or the body, are not acceptable: every fault found.
    #[error("{}", list(.0))]
    Rejected(Vec<Rejection>),
    /// A withdrawal would let other sources' claims make what the store refuses (a
    /// cycle of place parents): nothing was withdrawn.
    #[error("{0}")]
    Withdrawal(String),
    /// The database failed while writing; the transaction was rolled back.
    #[error("database error while importing: {0}")]
    Database(#[from] sea_orm::DbErr),
}

/// One reason a document was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Rejection {
    /// The file the document came from.
    pub file: PathBuf,
    /// JSON path of the offending value, such as `$.events[2].time.at`; `$` for the document.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file.display(), self.path, self.reason)
    }
}

impl From<Rejection> for ImportError {
    fn from(rejection: Rejection) -> Self {
        ImportError::Rejected(vec![rejection])
    }
}

fn list(rejections: &[Rejection]) -> String {
    let lines: Vec<String> = rejections.iter().map(Rejection::to_string).collect();
    lines.join("\n")
}

impl Rejection {
    /// A rejection of `file` at `path`.
    pub fn new(
        file: impl Into<PathBuf>,
        path: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            path: path.into(),
            reason: reason.into(),
        }
    }
}
