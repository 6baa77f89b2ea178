//! `rpki-invalid`: watched space announced with an origin or a length no ROA authorises
//! (RFC 6811). Only consulted when VRPs are loaded.

use super::{Finding, RouteContext};
use crate::alert::AlertKind;
use crate::rpki::RpkiState;

/// Flags RPKI-invalid announcements inside the watched space that no other detector flagged
/// (those alerts carry the RPKI state in their evidence: one route, one page). Runs last.
pub(super) fn inspect(ctx: &RouteContext<'_>, out: &mut Vec<Finding>) {
    if !out.is_empty() {
        return;
    }
    let Some(entry) = ctx.entry else {
        return;
    };
    let Some(RpkiState::Invalid { reason }) = ctx.rpki_state() else {
        return;
    };
    let origins = ctx.route.as_path.origins();
    let offender = origins.first().copied();
    let rule = format!("RPKI-invalid (RFC 6811): {reason}");
    out.push(ctx.finding(AlertKind::RpkiInvalid, Some(entry), offender, rule));
}
