//! Forgetting what no longer matters, so the file does not grow forever.

use super::error::Context;
use super::{micros, Store, StoreError};
use crate::update::Timestamp;

/// Rows [`Store::prune`] deleted, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Resolved alerts (with their acknowledgements).
    pub alerts: usize,
    /// Delivered or abandoned notifications of those alerts.
    pub notifications: usize,
    /// Resolved incidents.
    pub incidents: usize,
    /// Ended or expired silences.
    pub silences: usize,
    /// Ended maintenance windows.
    pub maintenance: usize,
}

impl Store {
    /// Deletes, in one transaction, what ended before `before`: alerts resolved before it whose
    /// notifications are all finished (with those notifications and their acks), resolved
    /// incidents, silences and maintenance windows. Open alerts and pending notifications are
    /// always kept, so [`Store::was_sent`] stays right for every alert that can still change.
    pub fn prune(&mut self, before: Timestamp) -> Result<Pruned, StoreError> {
        let path = &self.path;
        let at = micros(before);
        let tx = self.conn.transaction().ctx(path, "begin pruning")?;
        let old_alerts = "SELECT id FROM alerts WHERE state = 'resolved' AND resolved_at < ?1
               AND NOT EXISTS (SELECT 1 FROM outbox AS p
                   WHERE p.alert_id = alerts.id AND p.status = 'pending')";
        let notifications = tx
            .execute(
                &format!("DELETE FROM outbox WHERE alert_id IN ({old_alerts})"),
                [at],
            )
            .ctx(path, "prune notifications")?;
        let alerts = tx
            .execute(
                &format!("DELETE FROM alerts WHERE id IN ({old_alerts})"),
                [at],
            )
            .ctx(path, "prune alerts")?;
        let incidents = tx
            .execute(
                "DELETE FROM incidents WHERE state = 'resolved' AND resolved_at < ?1",
                [at],
            )
            .ctx(path, "prune incidents")?;
        let silences = tx
            .execute(
                "DELETE FROM silences WHERE ends_at < ?1 OR expired_at < ?1",
                [at],
            )
            .ctx(path, "prune silences")?;
        let maintenance = tx
            .execute("DELETE FROM maintenance WHERE ends_at < ?1", [at])
            .ctx(path, "prune maintenance windows")?;
        tx.commit().ctx(path, "commit pruning")?;
        Ok(Pruned {
            alerts,
            notifications,
            incidents,
            silences,
            maintenance,
        })
    }
}
