//! `new-more-specific`: an expected origin announces a more-specific longer than allowed.

use super::{Finding, RouteContext};
use crate::alert::AlertKind;

/// Flags more-specifics from expected origins beyond the entry's `max_length`.
pub(super) fn inspect(ctx: &RouteContext<'_>, out: &mut Vec<Finding>) {
    let Some(entry) = ctx.entry else {
        return;
    };
    if *ctx.prefix == entry.prefix || entry.ignore_more_specifics || entry.origins.is_empty() {
        return;
    }
    let origins = ctx.route.as_path.origins();
    if !origins.iter().all(|&o| entry.allows_origin(o)) {
        return;
    }
    if ctx.prefix.prefix_len() <= entry.max_length {
        return;
    }
    let rule = format!(
        "{} is a /{} more-specific of watched {} from expected origin AS{}, longer than max_length /{} in {}",
        ctx.prefix,
        ctx.prefix.prefix_len(),
        entry.prefix,
        origins[0],
        entry.max_length,
        entry.source.display()
    );
    out.push(ctx.finding(
        AlertKind::NewMoreSpecific,
        Some(entry),
        Some(origins[0]),
        rule,
    ));
}
