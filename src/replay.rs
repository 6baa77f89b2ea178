//! `bgpwatch replay`: files through the same engine as the live service, in data time.
//!
//! One thread reads and decodes the inputs (decompression and parsing), the calling thread runs
//! detection and delivers alerts; batches flow between them over a bounded channel.

use crate::alert::AlertEvent;
use crate::engine::{Engine, EngineSettings, InterestFilter};
use crate::sink::{Sink, SinkError};
use crate::source::{read_file_filtered, InputFormat, ReadStats, SourceError};
use crate::update::Asn;
use crate::update::SourceItem;
use crate::watchlist::Watchlist;
use indicatif::{ProgressBar, ProgressStyle};
use ipnet::IpNet;
use serde::Serialize;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Items per batch handed from the reader thread to detection.
const BATCH: usize = 4096;
/// Batches in flight between the two threads.
const BATCHES_IN_FLIGHT: usize = 8;

/// What to replay and how.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Input files, in order.
    pub inputs: Vec<PathBuf>,
    /// Force a format instead of sniffing each file.
    pub format: Option<InputFormat>,
    /// Detection settings.
    pub engine: EngineSettings,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// The outcome of a replay.
#[derive(Debug)]
pub struct ReplayReport {
    /// What was read.
    pub stats: ReadStats,
    /// Alerts opened.
    pub alerts: u64,
    /// Alert events emitted (open, update, resolved).
    pub alert_events: u64,
    /// Alerts still open at the end of the input (end of input resolves nothing).
    pub open_alerts: usize,
    /// Damage found in the inputs.
    pub errors: Vec<SourceError>,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// The `--summary-json` document.
#[derive(Debug, Serialize)]
pub struct SummaryJson {
    records: u64,
    announcements: u64,
    withdrawals: u64,
    peer_events: u64,
    alerts: u64,
    errors: u64,
    elapsed_seconds: f64,
    alert_events: u64,
    open_alerts: usize,
    skipped: u64,
    non_unicast: u64,
    updates_per_second: f64,
}

impl ReplayReport {
    /// Updates (announced + withdrawn prefixes) per second of wall-clock time.
    pub fn updates_per_second(&self) -> f64 {
        let updates = (self.stats.announcements + self.stats.withdrawals) as f64;
        updates / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The machine-readable summary.
    pub fn summary_json(&self) -> SummaryJson {
        SummaryJson {
            records: self.stats.records,
            announcements: self.stats.announcements,
            withdrawals: self.stats.withdrawals,
            peer_events: self.stats.peer_events,
            alerts: self.alerts,
            errors: self.stats.errors,
            elapsed_seconds: self.elapsed.as_secs_f64(),
            alert_events: self.alert_events,
            open_alerts: self.open_alerts,
            skipped: self.stats.skipped,
            non_unicast: self.stats.non_unicast,
            updates_per_second: self.updates_per_second(),
        }
    }

    /// The one-line human summary.
    pub fn summary_line(&self) -> String {
        let s = &self.stats;
        format!(
            "replay: {} records, {} announcements, {} withdrawals, {} peer events; {} alerts ({} events, {} still open); {} errors; {:.2} s, {:.0} updates/s",
            s.records, s.announcements, s.withdrawals, s.peer_events, self.alerts,
            self.alert_events, self.open_alerts, s.errors, self.elapsed.as_secs_f64(),
            self.updates_per_second()
        )
    }
}

/// Replays `options.inputs` against `watchlist`, delivering every alert event to `sink`.
/// Damaged input is reported in the result; only a failing sink aborts.
pub fn replay(
    watchlist: Arc<Watchlist>,
    options: &ReplayOptions,
    sink: &mut Sink,
) -> Result<ReplayReport, SinkError> {
    let started = Instant::now();
    let progress = progress_bar(options.progress);
    let (tx, rx) = sync_channel::<Vec<SourceItem>>(BATCHES_IN_FLIGHT);
    let inputs = options.inputs.clone();
    let format = options.format;
    let mut interest = InterestFilter::new(watchlist.clone());
    let reader_progress = progress.clone();
    let reader = std::thread::Builder::new()
        .name("replay-reader".into())
        .spawn(move || {
            let mut stats = ReadStats::default();
            let mut errors = Vec::new();
            for path in &inputs {
                reader_progress.set_message(path.display().to_string());
                let mut batch = Vec::with_capacity(BATCH);
                let mut file_stats = ReadStats::default();
                let mut emit = |item| {
                    batch.push(item);
                    if batch.len() == BATCH {
                        reader_progress.inc(BATCH as u64);
                        // A closed receiver means detection stopped; nothing left to do.
                        let _ = tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                    }
                };
                let mut wanted =
                    |prefix: &IpNet, origins: Option<&[Asn]>| interest.wants(prefix, origins);
                errors.extend(read_file_filtered(
                    path,
                    format,
                    Some(&mut wanted),
                    &mut emit,
                    &mut file_stats,
                ));
                if !batch.is_empty() {
                    reader_progress.inc(batch.len() as u64);
                    let _ = tx.send(batch);
                }
                stats.add(&file_stats);
            }
            (stats, errors)
        })
        .expect("spawning the reader thread");

    let mut engine = Engine::new(watchlist, options.engine.clone());
    let mut events: Vec<AlertEvent> = Vec::new();
    let mut alert_events = 0u64;
    let mut delivery: Result<(), SinkError> = Ok(());
    let mut deliver = |events: &mut Vec<AlertEvent>| {
        alert_events += events.len() as u64;
        for event in events.drain(..) {
            if delivery.is_ok() {
                delivery = sink.deliver(&event);
            }
        }
    };
    for batch in rx {
        for item in &batch {
            engine.handle(item, &mut events);
        }
        deliver(&mut events);
    }
    engine.flush(&mut events);
    deliver(&mut events);
    let (stats, errors) = reader.join().expect("reader thread panicked");
    progress.finish_and_clear();
    delivery?;
    sink.flush()?;
    Ok(ReplayReport {
        stats,
        alerts: engine.alerts_opened(),
        alert_events,
        open_alerts: engine.alerts_open(),
        errors,
        elapsed: started.elapsed(),
    })
}

fn progress_bar(wanted: bool) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {elapsed_precise} {human_pos} updates ({per_sec}) {wide_msg}",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
