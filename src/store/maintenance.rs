//! Maintenance windows: a declared, planned change of origin for a prefix (a migration to a
//! new AS), so the new origin is not paged as a hijack while the window lasts.

use super::error::Context;
use super::{from_micros, micros, Store, StoreError};
use crate::update::{Asn, Timestamp};
use ipnet::IpNet;
use rusqlite::{params, Row};

/// A maintenance window to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMaintenance {
    /// The prefix (and its more-specifics) changing hands.
    pub prefix: IpNet,
    /// The AS that will originate it.
    pub new_origin: Asn,
    /// Start of the window.
    pub starts: Timestamp,
    /// End of the window (exclusive).
    pub ends: Timestamp,
    /// Why (change ticket, ...).
    pub comment: String,
}

/// A stored maintenance window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// Its id.
    pub id: i64,
    /// The window as created.
    pub spec: NewMaintenance,
}

impl Maintenance {
    /// Whether an announcement of `prefix` by `origin` is the declared change (the window is
    /// not checked).
    pub fn covers(&self, prefix: IpNet, origin: Asn) -> bool {
        origin == self.spec.new_origin && self.spec.prefix.contains(&prefix)
    }
}

impl Store {
    /// Stores a maintenance window and returns its id.
    pub fn add_maintenance(&mut self, window: &NewMaintenance) -> Result<i64, StoreError> {
        if window.ends <= window.starts {
            return Err(StoreError::EmptyWindow {
                starts: window.starts,
                ends: window.ends,
            });
        }
        self.conn
            .execute(
                "INSERT INTO maintenance (prefix, new_origin, starts_at, ends_at, comment)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    window.prefix.to_string(),
                    window.new_origin,
                    micros(window.starts),
                    micros(window.ends),
                    window.comment,
                ],
            )
            .ctx(&self.path, "store a maintenance window")?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Maintenance windows in force at `at`.
    pub fn active_maintenance(&self, at: Timestamp) -> Result<Vec<Maintenance>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, prefix, new_origin, starts_at, ends_at, comment FROM maintenance
                 WHERE starts_at <= ?1 AND ends_at > ?1 ORDER BY id",
            )
            .ctx(&self.path, "list maintenance windows")?;
        let rows = stmt
            .query_map([micros(at)], read_row)
            .ctx(&self.path, "list maintenance windows")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, prefix, new_origin, starts, ends, comment) =
                row.ctx(&self.path, "list maintenance windows")?;
            let prefix = prefix.parse::<IpNet>().map_err(|e| StoreError::Decode {
                path: self.path.clone(),
                what: format!("prefix of maintenance window {id}"),
                detail: e.to_string(),
            })?;
            out.push(Maintenance {
                id,
                spec: NewMaintenance {
                    prefix,
                    new_origin,
                    starts: from_micros(&self.path, "maintenance.starts_at", starts)?,
                    ends: from_micros(&self.path, "maintenance.ends_at", ends)?,
                    comment,
                },
            });
        }
        Ok(out)
    }
}

type MaintenanceRow = (i64, String, Asn, i64, i64, String);

fn read_row(row: &Row<'_>) -> rusqlite::Result<MaintenanceRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}
