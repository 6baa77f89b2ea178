//! Acknowledgements: someone has seen an alert and is on it.

use super::error::Context;
use super::{from_micros, micros, Store, StoreError};
use crate::update::Timestamp;
use rusqlite::{params, OptionalExtension, Row};
use std::path::Path;

/// An acknowledgement of one alert. A later ack of the same alert replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The alert.
    pub alert_id: String,
    /// Who acknowledged it (free text from the API caller).
    pub by: String,
    /// Why, or what is being done.
    pub comment: String,
    /// When.
    pub at: Timestamp,
}

impl Store {
    /// Acknowledges a recorded alert and enqueues an `acknowledge` for every sink its `open`
    /// went to (PagerDuty acknowledges the incident; other sinks skip it). Returns `false`,
    /// storing nothing, when no alert has that id (the API answers 404).
    pub fn ack(
        &mut self,
        alert_id: &str,
        by: &str,
        comment: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction()
            .ctx(path, "begin an acknowledgement")?;
        let stored = tx
            .execute(
                "INSERT INTO acks (alert_id, acked_by, comment, acked_at)
                 SELECT id, ?2, ?3, ?4 FROM alerts WHERE id = ?1
                 ON CONFLICT (alert_id) DO UPDATE SET
                     acked_by = excluded.acked_by, comment = excluded.comment,
                     acked_at = excluded.acked_at",
                params![alert_id, by, comment, micros(at)],
            )
            .ctx(path, "store an acknowledgement")?;
        if stored == 1 {
            Store::enqueue_ack(&tx, path, alert_id, at)?;
        }
        tx.commit().ctx(path, "commit an acknowledgement")?;
        Ok(stored == 1)
    }

    /// Whether the alert has been acknowledged.
    pub fn is_acked(&self, alert_id: &str) -> Result<bool, StoreError> {
        Ok(self.ack_of(alert_id)?.is_some())
    }

    /// The acknowledgement of an alert, if any.
    pub fn ack_of(&self, alert_id: &str) -> Result<Option<Ack>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT alert_id, acked_by, comment, acked_at FROM acks WHERE alert_id = ?1",
                [alert_id],
                |row| AckRow::read(row, 0),
            )
            .optional()
            .ctx(&self.path, "read an acknowledgement")?;
        row.map(|r| r.into_ack(&self.path)).transpose()
    }
}

/// The four ack columns as read, before the time is checked.
pub(super) struct AckRow {
    alert_id: String,
    by: String,
    comment: String,
    at: i64,
}

impl AckRow {
    /// Reads `alert_id, acked_by, comment, acked_at` starting at column `first`.
    pub(super) fn read(row: &Row<'_>, first: usize) -> rusqlite::Result<AckRow> {
        Ok(AckRow {
            alert_id: row.get(first)?,
            by: row.get(first + 1)?,
            comment: row.get(first + 2)?,
            at: row.get(first + 3)?,
        })
    }

    /// Reads the same columns from a LEFT JOIN: `None` when the alert has no ack.
    pub(super) fn read_joined(row: &Row<'_>, first: usize) -> rusqlite::Result<Option<AckRow>> {
        let alert_id: Option<String> = row.get(first)?;
        match alert_id {
            None => Ok(None),
            Some(_) => AckRow::read(row, first).map(Some),
        }
    }

    pub(super) fn into_ack(self, path: &Path) -> Result<Ack, StoreError> {
        Ok(Ack {
            at: from_micros(path, "acks.acked_at", self.at)?,
            alert_id: self.alert_id,
            by: self.by,
            comment: self.comment,
        })
    }
}
