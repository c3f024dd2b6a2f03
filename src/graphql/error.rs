//! The one error type of the API, and the stable `extensions.code` each variant carries.
//!
//! Resolvers and services return [`AppError`]; `?` turns it into a GraphQL error with a
//! code. Internal causes (database errors above all) are logged where they are wrapped
//! and never shown to clients. `AppError` has no `Display` on purpose: async-graphql's
//! blanket conversion from any `Display` type would drop the code, so the only way to a
//! client is the `From` below.

use async_graphql::ErrorExtensions;

/// An error a client can be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// The record asked for does not exist.
    NotFound {
        message: String,
        argument: Option<&'static str>,
    },
    /// An argument is malformed or out of range.
    BadUserInput {
        message: String,
        argument: Option<&'static str>,
    },
    /// The database cannot be reached now (no connection within the pool's wait, or
    /// the connection failed); the cause was logged. Clients may retry.
    Unavailable,
    /// The request ran out of time and the database cancelled its statement.
    Timeout,
    /// Something failed on our side; the cause was logged.
    Internal,
}

impl AppError {
    /// A record named by `argument` was not found.
    pub fn not_found(argument: &'static str, message: impl Into<String>) -> Self {
        AppError::NotFound {
            message: message.into(),
            argument: Some(argument),
        }
    }

    /// `argument` is not acceptable.
    pub fn bad_input(argument: &'static str, message: impl Into<String>) -> Self {
        AppError::BadUserInput {
            message: message.into(),
            argument: Some(argument),
        }
    }

    /// Logs `cause` and returns the masked error a client sees.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error while resolving a request");
        AppError::Internal
    }

    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { .. } => "NOT_FOUND",
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::Unavailable => "SERVICE_UNAVAILABLE",
            AppError::Timeout => "TIMEOUT",
            AppError::Internal => "INTERNAL",
        }
    }

    /// What the client is told.
    pub fn message(&self) -> &str {
        match self {
            AppError::NotFound { message, .. } | AppError::BadUserInput { message, .. } => message,
            AppError::Unavailable => "the database cannot be reached now; try again shortly",
            AppError::Timeout => "the request took too long and was cancelled",
            AppError::Internal => "internal error; it has been logged",
        }
    }

    fn argument(&self) -> Option<&'static str> {
        match self {
            AppError::NotFound { argument, .. } | AppError::BadUserInput { argument, .. } => {
                *argument
            }
            AppError::Unavailable | AppError::Timeout | AppError::Internal => None,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(cause: sea_orm::DbErr) -> Self {
        use crate::db::Failure;
        match crate::db::failure(&cause) {
            Failure::Unavailable => {
                tracing::warn!(%cause, "database unavailable");
                AppError::Unavailable
            }
            Failure::Cancelled => {
                tracing::warn!(%cause, "statement cancelled at its timeout");
                AppError::Timeout
            }
            Failure::Refused(_) | Failure::Other => AppError::internal(cause),
        }
    }
}

impl AppError {
    /// The error a field raised without a code stands for, from its message: a
    /// database error that reached a resolver's `?` unwrapped carries only its text.
    /// Logs it; the client sees the masked error.
    pub fn from_uncoded(message: &str) -> Self {
        const UNAVAILABLE: [&str; 6] = [
            "Failed to acquire connection from pool",
            "Connection Error:",
            "error communicating with database",
            "pool timed out while waiting for an open connection",
            "attempted to acquire a connection on a closed pool",
            "crashed background worker",
        ];
        const CANCELLED: [&str; 2] = [
            "canceling statement due to statement timeout",
            "interrupted",
        ];
        if UNAVAILABLE.iter().any(|text| message.contains(text)) {
            tracing::warn!(cause = %message, "database unavailable");
            AppError::Unavailable
        } else if CANCELLED.iter().any(|text| message.contains(text)) {
            tracing::warn!(cause = %message, "statement cancelled at its timeout");
            AppError::Timeout
        } else {
            AppError::internal(message)
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        async_graphql::Error::new(error.message()).extend_with(|_, extensions| {
            extensions.set("code", error.code());
            if let Some(argument) = error.argument() {
                extensions.set("argument", argument);
            }
        })
    }
}
