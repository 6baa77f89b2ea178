//! Starting the sources: the RIS Live client, the BMP station, the MRT bootstrap.

use super::PipelineError;
use crate::config::SourceConfig;
use crate::engine::InterestFilter;
use crate::source::bmp_station;
use crate::source::live::{LiveBatch, LiveInterest, SourceHandle};
use crate::source::ris_live_client::{self, RisLiveSettings};
use crate::source::{read_file, ReadStats};
use crate::update::Asn;
use crate::watchlist::Watchlist;
use ipnet::IpNet;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Items per batch when bootstrapping from MRT files.
const MRT_BATCH: usize = 4096;

/// Starts a source; returns its task when it is one that ends at shutdown (the MRT bootstrap
/// runs to the end of its files).
pub(super) async fn spawn_source(
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
                room: None,
            };
            handle.health.data(&handle.name);
            handle.blocking_send(batch)
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
