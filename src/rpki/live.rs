//! VRPs for the live service: a VRP file reloaded when it changes and/or an RTR cache, merged
//! into one published set, with the health of each (a refused reload or a lost cache is
//! reported so the pipeline can raise `feed-stalled`; the last good set stays in force).

use super::{RtrClient, RtrConfig, VrpFile, Vrps};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the VRP file is checked for changes.
pub const FILE_POLL: Duration = Duration::from_secs(30);
/// An RTR cache not synced for this long (while the client cannot reach it) is stalled.
pub const RTR_STALL_AFTER: Duration = Duration::from_secs(300);
/// Feed name of the VRP file in health reports and alerts.
pub const FILE_FEED: &str = "rpki-file";
/// Feed name of the RTR cache in health reports and alerts.
pub const RTR_FEED: &str = "rpki-rtr";

/// What the pipeline follows: the VRP set in force and each VRP source's problem, if any.
pub struct VrpFeeds {
    /// The set in force (the latest from either source).
    pub vrps: watch::Receiver<Arc<Vrps>>,
    /// Per source name: `None` while healthy, `Some(why)` while not.
    pub health: watch::Receiver<BTreeMap<&'static str, Option<String>>>,
    _rtr: Option<RtrClient>,
}

/// Starts following `file` (already loaded once) and/or the RTR cache at `rtr`. Call inside a
/// tokio runtime.
pub fn follow(file: Option<VrpFile>, rtr: Option<String>) -> VrpFeeds {
    let initial = file.as_ref().map(VrpFile::current).unwrap_or_default();
    let (vrps_tx, vrps) = watch::channel(initial);
    let (health_tx, health) = watch::channel(BTreeMap::new());
    let vrps_tx = Arc::new(vrps_tx);
    let health_tx = Arc::new(health_tx);
    if let Some(file) = file {
        tokio::spawn(follow_file(file, vrps_tx.clone(), health_tx.clone()));
    }
    let client = rtr.map(|server| RtrClient::spawn(RtrConfig::new(server)));
    if let Some(client) = &client {
        tokio::spawn(follow_rtr(
            client.vrps(),
            client.status(),
            vrps_tx,
            health_tx,
        ));
    }
    VrpFeeds {
        vrps,
        health,
        _rtr: client,
    }
}

type HealthTx = Arc<watch::Sender<BTreeMap<&'static str, Option<String>>>>;

fn report(health: &HealthTx, feed: &'static str, problem: Option<String>) {
    health.send_if_modified(|map| {
        let changed = map.get(feed) != Some(&problem);
        map.insert(feed, problem);
        changed
    });
}

async fn follow_file(mut file: VrpFile, vrps: Arc<watch::Sender<Arc<Vrps>>>, health: HealthTx) {
    report(&health, FILE_FEED, None);
    let mut tick = tokio::time::interval(FILE_POLL);
    loop {
        tick.tick().await;
        // Parsing a large file takes seconds: off the runtime's threads.
        let polled = tokio::task::spawn_blocking(move || {
            let new = file.poll();
            (file, new)
        })
        .await;
        let Ok((back, new)) = polled else { return };
        file = back;
        if let Some(set) = new {
            tracing::info!(path = %file.path().display(), vrps = set.len(), "VRP file reloaded");
            let _ = vrps.send(set);
        }
        report(&health, FILE_FEED, file.refused().map(|r| r.to_string()));
    }
}

async fn follow_rtr(
    mut rtr_vrps: watch::Receiver<Arc<Vrps>>,
    mut status: watch::Receiver<super::RtrStatus>,
    vrps: Arc<watch::Sender<Arc<Vrps>>>,
    health: HealthTx,
) {
    let started = std::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            changed = rtr_vrps.changed() => {
                if changed.is_err() { return }
                let set = rtr_vrps.borrow_and_update().clone();
                let _ = vrps.send(set);
            }
            changed = status.changed() => if changed.is_err() { return },
            _ = tick.tick() => {}
        }
        let s = status.borrow().clone();
        let quiet = s.staleness().unwrap_or_else(|| started.elapsed());
        let stalled = !s.connected && quiet >= RTR_STALL_AFTER;
        let problem = stalled.then(|| {
            let why = s
                .last_error
                .as_ref()
                .map_or_else(|| "not synced yet".to_string(), |e| e.to_string());
            format!(
                "RTR cache not synced for {} s: {why}; keeping the last VRPs",
                quiet.as_secs()
            )
        });
        report(&health, RTR_FEED, problem);
    }
}
