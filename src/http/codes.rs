//! A stable `extensions.code` on every error, also on those async-graphql raises itself.
//!
//! Resolver errors carry their code already ([`crate::graphql::error::AppError`]), and so
//! do the refusals of [`crate::graphql::cost`]. The others are known by the stage that
//! raised them and, within validation, by
//! async-graphql's fixed messages (a test per code keeps them honest):
//!
//! | code | raised by |
//! |---|---|
//! | `GRAPHQL_PARSE_FAILED` | a document that does not parse |
//! | `GRAPHQL_VALIDATION_FAILED` | a document the schema does not allow |
//! | `OPERATION_RESOLUTION_FAILURE` | an unknown or missing operation name |
//! | `BAD_USER_INPUT` | a variable's value of the wrong type, a bad argument, a literal of another kind for a scalar |
//! | `SERVICE_UNAVAILABLE`, `TIMEOUT` | a database error text: unreachable, or cancelled |
//! | `INTERNAL` | anything else a field raised (its text is logged, not sent) |
//!
//! [`bound`] then keeps the errors of one response few and short.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Pos, ServerError};

/// An error with `code`, at `positions` in the document.
pub fn error(code: &str, message: impl Into<String>, positions: &[Pos]) -> ServerError {
    let mut error = ServerError::new(message, None);
    error.locations = positions.to_vec();
    error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", code);
    error
}

/// The error of a document that does not parse: one line, with its location.
pub fn parse_error(error: &async_graphql::parser::Error) -> ServerError {
    let positions: Vec<Pos> = error.positions().collect();
    let reason = match error {
        async_graphql::parser::Error::Syntax { message, .. } => {
            // The parser's message is a diagram; its last line says what was expected.
            let expected = message
                .lines()
                .rev()
                .find_map(|line| line.trim().strip_prefix("= "))
                .unwrap_or("unexpected input");
            format!("syntax error: {expected}")
        }
        other => other.to_string(),
    };
    let message = match positions.first() {
        Some(pos) => format!("{reason} at line {}, column {}", pos.line, pos.column),
        None => reason,
    };
    self::error("GRAPHQL_PARSE_FAILED", message, &positions)
}

/// Most errors in one response; the rest are counted in a last one.
pub const MAX_ERRORS: usize = 20;
/// Longest error message, in bytes: a message quoting a long name or value is cut.
pub const MAX_MESSAGE: usize = 512;

/// Keeps a response's errors within [`MAX_ERRORS`] and each message within
/// [`MAX_MESSAGE`], so that a request cannot make the answer much larger than itself.
pub fn bound(errors: &mut Vec<ServerError>) {
    if errors.len() > MAX_ERRORS {
        let left_out = errors.len() - (MAX_ERRORS - 1);
        errors.truncate(MAX_ERRORS - 1);
        errors.push(error(
            "TOO_MANY_ERRORS",
            format!("{left_out} more errors were left out"),
            &[],
        ));
    }
    for error in errors {
        if error.message.len() > MAX_MESSAGE {
            let mut end = MAX_MESSAGE;
            while !error.message.is_char_boundary(end) {
                end -= 1;
            }
            error.message.truncate(end);
            error.message.push('…');
        }
    }
}

/// Gives `error` its code when it has none. `before_execution`: the request failed
/// before any field ran (validation or operation selection).
pub fn classify(error: &mut ServerError, document: &ExecutableDocument, before_execution: bool) {
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_some() {
        return;
    }
    let message = error.message.as_str();
    let code = if before_execution {
        if message.starts_with("Unknown operation named")
            || message == "Operation name required in request."
        {
            "OPERATION_RESOLUTION_FAILURE"
        } else if message.starts_with("Invalid value for argument")
            && error
                .locations
                .first()
                .is_some_and(|pos| argument_reads_variable(document, *pos))
        {
            "BAD_USER_INPUT"
        } else {
            "GRAPHQL_VALIDATION_FAILED"
        }
    } else if message.starts_with("Failed to parse")
        || message.starts_with("Invalid value")
        // A literal of another kind for a scalar of ours (`asOf: t`), which validation
        // leaves to the scalar.
        || message.starts_with("Expected input type")
    {
        "BAD_USER_INPUT"
    } else {
        let masked = crate::graphql::error::AppError::from_uncoded(message);
        extensions.set("code", masked.code());
        error.message = masked.message().to_owned();
        return;
    };
    extensions.set("code", code);
}

/// Whether the argument named at `pos` takes its value, or part of it, from a variable:
/// then a wrong value is the request's input, not the document's.
fn argument_reads_variable(document: &ExecutableDocument, pos: Pos) -> bool {
    let sets = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| &fragment.node.selection_set.node),
        );
    sets.into_iter().any(|set| set_reads_variable(set, pos))
}

fn set_reads_variable(set: &SelectionSet, pos: Pos) -> bool {
    set.items.iter().any(|selection| match &selection.node {
        Selection::Field(field) => {
            field
                .node
                .arguments
                .iter()
                // A value that holds a variable has no constant form.
                .any(|(name, value)| name.pos == pos && value.node.clone().into_const().is_none())
                || set_reads_variable(&field.node.selection_set.node, pos)
        }
        Selection::InlineFragment(fragment) => {
            set_reads_variable(&fragment.node.selection_set.node, pos)
        }
        Selection::FragmentSpread(_) => false,
    })
}
