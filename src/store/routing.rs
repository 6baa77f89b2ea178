//! Which sinks an alert's events go to, as `alert/paging` decided and as the outbox remembers:
//! an alert is routed on its `open` (or when a hold ends), and its later events follow that
//! route, so a page that opened always gets its all-clear even if severity changed since.

use super::error::Context;
use super::outbox::{enqueue, enqueue_notice, Notice};
use super::{alerts, Store, StoreError};
use crate::alert::{AlertEvent, Lifecycle};
use crate::update::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// How one alert event reaches the sinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// An `open`, routed now to these sinks (possibly none).
    Open(Vec<String>),
    /// An `open` held back, for the reason given (`silence 3`): recorded, not enqueued.
    Hold(String),
    /// An `update` or `resolved`: to the sinks the `open` went to; nowhere while held.
    Follow,
}

/// An open alert whose `open` has not gone to any sink yet.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldAlert {
    /// Its latest event.
    pub event: AlertEvent,
    /// Why it is held.
    pub reason: String,
}

impl Store {
    /// Records alert events and enqueues each where `Route` says, in one transaction (one
    /// fsync for a burst). Returns the outbox sequence numbers created.
    pub fn record_routed(
        &mut self,
        items: &[(&AlertEvent, Route)],
    ) -> Result<Vec<i64>, StoreError> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction()
            .ctx(path, "begin recording alert events")?;
        let mut seqs = Vec::new();
        for (event, route) in items {
            let json = alerts::encode(path, event)?;
            alerts::upsert(&tx, path, event, &json)?;
            let sinks = match route {
                Route::Open(sinks) => {
                    set_hold(&tx, path, &event.id, None)?;
                    sinks.clone()
                }
                Route::Hold(reason) => {
                    set_hold(&tx, path, &event.id, Some(reason))?;
                    Vec::new()
                }
                Route::Follow => routed_sinks(&tx, path, &event.id)?,
            };
            for sink in &sinks {
                seqs.extend(enqueue(&tx, path, event, &json, sink)?);
            }
        }
        tx.commit().ctx(path, "commit alert events")?;
        Ok(seqs)
    }

    /// Open alerts still held back, oldest first.
    pub fn held_alerts(&self) -> Result<Vec<HeldAlert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, event_json, held FROM alerts
                 WHERE state = 'open' AND routed = 0 ORDER BY opened_at, id",
            )
            .ctx(&self.path, "list held alerts")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .ctx(&self.path, "list held alerts")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json, reason) = row.ctx(&self.path, "list held alerts")?;
            out.push(HeldAlert {
                event: alerts::decode(&self.path, &id, &json)?,
                reason: reason.unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Ends the hold of an open alert: its latest state goes to `sinks` as an `open` now.
    /// Returns the sequence numbers created (none if the alert is not held any more).
    pub fn release(
        &mut self,
        alert_id: &str,
        sinks: &[String],
        at: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction()
            .ctx(path, "begin releasing an alert")?;
        let json: Option<String> = tx
            .query_row(
                "SELECT event_json FROM alerts WHERE id = ?1 AND state = 'open' AND routed = 0",
                [alert_id],
                |r| r.get(0),
            )
            .optional()
            .ctx(path, "read a held alert")?;
        let Some(json) = json else {
            return Ok(Vec::new());
        };
        let mut event = alerts::decode(path, alert_id, &json)?;
        event.event = Lifecycle::Open;
        event.time = at;
        let json = alerts::encode(path, &event)?;
        set_hold(&tx, path, alert_id, None)?;
        let mut seqs = Vec::new();
        for sink in sinks {
            seqs.extend(enqueue_notice(
                &tx,
                path,
                &event,
                Notice::Open,
                &json,
                sink,
            )?);
        }
        tx.commit().ctx(path, "commit releasing an alert")?;
        Ok(seqs)
    }

    /// The latest event of every open alert whose `open` reached `sink`: what an Alertmanager
    /// re-post keeps active.
    pub fn open_alerts_sent_to(&self, sink: &str) -> Result<Vec<AlertEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.event_json FROM alerts AS a
                 WHERE a.state = 'open' AND EXISTS (SELECT 1 FROM outbox AS o
                     WHERE o.alert_id = a.id AND o.sink = ?1 AND o.event = 'open'
                       AND o.status = 'delivered')
                 ORDER BY a.opened_at, a.id",
            )
            .ctx(&self.path, "list alerts to re-post")?;
        let rows = stmt
            .query_map([sink], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .ctx(&self.path, "list alerts to re-post")?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row.ctx(&self.path, "list alerts to re-post")?;
            out.push(alerts::decode(&self.path, &id, &json)?);
        }
        Ok(out)
    }

    /// Enqueues an acknowledgement of `alert_id` for every sink its `open` went to.
    pub(super) fn enqueue_ack(
        conn: &Connection,
        path: &Path,
        alert_id: &str,
        at: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        let json: Option<String> = conn
            .query_row(
                "SELECT event_json FROM alerts WHERE id = ?1",
                [alert_id],
                |r| r.get(0),
            )
            .optional()
            .ctx(path, "read an acknowledged alert")?;
        let Some(json) = json else {
            return Ok(Vec::new());
        };
        let mut event = alerts::decode(path, alert_id, &json)?;
        event.time = at;
        let mut seqs = Vec::new();
        for sink in routed_sinks(conn, path, alert_id)? {
            seqs.extend(enqueue_notice(
                conn,
                path,
                &event,
                Notice::Acknowledge,
                &json,
                &sink,
            )?);
        }
        Ok(seqs)
    }
}

/// Marks an alert routed (`None`) or held for `reason`.
fn set_hold(
    conn: &Connection,
    path: &Path,
    alert_id: &str,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE alerts SET routed = ?2, held = ?3 WHERE id = ?1")
        .ctx(path, "record an alert's route")?
        .execute(params![alert_id, reason.is_none(), reason])
        .ctx(path, "record an alert's route")?;
    Ok(())
}

/// The sinks that were enqueued this alert's `open`.
fn routed_sinks(conn: &Connection, path: &Path, alert_id: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT DISTINCT sink FROM outbox WHERE alert_id = ?1 AND event = 'open' ORDER BY sink",
        )
        .ctx(path, "read an alert's route")?;
    let rows = stmt
        .query_map([alert_id], |r| r.get::<_, String>(0))
        .ctx(path, "read an alert's route")?;
    rows.collect::<Result<Vec<_>, _>>()
        .ctx(path, "read an alert's route")
}
