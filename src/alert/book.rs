//! The alert book: counts the vantage points behind each [`AlertKey`] and runs the lifecycle
//! open -> update -> resolved, in data time during replay.

use super::event::{AlertEvent, Evidence, Lifecycle, SamplePath};
use super::{summary, AlertKey};
use crate::detect::Finding;
use crate::state::VpId;
use crate::update::{AsPath, Timestamp, VantagePoint};
use chrono::Duration;
use ipnet::IpNet;
use std::collections::{BTreeSet, HashMap};

/// Default `min_peers`: vantage points that must carry an offending route before it opens.
pub const DEFAULT_MIN_PEERS: usize = 2;
/// Default `resolve_after`: how long no vantage point may carry it before it resolves.
pub const DEFAULT_RESOLVE_AFTER_SECS: u64 = 300;
/// At most this many distinct sample paths per alert.
const MAX_SAMPLE_PATHS: usize = 5;
/// At most this many vantage points listed per alert.
const MAX_LISTED_VANTAGE_POINTS: usize = 10;

/// Thresholds of the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookSettings {
    /// Vantage points needed to open.
    pub min_peers: usize,
    /// Quiet time before resolving.
    pub resolve_after: Duration,
}

impl Default for BookSettings {
    fn default() -> Self {
        BookSettings {
            min_peers: DEFAULT_MIN_PEERS,
            resolve_after: Duration::seconds(DEFAULT_RESOLVE_AFTER_SECS as i64),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Opened {
    at: Timestamp,
    notified_peers: usize,
}

#[derive(Debug)]
struct Tracked {
    finding: Finding,
    carriers: BTreeSet<VpId>,
    sample_paths: Vec<SamplePath>,
    seen_by: Vec<String>,
    first_seen: Timestamp,
    opened: Option<Opened>,
    peak_peers: usize,
    empty_since: Option<Timestamp>,
    changed_at: Timestamp,
    /// Restored after a restart and not carried by any vantage point since: the vantage points
    /// that have shown the prefix without the offence (a clean route, a withdrawal) since.
    restored_quiet: Option<BTreeSet<VpId>>,
}

/// Every alert that some vantage point supports, or that is open and waiting to resolve.
#[derive(Debug, Default)]
pub struct AlertBook {
    settings: BookSettings,
    tracked: HashMap<AlertKey, Tracked>,
    by_route: HashMap<(VpId, IpNet), Vec<AlertKey>>,
    deadlines: BTreeSet<(Timestamp, AlertKey)>,
    dirty: BTreeSet<AlertKey>,
    opened_total: u64,
    /// Restored alerts still waiting for evidence, by announced prefix.
    restored: HashMap<IpNet, Vec<AlertKey>>,
}

impl AlertBook {
    /// An empty book.
    pub fn new(settings: BookSettings) -> Self {
        AlertBook {
            settings,
            ..AlertBook::default()
        }
    }

    /// Records that vantage point `vp` now carries `prefix` with these findings (none when the
    /// route is fine or withdrawn), replacing what that route supported before. Nothing is
    /// notified until [`AlertBook::settle`].
    #[allow(clippy::too_many_arguments)]
    pub fn set_support(
        &mut self,
        vp: VpId,
        vantage_point: &VantagePoint,
        prefix: IpNet,
        path: Option<&AsPath>,
        findings: Vec<Finding>,
        time: Timestamp,
    ) {
        if !self.restored.is_empty() {
            self.restored_evidence(vp, prefix, &findings, time);
        }
        let old = self.by_route.remove(&(vp, prefix));
        if old.is_none() && findings.is_empty() {
            return;
        }
        for key in old.unwrap_or_default() {
            if !findings.iter().any(|f| f.key == key) {
                self.retract(&key, vp, time);
            }
        }
        if findings.is_empty() {
            return;
        }
        let keys = findings.iter().map(|f| f.key.clone()).collect();
        for finding in findings {
            self.support(finding, vp, vantage_point, path, time);
        }
        self.by_route.insert((vp, prefix), keys);
    }

    fn support(
        &mut self,
        finding: Finding,
        vp: VpId,
        vantage_point: &VantagePoint,
        path: Option<&AsPath>,
        time: Timestamp,
    ) {
        let key = finding.key.clone();
        let tracked = self.tracked.entry(key.clone()).or_insert_with(|| Tracked {
            finding,
            carriers: BTreeSet::new(),
            sample_paths: Vec::new(),
            seen_by: Vec::new(),
            first_seen: time,
            opened: None,
            peak_peers: 0,
            empty_since: None,
            changed_at: time,
            restored_quiet: None,
        });
        if tracked.restored_quiet.take().is_some() {
            // Carried again: from now on the ordinary lifecycle judges it.
            if let Some(keys) = self.restored.get_mut(&key.prefix) {
                keys.retain(|k| k != &key);
                if keys.is_empty() {
                    self.restored.remove(&key.prefix);
                }
            }
        }
        tracked.carriers.insert(vp);
        if let Some(path) = path {
            let sample = SamplePath(path.hops().to_vec());
            if tracked.sample_paths.len() < MAX_SAMPLE_PATHS
                && !tracked.sample_paths.contains(&sample)
            {
                tracked.sample_paths.push(sample);
            }
        }
        if tracked.seen_by.len() < MAX_LISTED_VANTAGE_POINTS {
            let name = vantage_point.to_string();
            if !tracked.seen_by.contains(&name) {
                tracked.seen_by.push(name);
            }
        }
        if let Some(since) = tracked.empty_since.take() {
            self.deadlines
                .remove(&(since + self.settings.resolve_after, key.clone()));
        }
        tracked.peak_peers = tracked.peak_peers.max(tracked.carriers.len());
        tracked.changed_at = time;
        self.dirty.insert(key);
    }

    /// Decides what the changes of the current instant mean: opens alerts that reached
    /// `min_peers`, updates those whose vantage points doubled. Called when data time moves on
    /// and when a live source has drained its queue, so that a RIB dump (thousands of routes in
    /// one second) gives one `open` with the true count rather than a burst of updates.
    pub fn settle(&mut self, out: &mut Vec<AlertEvent>) {
        for key in std::mem::take(&mut self.dirty) {
            let Some(tracked) = self.tracked.get_mut(&key) else {
                continue;
            };
            let peers = tracked.carriers.len();
            let time = tracked.changed_at;
            match tracked.opened {
                None if peers >= self.settings.min_peers => {
                    tracked.opened = Some(Opened {
                        at: time,
                        notified_peers: peers,
                    });
                    self.opened_total += 1;
                    out.push(self.event(&key, Lifecycle::Open, time));
                }
                Some(opened) if peers >= 2 * opened.notified_peers => {
                    if let Some(o) = tracked.opened.as_mut() {
                        o.notified_peers = peers;
                    }
                    out.push(self.event(&key, Lifecycle::Update, time));
                }
                _ => {}
            }
        }
    }

    fn retract(&mut self, key: &AlertKey, vp: VpId, time: Timestamp) {
        let Some(tracked) = self.tracked.get_mut(key) else {
            return;
        };
        tracked.carriers.remove(&vp);
        if !tracked.carriers.is_empty() {
            return;
        }
        if tracked.opened.is_none() {
            self.tracked.remove(key);
            return;
        }
        tracked.empty_since = Some(time);
        self.deadlines
            .insert((time + self.settings.resolve_after, key.clone()));
    }

    /// Moves the clock to `now`: settles the previous instant, then resolves open alerts nobody
    /// has carried for `resolve_after`, each at its own deadline, in deadline order.
    pub fn advance(&mut self, now: Timestamp, out: &mut Vec<AlertEvent>) {
        self.settle(out);
        while let Some((deadline, key)) = self.deadlines.first().cloned() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_first();
            out.push(self.event(&key, Lifecycle::Resolved, deadline));
            self.tracked.remove(&key);
            if let Some(keys) = self.restored.get_mut(&key.prefix) {
                keys.retain(|k| k != &key);
                if keys.is_empty() {
                    self.restored.remove(&key.prefix);
                }
            }
        }
    }

    /// Takes back an alert that was open when the service stopped (its last stored event),
    /// under its own id. Live feeds do not resend routes that are still up, so an empty book
    /// cannot tell "gone" from "not heard of yet": a restored alert resolves only on evidence,
    /// once `min_peers` vantage points have shown the prefix without the offence (and then
    /// after the usual `resolve_after`), and continues as the same alert if it is seen again.
    /// Returns `false` for events the book does not judge (feed and visibility kinds).
    pub fn restore(&mut self, event: &AlertEvent) -> bool {
        let Some(prefix) = event.prefix else {
            return false;
        };
        if !event.kind.is_route_kind() {
            return false;
        }
        let key = AlertKey {
            kind: event.kind,
            watched_prefix: event.watched_prefix,
            prefix,
            offender: event.offender,
        };
        if key.episode_id(event.first_seen.timestamp_micros()) != event.id {
            return false;
        }
        let finding = Finding {
            key: key.clone(),
            severity: event.severity,
            origins: event.origins.clone().into(),
            expected_origins: event.expected_origins.clone().into(),
            group: event.group.as_deref().map(Into::into),
            description: event.description.clone(),
            rule: event.evidence.rule.clone(),
            detail: Default::default(),
            rpki: event.evidence.rpki,
        };
        self.tracked.insert(
            key.clone(),
            Tracked {
                finding,
                carriers: BTreeSet::new(),
                sample_paths: event.evidence.sample_paths.clone(),
                seen_by: event.evidence.vantage_points.clone(),
                first_seen: event.first_seen,
                opened: Some(Opened {
                    at: event.opened_at,
                    notified_peers: event.peers.max(1),
                }),
                peak_peers: event.peak_peers,
                empty_since: None,
                changed_at: event.time,
                restored_quiet: Some(BTreeSet::new()),
            },
        );
        self.restored.entry(prefix).or_default().push(key);
        true
    }

    /// Whether a restored alert about `prefix` waits for vantage points to show it (so routes
    /// of `prefix` outside the watched space, and their withdrawals, still reach the book).
    pub fn awaits_evidence(&self, prefix: &IpNet) -> bool {
        !self.restored.is_empty() && self.restored.contains_key(prefix)
    }

    /// A vantage point showed `prefix` with these findings: a restored alert it does not
    /// support gains a quiet witness, and starts its resolve timer once `min_peers` agree.
    fn restored_evidence(
        &mut self,
        vp: VpId,
        prefix: IpNet,
        findings: &[Finding],
        time: Timestamp,
    ) {
        let Some(keys) = self.restored.get(&prefix) else {
            return;
        };
        for key in keys {
            if findings.iter().any(|f| &f.key == key) {
                continue;
            }
            let Some(tracked) = self.tracked.get_mut(key) else {
                continue;
            };
            let Some(quiet) = tracked.restored_quiet.as_mut() else {
                continue;
            };
            quiet.insert(vp);
            if quiet.len() >= self.settings.min_peers && tracked.empty_since.is_none() {
                tracked.empty_since = Some(time);
                self.deadlines
                    .insert((time + self.settings.resolve_after, key.clone()));
            }
        }
    }

    /// Alerts open now (with or without carriers).
    pub fn open_alerts(&self) -> usize {
        self.tracked.values().filter(|t| t.opened.is_some()).count()
    }

    /// Alerts opened since start.
    pub fn opened_total(&self) -> u64 {
        self.opened_total
    }

    fn event(&self, key: &AlertKey, lifecycle: Lifecycle, time: Timestamp) -> AlertEvent {
        let tracked = &self.tracked[key];
        let opened_at = tracked.opened.map_or(time, |o| o.at);
        let f = &tracked.finding;
        let peers = tracked.carriers.len();
        let resolved = lifecycle == Lifecycle::Resolved;
        AlertEvent {
            event: lifecycle,
            id: key.episode_id(tracked.first_seen.timestamp_micros()),
            kind: key.kind,
            severity: f.severity,
            prefix: Some(key.prefix),
            watched_prefix: key.watched_prefix,
            source: None,
            // The offender is an origin for hijacks; for path-hijack and route-leak it is a
            // transit AS, and the route's own origin is reported instead.
            origin: key
                .offender
                .filter(|o| f.origins.contains(o))
                .or_else(|| f.origins.first().copied()),
            origins: f.origins.to_vec(),
            expected_origins: f.expected_origins.to_vec(),
            offender: key.offender,
            peers,
            peak_peers: tracked.peak_peers,
            group: f.group.as_deref().map(str::to_string),
            description: f.description.clone(),
            first_seen: tracked.first_seen,
            opened_at,
            resolved_at: resolved.then_some(time),
            withdrawn_at: if resolved { tracked.empty_since } else { None },
            time,
            summary: summary::line(key, f, peers, tracked.peak_peers, lifecycle, &self.settings),
            evidence: Evidence {
                sample_paths: tracked.sample_paths.clone(),
                vantage_points: tracked.seen_by.clone(),
                rpki: f.rpki,
                rule: f.rule.clone(),
                min_peers: self.settings.min_peers,
                resolve_after_seconds: self.settings.resolve_after.num_seconds().max(0) as u64,
            },
            visibility: None,
            baseline: None,
            prefixes: None,
            incident: None,
        }
    }
}
