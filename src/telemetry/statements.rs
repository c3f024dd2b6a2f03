//! Each SQL statement a connection runs: counted for the request that ran it, and a span
//! of its own when tracing is on.
//!
//! sea-orm calls a connection's metric callback right after each statement, inside the
//! future that ran it, so a task-local scoped around a request ([`counted`]) sees exactly
//! that request's statements: the loaders run their batches on the request's own task.

use std::cell::Cell;
use std::time::SystemTime;

use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer as _};
use opentelemetry::{Context, KeyValue};
use sea_orm::{DatabaseBackend, DatabaseConnection};

use super::traces;

tokio::task_local! {
    static STATEMENTS: Cell<u32>;
}

/// The longest SQL text a span carries, in bytes.
const MAX_STATEMENT_TEXT: usize = 2048;

/// Makes `db` (and its later clones) report every statement it runs. A clone that sets a
/// metric callback of its own replaces this one, and its statements are neither counted
/// nor traced.
pub fn instrument(db: &mut DatabaseConnection) {
    let system = match db.get_database_backend() {
        DatabaseBackend::Postgres => "postgresql",
        DatabaseBackend::Sqlite => "sqlite",
        DatabaseBackend::MySql => "mysql",
        _ => "other_sql",
    };
    db.set_metric_callback(move |info| {
        let _ = STATEMENTS.try_with(|count| count.set(count.get().saturating_add(1)));
        if let Some(tracer) = traces::tracer() {
            trace(tracer, system, info);
        }
    });
}

/// Runs `future`, counting the statements it runs; returns its output and the count.
pub async fn counted<F: Future>(future: F) -> (F::Output, u32) {
    STATEMENTS
        .scope(Cell::new(0), async {
            let output = future.await;
            (output, STATEMENTS.with(Cell::get))
        })
        .await
}

/// A client span for the statement of `info`, which has just finished, under the current
/// span (a loader batch, or the request). Statements outside any span (migrations, the
/// seed import at start) make none: as root spans they would be noise.
fn trace(
    tracer: &opentelemetry_sdk::trace::SdkTracer,
    system: &'static str,
    info: &sea_orm::metric::Info<'_>,
) {
    let parent = Context::current();
    if !parent.span().span_context().is_valid() {
        return;
    }
    let end = SystemTime::now();
    let start = end.checked_sub(info.elapsed).unwrap_or(end);
    let sql = info.statement.sql.as_str();
    let mut span = tracer
        .span_builder(operation(sql))
        .with_kind(SpanKind::Client)
        .with_start_time(start)
        .with_attributes([
            KeyValue::new("db.system", system),
            KeyValue::new("db.statement", truncate(sql, MAX_STATEMENT_TEXT).to_owned()),
        ])
        .start_with_context(tracer, &parent);
    if info.failed {
        span.set_status(Status::error("the statement failed"));
    }
    span.end_with_timestamp(end);
}

/// The span name for `sql`: its leading keyword.
fn operation(sql: &str) -> &'static str {
    let keyword = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    [
        "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "BEGIN", "COMMIT", "ROLLBACK", "CREATE",
        "ALTER", "DROP", "ANALYZE", "PRAGMA",
    ]
    .into_iter()
    .find(|known| known.eq_ignore_ascii_case(keyword))
    .unwrap_or("SQL")
}

/// `text` cut to at most `max` bytes, on a character boundary.
pub(super) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::{operation, truncate};

    #[test]
    fn operation_is_the_leading_keyword() {
        assert_eq!(operation("  select * from actors"), "SELECT");
        assert_eq!(operation("INSERT INTO x VALUES (1)"), "INSERT");
        assert_eq!(operation("WITH t AS (SELECT 1) SELECT * FROM t"), "WITH");
        assert_eq!(operation("VACUUM"), "SQL");
        assert_eq!(operation(""), "SQL");
    }

    #[test]
    fn truncate_stops_on_a_character_boundary() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdef", 3), "abc");
        assert_eq!(truncate("aé", 2), "a");
    }
}
