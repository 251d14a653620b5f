use std::path::PathBuf;

use trustdesk_domain::DecisionError;

/// Errors of the local store. `code()` is what crosses IPC.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error(transparent)]
    Decision(#[from] DecisionError),
    #[error("cannot undo: {0}")]
    NotUndoable(String),
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

impl StoreError {
    /// Stable code for callers that branch on the kind of failure.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound(_) => "not_found",
            StoreError::Decision(_) => "invalid_decision",
            StoreError::NotUndoable(_) => "not_undoable",
            StoreError::Io(..)
            | StoreError::Database(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_) => "storage",
        }
    }
}
