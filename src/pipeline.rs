//! `bgpwatch run`: spawns the sources, runs detection in one task fed by a bounded channel,
//! delivers alerts, watches feed health and shuts down cleanly on SIGINT/SIGTERM.
//!
//! ```text
//! RIS Live ─┐                                 ┌─▶ sinks
//! BMP ──────┼─ bounded channel ─▶ engine task ┤
//! MRT ──────┘   (LiveBatch)        + ticks    └─▶ metrics
//! ```

use crate::alert::{AlertEvent, FeedAlerts};
use crate::config::{Config, SinkConfig, SourceConfig};
use crate::engine::Engine;
use crate::http::{router, HttpState};
use crate::rpki::{self, live::VrpFeeds, VrpFile};
use crate::sink::{JsonlSink, Sink, SinkError};
use crate::source::bmp_station;
use crate::source::live::{LiveBatch, SourceHandle};
use crate::source::ris_live_client::{self, RisLiveSettings};
use crate::source::{read_file, ReadStats};
use crate::status_page::StatusPage;
use crate::store::Store;
use crate::telemetry::{FeedHealth, FeedStatus, Telemetry};
use crate::watchlist::Watchlist;
use chrono::Utc;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

/// Batches in flight between sources and detection.
pub const CHANNEL_CAPACITY: usize = 4096;
/// Batches handled before pending alerts are settled, at most.
const BATCHES_PER_SETTLE: usize = 256;
/// How often the clock, feed health and drops are checked.
const TICK: Duration = Duration::from_secs(1);
/// Items per batch when bootstrapping from MRT files.
const MRT_BATCH: usize = 4096;

/// Why the service could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A listener could not be bound.
    #[error("cannot listen on {address} for {what}: {source}")]
    Bind {
        /// `http` or the source name.
        what: String,
        /// The address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The alert state database cannot be used.
    #[error("{0}")]
    Store(crate::store::StoreError),
    /// The configured VRP file cannot be used at start.
    #[error("{0}")]
    Vrps(crate::rpki::VrpFileError),
    /// A sink could not be opened or written.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// Runs the service until SIGINT or SIGTERM.
pub async fn run(config: Config, watchlist: Watchlist) -> Result<(), PipelineError> {
    let watchlist = Arc::new(watchlist);
    let telemetry = Arc::new(Telemetry::new());
    telemetry.watchlist_loaded(&watchlist);
    let health = Arc::new(FeedHealth::default());
    let mut sinks = open_sinks(&config.sinks)?;
    telemetry.service_started(
        &config.sources.iter().map(|s| s.name()).collect::<Vec<_>>(),
        &sinks.iter().map(|s| s.name()).collect::<Vec<_>>(),
    );
    let status = Arc::new(StatusPage::new(
        watchlist.clone(),
        &config.engine.visibility,
    ));
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (stop_tx, stop_rx) = watch::channel(false);

    let http = TcpListener::bind(config.http_listen)
        .await
        .map_err(|source| PipelineError::Bind {
            what: "http".into(),
            address: config.http_listen.to_string(),
            source,
        })?;
    let http_state = HttpState {
        telemetry: telemetry.clone(),
        health: health.clone(),
        status: status.clone(),
    };
    let mut http_stop = stop_rx.clone();
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = http_stop.changed().await;
        };
        if let Err(e) = axum::serve(http, router(http_state))
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("http server failed: {e}");
        }
    });
    tracing::info!(listen = %config.http_listen, "http listening");

    let mut drops = BTreeMap::new();
    for source in &config.sources {
        let dropped = Arc::new(AtomicU64::new(0));
        let handle = SourceHandle {
            name: Arc::from(source.name()),
            tx: tx.clone(),
            health: health.clone(),
            telemetry: telemetry.clone(),
            shutdown: stop_rx.clone(),
            dropped: dropped.clone(),
        };
        drops.insert(source.name().to_string(), dropped);
        spawn_source(source, watchlist.clone(), handle).await?;
    }
    drop(tx);

    // Alert state survives shutdown and crashes; a corrupt, foreign or locked file stops the
    // start with a clear message rather than being recreated.
    let store = Store::open(&config.state).map_err(PipelineError::Store)?;
    // VRPs: a file reloaded when it changes and/or an RTR cache; the last good set stays in force.
    let vrp_file = match &config.vrps_file {
        Some(path) => Some(VrpFile::open(path).map_err(PipelineError::Vrps)?),
        None => None,
    };
    let vrps = (vrp_file.is_some() || config.rtr.is_some())
        .then(|| rpki::live::follow(vrp_file, config.rtr.clone()));
    let mut detection = Detection {
        store,
        vrps,
        engine: Engine::new(watchlist, config.engine),
        feed_alerts: FeedAlerts::default(),
        telemetry,
        health,
        drops,
        drops_seen: BTreeMap::new(),
        sinks: &mut sinks,
        events: Vec::new(),
        status,
    };
    detection.run(rx).await;
    let _ = stop_tx.send(true);
    for sink in sinks.iter_mut() {
        sink.flush()?;
    }
    tracing::info!("stopped");
    Ok(())
}

fn open_sinks(configs: &[SinkConfig]) -> Result<Vec<Sink>, SinkError> {
    configs
        .iter()
        .map(|c| match c {
            SinkConfig::Jsonl { path: None, format } => Ok(Sink::Jsonl(JsonlSink::stdout(*format))),
            SinkConfig::Jsonl {
                path: Some(path),
                format,
            } => Ok(Sink::Jsonl(JsonlSink::file(path, *format)?)),
        })
        .collect()
}

async fn spawn_source(
    source: &SourceConfig,
    watchlist: Arc<Watchlist>,
    handle: SourceHandle,
) -> Result<(), PipelineError> {
    let stall_after = source.stall_after();
    match source {
        SourceConfig::RisLive { url, mode, .. } => {
            handle.health.register(
                &handle.name,
                "ris-live",
                chrono::Duration::from_std(stall_after).unwrap_or_default(),
                true,
            );
            let settings = RisLiveSettings {
                url: url.clone(),
                mode: *mode,
                stall_after,
            };
            tokio::spawn(ris_live_client::run(settings, watchlist, handle));
        }
        SourceConfig::Bmp { listen, .. } => {
            let listener =
                TcpListener::bind(listen.as_str())
                    .await
                    .map_err(|e| PipelineError::Bind {
                        what: format!("source {}", handle.name),
                        address: listen.clone(),
                        source: e,
                    })?;
            tracing::info!(source = %handle.name, %listen, "BMP station listening");
            handle.health.register(
                &handle.name,
                "bmp",
                chrono::Duration::from_std(stall_after).unwrap_or_default(),
                false,
            );
            tokio::spawn(bmp_station::run(listener, handle));
        }
        SourceConfig::Mrt { paths, .. } => {
            handle
                .health
                .register(&handle.name, "mrt", chrono::Duration::zero(), false);
            let paths = paths.clone();
            tokio::task::spawn_blocking(move || load_mrt(&paths, &handle));
        }
    }
    Ok(())
}

/// Bootstrap: MRT files (a RIB, then updates) through the same engine, before live data.
fn load_mrt(paths: &[std::path::PathBuf], handle: &SourceHandle) {
    handle.health.session_opened(&handle.name);
    for path in paths {
        let mut batch = Vec::with_capacity(MRT_BATCH);
        let mut stats = ReadStats::default();
        let send = |items: Vec<_>, stats: ReadStats| {
            let batch = LiveBatch {
                source: handle.name.clone(),
                items,
                stats,
                received: Instant::now(),
            };
            handle.health.data(&handle.name);
            handle.tx.blocking_send(batch).is_ok()
        };
        let mut emit = |item| {
            batch.push(item);
            if batch.len() == MRT_BATCH {
                send(
                    std::mem::replace(&mut batch, Vec::with_capacity(MRT_BATCH)),
                    ReadStats::default(),
                );
            }
        };
        let errors = read_file(path, None, &mut emit, &mut stats);
        send(batch, stats);
        for error in errors {
            handle.telemetry.input_rejected(
                &handle.name,
                &path.display().to_string(),
                &error.to_string(),
            );
        }
        tracing::info!(source = %handle.name, path = %path.display(), announcements = stats.announcements, "MRT file loaded");
    }
    handle.health.finished(&handle.name);
}

/// The detection task's state.
struct Detection<'a> {
    engine: Engine,
    feed_alerts: FeedAlerts,
    telemetry: Arc<Telemetry>,
    health: Arc<FeedHealth>,
    drops: BTreeMap<String, Arc<AtomicU64>>,
    drops_seen: BTreeMap<String, Instant>,
    sinks: &'a mut Vec<Sink>,
    events: Vec<AlertEvent>,
    status: Arc<StatusPage>,
    vrps: Option<VrpFeeds>,
    store: Store,
}

impl Detection<'_> {
    async fn run(&mut self, mut rx: mpsc::Receiver<LiveBatch>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut terminate = signal_stream();
        loop {
            tokio::select! {
                batch = rx.recv() => match batch {
                    Some(batch) => self.handle_batches(batch, &mut rx),
                    None => break,
                },
                _ = tick.tick() => self.tick(),
                _ = tokio::signal::ctrl_c() => { tracing::info!("SIGINT: shutting down"); break }
                _ = terminate.recv() => { tracing::info!("SIGTERM: shutting down"); break }
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
        self.telemetry
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
        for event in self.events.drain(..) {
            self.telemetry
                .alert_emitted(&event, received.map(|r| r.elapsed()));
            self.status.alert(&event);
            // Alert events are rare; one synchronous commit each keeps the state exact.
            if let Err(e) = self.store.record(&event) {
                tracing::error!("cannot persist alert {}: {e}", event.id);
            }
            for sink in self.sinks.iter_mut() {
                let result = sink.deliver(&event);
                self.telemetry.notification(sink.name(), result.is_ok());
                if let Err(e) = result {
                    tracing::error!("{e}");
                }
            }
        }
    }
}

/// SIGTERM as a stream (never fires where signals cannot be installed).
fn signal_stream() -> tokio::sync::mpsc::Receiver<()> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                while term.recv().await.is_some() {
                    if tx.send(()).await.is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                tracing::warn!("cannot watch SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    });
    rx
}
