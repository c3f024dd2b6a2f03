//! Bounds on what a request's arguments and variables may hold, checked before it runs.
//!
//! Every string (search words, slugs, cursors, country codes, ids) is at most
//! [`MAX_STRING`] bytes and holds no control character but tab and line breaks; every
//! list at most [`MAX_LIST`] items. A value over a bound is `BAD_USER_INPUT` naming the
//! argument (or the variable) it was given as, before any database work; without these
//! bounds such values reached the database and came back as internal errors.

use async_graphql::Value;
use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use serde_json::Value as Json;

/// Longest string accepted in an argument or variable, in bytes.
pub const MAX_STRING: usize = 1_024;
/// Most items of a list argument or variable.
pub const MAX_LIST: usize = 100;

/// An argument or variable over a bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadInput {
    /// `field.argument` (with input fields after dots), or `$variable`.
    pub argument: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Checks the variables as the request gave them, before they are converted: a long
/// list is refused without being built twice.
pub fn check_variables(variables: &serde_json::Map<String, Json>) -> Result<(), BadInput> {
    variables
        .iter()
        .try_for_each(|(name, value)| value_within(value, &format!("${name}")))
}

/// Checks every argument written in `document`.
pub fn check_arguments(document: &ExecutableDocument) -> Result<(), BadInput> {
    for (_, operation) in document.operations.iter() {
        set_within(&operation.node.selection_set.node)?;
    }
    for fragment in document.fragments.values() {
        set_within(&fragment.node.selection_set.node)?;
    }
    Ok(())
}

fn set_within(set: &SelectionSet) -> Result<(), BadInput> {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                arguments_within(field)?;
                set_within(&field.selection_set.node)?;
            }
            Selection::InlineFragment(fragment) => {
                set_within(&fragment.node.selection_set.node)?;
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    Ok(())
}

fn arguments_within(field: &Field) -> Result<(), BadInput> {
    for (name, value) in &field.arguments {
        // Variables are checked as given; what is left is the document's own text.
        let literal = value
            .node
            .clone()
            .into_const_with(|_| Err::<Value, ()>(()))
            .ok()
            .and_then(|value| value.into_json().ok());
        if let Some(value) = literal {
            value_within(&value, &format!("{}.{}", field.name.node, name.node))?;
        }
    }
    Ok(())
}

/// Checks `value`, given as `argument`.
fn value_within(value: &Json, argument: &str) -> Result<(), BadInput> {
    let bad = |reason: String| BadInput {
        argument: argument.to_owned(),
        reason,
    };
    match value {
        Json::String(text) => {
            if text.len() > MAX_STRING {
                return Err(bad(format!(
                    "is {} bytes long; at most {MAX_STRING} are accepted",
                    text.len()
                )));
            }
            match crate::domain::control_character(text) {
                Some(reason) => Err(bad(reason)),
                None => Ok(()),
            }
        }
        Json::Array(items) => {
            if items.len() > MAX_LIST {
                return Err(bad(format!(
                    "has {} items; at most {MAX_LIST} are accepted",
                    items.len()
                )));
            }
            items
                .iter()
                .try_for_each(|item| value_within(item, argument))
        }
        Json::Object(fields) => fields
            .iter()
            .try_for_each(|(name, value)| value_within(value, &format!("{argument}.{name}"))),
        _ => Ok(()),
    }
}

pub use crate::domain::YEARS;

/// Checks that `time`, given as `argument`, lies within [`YEARS`].
pub fn time_within(
    argument: &'static str,
    time: &chrono::DateTime<chrono::Utc>,
) -> Result<(), crate::graphql::error::AppError> {
    use chrono::Datelike;
    if YEARS.contains(&time.year()) {
        return Ok(());
    }
    Err(crate::graphql::error::AppError::bad_input(
        argument,
        format!(
            "`{argument}` must lie between the years {} and {}, not {}",
            YEARS.start(),
            YEARS.end(),
            time.year()
        ),
    ))
}
