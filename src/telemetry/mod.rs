//! Operational events: each is one function that logs and counts, so no metric increment is
//! scattered through business code. Metric names (prefix `bgpwatch_`) are a contract
//! (DESIGN.md section 8).

mod health;
mod open_alerts;
mod service;

pub use health::{FeedHealth, FeedState, FeedStatus};

use crate::alert::{AlertEvent, Lifecycle};
use crate::source::ReadStats;
use crate::watchlist::Watchlist;
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Buckets of `bgpwatch_detection_latency_seconds`: 100 µs to 10 s.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.0, 10.0,
];

/// The per-batch metrics (`bgpwatch_updates_total`, `bgpwatch_feed_last_message_timestamp_seconds`)
/// of every source, each label set looked up once and kept: a lookup hashes the labels and takes
/// a lock, and batches arrive thousands of times a second. A handle is taken at the first
/// non-zero count, where the uncached code looked the series up.
pub struct UpdateCounters {
    updates_total: IntCounterVec,
    feed_last_message: IntGaugeVec,
    sources: Vec<SourceCounters>,
}

/// One source's cached handles.
struct SourceCounters {
    source: Arc<str>,
    /// `announce`, `withdraw`, `peer_event`: created at the first non-zero count.
    kinds: [Option<IntCounter>; 3],
    last_message: IntGauge,
}

/// The `kind` labels of `bgpwatch_updates_total`, in [`SourceCounters::kinds`] order.
const UPDATE_KINDS: [&str; 3] = ["announce", "withdraw", "peer_event"];

impl UpdateCounters {
    /// A source delivered a batch.
    pub fn updates_received(&mut self, source: &Arc<str>, stats: &ReadStats, unix_time: i64) {
        let i = self.index_of(source);
        let counters = &mut self.sources[i];
        let updates_total = &self.updates_total;
        let counts = [stats.announcements, stats.withdrawals, stats.peer_events];
        for ((slot, kind), n) in counters.kinds.iter_mut().zip(UPDATE_KINDS).zip(counts) {
            if n > 0 {
                slot.get_or_insert_with(|| updates_total.with_label_values(&[&**source, kind]))
                    .inc_by(n);
            }
        }
        counters.last_message.set(unix_time);
    }

    /// The index of `source`'s handles (sources are few: a scan, by pointer first).
    fn index_of(&mut self, source: &Arc<str>) -> usize {
        let found = self
            .sources
            .iter()
            .position(|c| Arc::ptr_eq(&c.source, source) || c.source == *source);
        found.unwrap_or_else(|| {
            self.sources.push(SourceCounters {
                source: source.clone(),
                kinds: [None, None, None],
                last_message: self.feed_last_message.with_label_values(&[&**source]),
            });
            self.sources.len() - 1
        })
    }
}

/// The metrics registry and the events that feed it.
pub struct Telemetry {
    registry: Registry,
    updates_total: IntCounterVec,
    feed_up: IntGaugeVec,
    feed_last_message: IntGaugeVec,
    vantage_points_up: IntGaugeVec,
    watched_prefixes: IntGaugeVec,
    alerts_open: IntGaugeVec,
    open_alert_labels: open_alerts::OpenAlertLabels,
    alerts_total: IntCounterVec,
    detection_latency: Histogram,
    notifications_total: IntCounterVec,
    dropped_updates_total: IntCounterVec,
    input_errors_total: IntCounterVec,
    store_errors_total: IntCounter,
    prefix_visibility: service::PrefixVisibility,
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help).namespace("bgpwatch"), labels)
        .expect("valid counter definition");
    registry
        .register(Box::new(c.clone()))
        .expect("unique metric name");
    c
}

fn gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help).namespace("bgpwatch"), labels)
        .expect("valid gauge definition");
    registry
        .register(Box::new(g.clone()))
        .expect("unique metric name");
    g
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry::new()
    }
}

impl Telemetry {
    /// A fresh registry with every bgpwatch metric.
    pub fn new() -> Self {
        let r = Registry::new();
        let detection_latency = Histogram::with_opts(
            HistogramOpts::new(
                "detection_latency_seconds",
                "From receipt of the triggering message to the alert event",
            )
            .namespace("bgpwatch")
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("valid histogram definition");
        r.register(Box::new(detection_latency.clone()))
            .expect("unique metric name");
        Telemetry {
            updates_total: counter(
                &r,
                "updates_total",
                "Route updates received, by source and kind (announce, withdraw, peer_event)",
                &["source", "kind"],
            ),
            feed_up: gauge(
                &r,
                "feed_up",
                "1 when the source is connected and delivering",
                &["source"],
            ),
            feed_last_message: gauge(
                &r,
                "feed_last_message_timestamp_seconds",
                "UNIX time of the last data message from the source",
                &["source"],
            ),
            vantage_points_up: gauge(
                &r,
                "vantage_points_up",
                "Vantage points (BGP sessions) currently up",
                &["source"],
            ),
            watched_prefixes: gauge(
                &r,
                "watched_prefixes",
                "Watchlist entries, by group",
                &["group"],
            ),
            alerts_open: gauge(&r, "alerts_open", "Alerts open now", &["kind", "severity"]),
            open_alert_labels: Default::default(),
            alerts_total: counter(
                &r,
                "alerts_total",
                "Alerts opened since start",
                &["kind", "severity"],
            ),
            detection_latency,
            notifications_total: counter(
                &r,
                "notifications_total",
                "Alert notifications, by sink and outcome",
                &["sink", "outcome"],
            ),
            dropped_updates_total: counter(
                &r,
                "dropped_updates_total",
                "Updates dropped because detection could not keep up",
                &["source"],
            ),
            input_errors_total: counter(
                &r,
                "input_errors_total",
                "Malformed messages or connections rejected, by source",
                &["source"],
            ),
            store_errors_total: {
                let c = IntCounter::with_opts(
                    Opts::new(
                        "store_errors_total",
                        "Failed reads or writes of the alert database",
                    )
                    .namespace("bgpwatch"),
                )
                .expect("valid counter definition");
                r.register(Box::new(c.clone())).expect("unique metric name");
                c
            },
            prefix_visibility: service::PrefixVisibility::register(&r),
            registry: r,
        }
    }

    /// The watchlist in force: one gauge per group (`none` for entries without one).
    pub fn watchlist_loaded(&self, watchlist: &Watchlist) {
        let mut per_group: BTreeMap<&str, i64> = BTreeMap::new();
        for entry in watchlist.entries() {
            *per_group
                .entry(entry.group.as_deref().unwrap_or("none"))
                .or_default() += 1;
        }
        for (group, n) in per_group {
            self.watched_prefixes.with_label_values(&[group]).set(n);
        }
        tracing::info!(prefixes = watchlist.len(), "watchlist loaded");
    }

    /// The counters the pipeline bumps for every batch, with their label lookups cached.
    pub fn update_counters(&self) -> UpdateCounters {
        UpdateCounters {
            updates_total: self.updates_total.clone(),
            feed_last_message: self.feed_last_message.clone(),
            sources: Vec::new(),
        }
    }

    /// A source connected (or a BMP router session opened).
    pub fn feed_connected(&self, source: &str, peer: &str) {
        tracing::info!(source, peer, "feed connected");
        self.feed_up.with_label_values(&[source]).set(1);
    }

    /// A source lost its connection (or its last router session).
    pub fn feed_disconnected(&self, source: &str, reason: &str) {
        tracing::warn!(source, reason, "feed disconnected");
        self.feed_up.with_label_values(&[source]).set(0);
    }

    /// A message or connection was rejected as malformed or hostile.
    pub fn input_rejected(&self, source: &str, peer: &str, reason: &str) {
        tracing::warn!(source, peer, reason, "input rejected");
        self.input_errors_total.with_label_values(&[source]).inc();
    }

    /// Updates were dropped under overload (never silently).
    pub fn updates_dropped(&self, source: &str, count: u64) {
        tracing::error!(source, count, "updates dropped: detection cannot keep up");
        self.dropped_updates_total
            .with_label_values(&[source])
            .inc_by(count);
    }

    /// Vantage points up for a source.
    pub fn vantage_points(&self, source: &str, up: usize) {
        self.vantage_points_up
            .with_label_values(&[source])
            .set(up as i64);
    }

    /// An alert event was emitted; `latency` is the time since its triggering message arrived.
    pub fn alert_emitted(&self, event: &AlertEvent, latency: Option<std::time::Duration>) {
        let labels = [event.kind.as_str(), event.severity.as_str()];
        let moved = match event.event {
            Lifecycle::Open => {
                self.alerts_total.with_label_values(&labels).inc();
                if let Some(latency) = latency {
                    self.detection_latency.observe(latency.as_secs_f64());
                }
                self.open_alert_labels.opened(&event.id, labels)
            }
            Lifecycle::Update => self.open_alert_labels.updated(&event.id, labels),
            Lifecycle::Resolved => self.open_alert_labels.resolved(&event.id, labels),
        };
        self.move_open_gauge(moved);
        tracing::info!(id = %event.id, kind = %event.kind, event = ?event.event, "{}", event.summary);
    }

    fn move_open_gauge(&self, moved: open_alerts::GaugeMove) {
        if let Some(labels) = moved.dec {
            self.alerts_open.with_label_values(&labels).dec();
        }
        if let Some(labels) = moved.inc {
            self.alerts_open.with_label_values(&labels).inc();
        }
    }

    /// A sink delivered (or failed to deliver) one notification.
    pub fn notification(&self, sink: &str, delivered: bool) {
        let outcome = if delivered { "success" } else { "failure" };
        self.notifications_total
            .with_label_values(&[sink, outcome])
            .inc();
        if !delivered {
            tracing::warn!(sink, "notification failed");
        }
    }

    /// A delivery attempt failed; `retry_in` is when the outbox tries again (`None`: the
    /// receiver refused it for good and it is abandoned).
    pub fn notification_failed(
        &self,
        sink: &str,
        alert_id: &str,
        error: &crate::sink::DeliveryError,
        retry_in: Option<std::time::Duration>,
    ) {
        self.notifications_total
            .with_label_values(&[sink, "failure"])
            .inc();
        match retry_in {
            Some(wait) => tracing::warn!(
                sink,
                alert = alert_id,
                retry_in_seconds = wait.as_secs(),
                "notification failed, will retry: {error}"
            ),
            None => tracing::error!(
                sink,
                alert = alert_id,
                "notification refused, abandoned: {error}"
            ),
        }
    }

    /// One alert open at the last stop is open again (counted in `alerts_open`, not in
    /// `alerts_total`: it did not open now).
    pub fn alert_restored(&self, event: &AlertEvent) {
        let labels = [event.kind.as_str(), event.severity.as_str()];
        self.move_open_gauge(self.open_alert_labels.opened(&event.id, labels));
        tracing::info!(id = %event.id, kind = %event.kind, "restored: {}", event.summary);
    }

    /// Alerts open at the last stop were taken back at start (`restored` of `found`); they
    /// count as open again.
    pub fn alerts_restored(&self, restored: usize, found: usize) {
        if found > 0 {
            tracing::info!(
                restored,
                found,
                "open alerts restored from the alert database"
            );
        }
    }

    /// The alert database could not be read or written: alert state or notifications may be
    /// behind until it can.
    pub fn store_failed(&self, error: &crate::store::StoreError) {
        self.store_errors_total.inc();
        tracing::error!("alert database: {error}");
    }

    /// The detection-latency histogram (for tests and benchmarks).
    pub fn detection_latency(&self) -> &Histogram {
        &self.detection_latency
    }

    /// Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!("encoding metrics: {e}");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}
