//! The alerts table: the last event of every alert, open or resolved, and its notifications
//! enqueued in the same transaction.

use super::acks::{Ack, AckRow};
use super::decode::{event_from_json, lifecycle_str};
use super::error::Context;
use super::routing::Route;
use super::{from_micros, micros, Store, StoreError};
use crate::alert::{AlertEvent, AlertKey, AlertKind, Lifecycle, Severity};
use crate::update::Timestamp;
use ipnet::IpNet;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::path::Path;

/// Whether an alert is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertState {
    /// Its last event was `open` or `update`.
    Open,
    /// Its last event was `resolved`.
    Resolved,
}

impl AlertState {
    fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Resolved => "resolved",
        }
    }
}

/// Which alerts [`Store::recent`] returns; `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// Only this kind.
    pub kind: Option<AlertKind>,
    /// Only this severity (exactly).
    pub severity: Option<Severity>,
    /// Only open, or only resolved, alerts.
    pub state: Option<AlertState>,
    /// Only alerts whose announced or watched prefix lies inside this one (equal or more
    /// specific).
    pub prefix: Option<IpNet>,
    /// Only alerts of this paging group.
    pub group: Option<String>,
}

/// An alert as stored: its last event and what people did about it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAlert {
    /// The last event recorded (`resolved` once resolved).
    pub event: AlertEvent,
    /// Open or resolved.
    pub state: AlertState,
    /// Time of the last event.
    pub updated_at: Timestamp,
    /// Its acknowledgement, if any.
    pub ack: Option<Ack>,
    /// While open and not paged: what holds it back (`silence 3`, `maintenance 1`).
    pub held: Option<String>,
}

/// The identity of an alert as text: the [`AlertKey`] for routing alerts, the kind and feed for
/// feed alerts.
pub(super) fn key_text(event: &AlertEvent) -> String {
    match event.prefix {
        Some(prefix) => AlertKey {
            kind: event.kind,
            watched_prefix: event.watched_prefix,
            prefix,
            offender: event.offender,
        }
        .to_string(),
        None => {
            let subject = event.source.as_deref().or(event.group.as_deref());
            match subject {
                Some(subject) => format!("{} {subject}", event.kind),
                None => event.kind.to_string(),
            }
        }
    }
}

impl Store {
    /// Records an alert event: inserts the alert on `open`, replaces its last event on `update`,
    /// marks it resolved on `resolved`. Notifies nobody; see [`Store::record_and_enqueue`].
    pub fn record(&mut self, event: &AlertEvent) -> Result<(), StoreError> {
        self.record_and_enqueue(event, &[]).map(|_| ())
    }

    /// Records an alert event and enqueues it for each sink, in one transaction. An `open` or
    /// `resolved` already enqueued for a sink (delivered or not) is not enqueued again. Returns
    /// the outbox sequence numbers created.
    pub fn record_and_enqueue(
        &mut self,
        event: &AlertEvent,
        sinks: &[&str],
    ) -> Result<Vec<i64>, StoreError> {
        self.record_and_enqueue_batch(&[(event, sinks)])
    }

    /// [`Store::record_and_enqueue`] for many events in one transaction (one fsync): a burst of
    /// alerts settled at the same instant. All or nothing. (The live service decides routes with
    /// [`Store::record_routed`]; this names the sinks of every event itself.)
    pub fn record_and_enqueue_batch(
        &mut self,
        items: &[(&AlertEvent, &[&str])],
    ) -> Result<Vec<i64>, StoreError> {
        let routed: Vec<(&AlertEvent, Route)> = items
            .iter()
            .map(|(event, sinks)| {
                let sinks = sinks.iter().map(|s| s.to_string()).collect();
                (*event, Route::Open(sinks))
            })
            .collect();
        self.record_routed(&routed)
    }

    /// The last event of every open alert, oldest first: what the alert book starts from after
    /// a restart.
    pub fn open_alerts(&self) -> Result<Vec<AlertEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, event_json FROM alerts WHERE state = 'open' ORDER BY opened_at, id",
            )
            .ctx(&self.path, "list open alerts")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .ctx(&self.path, "list open alerts")?;
        let mut events = Vec::new();
        for row in rows {
            let (id, json) = row.ctx(&self.path, "list open alerts")?;
            events.push(decode(&self.path, &id, &json)?);
        }
        Ok(events)
    }

    /// One alert by id.
    pub fn alert(&self, id: &str) -> Result<Option<StoredAlert>, StoreError> {
        let sql = format!("{SELECT_STORED} WHERE alerts.id = ?1");
        let row = self
            .conn
            .query_row(&sql, [id], StoredRow::read)
            .optional()
            .ctx(&self.path, "read an alert")?;
        row.map(|r| r.into_stored(&self.path)).transpose()
    }

    /// Up to `limit` alerts matching `filter`, most recently updated first (`GET
    /// /api/v1/alerts`).
    pub fn recent(
        &self,
        limit: usize,
        filter: &AlertFilter,
    ) -> Result<Vec<StoredAlert>, StoreError> {
        let sql = format!(
            "{SELECT_STORED} WHERE (?1 IS NULL OR alerts.kind = ?1)
               AND (?2 IS NULL OR alerts.severity = ?2) AND (?3 IS NULL OR alerts.state = ?3)
               AND (?4 IS NULL OR alerts.group_name = ?4)
             ORDER BY alerts.updated_at DESC, alerts.id"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .ctx(&self.path, "list recent alerts")?;
        let kind = filter.kind.map(AlertKind::as_str);
        let severity = filter.severity.map(Severity::as_str);
        let state = filter.state.map(AlertState::as_str);
        let rows = stmt
            .query_map(
                params![kind, severity, state, filter.group],
                StoredRow::read,
            )
            .ctx(&self.path, "list recent alerts")?;
        let mut out = Vec::new();
        for row in rows {
            if out.len() >= limit {
                break;
            }
            let row = row.ctx(&self.path, "list recent alerts")?;
            if row.within(filter.prefix) {
                out.push(row.into_stored(&self.path)?);
            }
        }
        Ok(out)
    }
}

pub(super) fn upsert(
    conn: &Connection,
    path: &Path,
    event: &AlertEvent,
    json: &str,
) -> Result<(), StoreError> {
    let state = match event.event {
        Lifecycle::Resolved => AlertState::Resolved,
        Lifecycle::Open | Lifecycle::Update => AlertState::Open,
    };
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO alerts (id, kind, alert_key, severity, prefix, watched_prefix, offender,
                 group_name, state, last_event, event_json, opened_at, updated_at, resolved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (id) DO UPDATE SET
                 kind = excluded.kind, alert_key = excluded.alert_key,
                 severity = excluded.severity, prefix = excluded.prefix,
                 watched_prefix = excluded.watched_prefix, offender = excluded.offender,
                 group_name = excluded.group_name, state = excluded.state,
                 last_event = excluded.last_event, event_json = excluded.event_json,
                 opened_at = excluded.opened_at, updated_at = excluded.updated_at,
                 resolved_at = excluded.resolved_at",
        )
        .ctx(path, "record an alert event")?;
    stmt.execute(params![
        event.id,
        event.kind.as_str(),
        key_text(event),
        event.severity.as_str(),
        event.prefix.map(|p| p.to_string()),
        event.watched_prefix.map(|p| p.to_string()),
        event.offender,
        event.group,
        state.as_str(),
        lifecycle_str(event.event),
        json,
        micros(event.opened_at),
        micros(event.time),
        event.resolved_at.map(micros),
    ])
    .ctx(path, "record an alert event")?;
    Ok(())
}

pub(super) fn encode(path: &Path, event: &AlertEvent) -> Result<String, StoreError> {
    serde_json::to_string(event).map_err(|source| StoreError::Encode {
        path: path.to_path_buf(),
        id: event.id.clone(),
        source,
    })
}

pub(super) fn decode(path: &Path, id: &str, json: &str) -> Result<AlertEvent, StoreError> {
    event_from_json(json).map_err(|detail| StoreError::Decode {
        path: path.to_path_buf(),
        what: format!("event JSON of alert {id}"),
        detail,
    })
}

const SELECT_STORED: &str = "SELECT alerts.id, alerts.event_json, alerts.state,
        alerts.updated_at, alerts.prefix, alerts.watched_prefix,
        acks.alert_id, acks.acked_by, acks.comment, acks.acked_at, alerts.held
    FROM alerts LEFT JOIN acks ON acks.alert_id = alerts.id";

/// One row of [`SELECT_STORED`], before the JSON is decoded.
struct StoredRow {
    id: String,
    json: String,
    state: String,
    updated_at: i64,
    prefix: Option<String>,
    watched_prefix: Option<String>,
    ack: Option<AckRow>,
    held: Option<String>,
}

impl StoredRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<StoredRow> {
        Ok(StoredRow {
            id: row.get(0)?,
            json: row.get(1)?,
            state: row.get(2)?,
            updated_at: row.get(3)?,
            prefix: row.get(4)?,
            watched_prefix: row.get(5)?,
            ack: AckRow::read_joined(row, 6)?,
            held: row.get(10)?,
        })
    }

    /// Whether the announced or watched prefix lies inside `filter` (always, without one).
    fn within(&self, filter: Option<IpNet>) -> bool {
        let Some(filter) = filter else {
            return true;
        };
        [&self.prefix, &self.watched_prefix]
            .into_iter()
            .flatten()
            .filter_map(|text| text.parse::<IpNet>().ok())
            .any(|p| filter.contains(&p))
    }

    fn into_stored(self, path: &Path) -> Result<StoredAlert, StoreError> {
        let state = match self.state.as_str() {
            "open" => AlertState::Open,
            _ => AlertState::Resolved,
        };
        Ok(StoredAlert {
            event: decode(path, &self.id, &self.json)?,
            state,
            updated_at: from_micros(path, "alerts.updated_at", self.updated_at)?,
            ack: self.ack.map(|a| a.into_ack(path)).transpose()?,
            held: (state == AlertState::Open).then_some(self.held).flatten(),
        })
    }
}
