//! `path-hijack`: the origin is right, but the AS right before it is not an allowed upstream
//! (a type-1 fake adjacency, or a new upstream nobody told the watchlist about).
//!
//! The allowed upstreams are the watch entry's `upstreams`; when the entry lists none, the
//! `asns:` section's `upstreams` for that origin. With neither, nothing is checked.

use super::{as_list, Finding, FindingDetail, RouteContext};
use crate::alert::AlertKind;

/// Judges the AS before the origin of one route inside a watch entry.
pub(super) fn inspect(ctx: &RouteContext<'_>, out: &mut Vec<Finding>) {
    let Some(entry) = ctx.entry else {
        return;
    };
    let exact = *ctx.prefix == entry.prefix;
    if entry.origins.is_empty() || (!exact && entry.ignore_more_specifics) {
        return;
    }
    let &[origin] = ctx.route.as_path.origins() else {
        return;
    };
    if !entry.allows_origin(origin) {
        return;
    }
    let Some(upstream) = ctx.route.as_path.upstream_of_origin() else {
        return;
    };
    let (allowed, listed_in) = match (&entry.upstreams, ctx.ctx.watchlist.watched_asn(origin)) {
        (Some(list), _) => (
            list,
            format!(
                "upstreams of {} in {}",
                entry.prefix,
                entry.source.display()
            ),
        ),
        (None, Some(watched)) => match &watched.upstreams {
            Some(list) => (
                list,
                format!(
                    "upstreams of AS{origin} under asns: in {}",
                    watched.source.display()
                ),
            ),
            None => return,
        },
        (None, None) => return,
    };
    if allowed.binary_search(&upstream).is_ok() {
        return;
    }
    let allowed_text = if allowed.is_empty() {
        "none".to_string()
    } else {
        as_list(allowed)
    };
    let rule = format!(
        "{} from expected origin AS{origin} arrives through AS{upstream}, which is not an allowed \
         upstream ({allowed_text}: {listed_in}); path with prepending removed",
        ctx.prefix
    );
    let mut finding = ctx.finding(AlertKind::PathHijack, Some(entry), Some(upstream), rule);
    finding.detail = FindingDetail::Upstreams(allowed.clone());
    out.push(finding);
}
