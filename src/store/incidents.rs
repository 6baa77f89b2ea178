//! Incidents: alerts grouped by a shared cause (the same offender, the same leak segment) so
//! that one page lists many prefixes. Which key and which window is `alert/`'s decision.

use super::error::Context;
use super::{from_micros, from_micros_opt, micros, Store, StoreError};
use crate::alert::AlertEvent;
use crate::update::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::time::Duration;

/// A group of alerts paged as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Stable id (16 hex digits), usable as a dedup key.
    pub id: String,
    /// What the member alerts share, as the caller spelled it (`offender AS64666`).
    pub key: String,
    /// Whether it is still open.
    pub open: bool,
    /// When its first alert joined.
    pub first_alert_at: Timestamp,
    /// When its latest alert joined.
    pub last_alert_at: Timestamp,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
    /// Its alerts, in the order they joined.
    pub alert_ids: Vec<String>,
}

/// What [`Store::add_to_incident`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentChange {
    /// No open incident with this key had an alert within the window: a new one was opened.
    Opened,
    /// The alert joined an open incident.
    Grew,
    /// The alert already belonged to that incident.
    Unchanged,
}

impl Store {
    /// Puts an alert into the open incident with `key` whose latest alert joined at most
    /// `window` before `at` (DESIGN.md: 10 minutes), or opens a new incident.
    pub fn add_to_incident(
        &mut self,
        key: &str,
        alert_id: &str,
        at: Timestamp,
        window: Duration,
    ) -> Result<(Incident, IncidentChange), StoreError> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction()
            .ctx(path, "begin an incident change")?;
        let window = i64::try_from(window.as_micros()).unwrap_or(i64::MAX);
        let member: Option<String> = tx
            .query_row(
                "SELECT i.id FROM incidents AS i
                   JOIN incident_alerts AS m ON m.incident_id = i.id
                 WHERE i.incident_key = ?1 AND i.state = 'open' AND m.alert_id = ?2",
                params![key, alert_id],
                |r| r.get(0),
            )
            .optional()
            .ctx(path, "find the incident of an alert")?;
        let recent: Option<String> = tx
            .query_row(
                "SELECT id FROM incidents WHERE incident_key = ?1 AND state = 'open'
                   AND last_alert_at >= ?2 ORDER BY last_alert_at DESC LIMIT 1",
                params![key, micros(at).saturating_sub(window)],
                |r| r.get(0),
            )
            .optional()
            .ctx(path, "find an open incident")?;
        let (id, change) = match (member, recent) {
            (Some(id), _) => (id, IncidentChange::Unchanged),
            (None, Some(id)) => {
                tx.execute(
                    "INSERT INTO incident_alerts (incident_id, alert_id, added_at)
                     VALUES (?1, ?2, ?3)",
                    params![id, alert_id, micros(at)],
                )
                .ctx(path, "add an alert to an incident")?;
                tx.execute(
                    "UPDATE incidents SET last_alert_at = max(last_alert_at, ?2) WHERE id = ?1",
                    params![id, micros(at)],
                )
                .ctx(path, "add an alert to an incident")?;
                (id, IncidentChange::Grew)
            }
            (None, None) => {
                // The first alert's id: a one-alert incident pages under the alert's own id.
                let id = alert_id.to_string();
                tx.execute(
                    "INSERT INTO incidents (id, incident_key, state, first_alert_at, last_alert_at)
                     VALUES (?1, ?2, 'open', ?3, ?3)",
                    params![id, key, micros(at)],
                )
                .ctx(path, "open an incident")?;
                tx.execute(
                    "INSERT INTO incident_alerts (incident_id, alert_id, added_at)
                     VALUES (?1, ?2, ?3)",
                    params![id, alert_id, micros(at)],
                )
                .ctx(path, "add an alert to an incident")?;
                (id, IncidentChange::Opened)
            }
        };
        let incident = read(&tx, path, &id)?.ok_or_else(|| StoreError::Decode {
            path: path.clone(),
            what: format!("incident {id}"),
            detail: "vanished while being written".to_string(),
        })?;
        tx.commit().ctx(path, "commit an incident change")?;
        Ok((incident, change))
    }

    /// Marks an incident resolved. Returns `false` if it was not open.
    pub fn resolve_incident(&mut self, id: &str, at: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE incidents SET state = 'resolved', resolved_at = ?2
                 WHERE id = ?1 AND state = 'open'",
                params![id, micros(at)],
            )
            .ctx(&self.path, "resolve an incident")?;
        Ok(changed == 1)
    }

    /// One incident by id.
    pub fn incident(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        read(&self.conn, &self.path, id)
    }

    /// The incident an alert belongs to, if any.
    pub fn incident_of(&self, alert_id: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT incident_id FROM incident_alerts WHERE alert_id = ?1
                 ORDER BY added_at LIMIT 1",
            )
            .ctx(&self.path, "find the incident of an alert")?
            .query_row([alert_id], |r| r.get(0))
            .optional()
            .ctx(&self.path, "find the incident of an alert")
    }

    /// The latest event of every alert of an incident, in the order they joined.
    pub fn incident_alerts(&self, id: &str) -> Result<Vec<AlertEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.event_json FROM incident_alerts AS m
                   JOIN alerts AS a ON a.id = m.alert_id
                 WHERE m.incident_id = ?1 ORDER BY m.added_at, a.id",
            )
            .ctx(&self.path, "read the alerts of an incident")?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .ctx(&self.path, "read the alerts of an incident")?;
        let mut out = Vec::new();
        for row in rows {
            let (alert, json) = row.ctx(&self.path, "read the alerts of an incident")?;
            out.push(super::alerts::decode(&self.path, &alert, &json)?);
        }
        Ok(out)
    }

    /// Every open incident, oldest first.
    pub fn open_incidents(&self) -> Result<Vec<Incident>, StoreError> {
        let ids: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT id FROM incidents WHERE state = 'open' ORDER BY first_alert_at, id",
                )
                .ctx(&self.path, "list open incidents")?;
            let rows = stmt
                .query_map([], |r| r.get(0))
                .ctx(&self.path, "list open incidents")?;
            rows.collect::<Result<_, _>>()
                .ctx(&self.path, "list open incidents")?
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(read(&self.conn, &self.path, &id)?);
        }
        Ok(out)
    }
}

fn read(conn: &Connection, path: &Path, id: &str) -> Result<Option<Incident>, StoreError> {
    let head = conn
        .query_row(
            "SELECT incident_key, state, first_alert_at, last_alert_at, resolved_at
             FROM incidents WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            },
        )
        .optional()
        .ctx(path, "read an incident")?;
    let Some((key, state, first, last, resolved)) = head else {
        return Ok(None);
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT alert_id FROM incident_alerts WHERE incident_id = ?1
             ORDER BY added_at, alert_id",
        )
        .ctx(path, "read incident members")?;
    let alert_ids = stmt
        .query_map([id], |r| r.get(0))
        .ctx(path, "read incident members")?
        .collect::<Result<Vec<String>, _>>()
        .ctx(path, "read incident members")?;
    Ok(Some(Incident {
        id: id.to_string(),
        key,
        open: state == "open",
        first_alert_at: from_micros(path, "incidents.first_alert_at", first)?,
        last_alert_at: from_micros(path, "incidents.last_alert_at", last)?,
        resolved_at: from_micros_opt(path, "incidents.resolved_at", resolved)?,
        alert_ids,
    }))
}
