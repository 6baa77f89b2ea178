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
use crate::engine::{Engine, InterestFilter};
use crate::http::{router, ApiLimits, ApiState, HttpState};
use crate::rpki::{self, live::VrpFeeds, VrpFile};
use crate::sink::outbox::{self, Dispatcher, NamedSink};
use crate::sink::{http_client, JsonlSink, PagingSink, Sink, SinkError};
use crate::source::bmp_station;
use crate::source::live::{LiveBatch, LiveInterest, SourceHandle};
use crate::source::ris_live_client::{self, RisLiveSettings};
use crate::source::{read_file, ReadStats};
use crate::status_page::StatusPage;
use crate::store::{SharedStore, Store};
use crate::telemetry::{FeedHealth, FeedStatus, Telemetry, UpdateCounters};
use crate::update::Asn;
use crate::watchlist::Watchlist;
use chrono::Utc;
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::task::JoinHandle;

/// Batches in flight between sources and detection.
pub const CHANNEL_CAPACITY: usize = 4096;
/// Batches handled before pending alerts are settled, at most.
const BATCHES_PER_SETTLE: usize = 256;
/// How often the clock, feed health and drops are checked.
const TICK: Duration = Duration::from_secs(1);
/// Items per batch when bootstrapping from MRT files.
const MRT_BATCH: usize = 4096;
/// Time the sources get at shutdown to end their sessions (a websocket Close, the log line).
const SOURCES_STOP_WAIT: Duration = Duration::from_secs(2);

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
    /// A paging sink's settings are wrong.
    #[error("{0}")]
    SinkConfig(crate::sink::SinkConfigError),
    /// The HTTP client for paging sinks cannot be built.
    #[error("{0}")]
    HttpClient(crate::sink::http_client::HttpClientError),
}

/// Runs the service until SIGINT or SIGTERM.
pub async fn run(config: Config, watchlist: Watchlist) -> Result<(), PipelineError> {
    let watchlist = Arc::new(watchlist);
    let telemetry = Arc::new(Telemetry::new());
    telemetry.watchlist_loaded(&watchlist);
    let health = Arc::new(FeedHealth::default());
    let (direct, paging) = open_sinks(&config.sinks)?;
    telemetry.service_started(
        &config.sources.iter().map(|s| s.name()).collect::<Vec<_>>(),
        &config.sinks.iter().map(|s| s.name()).collect::<Vec<_>>(),
    );
    let status = Arc::new(StatusPage::new(
        watchlist.clone(),
        &config.engine.visibility,
    ));
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (stop_tx, stop_rx) = watch::channel(false);
    // Alert state survives shutdown and crashes; a corrupt, foreign or locked file stops the
    // start with a clear message rather than being recreated.
    let store = SharedStore::new(Store::open(&config.state).map_err(PipelineError::Store)?);
    let restored = store
        .call_blocking(|s| s.open_alerts())
        .map_err(PipelineError::Store)?;
    // Rung when notifications are enqueued (alert events, acknowledgements from the API).
    let outbox_wake = Arc::new(Notify::new());
    let paging = Arc::new(paging);
    let workers = outbox::start(
        &paging,
        &store,
        &telemetry,
        outbox_wake.clone(),
        stop_rx.clone(),
    );
    let (alerts_tx, alerts_rx) = mpsc::unbounded_channel();
    let dispatcher = tokio::spawn(
        Dispatcher {
            store: store.clone(),
            paging,
            direct,
            wake: outbox_wake.clone(),
            telemetry: telemetry.clone(),
        }
        .run(alerts_rx),
    );

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
        store: store.clone(),
        outbox_wake: outbox_wake.clone(),
        api: ApiState::new(config.http_token.as_ref(), ApiLimits::default()),
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
    let mut source_tasks = Vec::new();
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
        source_tasks.extend(spawn_source(source, watchlist.clone(), handle).await?);
    }
    drop(tx);

    // VRPs: a file reloaded when it changes and/or an RTR cache; the last good set stays in force.
    let vrp_file = match &config.vrps_file {
        Some(path) => Some(VrpFile::open(path).map_err(PipelineError::Vrps)?),
        None => None,
    };
    let vrps = (vrp_file.is_some() || config.rtr.is_some())
        .then(|| rpki::live::follow(vrp_file, config.rtr.clone()));
    let mut engine = Engine::new(watchlist, config.engine);
    let mut feed_alerts = FeedAlerts::default();
    restore(
        &restored,
        &mut engine,
        &mut feed_alerts,
        &telemetry,
        &status,
    );
    let detection = Detection {
        alerts: alerts_tx,
        vrps,
        engine,
        feed_alerts,
        counters: telemetry.update_counters(),
        telemetry,
        health,
        drops,
        drops_seen: BTreeMap::new(),
        events: Vec::new(),
        status,
    };
    // Detection is a task of its own rather than the runtime's main future: a batch handed over
    // by a source is handled by the same worker right away, with no wake-up of another thread.
    if let Err(e) = tokio::spawn(detection.run(rx)).await {
        std::panic::resume_unwind(e.into_panic());
    }
    // Detection has hung up: the dispatcher records what it was handed, then the workers get
    // a last chance to deliver it.
    let mut direct = match dispatcher.await {
        Ok(direct) => direct,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    let _ = stop_tx.send(true);
    for sink in direct.iter_mut() {
        sink.flush()?;
    }
    for worker in workers {
        let _ = worker.await;
    }
    let sources_ended = async {
        for task in source_tasks {
            let _ = task.await;
        }
    };
    let _ = tokio::time::timeout(SOURCES_STOP_WAIT, sources_ended).await;
    tracing::info!("stopped");
    Ok(())
}

/// The JSON-lines sinks (written directly) and the paging sinks (delivered from the outbox).
fn open_sinks(configs: &[SinkConfig]) -> Result<(Vec<Sink>, Vec<NamedSink>), PipelineError> {
    let mut direct = Vec::new();
    let mut paging = Vec::new();
    let mut client = None;
    for config in configs {
        match config {
            SinkConfig::Jsonl { path: None, format } => {
                direct.push(Sink::Jsonl(JsonlSink::stdout(*format)))
            }
            SinkConfig::Jsonl {
                path: Some(path),
                format,
            } => direct.push(Sink::Jsonl(JsonlSink::file(path, *format)?)),
            _ => {
                if client.is_none() {
                    client = Some(http_client::build().map_err(PipelineError::HttpClient)?);
                }
                let client = client.clone().expect("built above");
                if let Some(sink) =
                    PagingSink::open(config, client).map_err(PipelineError::SinkConfig)?
                {
                    paging.push(NamedSink {
                        name: config.name().to_string(),
                        sink,
                    });
                }
            }
        }
    }
    Ok((direct, paging))
}

/// Puts the alerts that were open when the service last stopped back where they are judged:
/// route alerts into the alert book (kept open until vantage points show the route gone, so
/// a restart neither re-pages them nor resolves them blindly), feed alerts into the feed
/// lifecycle, visibility alerts into the visibility lifecycle.
fn restore(
    events: &[AlertEvent],
    engine: &mut Engine,
    feed_alerts: &mut FeedAlerts,
    telemetry: &Telemetry,
    status: &StatusPage,
) {
    let mut restored = 0;
    for event in events {
        let taken = engine.restore(event) || feed_alerts.restore(event);
        if taken {
            restored += 1;
            telemetry.alert_restored(event);
            status.alert(event);
        } else {
            tracing::warn!(alert = %event.id, kind = %event.kind, "cannot restore this open alert; it stays open in the database");
        }
    }
    telemetry.alerts_restored(restored, events.len());
}

/// Starts a source; returns its task when it is one that ends at shutdown (the MRT bootstrap
/// runs to the end of its files).
async fn spawn_source(
    source: &SourceConfig,
    watchlist: Arc<Watchlist>,
    handle: SourceHandle,
) -> Result<Option<JoinHandle<()>>, PipelineError> {
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
            let interest = live_interest(watchlist.clone());
            let task = ris_live_client::run(settings, watchlist, interest, handle);
            Ok(Some(tokio::spawn(task)))
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
            Ok(Some(tokio::spawn(bmp_station::run(listener, handle))))
        }
        SourceConfig::Mrt { paths, .. } => {
            handle
                .health
                .register(&handle.name, "mrt", chrono::Duration::zero(), false);
            let paths = paths.clone();
            tokio::task::spawn_blocking(move || load_mrt(&paths, &handle));
            Ok(None)
        }
    }
}

/// What a live feed converts: whatever [`InterestFilter`] says the engine needs, and every
/// withdrawal (the route withdrawn may have come from another source, such as an MRT bootstrap
/// of the same collector). The engine ignores the rest, so skipping it changes nothing but cost.
fn live_interest(watchlist: Arc<Watchlist>) -> LiveInterest {
    let mut filter = InterestFilter::new(watchlist);
    Box::new(move |prefix: &IpNet, origins: Option<&[Asn]>| {
        origins.is_none() || filter.wants(prefix, origins)
    })
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
struct Detection {
    engine: Engine,
    feed_alerts: FeedAlerts,
    counters: UpdateCounters,
    telemetry: Arc<Telemetry>,
    health: Arc<FeedHealth>,
    drops: BTreeMap<String, Arc<AtomicU64>>,
    drops_seen: BTreeMap<String, Instant>,
    events: Vec<AlertEvent>,
    status: Arc<StatusPage>,
    vrps: Option<VrpFeeds>,
    /// Settled alert events, to the dispatcher (recording, outbox, JSON lines).
    alerts: mpsc::UnboundedSender<Vec<AlertEvent>>,
}

impl Detection {
    /// Runs until the sources are gone or a signal arrives.
    async fn run(mut self, mut rx: mpsc::Receiver<LiveBatch>) {
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
