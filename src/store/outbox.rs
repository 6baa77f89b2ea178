//! The notification outbox: one row per (alert event, sink), written with the event, delivered
//! at least once, in order per alert and sink.

use super::decode::{lifecycle_from_str, lifecycle_str};
use super::error::Context;
use super::{alerts, micros, Store, StoreError};
use crate::alert::{AlertEvent, Lifecycle};
use crate::update::Timestamp;
use rusqlite::{params, Connection};
use std::path::Path;
use std::time::Duration;

/// The wait after the first failed delivery.
pub const RETRY_DELAY_MIN: Duration = Duration::from_secs(5);
/// The longest wait between two delivery attempts.
pub const RETRY_DELAY_MAX: Duration = Duration::from_secs(600);

/// How long to wait after the `failures`-th failed attempt: 5 s, 10 s, 20 s, ... up to 10 min.
/// No jitter: a sink retries its own queue, there is no herd to spread.
pub fn retry_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    RETRY_DELAY_MIN
        .saturating_mul(1 << doublings)
        .min(RETRY_DELAY_MAX)
}

/// What an outbox row tells its sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Notice {
    /// The alert opened (or was released from a hold).
    Open,
    /// Severity or reach changed.
    Update,
    /// The all-clear.
    Resolved,
    /// Someone acknowledged it through the API (PagerDuty `acknowledge`; other sinks skip it).
    Acknowledge,
}

impl Notice {
    /// The name in the `event` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Open => "open",
            Notice::Update => "update",
            Notice::Resolved => "resolved",
            Notice::Acknowledge => "acknowledge",
        }
    }

    fn parse(text: &str) -> Option<Notice> {
        match text {
            "acknowledge" => Some(Notice::Acknowledge),
            other => lifecycle_from_str(other).map(Notice::from),
        }
    }
}

impl From<Lifecycle> for Notice {
    fn from(lifecycle: Lifecycle) -> Notice {
        match lifecycle {
            Lifecycle::Open => Notice::Open,
            Lifecycle::Update => Notice::Update,
            Lifecycle::Resolved => Notice::Resolved,
        }
    }
}

/// A notification waiting for its sink.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    /// Outbox sequence number: increasing, never reused.
    pub seq: i64,
    /// The sink's name as given to [`Store::record_and_enqueue`].
    pub sink: String,
    /// The alert.
    pub alert_id: String,
    /// Which event of the alert.
    pub event: Notice,
    /// The event as JSON (DESIGN.md section 7), exactly as recorded: the body for webhooks.
    pub event_json: String,
    /// The same event decoded, for sinks that build their own payload.
    pub alert: AlertEvent,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// Adds one row for `sink`, unless the event is an `open` or `resolved` this sink already has:
/// those are sent once per alert. Returns the new sequence number.
pub(super) fn enqueue(
    conn: &Connection,
    path: &Path,
    event: &AlertEvent,
    json: &str,
    sink: &str,
) -> Result<Option<i64>, StoreError> {
    enqueue_notice(conn, path, event, Notice::from(event.event), json, sink)
}

/// [`enqueue`] with the notice given (an acknowledgement, a released hold).
pub(super) fn enqueue_notice(
    conn: &Connection,
    path: &Path,
    event: &AlertEvent,
    notice: Notice,
    json: &str,
    sink: &str,
) -> Result<Option<i64>, StoreError> {
    let kind = notice.as_str();
    if matches!(notice, Notice::Open | Notice::Resolved) {
        let mut seen = conn
            .prepare_cached("SELECT 1 FROM outbox WHERE alert_id = ?1 AND sink = ?2 AND event = ?3")
            .ctx(path, "check the outbox")?;
        if seen
            .exists(params![event.id, sink, kind])
            .ctx(path, "check the outbox")?
        {
            return Ok(None);
        }
    }
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO outbox (sink, alert_id, event, event_json, enqueued_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 0)",
        )
        .ctx(path, "enqueue a notification")?;
    insert
        .execute(params![sink, event.id, kind, json, micros(event.time)])
        .ctx(path, "enqueue a notification")?;
    Ok(Some(conn.last_insert_rowid()))
}

impl Store {
    /// Up to `limit` notifications to attempt at `now`, lowest sequence first. Only the oldest
    /// undelivered notification of each (alert, sink) is due, so a sink never sees `resolved`
    /// before the `open` it follows.
    pub fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.due_where(None, now, limit)
    }

    /// [`Store::due`] for one sink only: a worker per sink, so a slow sink holds up no other.
    pub fn due_for_sink(
        &self,
        sink: &str,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.due_where(Some(sink), now, limit)
    }

    fn due_where(
        &self,
        sink: Option<&str>,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT o.seq, o.sink, o.alert_id, o.event, o.event_json, o.attempts
                 FROM outbox AS o
                 WHERE o.status = 'pending' AND o.next_attempt_at <= ?1
                   AND (?3 IS NULL OR o.sink = ?3)
                   AND NOT EXISTS (SELECT 1 FROM outbox AS p
                       WHERE p.status = 'pending' AND p.alert_id = o.alert_id
                         AND p.sink = o.sink AND p.seq < o.seq)
                 ORDER BY o.seq LIMIT ?2",
            )
            .ctx(&self.path, "read due notifications")?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![micros(now), limit, sink], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, u32>(5)?,
                ))
            })
            .ctx(&self.path, "read due notifications")?;
        let mut items = Vec::new();
        for row in rows {
            let (seq, sink, alert_id, event, event_json, attempts) =
                row.ctx(&self.path, "read due notifications")?;
            let event = Notice::parse(&event).ok_or_else(|| StoreError::Decode {
                path: self.path.clone(),
                what: format!("event of outbox item {seq}"),
                detail: format!("unknown event {event:?}"),
            })?;
            let alert = alerts::decode(&self.path, &alert_id, &event_json)?;
            items.push(OutboxItem {
                seq,
                sink,
                alert_id,
                event,
                event_json,
                alert,
                attempts,
            });
        }
        Ok(items)
    }

    /// Marks a notification delivered. Returns `false` if it was not pending (unknown, or
    /// already finished).
    pub fn delivered(&mut self, seq: i64, at: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE outbox SET status = 'delivered', finished_at = ?2
                 WHERE seq = ?1 AND status = 'pending'",
                params![seq, micros(at)],
            )
            .ctx(&self.path, "mark a notification delivered")?;
        Ok(changed == 1)
    }

    /// Records a failed attempt; the notification is due again at `next_attempt_at` (see
    /// [`retry_delay`]). Returns `false` if it was not pending.
    pub fn failed(
        &mut self,
        seq: i64,
        error: &str,
        next_attempt_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
                 WHERE seq = ?1 AND status = 'pending'",
                params![seq, error, micros(next_attempt_at)],
            )
            .ctx(&self.path, "record a failed delivery")?;
        Ok(changed == 1)
    }

    /// Gives up on a notification the sink rejects for good (a 4xx for this payload): it is
    /// no longer due and unblocks the next one of its alert. Returns `false` if it was not
    /// pending.
    pub fn abandon(&mut self, seq: i64, error: &str, at: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE outbox SET status = 'abandoned', attempts = attempts + 1,
                     last_error = ?2, finished_at = ?3
                 WHERE seq = ?1 AND status = 'pending'",
                params![seq, error, micros(at)],
            )
            .ctx(&self.path, "abandon a notification")?;
        Ok(changed == 1)
    }

    /// Notifications not yet delivered nor abandoned.
    pub fn pending_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE status = 'pending'",
                [],
                |r| r.get(0),
            )
            .ctx(&self.path, "count pending notifications")?;
        Ok(count.max(0) as u64)
    }

    /// Whether `sink` has been delivered the `event` of this alert.
    pub fn was_sent(
        &self,
        alert_id: &str,
        event: Lifecycle,
        sink: &str,
    ) -> Result<bool, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT 1 FROM outbox WHERE alert_id = ?1 AND sink = ?2 AND event = ?3
                   AND status = 'delivered'",
            )
            .ctx(&self.path, "check sent notifications")?;
        stmt.exists(params![alert_id, sink, lifecycle_str(event)])
            .ctx(&self.path, "check sent notifications")
    }
}
