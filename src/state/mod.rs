//! Route state: per vantage point, the current route of every prefix that touches the watched
//! space. A new announcement from the same vantage point replaces the old one (implicit
//! withdraw); a vantage point that goes down loses everything it held.

mod visibility;

pub use visibility::{Reading, Visibility};

use crate::update::{Route, Timestamp, VantagePoint};
use ipnet::IpNet;
use std::collections::HashMap;

/// Compact handle of a vantage point inside one [`RouteTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VpId(u32);

#[derive(Debug)]
struct PeerRib {
    vantage_point: VantagePoint,
    up: bool,
    up_since: Option<Timestamp>,
    routes: HashMap<IpNet, Route>,
}

/// Current routes per vantage point.
#[derive(Debug, Default)]
pub struct RouteTable {
    peers: Vec<PeerRib>,
    ids: HashMap<VantagePoint, VpId>,
    routes: usize,
}

impl RouteTable {
    /// The handle of `vp`, registering it on first sight.
    pub fn intern(&mut self, vp: &VantagePoint) -> VpId {
        if let Some(&id) = self.ids.get(vp) {
            return id;
        }
        let id = VpId(u32::try_from(self.peers.len()).expect("fewer than 2^32 vantage points"));
        self.peers.push(PeerRib {
            vantage_point: vp.clone(),
            up: true,
            up_since: None,
            routes: HashMap::new(),
        });
        self.ids.insert(vp.clone(), id);
        id
    }

    /// The handle of `vp` if it was ever seen.
    pub fn lookup(&self, vp: &VantagePoint) -> Option<VpId> {
        self.ids.get(vp).copied()
    }

    /// The vantage point behind a handle.
    pub fn vantage_point(&self, id: VpId) -> &VantagePoint {
        &self.peers[id.0 as usize].vantage_point
    }

    /// Stores `route` for `prefix` at `id`; returns the route it replaced.
    pub fn announce(&mut self, id: VpId, prefix: IpNet, route: Route) -> Option<Route> {
        let peer = &mut self.peers[id.0 as usize];
        peer.up = true;
        let old = peer.routes.insert(prefix, route);
        if old.is_none() {
            self.routes += 1;
        }
        old
    }

    /// Removes the route for `prefix` at `id`; returns it.
    pub fn withdraw(&mut self, id: VpId, prefix: &IpNet) -> Option<Route> {
        let old = self.peers[id.0 as usize].routes.remove(prefix);
        if old.is_some() {
            self.routes -= 1;
        }
        old
    }

    /// Notes that `id` delivered something at `time`: a vantage point not known to be up is up
    /// from then on.
    pub fn mark_seen(&mut self, id: VpId, time: Timestamp) {
        let peer = &mut self.peers[id.0 as usize];
        if !peer.up || peer.up_since.is_none() {
            peer.up = true;
            peer.up_since = Some(time);
        }
    }

    /// Since when `id` has been up (its session re-established or first seen), if it is up.
    pub fn up_since(&self, id: VpId) -> Option<Timestamp> {
        let peer = &self.peers[id.0 as usize];
        if peer.up {
            peer.up_since
        } else {
            None
        }
    }

    /// Marks the vantage point down and removes everything it held; returns what it held.
    pub fn peer_down(&mut self, id: VpId) -> Vec<(IpNet, Route)> {
        let peer = &mut self.peers[id.0 as usize];
        peer.up = false;
        peer.up_since = None;
        let mut held: Vec<_> = peer.routes.drain().collect();
        held.sort_unstable_by_key(|(prefix, _)| *prefix);
        self.routes -= held.len();
        held
    }

    /// Marks the vantage point up: its session was (re-)established at `time`.
    pub fn peer_up(&mut self, id: VpId, time: Timestamp) {
        let peer = &mut self.peers[id.0 as usize];
        peer.up = true;
        peer.up_since = Some(time);
    }

    /// The route `id` currently has for `prefix`.
    pub fn route(&self, id: VpId, prefix: &IpNet) -> Option<&Route> {
        self.peers[id.0 as usize].routes.get(prefix)
    }

    /// Vantage points seen so far.
    pub fn vantage_points(&self) -> usize {
        self.peers.len()
    }

    /// Vantage points whose session is up.
    pub fn vantage_points_up(&self) -> usize {
        self.peers.iter().filter(|p| p.up).count()
    }

    /// Routes held over all vantage points.
    pub fn routes(&self) -> usize {
        self.routes
    }
}
