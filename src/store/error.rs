//! What can go wrong with the alert database, each failure naming the file.

use crate::update::Timestamp;
use rusqlite::ErrorCode;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A failure of the alert database. Every variant names the database file (`:memory:` for an
/// in-memory store) and says what was being done.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The file could not be opened or created (missing directory, permissions).
    #[error("cannot open alert database {}: {source}", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file exists but is not an SQLite database. It is left untouched.
    #[error(
        "{} is not an SQLite database (is `state` pointing at the wrong file?); bgpwatch leaves \
         it untouched: move it away or set `state` to another path",
        path.display()
    )]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// The database is damaged (truncated, failed the integrity check). It is left untouched.
    #[error(
        "alert database {} is corrupt ({detail}); bgpwatch will not use or recreate it: restore \
         a backup or move it away (alert history, acks and silences are in it)",
        path.display()
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite found wrong.
        detail: String,
    },
    /// An SQLite database of another program (foreign application id, or tables without one).
    #[error(
        "{} is an SQLite database of another program (application id {application_id:#x}, \
         bgpwatch's is {:#x}); bgpwatch leaves it untouched: set `state` to another path",
        path.display(),
        super::APPLICATION_ID
    )]
    Foreign {
        /// The file.
        path: PathBuf,
        /// Its `PRAGMA application_id`.
        application_id: i32,
    },
    /// Another process holds the database (bgpwatch keeps an exclusive lock while it runs).
    #[error(
        "alert database {} is locked by another process: is another bgpwatch running with the \
         same `state` file?",
        path.display()
    )]
    Locked {
        /// The database file.
        path: PathBuf,
    },
    /// The database was written by a newer bgpwatch with a schema this one does not know.
    #[error(
        "alert database {} has schema version {found}, newer than the {supported} this bgpwatch \
         knows: run the newer bgpwatch, or set `state` to another path",
        path.display()
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The version found in the file.
        found: i64,
        /// The newest version this build can migrate to.
        supported: i64,
    },
    /// SQLite would not put the file in WAL mode.
    #[error(
        "alert database {}: SQLite kept journal mode {mode:?} instead of WAL (a read-only or \
         unusual filesystem?)",
        path.display()
    )]
    NoWal {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite reported.
        mode: String,
    },
    /// Any other SQLite failure (disk full, I/O error) while doing `action`.
    #[error("alert database {}: {action} failed: {source}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What was being done (`record an alert event`, ...).
        action: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A stored row could not be turned back into its type.
    #[error("alert database {}: stored {what} is unreadable: {detail}", path.display())]
    Decode {
        /// The database file.
        path: PathBuf,
        /// Which row (`event JSON of alert 1a2b...`).
        what: String,
        /// Why.
        detail: String,
    },
    /// An alert event could not be encoded as JSON.
    #[error("alert database {}: cannot encode event of alert {id}: {source}", path.display())]
    Encode {
        /// The database file.
        path: PathBuf,
        /// The alert.
        id: String,
        /// The encoder's error.
        source: serde_json::Error,
    },
    /// A silence or maintenance window that ends before it starts.
    #[error("a window must end after it starts (starts {starts}, ends {ends})")]
    EmptyWindow {
        /// Start of the window.
        starts: Timestamp,
        /// End of the window.
        ends: Timestamp,
    },
    /// A store call on the blocking pool panicked or was cancelled.
    #[error("alert database {}: a store call failed: {detail}", path.display())]
    Task {
        /// The database file.
        path: PathBuf,
        /// The panic or cancellation.
        detail: String,
    },
    /// A silence without any matcher would silence every alert.
    #[error("a silence needs at least one matcher (kind, prefix, group or offender)")]
    SilenceMatchesAll,
}

impl StoreError {
    /// Classifies a SQLite error: a damaged, foreign or locked file gets its own variant, the
    /// rest is [`StoreError::Sqlite`] with `action`.
    pub(crate) fn from_sqlite(path: &Path, action: &'static str, source: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        match source.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path,
                detail: source.to_string(),
            },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Locked { path }
            }
            _ => StoreError::Sqlite {
                path,
                action,
                source,
            },
        }
    }
}

/// Attaches the database path and the action to a rusqlite result.
pub(crate) trait Context<T> {
    /// Maps the error with [`StoreError::from_sqlite`].
    fn ctx(self, path: &Path, action: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn ctx(self, path: &Path, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::from_sqlite(path, action, e))
    }
}
