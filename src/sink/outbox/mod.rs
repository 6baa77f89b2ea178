//! The alert -> sink stage of the live service.
//!
//! Detection hands each settled batch of alert events to the [`Dispatcher`] task, which
//! records them in the store together with their notifications (one transaction, as
//! `alert::paging` routes them) and writes the JSON-lines sinks. One [`worker`] per paging sink
//! delivers that sink's notifications from the outbox, retrying with backoff; Alertmanager
//! sinks also re-post their open alerts every `repost_interval` ([`repost`]). A slow or dead
//! sink holds up only its own worker, never detection or the other sinks, and whatever it has
//! not delivered is still in the outbox after a restart.

mod dispatch;
mod repost;
mod worker;

pub use dispatch::Dispatcher;

use super::PagingSink;
use crate::store::SharedStore;
use crate::telemetry::Telemetry;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// How often a worker looks for due retries when nothing wakes it.
pub const POLL: Duration = Duration::from_secs(1);
/// Notifications fetched per store call.
pub const BATCH: usize = 64;
/// Time the workers get at shutdown to deliver what is due (the rest stays in the outbox).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// A paging sink and the name the outbox knows it by.
#[derive(Debug, Clone)]
pub struct NamedSink {
    /// Configured `name`, else the type.
    pub name: String,
    /// The sink.
    pub sink: PagingSink,
}

/// Starts one delivery worker per sink (and a re-post loop per Alertmanager sink). `wake` is
/// rung whenever notifications are enqueued; `stop` turns true at shutdown, after which the
/// workers deliver what is due for up to [`SHUTDOWN_GRACE`] and end.
pub fn start(
    sinks: &[NamedSink],
    store: &SharedStore,
    telemetry: &Arc<Telemetry>,
    wake: Arc<Notify>,
    stop: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    // One Notify permit fans out to every worker through a watch channel.
    let (fanout, _) = watch::channel(());
    let mut tasks = Vec::new();
    for named in sinks {
        let worker = worker::Worker {
            name: named.name.clone(),
            sink: named.sink.clone(),
            store: store.clone(),
            telemetry: telemetry.clone(),
        };
        tasks.push(tokio::spawn(worker.run(fanout.subscribe(), stop.clone())));
        if let PagingSink::Alertmanager(am) = &named.sink {
            let repost = repost::Repost {
                name: named.name.clone(),
                sink: am.clone(),
                store: store.clone(),
                telemetry: telemetry.clone(),
            };
            tokio::spawn(repost.run(stop.clone()));
        }
    }
    let mut stop_fanout = stop;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = wake.notified() => { fanout.send_replace(()); }
                _ = stop_fanout.changed() => break,
            }
        }
    });
    tasks
}
