//! `unexpected-origination`: an AS of the `asns:` section originates a prefix outside the
//! watchlist, as AS17557 (Pakistan Telecom) did with YouTube's 208.65.153.0/24 in February 2008.
//!
//! Only prefixes unrelated to the watched space count, and not those the `asns:` entry lists
//! under `originates:` (what the AS is known to announce elsewhere, e.g. leased space). A prefix covering watched space (an
//! aggregate of the AS's own blocks, say) is left alone here; announcements inside watched space
//! are judged against their entry by the hijack detectors.

use super::{Finding, RouteContext};
use crate::alert::AlertKind;
use crate::watchlist::Relevance;

/// Flags a watched AS originating space the watchlist does not cover.
pub(super) fn inspect(ctx: &RouteContext<'_>, out: &mut Vec<Finding>) {
    if ctx.entry.is_some() {
        return;
    }
    let watchlist = ctx.ctx.watchlist;
    let Some(watched) = ctx
        .route
        .as_path
        .origins()
        .iter()
        .find_map(|&asn| watchlist.watched_asn(asn))
    else {
        return;
    };
    if !matches!(watchlist.relevance(ctx.prefix), Relevance::Unrelated)
        || watched.known_origination(ctx.prefix)
    {
        return;
    }
    let rule = format!(
        "AS{} is watched (asns: in {}) and originates {}, which no watch entry covers",
        watched.asn,
        watched.source.display(),
        ctx.prefix
    );
    let mut finding = ctx.finding(
        AlertKind::UnexpectedOrigination,
        None,
        Some(watched.asn),
        rule,
    );
    finding.description = watched.description.clone();
    out.push(finding);
}
