//! Visibility alerts: `visibility-loss` (below half the baseline for 2 min), escalating to
//! `withdrawal` (at most a tenth for 2 min), resolving at 0.8 of the baseline for 2 min
//! (hysteresis), and `mass-withdrawal` incidents when many prefixes of a group go together.

use super::event::{AlertEvent, Lifecycle};
use super::AlertKind;
use crate::state::Reading;
use crate::update::Timestamp;
use chrono::Duration;
use ipnet::IpNet;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[path = "visibility_settings.rs"]
mod settings;
pub use settings::*;

#[derive(Debug, Clone)]
struct Open {
    kind: AlertKind,
    id: String,
    first_seen: Timestamp,
    opened_at: Timestamp,
    peak_baseline: usize,
    incident: Option<String>,
}

#[derive(Debug, Default)]
struct PrefixState {
    low_since: Option<Timestamp>,
    gone_since: Option<Timestamp>,
    ok_since: Option<Timestamp>,
    open: Option<Open>,
}

#[derive(Debug, Clone)]
struct Incident {
    id: String,
    members: Vec<IpNet>,
    first_seen: Timestamp,
    opened_at: Timestamp,
    notified: usize,
    peak: usize,
}

/// The visibility lifecycle of every watched prefix, and group incidents.
#[derive(Debug, Default)]
pub struct VisibilityAlerts {
    settings: VisibilitySettings,
    prefixes: HashMap<IpNet, PrefixState>,
    incidents: BTreeMap<Arc<str>, Incident>,
    started: Option<Timestamp>,
    last_evaluated: Option<Timestamp>,
    opened_total: u64,
}

impl VisibilityAlerts {
    /// An empty lifecycle with these thresholds.
    pub fn new(settings: VisibilitySettings) -> Self {
        VisibilityAlerts {
            settings,
            ..VisibilityAlerts::default()
        }
    }

    /// The thresholds in force.
    pub fn settings(&self) -> &VisibilitySettings {
        &self.settings
    }

    /// Whether an evaluation is due at `now`.
    pub fn due(&self, now: Timestamp) -> bool {
        self.last_evaluated
            .is_none_or(|t| now - t >= Duration::seconds(EVALUATE_EVERY_SECS))
    }

    /// Alerts opened since start (visibility kinds and incidents).
    pub fn opened_total(&self) -> u64 {
        self.opened_total
    }

    /// Open visibility alerts and incidents.
    pub fn open_alerts(&self) -> usize {
        self.prefixes.values().filter(|p| p.open.is_some()).count() + self.incidents.len()
    }

    /// Takes back a visibility alert that was open when the service stopped. It resolves (or
    /// escalates) under the same id once readings with enough baseline judge its prefix again;
    /// a `mass-withdrawal` resolves when none of its group's prefix alerts is open. `false` for
    /// other kinds.
    pub fn restore(&mut self, event: &AlertEvent) -> bool {
        match event.kind {
            AlertKind::VisibilityLoss | AlertKind::Withdrawal => {
                let Some(prefix) = event.prefix else {
                    return false;
                };
                self.prefixes.entry(prefix).or_default().open = Some(Open {
                    kind: event.kind,
                    id: event.id.clone(),
                    first_seen: event.first_seen,
                    opened_at: event.opened_at,
                    peak_baseline: event.baseline.unwrap_or(0),
                    incident: event.incident.clone(),
                });
                true
            }
            AlertKind::MassWithdrawal => {
                let Some(group) = event.group.as_deref() else {
                    return false;
                };
                let members = event.prefixes.clone().unwrap_or_default();
                self.incidents.insert(
                    group.into(),
                    Incident {
                        id: event.id.clone(),
                        notified: members.len().max(1),
                        peak: event.peak_peers.max(members.len()),
                        members,
                        first_seen: event.first_seen,
                        opened_at: event.opened_at,
                    },
                );
                true
            }
            _ => false,
        }
    }

    /// Judges the readings taken at `now`; `group_sizes` gives each group's tracked prefixes.
    pub fn evaluate(
        &mut self,
        readings: &[Reading],
        group_sizes: &HashMap<Arc<str>, usize>,
        now: Timestamp,
        out: &mut Vec<AlertEvent>,
    ) {
        let started = *self.started.get_or_insert(now);
        self.last_evaluated = Some(now);
        let warming_up = now - started < self.settings.warmup;
        for reading in readings {
            if reading.baseline < self.settings.min_baseline {
                continue;
            }
            self.judge(reading, now, warming_up, out);
        }
        self.judge_groups(readings, group_sizes, now, out);
    }

    fn judge(&mut self, r: &Reading, now: Timestamp, warming_up: bool, out: &mut Vec<AlertEvent>) {
        let s = self.settings;
        let ratio = r.ratio();
        let state = self.prefixes.entry(r.prefix).or_default();
        // Reachability changes only with data: a condition seen now began when it last changed.
        let began = r.changed_at.unwrap_or(now).min(now);
        track(&mut state.low_since, ratio < s.loss_below, began);
        track(&mut state.gone_since, ratio <= s.withdrawal_at, began);
        track(&mut state.ok_since, ratio >= s.recover_at, began);
        let due_at = |since: Timestamp| {
            let due = since + s.persist;
            (due <= now).then_some(due)
        };
        let gone_due = state.gone_since.and_then(due_at);
        let low_due = state.low_since.and_then(due_at);
        match state.open.clone() {
            None if warming_up => {}
            None => {
                let (kind, at) = match (gone_due, low_due) {
                    (Some(at), _) => (AlertKind::Withdrawal, at),
                    (None, Some(at)) => (AlertKind::VisibilityLoss, at),
                    (None, None) => return,
                };
                let first_seen = state.low_since.unwrap_or(at);
                let incident = r
                    .group
                    .as_ref()
                    .and_then(|g| self.incidents.get(g))
                    .map(|i| i.id.clone());
                let open = Open {
                    kind,
                    id: episode_id(&r.prefix, first_seen),
                    first_seen,
                    opened_at: at,
                    peak_baseline: r.baseline,
                    incident,
                };
                out.push(prefix_event(&open, r, Lifecycle::Open, at, &self.settings));
                state.open = Some(open);
                self.opened_total += 1;
            }
            Some(mut open) => {
                open.peak_baseline = open.peak_baseline.max(r.baseline);
                if open.kind == AlertKind::VisibilityLoss {
                    if let Some(at) = gone_due {
                        open.kind = AlertKind::Withdrawal;
                        out.push(prefix_event(
                            &open,
                            r,
                            Lifecycle::Update,
                            at,
                            &self.settings,
                        ));
                    }
                }
                if let Some(at) = state.ok_since.and_then(due_at) {
                    out.push(prefix_event(
                        &open,
                        r,
                        Lifecycle::Resolved,
                        at,
                        &self.settings,
                    ));
                    state.open = None;
                } else {
                    state.open = Some(open);
                }
            }
        }
    }

    fn judge_groups(
        &mut self,
        readings: &[Reading],
        group_sizes: &HashMap<Arc<str>, usize>,
        now: Timestamp,
        out: &mut Vec<AlertEvent>,
    ) {
        let s = self.settings;
        let mut recent: BTreeMap<Arc<str>, Vec<IpNet>> = BTreeMap::new();
        let mut affected: BTreeMap<Arc<str>, Vec<IpNet>> = BTreeMap::new();
        for r in readings {
            let (Some(group), Some(open)) = (
                &r.group,
                self.prefixes.get(&r.prefix).and_then(|p| p.open.as_ref()),
            ) else {
                continue;
            };
            affected.entry(group.clone()).or_default().push(r.prefix);
            if now - open.opened_at <= s.mass_window {
                recent.entry(group.clone()).or_default().push(r.prefix);
            }
        }
        for (group, members) in &affected {
            let size = group_sizes.get(group).copied().unwrap_or(0);
            let needed = s.mass_min.max((s.mass_share * size as f64).ceil() as usize);
            let fresh = recent.get(group).map_or(0, Vec::len);
            match self.incidents.get_mut(group) {
                None if fresh >= needed => {
                    let first_seen = members
                        .iter()
                        .filter_map(|p| self.prefixes.get(p)?.open.as_ref().map(|o| o.first_seen))
                        .min()
                        .unwrap_or(now);
                    let incident = Incident {
                        id: incident_id(group, first_seen),
                        members: members.clone(),
                        first_seen,
                        opened_at: now,
                        notified: members.len(),
                        peak: members.len(),
                    };
                    for p in members {
                        if let Some(open) = self.prefixes.get_mut(p).and_then(|s| s.open.as_mut()) {
                            open.incident = Some(incident.id.clone());
                        }
                    }
                    out.push(incident_event(
                        group,
                        &incident,
                        members,
                        size,
                        Lifecycle::Open,
                        now,
                    ));
                    self.incidents.insert(group.clone(), incident);
                    self.opened_total += 1;
                }
                Some(incident) => {
                    incident.members = members.clone();
                    incident.peak = incident.peak.max(members.len());
                    for p in members {
                        if let Some(open) = self.prefixes.get_mut(p).and_then(|s| s.open.as_mut()) {
                            open.incident = Some(incident.id.clone());
                        }
                    }
                    if members.len() >= 2 * incident.notified {
                        incident.notified = members.len();
                        out.push(incident_event(
                            group,
                            incident,
                            members,
                            size,
                            Lifecycle::Update,
                            now,
                        ));
                    }
                }
                None => {}
            }
        }
        let ended: Vec<Arc<str>> = self
            .incidents
            .keys()
            .filter(|g| !affected.contains_key(*g))
            .cloned()
            .collect();
        for group in ended {
            if let Some(incident) = self.incidents.remove(&group) {
                let size = group_sizes.get(&group).copied().unwrap_or(0);
                out.push(incident_event(
                    &group,
                    &incident,
                    &incident.members,
                    size,
                    Lifecycle::Resolved,
                    now,
                ));
            }
        }
    }
}

fn track(since: &mut Option<Timestamp>, holds: bool, now: Timestamp) {
    match (holds, since.is_some()) {
        (true, false) => *since = Some(now),
        (false, true) => *since = None,
        _ => {}
    }
}

fn episode_id(prefix: &IpNet, first_seen: Timestamp) -> String {
    short_hash(&format!(
        "visibility {prefix} {}",
        first_seen.timestamp_micros()
    ))
}

fn incident_id(group: &str, first_seen: Timestamp) -> String {
    short_hash(&format!(
        "mass-withdrawal {group} {}",
        first_seen.timestamp_micros()
    ))
}

fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[path = "visibility_events.rs"]
mod events;
use events::{incident_event, prefix_event};

#[cfg(test)]
#[path = "visibility_tests.rs"]
mod tests;
