//! `bgpwatch run`: spawns the sources, runs detection in one task fed by a bounded channel,
//! delivers alerts, watches feed health and shuts down cleanly on SIGINT/SIGTERM.
//!
//! ```text
//! RIS Live ─┐                                 ┌─▶ sinks
//! BMP ──────┼─ bounded channel ─▶ engine task ┤
//! MRT ──────┘   (LiveBatch)        + ticks    └─▶ metrics
//! ```

mod detection;
mod sources;

use detection::Detection;
use sources::spawn_source;

use crate::alert::{AlertEvent, FeedAlerts};
use crate::config::{Config, SinkConfig};
use crate::engine::Engine;
use crate::http::{router, ApiLimits, ApiState, HttpState};
use crate::rpki::{self, VrpFile};
use crate::sink::outbox::{self, Dispatcher, NamedSink};
use crate::sink::{http_client, JsonlSink, PagingSink, Sink, SinkError};
use crate::source::live::{QueueRoom, SourceHandle};
use crate::status_page::StatusPage;
use crate::store::{SharedStore, Store};
use crate::telemetry::{FeedHealth, Telemetry};
use crate::watchlist::Watchlist;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Notify};

/// Batches that may wait for detection (their items are bounded by `[detect] queue`).
const BATCHES_IN_FLIGHT: usize = 4096;
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
    // Bounded twice: in batches (slots) and in the items they carry (memory).
    let (tx, rx) = mpsc::channel(BATCHES_IN_FLIGHT);
    let room = QueueRoom::new(config.queue);
    let (stop_tx, stop_rx) = watch::channel(false);
    // Alert state survives shutdown and crashes; a corrupt, foreign or locked file stops the
    // start with a clear message rather than being recreated.
    let store = SharedStore::new(
        Store::open_with(&config.state, config.state_sync).map_err(PipelineError::Store)?,
    );
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
            room: room.clone(),
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
