//! One sink's delivery loop: due notifications from the outbox, oldest first, each marked
//! delivered, retried later (server errors, timeouts, refused connections) or abandoned (the
//! receiver rejected it for good).

use super::{BATCH, POLL, SHUTDOWN_GRACE};
use crate::alert::paging;
use crate::sink::pagerduty::PagerDutySink;
use crate::sink::{DeliveryError, PagingSink};
use crate::store::{retry_delay, Notice, OutboxItem, SharedStore, StoreError};
use crate::telemetry::Telemetry;
use chrono::Utc;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::time::Instant;

/// What became of one attempt.
enum Outcome {
    Delivered,
    /// Nothing to send for this sink (an acknowledgement for a sink without acks).
    Skipped,
    /// Could not be decided now (the store could not be read): stays due as it is.
    NotNow,
    Failed(DeliveryError),
}

pub(super) struct Worker {
    pub name: String,
    pub sink: PagingSink,
    pub store: SharedStore,
    pub telemetry: Arc<Telemetry>,
}

impl Worker {
    pub async fn run(self, mut wake: watch::Receiver<()>, mut stop: watch::Receiver<bool>) {
        loop {
            let full = self.pass().await;
            if *stop.borrow() {
                break;
            }
            if full {
                continue;
            }
            tokio::select! {
                _ = wake.changed() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
        // Shutdown: what is due now gets one more chance; the rest stays in the outbox.
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while Instant::now() < deadline {
            if !tokio::time::timeout_at(deadline, self.pass())
                .await
                .unwrap_or(false)
            {
                break;
            }
        }
    }

    /// Attempts every due notification (up to [`BATCH`]); true when the batch was full.
    async fn pass(&self) -> bool {
        let name = self.name.clone();
        let due = self
            .store
            .call(move |s| s.due_for_sink(&name, Utc::now(), BATCH))
            .await;
        let due = match due {
            Ok(due) => due,
            Err(e) => {
                self.telemetry.store_failed(&e);
                return false;
            }
        };
        let full = due.len() == BATCH;
        for item in due {
            let outcome = self.attempt(&item).await;
            if let Err(e) = self.settle(&item, outcome).await {
                self.telemetry.store_failed(&e);
            }
        }
        full
    }

    async fn attempt(&self, item: &OutboxItem) -> Outcome {
        if let PagingSink::PagerDuty(pd) = &self.sink {
            if let Some(incident) = incident_of(item) {
                return self.page_incident(pd, incident, item).await;
            }
        }
        let result = match (item.event, &self.sink) {
            (Notice::Acknowledge, PagingSink::PagerDuty(pd)) => {
                pd.acknowledge(&item.alert_id).await
            }
            (Notice::Acknowledge, _) => return Outcome::Skipped,
            _ => self.sink.deliver(&item.alert).await,
        };
        match result {
            Ok(()) => Outcome::Delivered,
            Err(e) => Outcome::Failed(e),
        }
    }

    /// PagerDuty pages incidents: every alert of one incident triggers (and acknowledges) the
    /// same `dedup_key`, the incident's id, with a summary listing its prefixes; it resolves
    /// when the last of them does.
    async fn page_incident(
        &self,
        pd: &PagerDutySink,
        incident: &str,
        item: &OutboxItem,
    ) -> Outcome {
        let result = match item.event {
            Notice::Acknowledge => pd.acknowledge(incident).await,
            Notice::Open | Notice::Update | Notice::Resolved => {
                let id = incident.to_string();
                let members = match self.store.call(move |s| s.incident_alerts(&id)).await {
                    Ok(members) => members,
                    Err(e) => {
                        self.telemetry.store_failed(&e);
                        return Outcome::NotNow;
                    }
                };
                match paging::incident_page(incident, &item.alert, &members) {
                    Some(page) => pd.deliver(&page).await,
                    None => return Outcome::Skipped,
                }
            }
        };
        match result {
            Ok(()) => Outcome::Delivered,
            Err(e) => Outcome::Failed(e),
        }
    }

    async fn settle(&self, item: &OutboxItem, outcome: Outcome) -> Result<(), StoreError> {
        let seq = item.seq;
        let now = Utc::now();
        match outcome {
            Outcome::NotNow => {}
            Outcome::Delivered | Outcome::Skipped => {
                // Recorded first: a delivery counted in the metrics is one a restart will not
                // send again.
                self.store.call(move |s| s.delivered(seq, now)).await?;
                if matches!(outcome, Outcome::Delivered) {
                    self.telemetry.notification(&self.name, true);
                }
            }
            Outcome::Failed(e) if e.is_retryable() => {
                let wait = retry_delay(item.attempts + 1).max(e.retry_after().unwrap_or_default());
                self.telemetry
                    .notification_failed(&self.name, &item.alert_id, &e, Some(wait));
                let next = now + chrono::Duration::from_std(wait).unwrap_or_default();
                let error = e.to_string();
                self.store
                    .call(move |s| s.failed(seq, &error, next))
                    .await?;
            }
            Outcome::Failed(e) => {
                self.telemetry
                    .notification_failed(&self.name, &item.alert_id, &e, None);
                let error = e.to_string();
                self.store
                    .call(move |s| s.abandon(seq, &error, now))
                    .await?;
            }
        }
        Ok(())
    }
}

/// The incident (of route alerts) an outbox item belongs to.
fn incident_of(item: &OutboxItem) -> Option<&str> {
    paging::incident_key(&item.alert)?;
    item.alert.incident.as_deref()
}
