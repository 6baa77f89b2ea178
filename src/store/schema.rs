//! The versioned schema: checks a file before anything is written, then migrates it.
//!
//! The version lives in `PRAGMA user_version` (0 = empty file); `PRAGMA application_id` marks
//! the file as bgpwatch's so an SQLite database of another program is refused, not extended.
//! Each migration runs in one transaction together with the version bump: a crash leaves the
//! file at the old version or the new one, never in between.

use super::error::{Context, StoreError};
use rusqlite::Connection;
use std::path::Path;

/// `PRAGMA application_id` of a bgpwatch alert database (`bgpw` in ASCII).
pub const APPLICATION_ID: i32 = 0x6267_7077;

/// Migration `i` (0-based) takes the schema from version `i` to `i + 1`. Append only: never
/// edit a migration that has shipped.
const MIGRATIONS: &[&str] = &[MIGRATION_1, MIGRATION_2];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Times are UNIX microseconds (UTC) in INTEGER columns; prefixes are text (`198.51.100.0/24`).
const MIGRATION_1: &str = "
CREATE TABLE alerts (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    alert_key      TEXT NOT NULL,
    severity       TEXT NOT NULL,
    prefix         TEXT,
    watched_prefix TEXT,
    offender       INTEGER,
    group_name     TEXT,
    state          TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
    last_event     TEXT NOT NULL CHECK (last_event IN ('open', 'update', 'resolved')),
    event_json     TEXT NOT NULL,
    opened_at      INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    resolved_at    INTEGER
) STRICT;
CREATE INDEX alerts_by_state ON alerts (state, updated_at);
CREATE INDEX alerts_by_update ON alerts (updated_at);

CREATE TABLE incidents (
    id             TEXT PRIMARY KEY,
    incident_key   TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
    first_alert_at INTEGER NOT NULL,
    last_alert_at  INTEGER NOT NULL,
    resolved_at    INTEGER
) STRICT;
CREATE INDEX incidents_open ON incidents (incident_key, last_alert_at) WHERE state = 'open';
CREATE TABLE incident_alerts (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    alert_id    TEXT NOT NULL,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (incident_id, alert_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX incident_alerts_by_alert ON incident_alerts (alert_id);

CREATE TABLE acks (
    alert_id TEXT PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
    acked_by TEXT NOT NULL,
    comment  TEXT NOT NULL,
    acked_at INTEGER NOT NULL
) STRICT;

CREATE TABLE silences (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT,
    prefix     TEXT,
    group_name TEXT,
    offender   INTEGER,
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    comment    TEXT NOT NULL,
    expired_at INTEGER,
    CHECK (ends_at > starts_at),
    CHECK (kind IS NOT NULL OR prefix IS NOT NULL OR group_name IS NOT NULL
           OR offender IS NOT NULL)
) STRICT;
CREATE INDEX silences_by_end ON silences (ends_at);

CREATE TABLE maintenance (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    prefix     TEXT NOT NULL,
    new_origin INTEGER NOT NULL,
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    comment    TEXT NOT NULL,
    CHECK (ends_at > starts_at)
) STRICT;
CREATE INDEX maintenance_by_end ON maintenance (ends_at);

CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    sink            TEXT NOT NULL,
    alert_id        TEXT NOT NULL REFERENCES alerts (id),
    event           TEXT NOT NULL CHECK (event IN ('open', 'update', 'resolved')),
    event_json      TEXT NOT NULL,
    enqueued_at     INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'abandoned')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    finished_at     INTEGER
) STRICT;
CREATE INDEX outbox_pending ON outbox (alert_id, sink, seq) WHERE status = 'pending';
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_by_alert ON outbox (alert_id, sink, event);
";

/// Version 2: acknowledgements travel through the outbox (PagerDuty `acknowledge`), and an
/// alert remembers whether its `open` was routed to sinks or is held back by a silence or a
/// maintenance window (`held` says which); a held alert is routed when the hold ends. SQLite
/// cannot change a CHECK constraint in place, so the outbox is copied into a new table.
const MIGRATION_2: &str = "
CREATE TABLE outbox_v2 (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    sink            TEXT NOT NULL,
    alert_id        TEXT NOT NULL REFERENCES alerts (id),
    event           TEXT NOT NULL
                    CHECK (event IN ('open', 'update', 'resolved', 'acknowledge')),
    event_json      TEXT NOT NULL,
    enqueued_at     INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'abandoned')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    finished_at     INTEGER
) STRICT;
INSERT INTO outbox_v2 SELECT * FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (alert_id, sink, seq) WHERE status = 'pending';
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_by_alert ON outbox (alert_id, sink, event);
ALTER TABLE alerts ADD COLUMN routed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN held TEXT;
";

/// What [`inspect`] found in a file, read without writing anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileState {
    /// `PRAGMA user_version`.
    pub version: i64,
}

/// Reads the file's identity, version and health inside the caller's transaction; writes
/// nothing. Refuses a damaged file, another program's database and a newer schema.
pub fn inspect(conn: &Connection, path: &Path) -> Result<FileState, StoreError> {
    let problems = quick_check(conn, path)?;
    if !problems.is_empty() {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("integrity check: {}", problems.join("; ")),
        });
    }
    let app_id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .ctx(path, "read the application id")?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .ctx(path, "read the schema version")?;
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .ctx(path, "list the schema")?;
    let empty = app_id == 0 && version == 0 && objects == 0;
    if app_id != APPLICATION_ID && !empty {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
            application_id: app_id,
        });
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(FileState { version })
}

/// `PRAGMA quick_check`: empty when the file is sound, else SQLite's findings (at most 10).
fn quick_check(conn: &Connection, path: &Path) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    conn.pragma(None, "quick_check", 10, |row| {
        let text: String = row.get(0)?;
        if text != "ok" {
            // One finding can span lines; keep the message on one line.
            problems.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from),
            );
        }
        Ok(())
    })
    .ctx(path, "check the database integrity")?;
    Ok(problems)
}

/// Brings the schema from `from` to [`SCHEMA_VERSION`], one transaction per migration.
pub fn migrate(conn: &mut Connection, path: &Path, from: i64) -> Result<(), StoreError> {
    migrate_to(conn, path, from, SCHEMA_VERSION)
}

/// Runs the migrations from version `from` up to `to` (tests build old files with it).
pub fn migrate_to(
    conn: &mut Connection,
    path: &Path,
    from: i64,
    to: i64,
) -> Result<(), StoreError> {
    let steps = MIGRATIONS.iter().enumerate().take(to.max(0) as usize);
    for (index, sql) in steps.skip(from.max(0) as usize) {
        let to = index as i64 + 1;
        let tx = conn.transaction().ctx(path, "begin a schema migration")?;
        tx.execute_batch(sql).ctx(path, "migrate the schema")?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .ctx(path, "mark the file as bgpwatch's")?;
        tx.pragma_update(None, "user_version", to)
            .ctx(path, "record the schema version")?;
        tx.commit().ctx(path, "commit a schema migration")?;
    }
    Ok(())
}
