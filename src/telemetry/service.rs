//! Events of the live service around the per-batch counters: its start (every known label set
//! is created at zero, so dashboards show 0 rather than "no data" and `increase()` sees a
//! counter's first increment), feed health on every tick, and per-prefix visibility.
//!
//! `bgpwatch_prefix_visibility_ratio{prefix,group}` has one series per watched prefix that has
//! a baseline (vantage points that carried it lately) and no other: its cardinality is bounded by
//! the watchlist, not by what the Internet announces. A prefix that loses its baseline loses its
//! series.

use super::Telemetry;
use crate::alert::AlertKind;
use crate::state::Reading;
use ipnet::IpNet;
use prometheus::{GaugeVec, Opts, Registry};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

/// Every alert kind, each of whose series (at its default severity) exists from start.
const ALERT_KINDS: [AlertKind; 13] = [
    AlertKind::OriginHijack,
    AlertKind::SubprefixHijack,
    AlertKind::Squat,
    AlertKind::NewMoreSpecific,
    AlertKind::PathHijack,
    AlertKind::RouteLeak,
    AlertKind::UnexpectedOrigination,
    AlertKind::RpkiInvalid,
    AlertKind::VisibilityLoss,
    AlertKind::Withdrawal,
    AlertKind::MassWithdrawal,
    AlertKind::FeedStalled,
    AlertKind::UpdatesDropped,
];

/// Position in [`ALERT_KINDS`]; fails to compile when a kind is added and not listed.
#[cfg(test)]
fn listed(kind: AlertKind) -> usize {
    match kind {
        AlertKind::OriginHijack => 0,
        AlertKind::SubprefixHijack => 1,
        AlertKind::Squat => 2,
        AlertKind::NewMoreSpecific => 3,
        AlertKind::PathHijack => 4,
        AlertKind::RouteLeak => 5,
        AlertKind::UnexpectedOrigination => 6,
        AlertKind::RpkiInvalid => 7,
        AlertKind::VisibilityLoss => 8,
        AlertKind::Withdrawal => 9,
        AlertKind::MassWithdrawal => 10,
        AlertKind::FeedStalled => 11,
        AlertKind::UpdatesDropped => 12,
    }
}

/// Kinds of `bgpwatch_updates_total`.
const UPDATE_KINDS: [&str; 3] = ["announce", "withdraw", "peer_event"];
/// Outcomes of `bgpwatch_notifications_total`.
const OUTCOMES: [&str; 2] = ["success", "failure"];
/// Group label of watch entries without a group (as in `bgpwatch_watched_prefixes`).
const NO_GROUP: &str = "none";

/// The per-prefix visibility gauge and what it currently exports.
pub(super) struct PrefixVisibility {
    gauge: GaugeVec,
    published: Mutex<BTreeMap<IpNet, Published>>,
}

/// One exported series: its labels and the reading it shows.
struct Published {
    prefix: String,
    group: Arc<str>,
    reach: usize,
    baseline: usize,
}

impl PrefixVisibility {
    /// Registers `bgpwatch_prefix_visibility_ratio` in `registry`.
    pub(super) fn register(registry: &Registry) -> Self {
        let gauge = GaugeVec::new(
            Opts::new(
                "prefix_visibility_ratio",
                "Vantage points reaching the watched prefix / its baseline (watched prefixes with a baseline only)",
            )
            .namespace("bgpwatch"),
            &["prefix", "group"],
        )
        .expect("valid gauge definition");
        registry
            .register(Box::new(gauge.clone()))
            .expect("unique metric name");
        PrefixVisibility {
            gauge,
            published: Mutex::default(),
        }
    }
}

impl Telemetry {
    /// The live service starts with these sources and sinks: every series they and the alert
    /// kinds will use exists from now on, at zero.
    pub fn service_started(&self, sources: &[&str], sinks: &[&str]) {
        for kind in ALERT_KINDS {
            let labels = [kind.as_str(), kind.default_severity().as_str()];
            self.alerts_total.with_label_values(&labels);
            self.alerts_open.with_label_values(&labels);
        }
        for source in sources {
            for kind in UPDATE_KINDS {
                self.updates_total.with_label_values(&[source, kind]);
            }
            self.dropped_updates_total.with_label_values(&[source]);
            self.input_errors_total.with_label_values(&[source]);
            self.feed_up.with_label_values(&[source]).set(0);
        }
        for sink in sinks {
            for outcome in OUTCOMES {
                self.notifications_total.with_label_values(&[sink, outcome]);
            }
        }
        tracing::info!(
            sources = sources.len(),
            sinks = sinks.len(),
            "service started"
        );
    }

    /// A source's health as of this tick: up when live (connected and delivering, or a finished
    /// bootstrap), as `/healthz` says.
    pub fn feed_health(&self, source: &str, live: bool) {
        self.feed_up
            .with_label_values(&[source])
            .set(i64::from(live));
    }

    /// The engine's latest visibility readings: one series per prefix with a baseline; series of
    /// prefixes that lost theirs are removed. Unchanged readings cost no label lookup.
    pub fn visibility_read(&self, readings: &[Reading]) {
        let gauge = &self.prefix_visibility.gauge;
        let mut published = self
            .prefix_visibility
            .published
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let before = published.len();
        let mut current = 0;
        for reading in readings.iter().filter(|r| r.baseline > 0) {
            current += 1;
            let entry = published
                .entry(reading.prefix)
                .or_insert_with(|| Published {
                    prefix: reading.prefix.to_string(),
                    group: reading.group.clone().unwrap_or_else(|| Arc::from(NO_GROUP)),
                    reach: usize::MAX,
                    baseline: 0,
                });
            if (entry.reach, entry.baseline) != (reading.reach, reading.baseline) {
                entry.reach = reading.reach;
                entry.baseline = reading.baseline;
                gauge
                    .with_label_values(&[entry.prefix.as_str(), &entry.group])
                    .set(reading.ratio());
            }
        }
        if published.len() > current {
            let judged: HashSet<IpNet> = readings
                .iter()
                .filter(|r| r.baseline > 0)
                .map(|r| r.prefix)
                .collect();
            published.retain(|prefix, p| {
                let keep = judged.contains(prefix);
                if !keep {
                    let _ = gauge.remove_label_values(&[p.prefix.as_str(), &p.group]);
                }
                keep
            });
        }
        if published.len() != before {
            tracing::debug!(
                prefixes = published.len(),
                "prefixes with a visibility baseline"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(prefix: &str, group: Option<&str>, reach: usize, baseline: usize) -> Reading {
        Reading {
            prefix: prefix.parse().unwrap(),
            group: group.map(Arc::from),
            origins: Arc::from([64500]),
            reach,
            baseline,
            changed_at: None,
        }
    }

    #[test]
    fn every_alert_kind_is_listed_once() {
        for (i, kind) in ALERT_KINDS.iter().enumerate() {
            assert_eq!(listed(*kind), i, "{kind}");
        }
    }

    #[test]
    fn every_label_set_exists_at_zero_after_start() {
        let t = Telemetry::new();
        t.service_started(&["ris-live", "mrt"], &["jsonl"]);
        let text = t.render();
        for line in [
            "bgpwatch_updates_total{kind=\"peer_event\",source=\"mrt\"} 0",
            "bgpwatch_dropped_updates_total{source=\"ris-live\"} 0",
            "bgpwatch_feed_up{source=\"mrt\"} 0",
            "bgpwatch_notifications_total{outcome=\"failure\",sink=\"jsonl\"} 0",
            "bgpwatch_alerts_total{kind=\"route-leak\",severity=\"critical\"} 0",
            "bgpwatch_alerts_open{kind=\"rpki-invalid\",severity=\"warning\"} 0",
        ] {
            assert!(text.contains(line), "{line} missing:\n{text}");
        }
    }

    #[test]
    fn only_prefixes_with_a_baseline_have_a_visibility_series_and_losing_it_removes_it() {
        let t = Telemetry::new();
        t.visibility_read(&[
            reading("198.51.100.0/24", Some("gov"), 3, 6),
            reading("203.0.113.0/24", None, 0, 0),
        ]);
        let text = t.render();
        assert!(text.contains(
            "bgpwatch_prefix_visibility_ratio{group=\"gov\",prefix=\"198.51.100.0/24\"} 0.5"
        ));
        assert!(!text.contains("203.0.113.0/24"), "no baseline, no series");

        t.visibility_read(&[
            reading("198.51.100.0/24", Some("gov"), 0, 0),
            reading("203.0.113.0/24", None, 6, 6),
        ]);
        let text = t.render();
        assert!(
            !text.contains("198.51.100.0/24"),
            "baseline lost: series removed"
        );
        assert!(text.contains(
            "bgpwatch_prefix_visibility_ratio{group=\"none\",prefix=\"203.0.113.0/24\"} 1"
        ));
    }
    #[test]
    fn an_alert_that_escalates_then_resolves_leaves_no_series_open() {
        use crate::alert::{AlertKind, Lifecycle, Severity};
        use crate::store::test_events::hijack;
        let t = Telemetry::new();
        let mut event = hijack("esc", "198.51.100.0/24", Lifecycle::Open, 20);
        event.kind = AlertKind::VisibilityLoss;
        event.severity = Severity::Warning;
        t.alert_emitted(&event, None);
        event.event = Lifecycle::Update;
        event.kind = AlertKind::Withdrawal;
        event.severity = Severity::Critical;
        t.alert_emitted(&event, None);
        let open = |text: &str, kind: &str, severity: &str| {
            let series = format!("bgpwatch_alerts_open{{kind=\"{kind}\",severity=\"{severity}\"}}");
            let line = text
                .lines()
                .find(|l| l.starts_with(&series))
                .map(str::to_string);
            line.unwrap_or_else(|| panic!("{series} missing:\n{text}"))
        };
        let text = t.render();
        assert!(open(&text, "visibility-loss", "warning").ends_with(" 0"));
        assert!(open(&text, "withdrawal", "critical").ends_with(" 1"));
        event.event = Lifecycle::Resolved;
        t.alert_emitted(&event, None);
        let text = t.render();
        assert!(open(&text, "visibility-loss", "warning").ends_with(" 0"));
        assert!(open(&text, "withdrawal", "critical").ends_with(" 0"));
    }
}
