//! The normalized record every source produces: one [`RouteUpdate`] per prefix, or a
//! [`FeedEvent`] about a vantage point or the feed itself.
//!
//! Nothing here knows the parser crate; `source/` converts into these types.

use chrono::{DateTime, TimeZone, Utc};
use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// An autonomous system number (4-octet).
pub type Asn = u32;

/// Time of an event, from the data during replay and from the clock when live.
pub type Timestamp = DateTime<Utc>;

/// Converts fractional UNIX seconds (as MRT, BMP and RIS Live carry them) to a [`Timestamp`],
/// keeping microseconds. Out-of-range values give the UNIX epoch rather than a panic.
pub fn timestamp_from_unix(seconds: f64) -> Timestamp {
    let micros = (seconds * 1_000_000.0).round();
    if !micros.is_finite() || micros.abs() > i64::MAX as f64 {
        return DateTime::UNIX_EPOCH;
    }
    Utc.timestamp_micros(micros as i64)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Where a route was seen: one BGP session of one collector or router.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VantagePoint {
    /// Collector (`rrc00`, `route-views.jinx`) or BMP router name; for files without one, the file.
    pub collector: Arc<str>,
    /// Address of the BGP peer that sent the route to the collector.
    pub peer_ip: IpAddr,
    /// AS of that peer.
    pub peer_asn: Asn,
}

impl fmt::Display for VantagePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} AS{}", self.collector, self.peer_ip, self.peer_asn)
    }
}

/// One element of an AS path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathHop {
    /// A single AS of an AS_SEQUENCE.
    Asn(Asn),
    /// An AS_SET (aggregated route): any of these ASes.
    Set(Box<[Asn]>),
}

/// An AS path, leftmost hop nearest the vantage point, origin last.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AsPath {
    hops: Box<[PathHop]>,
}

impl AsPath {
    /// Builds a path from its hops.
    pub fn new(hops: Vec<PathHop>) -> Self {
        AsPath {
            hops: hops.into_boxed_slice(),
        }
    }

    /// A path made of a plain AS sequence.
    pub fn from_sequence(asns: &[Asn]) -> Self {
        AsPath::new(asns.iter().copied().map(PathHop::Asn).collect())
    }

    /// The hops, leftmost first.
    pub fn hops(&self) -> &[PathHop] {
        &self.hops
    }

    /// True for an empty path (a route originated by the peer's own iBGP side).
    pub fn is_empty(&self) -> bool {
        self.hops.is_empty()
    }

    /// The origin AS or ASes: the last hop, every member of it when it is an AS_SET.
    pub fn origins(&self) -> &[Asn] {
        match self.hops.last() {
            Some(PathHop::Asn(asn)) => std::slice::from_ref(asn),
            Some(PathHop::Set(set)) => set,
            None => &[],
        }
    }

    /// The AS right before the origin, with prepending removed; `None` when the origin is
    /// the only AS, or when that neighbour is an AS_SET.
    pub fn upstream_of_origin(&self) -> Option<Asn> {
        let origin = match self.hops.last()? {
            PathHop::Asn(asn) => Some(*asn),
            PathHop::Set(_) => None,
        };
        self.hops.iter().rev().skip(1).find_map(|hop| match hop {
            PathHop::Asn(asn) if Some(*asn) == origin => None,
            PathHop::Asn(asn) => Some(Some(*asn)),
            PathHop::Set(_) => Some(None),
        })?
    }
}

impl fmt::Display for AsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, hop) in self.hops.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match hop {
                PathHop::Asn(asn) => write!(f, "{asn}")?,
                PathHop::Set(set) => {
                    f.write_str("{")?;
                    for (j, asn) in set.iter().enumerate() {
                        if j > 0 {
                            f.write_str(",")?;
                        }
                        write!(f, "{asn}")?;
                    }
                    f.write_str("}")?;
                }
            }
        }
        Ok(())
    }
}

/// A BGP community attached to a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Community {
    /// RFC 1997 community `asn:value`.
    Standard(u16, u16),
    /// RFC 8092 large community `global:local1:local2`.
    Large(u32, u32, u32),
}

/// The attributes of an announced route that detection looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The AS path as the vantage point received it.
    pub as_path: AsPath,
    /// NEXT_HOP (or the first MP_REACH next hop).
    pub next_hop: Option<IpAddr>,
    /// Standard and large communities.
    pub communities: Box<[Community]>,
    /// RFC 9234 Only-To-Customer attribute.
    pub otc: Option<Asn>,
}

impl Route {
    /// A route with only an AS path (the rest empty), as tests and simple sources build it.
    pub fn with_path(as_path: AsPath) -> Self {
        Route {
            as_path,
            next_hop: None,
            communities: Box::new([]),
            otc: None,
        }
    }
}

/// What happened to one prefix at one vantage point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The prefix is now reachable through this route (replacing any earlier one).
    Announce(Route),
    /// The prefix is no longer reachable from this vantage point.
    Withdraw,
}

/// One announcement or withdrawal of one prefix at one vantage point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteUpdate {
    /// When the collector or router recorded it.
    pub time: Timestamp,
    /// Who saw it.
    pub vantage_point: VantagePoint,
    /// The prefix announced or withdrawn.
    pub prefix: IpNet,
    /// Announce or withdraw.
    pub change: Change,
}

/// Something that happened to a vantage point or to the feed, rather than to a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    /// The BGP session of this vantage point went down: everything it held is withdrawn.
    PeerDown {
        /// When the session went down.
        time: Timestamp,
        /// The vantage point whose routes are gone.
        vantage_point: VantagePoint,
        /// Why, as the source reported it.
        reason: String,
    },
    /// The BGP session of this vantage point came (back) up.
    PeerUp {
        /// When the session came up.
        time: Timestamp,
        /// The vantage point.
        vantage_point: VantagePoint,
    },
}

impl FeedEvent {
    /// When the event happened.
    pub fn time(&self) -> Timestamp {
        match self {
            FeedEvent::PeerDown { time, .. } | FeedEvent::PeerUp { time, .. } => *time,
        }
    }
}

/// What a source hands to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceItem {
    /// A route change.
    Update(RouteUpdate),
    /// A session or feed event.
    Event(FeedEvent),
    /// Data time has reached this point (sources that skip updates nobody watches send it, so
    /// alerts still resolve on time).
    Clock(Timestamp),
}

impl SourceItem {
    /// The data time of the item.
    pub fn time(&self) -> Timestamp {
        match self {
            SourceItem::Update(u) => u.time,
            SourceItem::Event(e) => e.time(),
            SourceItem::Clock(t) => *t,
        }
    }
}
