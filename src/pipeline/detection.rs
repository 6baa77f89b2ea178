//! The detection task: batches from the sources through the engine, clock ticks, feed health
//! and drops, VRP updates; settled alert events go to the dispatcher.

use crate::alert::{AlertEvent, FeedAlerts};
use crate::engine::Engine;
use crate::rpki::live::VrpFeeds;
use crate::source::live::LiveBatch;
use crate::status_page::StatusPage;
use crate::telemetry::{FeedHealth, FeedStatus, Telemetry, UpdateCounters};
use chrono::Utc;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::{mpsc, oneshot};

/// Batches handled before pending alerts are settled, at most.
const BATCHES_PER_SETTLE: usize = 256;
/// How often the clock, feed health and drops are checked.
const TICK: Duration = Duration::from_secs(1);

/// The detection task's state.
pub(super) struct Detection {
    pub(super) engine: Engine,
    pub(super) feed_alerts: FeedAlerts,
    pub(super) counters: UpdateCounters,
    pub(super) telemetry: Arc<Telemetry>,
    pub(super) health: Arc<FeedHealth>,
    pub(super) drops: BTreeMap<String, Arc<AtomicU64>>,
    pub(super) drops_seen: BTreeMap<String, Instant>,
    pub(super) events: Vec<AlertEvent>,
    pub(super) status: Arc<StatusPage>,
    pub(super) vrps: Option<VrpFeeds>,
    /// Settled alert events, to the dispatcher (recording, outbox, JSON lines).
    pub(super) alerts: mpsc::UnboundedSender<Vec<AlertEvent>>,
}

impl Detection {
    /// Runs until the sources are gone or a signal arrives.
    pub(super) async fn run(mut self, mut rx: mpsc::Receiver<LiveBatch>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut stop = stop_signal();
        loop {
            tokio::select! {
                batch = rx.recv() => match batch {
                    Some(batch) => self.handle_batches(batch, &mut rx),
                    None => break,
                },
                _ = tick.tick() => self.tick(),
                _ = &mut stop => break,
            }
        }
        // Detection drains what the sources already handed over, then settles.
        while let Ok(batch) = rx.try_recv() {
            self.handle(&batch);
        }
        self.engine.flush(&mut self.events);
        self.deliver(None);
    }

    /// Handles `first` and whatever else is queued (up to a bound), then settles and delivers.
    fn handle_batches(&mut self, first: LiveBatch, rx: &mut mpsc::Receiver<LiveBatch>) {
        let mut oldest = first.received;
        self.handle(&first);
        for _ in 1..BATCHES_PER_SETTLE {
            match rx.try_recv() {
                Ok(batch) => {
                    oldest = oldest.min(batch.received);
                    self.handle(&batch);
                }
                Err(_) => break,
            }
        }
        self.engine.flush(&mut self.events);
        self.deliver(Some(oldest));
    }

    fn handle(&mut self, batch: &LiveBatch) {
        let now = Utc::now();
        self.counters
            .updates_received(&batch.source, &batch.stats, now.timestamp());
        for item in &batch.items {
            self.engine.handle_at(item, now, &mut self.events);
        }
    }

    /// Takes a new VRP set when one was published; a VRP source in trouble raises
    /// `feed-stalled` (the last good set stays in force) and resolves it when healthy again.
    fn follow_vrps(&mut self, now: chrono::DateTime<Utc>) {
        let Some(feeds) = self.vrps.as_mut() else {
            return;
        };
        if feeds.vrps.has_changed().unwrap_or(false) {
            let set = feeds.vrps.borrow_and_update().clone();
            self.engine.set_vrps(set);
        }
        let health = feeds.health.borrow().clone();
        for (feed, problem) in health {
            match problem {
                Some(reason) => self
                    .feed_alerts
                    .stalled(feed, now, reason, now, &mut self.events),
                None => self.feed_alerts.recovered(feed, now, &mut self.events),
            }
        }
    }

    fn tick(&mut self) {
        let now = Utc::now();
        self.follow_vrps(now);
        self.engine.advance(now, &mut self.events);
        for (name, feed) in self.health.snapshot() {
            self.telemetry
                .feed_health(&name, feed.status(now) == FeedStatus::Live);
            match feed.status(now) {
                FeedStatus::Stalled { since, reason } => {
                    self.feed_alerts
                        .stalled(&name, since, reason, now, &mut self.events)
                }
                FeedStatus::Live => self.feed_alerts.recovered(&name, now, &mut self.events),
                FeedStatus::Degraded { .. } => {}
            }
        }
        for (name, counter) in &self.drops {
            let dropped = counter.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                self.drops_seen.insert(name.clone(), Instant::now());
                self.feed_alerts
                    .dropped(name, dropped, now, &mut self.events);
            } else if self
                .drops_seen
                .get(name)
                .is_some_and(|t| t.elapsed() > Duration::from_secs(60))
            {
                self.drops_seen.remove(name);
                self.feed_alerts.drops_ended(name, now, &mut self.events);
            }
        }
        self.telemetry
            .vantage_points("all", self.engine.state().vantage_points_up());
        let readings = self.engine.visibility_readings();
        self.telemetry.visibility_read(readings);
        self.status.visibility(readings, now);
        self.deliver(None);
    }

    fn deliver(&mut self, received: Option<Instant>) {
        if self.events.is_empty() {
            return;
        }
        for event in &self.events {
            self.telemetry
                .alert_emitted(event, received.map(|r| r.elapsed()));
            self.status.alert(event);
        }
        // Recording (an fsync) and writing happen in the dispatcher, off this task.
        let batch = std::mem::take(&mut self.events);
        if self.alerts.send(batch).is_err() {
            tracing::error!("alert dispatcher has stopped; alert events are not recorded");
        }
    }
}

/// Resolves at SIGINT or SIGTERM (never where neither can be watched). The signals are watched
/// once, by their own task, rather than re-armed at every turn of the detection loop.
fn stop_signal() -> oneshot::Receiver<()> {
    let (tx, rx) = oneshot::channel();
    let watch = |kind: SignalKind, name: &str| {
        signal(kind)
            .map_err(|e| tracing::warn!("cannot watch {name}: {e}"))
            .ok()
    };
    let mut interrupt = watch(SignalKind::interrupt(), "SIGINT");
    let mut terminate = watch(SignalKind::terminate(), "SIGTERM");
    tokio::spawn(async move {
        tokio::select! {
            Some(()) = received(&mut interrupt) => tracing::info!("SIGINT: shutting down"),
            Some(()) = received(&mut terminate) => tracing::info!("SIGTERM: shutting down"),
            else => std::future::pending().await,
        }
        let _ = tx.send(());
    });
    rx
}

/// The next delivery of `signal`; never when it is not watched.
async fn received(signal: &mut Option<Signal>) -> Option<()> {
    match signal {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}
