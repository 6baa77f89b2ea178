//! Alertmanager forgets an alert that is not re-posted before its `endsAt`: every
//! `repost_interval` the open alerts routed to the sink are posted again.

use crate::sink::alertmanager::AlertmanagerSink;
use crate::store::SharedStore;
use crate::telemetry::Telemetry;
use std::sync::Arc;
use tokio::sync::watch;

pub(super) struct Repost {
    pub name: String,
    pub sink: AlertmanagerSink,
    pub store: SharedStore,
    pub telemetry: Arc<Telemetry>,
}

impl Repost {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut every = tokio::time::interval(self.sink.repost_interval());
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stop.changed() => return,
            }
            let name = self.name.clone();
            let open = match self.store.call(move |s| s.open_alerts_sent_to(&name)).await {
                Ok(open) => open,
                Err(e) => {
                    self.telemetry.store_failed(&e);
                    continue;
                }
            };
            if open.is_empty() {
                continue;
            }
            match self.sink.repost(&open).await {
                Ok(()) => self.telemetry.notification(&self.name, true),
                Err(e) => self
                    .telemetry
                    .notification_failed(&self.name, "(re-post)", &e, None),
            }
        }
    }
}
