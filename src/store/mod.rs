//! Alert state that survives a restart, in one SQLite file (`state` in the config): open alerts,
//! incidents, acknowledgements, silences, maintenance windows and the notification outbox.
//!
//! The contract with the rest of bgpwatch:
//! - an alert event and its notifications are written in one transaction
//!   ([`Store::record_and_enqueue`]): after a crash either both exist or neither does;
//! - sinks deliver from the outbox ([`Store::due`]) and mark each item [`Store::delivered`] or
//!   [`Store::failed`]; an item stays due until delivered, so delivery is at least once, and an
//!   `open` or `resolved` is enqueued at most once per alert and sink, so a restart does not
//!   page twice for what was already enqueued;
//! - the file is checked before anything is written: a file that is not a database, a damaged
//!   one, another program's database, a newer schema or a file another process holds is refused
//!   with a [`StoreError`] naming it, and is never recreated or overwritten.
//!
//! Durability ([`Durability`], config key `state_sync`): WAL, and either `synchronous = NORMAL`
//! (the service's default: a commit survives `kill -9`, a crash of bgpwatch, but the last
//! commits may roll back if the machine loses power, so an alert recorded in the last moments
//! may be detected and paged again after the reboot, and a lost `delivered` mark re-sends) or
//! `synchronous = FULL` (a commit is on disk when the call returns, at the price of one fsync
//! before each alert reaches its sinks: 2.6 ms p50 / 12.6 ms p99 alert latency on this
//! project's test machine against 0.7 / 3.6 ms without the fsync). Bursts go in one transaction
//! ([`Store::record_and_enqueue_batch`]) either way.
//!
//! One process at a time: the connection runs in `locking_mode = EXCLUSIVE` and holds the lock
//! from [`Store::open`] until the [`Store`] is dropped. The store is synchronous; callers in
//! async code wrap it in a mutex and call it from `spawn_blocking` (a commit waits for fsync).

mod acks;
mod alerts;
mod decode;
mod error;
mod incidents;
mod maintenance;
mod outbox;
mod prune;
mod routing;
mod schema;
mod shared;
mod silences;

pub use alerts::{AlertFilter, AlertState};
pub use error::StoreError;
pub use incidents::{Incident, IncidentChange};
pub use maintenance::{Maintenance, NewMaintenance};
pub use outbox::{retry_delay, Notice, OutboxItem, RETRY_DELAY_MAX, RETRY_DELAY_MIN};
pub use prune::Pruned;
pub use routing::{HeldAlert, Route};
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use shared::SharedStore;
pub use silences::{NewSilence, Silence};
pub use {acks::Ack, alerts::StoredAlert};

use crate::update::Timestamp;
use error::Context;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long [`Store::open`] waits for another holder of the file to let go before it reports
/// [`StoreError::Locked`].
pub const LOCK_WAIT: Duration = Duration::from_secs(1);

/// What a commit survives (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous = NORMAL`: a crash of the process, not a power loss.
    #[default]
    Normal,
    /// `synchronous = FULL`: power loss too; one fsync per commit.
    Full,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}

/// The alert database. Dropping it releases the file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (or creates) the database at `path`, takes the exclusive lock, checks the file and
    /// migrates its schema to [`SCHEMA_VERSION`]; commits are [`Durability::Full`].
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Store::open_with(path, Durability::Full)
    }

    /// [`Store::open`] with commits as durable as `durability` says.
    pub fn open_with(path: impl AsRef<Path>, durability: Durability) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn =
            Connection::open_with_flags(&path, flags).map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        conn.busy_timeout(LOCK_WAIT)
            .ctx(&path, "set the busy timeout")?;
        // Until the file has passed inspection, closing must not checkpoint a leftover WAL
        // into it: a refused file stays exactly as it was found. (Without a leftover WAL the
        // checkpoint on close has nothing to write and removes the WAL it opened.)
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        if Path::new(&wal).exists() {
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
                .ctx(&path, "disable checkpoint on close")?;
        }
        // Before the first read, so that read already takes the lock and keeps it.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
            .ctx(&path, "set the exclusive locking mode")?;
        let found = {
            // BEGIN EXCLUSIVE locks the file without writing; the checks below only read.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)
                .ctx(&path, "lock the database")?;
            let found = schema::inspect(&tx, &path)?;
            tx.commit()
                .ctx(&path, "release the inspection transaction")?;
            found
        };
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)
            .ctx(&path, "enable checkpoint on close")?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .ctx(&path, "switch to WAL")?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal { path, mode });
        }
        conn.pragma_update(None, "synchronous", durability.pragma())
            .ctx(&path, "set synchronous")?;
        Store::finish(conn, path, found.version)
    }

    /// A private in-memory database (tests, `--dry-run` style runs); gone when dropped.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        Store::finish(conn, path, 0)
    }

    fn finish(mut conn: Connection, path: PathBuf, version: i64) -> Result<Store, StoreError> {
        conn.pragma_update(None, "foreign_keys", true)
            .ctx(&path, "enable foreign keys")?;
        schema::migrate(&mut conn, &path, version)?;
        Ok(Store { conn, path })
    }

    /// The database file (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What a commit survives, as the connection is set (`PRAGMA synchronous`); `None` for a
    /// level bgpwatch never sets (OFF, EXTRA).
    pub fn durability(&self) -> Result<Option<Durability>, StoreError> {
        let level: i64 = self
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .ctx(&self.path, "read the synchronous level")?;
        Ok(match level {
            1 => Some(Durability::Normal),
            2 => Some(Durability::Full),
            _ => None,
        })
    }

    /// The schema version in the file (always [`SCHEMA_VERSION`] once opened).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .ctx(&self.path, "read the schema version")
    }
}

/// A time as stored: UNIX microseconds.
fn micros(time: Timestamp) -> i64 {
    time.timestamp_micros()
}

/// A stored time back; `what` names the column for the error.
fn from_micros(path: &Path, what: &str, value: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_timestamp_micros(value).ok_or_else(|| StoreError::Decode {
        path: path.to_path_buf(),
        what: what.to_string(),
        detail: format!("{value} is not a time"),
    })
}

/// An optional stored time back.
fn from_micros_opt(
    path: &Path,
    what: &str,
    value: Option<i64>,
) -> Result<Option<Timestamp>, StoreError> {
    value.map(|v| from_micros(path, what, v)).transpose()
}

#[cfg(test)]
#[path = "test_events.rs"]
pub(crate) mod test_events;

#[cfg(test)]
#[path = "open_tests.rs"]
mod open_tests;

#[cfg(test)]
#[path = "alerts_tests.rs"]
mod alerts_tests;

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod outbox_tests;

#[cfg(test)]
#[path = "silences_tests.rs"]
mod silences_tests;
