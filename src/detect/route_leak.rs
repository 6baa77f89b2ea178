//! `route-leak`: a watched prefix's path breaks valley-free export (Gao-Rexford).
//!
//! Read the path from the vantage point towards the origin. For three consecutive ASes
//! `x v y` (prepending removed), `v` learned the route from `y` and exported it to `x`. An AS
//! may pass routes learned from a provider or a peer only to its customers; `v` leaked when `y`
//! is its provider or peer and `x` is its provider or peer too.
//!
//! Relationships come from a CAIDA as-rel file when one is configured ([`AsRelationships`]);
//! a pair the file does not relate never accuses anyone. Without a file, [`TIER1`] stands in:
//! tier-1 networks are each other's peers and everybody else's providers, so a non-tier-1 AS
//! between two tier-1 networks (`tier-1 v tier-1`) leaked. AS_SET hops are opaque: no segment
//! through one is judged.

use super::{Finding, FindingDetail, RouteContext};
use crate::alert::AlertKind;
use crate::as_rel::{AsRelationships, Relationship};
use crate::update::{Asn, PathHop};
use std::fmt;

/// The built-in tier-1 (transit-free) list used without an as-rel file: the clique CAIDA fixed
/// for its AS relationship inference in 2016 (174 209 286 701 1239 1299 2828 2914 3257 3320 3356
/// 5511 6453 6461 6762 7018 12956, per the 2013-asrank-data-supplement README) plus 3491 (PCCW)
/// and 6830 (Liberty Global), which today's tier-1 lists carry, and 3549 and 3561 (Global
/// Crossing and Savvis: tier-1s until 2011, Lumen siblings of 3356 since, so still between
/// tier-1s on many paths; without them a 2010 RIS replay accused 3549 of nine leaks that were
/// ordinary tier-1 peering). Left out on purpose: 6939 (Hurricane Electric buys IPv4 transit).
/// Sorted.
pub const TIER1: [Asn; 21] = [
    174, 209, 286, 701, 1239, 1299, 2828, 2914, 3257, 3320, 3356, 3491, 3549, 3561, 5511, 6453,
    6461, 6762, 6830, 7018, 12956,
];

/// What a neighbour of the leaker is to it, as far as the rule knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeakRole {
    /// The neighbour is the leaker's provider (as-rel file).
    Provider,
    /// The neighbour is the leaker's peer (as-rel file).
    Peer,
    /// The neighbour is on the built-in tier-1 list and the leaker is not.
    Tier1,
}

impl fmt::Display for LeakRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LeakRole::Provider => "provider",
            LeakRole::Peer => "peer",
            LeakRole::Tier1 => "tier-1",
        })
    }
}

/// The three ASes of a leak, in the order the route travelled: `from -> leaker -> to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakSegment {
    /// The AS the leaker learned the route from (nearer the origin), and what it is to the leaker.
    pub from: (Asn, LeakRole),
    /// The AS that broke valley-free export.
    pub leaker: Asn,
    /// The AS the leaker passed the route to (nearer the vantage point), and what it is to the
    /// leaker.
    pub to: (Asn, LeakRole),
}

impl fmt::Display for LeakSegment {
    /// `provider AS64501 -> AS64510 -> provider AS64502`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} AS{} -> AS{} -> {} AS{}",
            self.from.1, self.from.0, self.leaker, self.to.1, self.to.0
        )
    }
}

/// Checks every three-AS segment of a route inside the watched space.
pub(super) fn inspect(ctx: &RouteContext<'_>, out: &mut Vec<Finding>) {
    let Some(entry) = ctx.entry else {
        return;
    };
    // Starts as if behind two AS_SETs: nothing is judged before three hops are in.
    let mut window = [None; 3];
    for hop in deduplicated(ctx.route.as_path.hops()) {
        window = [window[1], window[2], hop];
        let [Some(x), Some(v), Some(y)] = window else {
            continue;
        };
        if x == y {
            continue;
        }
        let segment = match ctx.ctx.as_rel {
            Some(rels) => by_relationships(rels, x, v, y),
            None => by_tier1(x, v, y),
        };
        let Some(segment) = segment else {
            continue;
        };
        if out
            .iter()
            .any(|f| f.key.kind == AlertKind::RouteLeak && f.key.offender == Some(v))
        {
            continue;
        }
        let rule = rule(ctx, &segment);
        let mut finding = ctx.finding(AlertKind::RouteLeak, Some(entry), Some(v), rule);
        finding.detail = FindingDetail::Leak(segment);
        out.push(finding);
    }
}

/// The finding's rule: what `segment` means, and where the relationships came from.
fn rule(ctx: &RouteContext<'_>, segment: &LeakSegment) -> String {
    let (x, v, y) = (segment.to.0, segment.leaker, segment.from.0);
    match ctx.ctx.as_rel {
        Some(rels) => format!(
            "valley-free export broken: AS{v} learned {} from its {} AS{y} and passed it to its {} AS{x} \
             (path segment [{x}, {v}, {y}], vantage point first); an AS may pass routes from providers \
             and peers only to its customers (relationships from as-rel file {})",
            ctx.prefix,
            segment.from.1,
            segment.to.1,
            rels.path().display()
        ),
        None => format!(
            "valley-free export broken: AS{v}, not a tier-1 network, carried {} from tier-1 AS{y} to \
             tier-1 AS{x} (path segment [{x}, {v}, {y}], vantage point first); tier-1 networks reach \
             each other directly, so an AS between two of them passed a provider's or peer's route to a \
             provider or peer (built-in tier-1 list; no as-rel file configured)",
            ctx.prefix
        ),
    }
}

/// The path with prepending removed, without allocating; `None` stands for an AS_SET hop.
fn deduplicated(hops: &[PathHop]) -> impl Iterator<Item = Option<Asn>> + '_ {
    let mut last = None;
    hops.iter().filter_map(move |hop| {
        let hop = match hop {
            PathHop::Asn(asn) => Some(*asn),
            PathHop::Set(_) => None,
        };
        if hop.is_some() && last == Some(hop) {
            return None;
        }
        last = Some(hop);
        Some(hop)
    })
}

fn by_relationships(rels: &AsRelationships, x: Asn, v: Asn, y: Asn) -> Option<LeakSegment> {
    let role = |neighbor| match rels.relationship(v, neighbor)? {
        Relationship::Provider => Some(LeakRole::Provider),
        Relationship::Peer => Some(LeakRole::Peer),
        Relationship::Customer => None,
    };
    Some(LeakSegment {
        from: (y, role(y)?),
        leaker: v,
        to: (x, role(x)?),
    })
}

fn by_tier1(x: Asn, v: Asn, y: Asn) -> Option<LeakSegment> {
    let tier1 = |asn: Asn| TIER1.binary_search(&asn).is_ok();
    (tier1(x) && tier1(y) && !tier1(v)).then_some(LeakSegment {
        from: (y, LeakRole::Tier1),
        leaker: v,
        to: (x, LeakRole::Tier1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tier1_list_is_sorted_for_binary_search() {
        assert!(TIER1.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn prepending_collapses_and_as_sets_stay_opaque() {
        let hops = [
            PathHop::Asn(3356),
            PathHop::Asn(64510),
            PathHop::Asn(64510),
            PathHop::Set(Box::new([1, 2])),
            PathHop::Set(Box::new([1, 2])),
            PathHop::Asn(64500),
            PathHop::Asn(64500),
        ];
        assert_eq!(
            deduplicated(&hops).collect::<Vec<_>>(),
            [Some(3356), Some(64510), None, None, Some(64500)]
        );
    }
}
