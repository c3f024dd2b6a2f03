//! Why an import was refused: the file, the JSON path within it and the reason, and a
//! report of them that stays short however many a document has.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;
use std::path::PathBuf;

use super::path_order;

/// An import failure. Nothing is written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The documents, or the body, are not acceptable: the first faults found, and
    /// how many there are.
    #[error("{0}")]
    Rejected(Report),
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
        let mut problems = Problems::default();
        problems.push(rejection);
        ImportError::Rejected(Report::of([problems]))
    }
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

/// Most problems a report shows; the others are only counted. A document with tens of
/// thousands of faulty records otherwise printed hundreds of thousands of lines, and
/// kept every message in memory to sort them.
pub const MAX_REPORTED: usize = 100;

/// The problems of a run: the first [`MAX_REPORTED`], documents in the order given,
/// each document's in the order a reader meets them, and how many were found in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The problems shown.
    pub shown: Vec<Rejection>,
    /// How many problems were found, those shown included.
    pub total: usize,
}

impl Report {
    /// The report of documents' problems, in the order given.
    pub(super) fn of(documents: impl IntoIterator<Item = Problems>) -> Self {
        let mut report = Report::default();
        for problems in documents {
            report.total += problems.total;
            let room = MAX_REPORTED - report.shown.len();
            report
                .shown
                .extend(problems.into_sorted().into_iter().take(room));
        }
        report
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rejection) in self.shown.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{rejection}")?;
        }
        let more = self.total - self.shown.len();
        if more > 0 {
            write!(
                f,
                "\n… and {} more problems ({} in all)",
                thousands(more),
                thousands(self.total)
            )?;
        }
        Ok(())
    }
}

/// `n` with a comma between groups of three digits: 188,716.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The problems of one document as they are found: the first [`MAX_REPORTED`] in the
/// order a reader meets them, and a count of every one. Only those kept hold their
/// message, so memory stays bounded however many there are.
#[derive(Debug, Default)]
pub(super) struct Problems {
    /// The kept problems, the last in reading order on top, to give way to an earlier.
    kept: BinaryHeap<Keyed>,
    total: usize,
    /// How many problems were offered to `kept`, which numbers them in that order.
    offered: usize,
}

/// A problem with where a reader meets it; among equal paths, the one found first
/// comes first.
#[derive(Debug)]
struct Keyed {
    key: Vec<(u8, u64, String)>,
    found: usize,
    rejection: Rejection,
}

impl Ord for Keyed {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.key, self.found).cmp(&(&other.key, other.found))
    }
}

impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Keyed {}

impl Problems {
    /// Counts `rejection`, and keeps it while it is among the first.
    pub fn push(&mut self, rejection: Rejection) {
        self.total += 1;
        self.keep(rejection);
    }

    /// Keeps `rejection`, counted already, while it is among the first.
    fn keep(&mut self, rejection: Rejection) {
        self.offered += 1;
        let keyed = Keyed {
            key: path_order(&rejection.path),
            found: self.offered,
            rejection,
        };
        if self.kept.len() < MAX_REPORTED {
            self.kept.push(keyed);
        } else if self.kept.peek().is_some_and(|last| keyed < *last) {
            self.kept.pop();
            self.kept.push(keyed);
        }
    }

    /// Counts and keeps the problems of `other`, of the same document, too.
    pub fn absorb(&mut self, other: Problems) {
        self.total += other.total;
        for keyed in other.kept.into_sorted_vec() {
            self.keep(keyed.rejection);
        }
    }

    /// Rewrites the path of every kept problem with `path_in_file`, which must keep
    /// the order of paths (those of records read in part, as paths in the file).
    pub fn rewrite_paths(&mut self, path_in_file: impl Fn(&str) -> String) {
        let kept = std::mem::take(&mut self.kept).into_sorted_vec();
        for mut keyed in kept {
            keyed.rejection.path = path_in_file(&keyed.rejection.path);
            keyed.key = path_order(&keyed.rejection.path);
            self.kept.push(keyed);
        }
    }

    /// Whether none was found.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The kept problems, in reading order.
    pub fn into_sorted(self) -> Vec<Rejection> {
        self.kept
            .into_sorted_vec()
            .into_iter()
            .map(|keyed| keyed.rejection)
            .collect()
    }
}

impl Extend<Rejection> for Problems {
    fn extend<I: IntoIterator<Item = Rejection>>(&mut self, rejections: I) {
        for rejection in rejections {
            self.push(rejection);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn counts_are_written_in_groups_of_three_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(100), "100");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(188_716), "188,716");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
