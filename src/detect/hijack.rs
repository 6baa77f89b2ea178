//! `origin-hijack`, `subprefix-hijack` and `squat`: watched space originated by the wrong AS.

use super::{as_list, Finding, RouteContext};
use crate::alert::AlertKind;

/// Judges the origin of one route inside a watch entry.
pub(super) fn inspect(ctx: &RouteContext<'_>, out: &mut Vec<Finding>) {
    let Some(entry) = ctx.entry else {
        return;
    };
    let exact = *ctx.prefix == entry.prefix;
    let origins = ctx.route.as_path.origins();
    let file = entry.source.display();
    if entry.origins.is_empty() {
        let offender = origins[0];
        let rule = format!(
            "{} lies inside {}, which nobody may announce (origins: [] in {file})",
            ctx.prefix, entry.prefix
        );
        out.push(ctx.finding(AlertKind::Squat, Some(entry), Some(offender), rule));
        return;
    }
    if !exact && entry.ignore_more_specifics {
        return;
    }
    let Some(&offender) = origins.iter().find(|&&o| !entry.allows_origin(o)) else {
        return;
    };
    let set_note = if origins.len() > 1 {
        format!(" (AS_SET {{{}}})", as_list(origins))
    } else {
        String::new()
    };
    let expected = as_list(&entry.origins);
    if exact {
        let rule = format!(
            "origin AS{offender}{set_note} is not an expected origin ({expected}) of watched {} in {file}",
            entry.prefix
        );
        out.push(ctx.finding(AlertKind::OriginHijack, Some(entry), Some(offender), rule));
    } else {
        let rule = format!(
            "{} is a more-specific of watched {} originated by AS{offender}{set_note}, not by an expected origin ({expected}) in {file}",
            ctx.prefix, entry.prefix
        );
        out.push(ctx.finding(
            AlertKind::SubprefixHijack,
            Some(entry),
            Some(offender),
            rule,
        ));
    }
}
