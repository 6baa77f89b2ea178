//! Detectors: pure functions from (watchlist, observed route) to [`Finding`]s. No I/O, no
//! clock, no alert state: counting vantage points and the alert lifecycle belong to `alert/`.
//! The one file they consult besides the watchlist, the AS relationships of `route-leak`, is
//! loaded once at start ([`as_rel`]) and handed in through [`DetectContext`].

mod hijack;
mod more_specific;
mod path_hijack;
mod route_leak;
mod rpki_invalid;
mod unexpected_origination;

use crate::as_rel::AsRelationships;
pub use route_leak::{LeakRole, LeakSegment, TIER1};

use crate::alert::{AlertKey, AlertKind, Severity};
use crate::rpki::{RpkiState, Vrps};
use crate::update::{Asn, PathHop, Route};
use crate::watchlist::{WatchEntry, Watchlist};
use ipnet::IpNet;
use std::sync::Arc;

/// One vantage point's route violates one rule. The alert book counts findings with the same
/// [`AlertKey`] across vantage points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The alert this finding supports.
    pub key: AlertKey,
    /// How urgently it pages (after the group's cap).
    pub severity: Severity,
    /// All origin ASes of the offending route.
    pub origins: Box<[Asn]>,
    /// The origins the watch entry allows.
    pub expected_origins: Box<[Asn]>,
    /// The watch entry's group.
    pub group: Option<Arc<str>>,
    /// The watch entry's description.
    pub description: Option<String>,
    /// The rule that matched, in words.
    pub rule: String,
    /// What the summary line names besides the key (the leak segment, the allowed upstreams).
    pub detail: FindingDetail,
    /// RPKI origin validation of the route: `valid`, `invalid`, `not-found`, or `not-checked`
    /// when no VRPs are loaded.
    pub rpki: &'static str,
}

/// Kind-specific facts of a [`Finding`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FindingDetail {
    /// Nothing beyond the key and the origins.
    #[default]
    None,
    /// `path-hijack`: the upstreams that would have been fine.
    Upstreams(Box<[Asn]>),
    /// `route-leak`: the three ASes of the leak.
    Leak(LeakSegment),
}

/// The route-level detectors. One variant per kind; each inspects one route at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detector {
    /// `origin-hijack`, `subprefix-hijack` and `squat`: who originates watched space.
    Hijack,
    /// `new-more-specific`: expected origins announcing beyond `max_length`.
    NewMoreSpecific,
    /// `path-hijack`: the AS before an expected origin is not an allowed upstream.
    PathHijack,
    /// `route-leak`: a valley-free violation on a watched prefix's path.
    RouteLeak,
    /// `unexpected-origination`: a watched AS originates space outside the watchlist.
    UnexpectedOrigination,
    /// `rpki-invalid`: watched space announced RPKI-invalid (origin or max-length).
    RpkiInvalid,
}

impl Detector {
    /// Every route-level detector, in the order findings are reported.
    pub const ALL: [Detector; 6] = [
        Detector::Hijack,
        Detector::NewMoreSpecific,
        Detector::PathHijack,
        Detector::RouteLeak,
        Detector::UnexpectedOrigination,
        Detector::RpkiInvalid,
    ];

    fn inspect(self, ctx: &RouteContext<'_>, out: &mut Vec<Finding>) {
        match self {
            Detector::Hijack => hijack::inspect(ctx, out),
            Detector::NewMoreSpecific => more_specific::inspect(ctx, out),
            Detector::PathHijack => path_hijack::inspect(ctx, out),
            Detector::RouteLeak => route_leak::inspect(ctx, out),
            Detector::UnexpectedOrigination => unexpected_origination::inspect(ctx, out),
            Detector::RpkiInvalid => rpki_invalid::inspect(ctx, out),
        }
    }
}

/// What every route-level detector may consult besides the route: read-only, no I/O.
#[derive(Clone, Copy)]
pub struct DetectContext<'a> {
    /// The watched space.
    pub watchlist: &'a Watchlist,
    /// AS relationships for `route-leak`; without them the built-in tier-1 list is used.
    pub as_rel: Option<&'a AsRelationships>,
    /// Validated ROA payloads; none when RPKI is not configured.
    pub vrps: Option<&'a Vrps>,
    /// Lower hijacks whose origin a ROA authorises to warning (they are still reported).
    pub downgrade_rpki_valid: bool,
}

/// What a detector looks at: one announced route, and the watch entry it falls in (none when it
/// is outside the watched space but originated by a watched AS).
pub(crate) struct RouteContext<'a> {
    pub ctx: DetectContext<'a>,
    pub entry: Option<&'a WatchEntry>,
    pub prefix: &'a IpNet,
    pub route: &'a Route,
}

impl RouteContext<'_> {
    /// The finding for `kind` against `entry` (this context's, or none).
    fn finding(
        &self,
        kind: AlertKind,
        entry: Option<&WatchEntry>,
        offender: Option<Asn>,
        rule: String,
    ) -> Finding {
        let cap = entry
            .and_then(|e| e.group.as_deref())
            .and_then(|g| self.ctx.watchlist.group(g))
            .map_or(Severity::Critical, |g| g.severity);
        Finding {
            key: AlertKey {
                kind,
                watched_prefix: entry.map(|e| e.prefix),
                prefix: *self.prefix,
                offender,
            },
            severity: kind.default_severity().min(cap),
            origins: self.route.as_path.origins().into(),
            expected_origins: entry.map(|e| e.origins.clone()).unwrap_or_default(),
            group: entry.and_then(|e| e.group.clone()),
            description: entry.and_then(|e| e.description.clone()),
            rule,
            detail: FindingDetail::None,
            rpki: NOT_CHECKED,
        }
    }

    /// The route's RPKI state (RFC 6811), when VRPs are loaded.
    fn rpki_state(&self) -> Option<RpkiState> {
        let vrps = self.ctx.vrps?;
        let origin = match self.route.as_path.hops().last() {
            Some(PathHop::Asn(asn)) => Some(*asn),
            _ => None,
        };
        Some(vrps.validate(self.prefix, origin))
    }
}

/// Evidence value when no VRPs are loaded.
pub const NOT_CHECKED: &str = "not-checked";

/// Runs the detectors over one route; `entry` is the most specific watch entry covering `prefix`
/// (see [`Watchlist::relevance`]), none for a route outside the watched space. Returns its
/// findings, usually none.
pub fn inspect_route(
    detectors: &[Detector],
    ctx: DetectContext<'_>,
    entry: Option<&WatchEntry>,
    prefix: &IpNet,
    route: &Route,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if entry.is_some_and(|e| e.ignore) || route.as_path.origins().is_empty() {
        return out;
    }
    let ctx = RouteContext {
        ctx,
        entry,
        prefix,
        route,
    };
    for detector in detectors {
        detector.inspect(&ctx, &mut out);
    }
    if !out.is_empty() {
        if let Some(state) = ctx.rpki_state() {
            for finding in &mut out {
                annotate_rpki(finding, &state, ctx.ctx.downgrade_rpki_valid);
            }
        }
    }
    out
}

/// Records the route's RPKI state on a finding; an RPKI-valid hijack is lowered to warning
/// (the ROA holder announced it: a planned change or a ROA the operator should review), never
/// hidden.
fn annotate_rpki(finding: &mut Finding, state: &RpkiState, downgrade_valid: bool) {
    finding.rpki = state.as_str();
    let hijack = matches!(
        finding.key.kind,
        AlertKind::OriginHijack | AlertKind::SubprefixHijack | AlertKind::Squat
    );
    if hijack
        && downgrade_valid
        && *state == RpkiState::Valid
        && finding.severity > Severity::Warning
    {
        finding.severity = Severity::Warning;
        finding
            .rule
            .push_str("; RPKI-valid (a ROA authorises this origin): lowered to warning");
    }
}

/// Formats `[64500, 64501]` as `AS64500, AS64501`.
pub(crate) fn as_list(asns: &[Asn]) -> String {
    asns.iter()
        .map(|a| format!("AS{a}"))
        .collect::<Vec<_>>()
        .join(", ")
}
