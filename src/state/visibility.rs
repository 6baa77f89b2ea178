//! Visibility of watched prefixes: which vantage points can reach each one now (a route for the
//! prefix, or for a covering prefix, from an expected origin) and when each last could (the
//! baseline window). Kept incrementally as routes change; read by the visibility detector.

use super::{RouteTable, VpId};
use crate::update::{Asn, Timestamp};
use crate::watchlist::{WatchEntry, Watchlist};
use chrono::Duration;
use ipnet::IpNet;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Debug)]
struct Tracked {
    prefix: IpNet,
    origins: Arc<[Asn]>,
    group: Option<Arc<str>>,
    reach: HashSet<VpId>,
    last_reach: HashMap<VpId, Timestamp>,
    changed_at: Option<Timestamp>,
}

/// One watched prefix's visibility at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The watched prefix.
    pub prefix: IpNet,
    /// Its group.
    pub group: Option<Arc<str>>,
    /// Its expected origins (shared with the tracker: a reading per prefix per evaluation
    /// allocates nothing).
    pub origins: Arc<[Asn]>,
    /// Vantage points that can reach it now.
    pub reach: usize,
    /// Vantage points up (and settled) that could reach it within the baseline window.
    pub baseline: usize,
    /// When the set of vantage points reaching it last changed (conditions on the ratio began
    /// then, not when an evaluation first noticed them).
    pub changed_at: Option<Timestamp>,
}

impl Reading {
    /// `reach / baseline` (1.0 for an empty baseline).
    pub fn ratio(&self) -> f64 {
        if self.baseline == 0 {
            1.0
        } else {
            self.reach as f64 / self.baseline as f64
        }
    }
}

/// Reachability of every watched prefix with expected origins (squat watches and carve-outs
/// have no visibility to lose).
#[derive(Debug, Default)]
pub struct Visibility {
    /// In prefix order, so that readings come out sorted without sorting.
    tracked: Vec<Tracked>,
    /// Position of each tracked prefix in `tracked`.
    position: foldhash::HashMap<IpNet, usize>,
    index: crate::watchlist::NetMap<()>,
    /// Tracked prefixes per group.
    group_sizes: HashMap<Arc<str>, usize>,
}

impl Visibility {
    /// Tracks every entry of `watchlist` that has expected origins.
    pub fn new(watchlist: &Watchlist) -> Self {
        let mut v = Visibility::default();
        for entry in watchlist.entries().iter().filter(|e| tracks(e)) {
            v.index.insert(entry.prefix, ());
            v.tracked.push(Tracked {
                prefix: entry.prefix,
                origins: Arc::from(&entry.origins[..]),
                group: entry.group.clone(),
                reach: HashSet::new(),
                last_reach: HashMap::new(),
                changed_at: None,
            });
        }
        v.tracked.sort_unstable_by_key(|t| t.prefix);
        v.position = v
            .tracked
            .iter()
            .enumerate()
            .map(|(i, t)| (t.prefix, i))
            .collect();
        for group in v.tracked.iter().filter_map(|t| t.group.as_ref()) {
            *v.group_sizes.entry(group.clone()).or_default() += 1;
        }
        v
    }

    /// `vp`'s route for `prefix` changed (announced, replaced or withdrawn) at `time`: updates
    /// the reachability of every tracked prefix that `prefix` equals or covers.
    pub fn route_changed(&mut self, table: &RouteTable, vp: VpId, prefix: &IpNet, time: Timestamp) {
        // A router's own view (BMP Loc-RIB, locally originated routes: peer address unspecified)
        // is derived from its peers, which count already: counting it too would turn one
        // session reset into an outage.
        if self.tracked.is_empty() || table.vantage_point(vp).peer_ip.is_unspecified() {
            return;
        }
        let affected: Vec<IpNet> = self.index.within(prefix);
        for watched in affected {
            let Some(&i) = self.position.get(&watched) else {
                continue;
            };
            let t = &mut self.tracked[i];
            if reaches(table, vp, &watched, &t.origins) {
                if t.reach.insert(vp) {
                    t.changed_at = Some(time);
                }
                t.last_reach.insert(vp, time);
            } else if t.reach.remove(&vp) {
                t.last_reach.insert(vp, time);
                t.changed_at = Some(time);
            }
        }
    }

    /// `vp` went down at `time`: it reaches nothing any more (and leaves the baseline while down).
    pub fn peer_down(&mut self, vp: VpId, time: Timestamp) {
        for t in self.tracked.iter_mut() {
            if t.reach.remove(&vp) {
                t.last_reach.insert(vp, time);
                t.changed_at = Some(time);
            }
        }
    }

    /// Every tracked prefix's reading at `now`. The baseline counts vantage points that are up,
    /// reached the prefix within `window`, and have either reached it since they came up or been
    /// up for `settle` (a peer that just came back is still sending its table).
    pub fn readings(
        &self,
        table: &RouteTable,
        now: Timestamp,
        window: Duration,
        settle: Duration,
    ) -> Vec<Reading> {
        self.tracked
            .iter()
            .map(|t| {
                let baseline = t
                    .last_reach
                    .iter()
                    .filter(|(vp, last)| {
                        now - **last <= window
                            && table.up_since(**vp).is_some_and(|since| {
                                t.reach.contains(vp) || **last >= since || now - since >= settle
                            })
                    })
                    .count();
                Reading {
                    prefix: t.prefix,
                    group: t.group.clone(),
                    origins: t.origins.clone(),
                    reach: t.reach.len(),
                    baseline,
                    changed_at: t.changed_at,
                }
            })
            .collect()
    }

    /// Number of tracked prefixes per group (for the mass-withdrawal share); fixed at start.
    pub fn group_sizes(&self) -> &HashMap<Arc<str>, usize> {
        &self.group_sizes
    }
}

fn tracks(entry: &WatchEntry) -> bool {
    !entry.ignore && !entry.origins.is_empty()
}

/// Whether `vp` has a route for `watched` or a covering prefix from one of `origins`.
fn reaches(table: &RouteTable, vp: VpId, watched: &IpNet, origins: &[Asn]) -> bool {
    let mut prefix = *watched;
    loop {
        if let Some(route) = table.route(vp, &prefix) {
            if route
                .as_path
                .origins()
                .iter()
                .any(|o| origins.binary_search(o).is_ok())
            {
                return true;
            }
        }
        match prefix.supernet() {
            Some(up) => prefix = up,
            None => return false,
        }
    }
}
