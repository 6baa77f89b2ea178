//! The built-in status page at `/`, for operators without Grafana: feed health, open alerts with
//! their evidence, and the visibility of watched prefixes as inline SVG charts. Server-rendered
//! HTML with no script and no external asset; every string that comes from data (descriptions
//! from watchlist files, summaries with AS paths, error messages) is escaped.
//!
//! The detection task feeds a [`StatusPage`] (alert events, visibility readings); the HTTP
//! handler renders it. Memory is bounded: one byte per tracked prefix every
//! [`SAMPLE_EVERY_SECS`] for [`HISTORY_SAMPLES`] samples (1.2 MiB for 3,400 prefixes), the open
//! alerts (which the engine holds anyway) and the last [`RESOLVED_KEPT`] resolved ones.

mod chart;
mod html;

use crate::alert::{AlertEvent, Lifecycle, VisibilitySettings};
use crate::state::Reading;
use crate::telemetry::FeedState;
use crate::update::Timestamp;
use crate::watchlist::Watchlist;
use chrono::Duration;
use ipnet::IpNet;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock};

/// A visibility sample is taken this often (the engine refreshes readings every 10 s).
pub const SAMPLE_EVERY_SECS: i64 = 10;
/// Samples kept per prefix: one hour.
pub const HISTORY_SAMPLES: usize = 360;
/// Resolved alerts kept for the "recently resolved" list.
pub const RESOLVED_KEPT: usize = 10;
/// Prefixes charted: the least visible ones.
pub const CHARTS_SHOWN: usize = 24;
/// Open alerts shown in full (the count of the rest is given).
pub const ALERTS_SHOWN: usize = 100;

/// A sample: visibility ratio in 1/250 steps (0..=250), or [`NO_DATA`].
type Sample = u8;
/// No baseline at that moment: nothing to plot.
const NO_DATA: Sample = u8::MAX;
const SAMPLE_SCALE: f64 = 250.0;

/// What the page shows, kept up to date by the detection task.
#[derive(Debug)]
pub struct StatusPage {
    watchlist: Arc<Watchlist>,
    thresholds: Thresholds,
    board: RwLock<Board>,
}

/// The visibility thresholds drawn on the charts.
#[derive(Debug, Clone, Copy)]
struct Thresholds {
    loss_below: f64,
    withdrawal_at: f64,
    recover_at: f64,
}

#[derive(Debug, Default)]
struct Board {
    open: BTreeMap<String, AlertEvent>,
    resolved: VecDeque<AlertEvent>,
    times: VecDeque<Timestamp>,
    tracks: BTreeMap<IpNet, Track>,
}

#[derive(Debug)]
struct Track {
    reach: usize,
    baseline: usize,
    samples: VecDeque<Sample>,
}

/// One prefix's chart, copied out of the board for rendering.
#[derive(Debug, Clone)]
struct ChartData {
    prefix: IpNet,
    description: Option<String>,
    group: Option<String>,
    reach: usize,
    baseline: usize,
    samples: Vec<Sample>,
}

/// Everything one rendering needs, copied out under the lock.
#[derive(Debug)]
struct Snapshot {
    /// The [`ALERTS_SHOWN`] most severe and newest open alerts.
    alerts: Vec<AlertEvent>,
    /// All open alerts.
    open: usize,
    resolved: Vec<AlertEvent>,
    times: Vec<Timestamp>,
    charts: Vec<ChartData>,
    tracked: usize,
    with_baseline: usize,
    below_recover: usize,
}

impl StatusPage {
    /// An empty page for `watchlist`, drawing the visibility thresholds of `visibility`.
    pub fn new(watchlist: Arc<Watchlist>, visibility: &VisibilitySettings) -> Self {
        StatusPage {
            watchlist,
            thresholds: Thresholds {
                loss_below: visibility.loss_below,
                withdrawal_at: visibility.withdrawal_at,
                recover_at: visibility.recover_at,
            },
            board: RwLock::default(),
        }
    }

    /// An alert event was emitted: open and updated alerts are shown, resolved ones move to the
    /// "recently resolved" list.
    pub fn alert(&self, event: &AlertEvent) {
        let mut board = self.board.write().unwrap_or_else(|e| e.into_inner());
        match event.event {
            Lifecycle::Open | Lifecycle::Update => {
                board.open.insert(event.id.clone(), event.clone());
            }
            Lifecycle::Resolved => {
                board.open.remove(&event.id);
                board.resolved.push_front(event.clone());
                board.resolved.truncate(RESOLVED_KEPT);
            }
        }
    }

    /// The engine's latest visibility readings at `now`; a sample is kept every
    /// [`SAMPLE_EVERY_SECS`] (calls in between are ignored).
    pub fn visibility(&self, readings: &[Reading], now: Timestamp) {
        if readings.is_empty() {
            return;
        }
        let mut board = self.board.write().unwrap_or_else(|e| e.into_inner());
        let due = board
            .times
            .back()
            .is_none_or(|last| now - *last >= Duration::seconds(SAMPLE_EVERY_SECS));
        if due {
            board.sample(readings, now);
        }
    }

    /// The page as of `now`, with the feeds' states.
    pub fn render(&self, feeds: &BTreeMap<String, FeedState>, now: Timestamp) -> String {
        let snapshot = self.snapshot();
        html::page(&snapshot, feeds, &self.thresholds, now)
    }

    fn snapshot(&self) -> Snapshot {
        let board = self.board.read().unwrap_or_else(|e| e.into_inner());
        let mut alerts: Vec<&AlertEvent> = board.open.values().collect();
        alerts.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.opened_at.cmp(&a.opened_at))
        });
        let alerts = alerts.into_iter().take(ALERTS_SHOWN).cloned().collect();
        let mut judged: Vec<(&IpNet, &Track)> = board
            .tracks
            .iter()
            .filter(|(_, t)| t.baseline > 0)
            .collect();
        judged.sort_by(|a, b| a.1.ratio().total_cmp(&b.1.ratio()).then(a.0.cmp(b.0)));
        let below_recover = judged
            .iter()
            .filter(|(_, t)| t.ratio() < self.thresholds.recover_at)
            .count();
        let charts = judged
            .iter()
            .take(CHARTS_SHOWN)
            .map(|(prefix, track)| {
                let entry = self.watchlist.entry(prefix);
                ChartData {
                    prefix: **prefix,
                    description: entry.and_then(|e| e.description.clone()),
                    group: entry.and_then(|e| e.group.as_deref().map(String::from)),
                    reach: track.reach,
                    baseline: track.baseline,
                    samples: track.samples.iter().copied().collect(),
                }
            })
            .collect();
        Snapshot {
            alerts,
            open: board.open.len(),
            resolved: board.resolved.iter().cloned().collect(),
            times: board.times.iter().copied().collect(),
            charts,
            tracked: board.tracks.len(),
            with_baseline: judged.len(),
            below_recover,
        }
    }
}

impl Board {
    /// Appends one sample per prefix (every track keeps exactly one sample per time).
    fn sample(&mut self, readings: &[Reading], now: Timestamp) {
        self.times.push_back(now);
        let len = self.times.len();
        for reading in readings {
            let track = self.tracks.entry(reading.prefix).or_insert_with(|| Track {
                reach: 0,
                baseline: 0,
                samples: VecDeque::with_capacity(HISTORY_SAMPLES + 1),
            });
            while track.samples.len() + 1 < len {
                track.samples.push_back(NO_DATA);
            }
            track.reach = reading.reach;
            track.baseline = reading.baseline;
            track.samples.push_back(encode(reading));
        }
        for track in self.tracks.values_mut() {
            if track.samples.len() < len {
                track.reach = 0;
                track.baseline = 0;
                track.samples.push_back(NO_DATA);
            }
        }
        if len > HISTORY_SAMPLES {
            self.times.pop_front();
            for track in self.tracks.values_mut() {
                track.samples.pop_front();
            }
        }
    }
}

impl Track {
    fn ratio(&self) -> f64 {
        self.reach as f64 / self.baseline.max(1) as f64
    }
}

fn encode(reading: &Reading) -> Sample {
    if reading.baseline == 0 {
        return NO_DATA;
    }
    (reading.ratio().clamp(0.0, 1.0) * SAMPLE_SCALE).round() as Sample
}

fn decode(sample: Sample) -> Option<f64> {
    (sample != NO_DATA).then(|| f64::from(sample) / SAMPLE_SCALE)
}

#[cfg(test)]
mod tests;
