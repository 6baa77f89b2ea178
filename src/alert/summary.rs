//! The one-line human summary of an alert event.

use super::event::Lifecycle;
use super::{AlertKey, AlertKind, BookSettings};
use crate::detect::{as_list, Finding, FindingDetail};

/// `198.51.100.0/24 announced by AS64666 instead of AS64500, seen by 9 vantage points`.
pub(super) fn line(
    key: &AlertKey,
    finding: &Finding,
    peers: usize,
    peak: usize,
    lifecycle: Lifecycle,
    settings: &BookSettings,
) -> String {
    let offender = key
        .offender
        .map_or_else(|| "an unknown AS".to_string(), |a| format!("AS{a}"));
    let expected = as_list(&finding.expected_origins);
    let watched = key
        .watched_prefix
        .map_or_else(|| "unwatched space".to_string(), |w| w.to_string());
    let what = match key.kind {
        AlertKind::OriginHijack => {
            format!("{} announced by {offender} instead of {expected}", key.prefix)
        }
        AlertKind::SubprefixHijack => format!(
            "{}, a more-specific of {}, announced by {offender} instead of {expected}",
            key.prefix, watched
        ),
        AlertKind::Squat => format!(
            "{} announced by {offender} inside {}, which nobody may announce",
            key.prefix, watched
        ),
        AlertKind::NewMoreSpecific => format!(
            "{}, a /{} more-specific of {} beyond its max length, announced by expected origin {offender}",
            key.prefix,
            key.prefix.prefix_len(),
            watched
        ),
        AlertKind::PathHijack => {
            let allowed = match &finding.detail {
                FindingDetail::Upstreams(list) if !list.is_empty() => as_list(list),
                _ => "none".to_string(),
            };
            format!(
                "{} from expected origin {} reached through {offender}, not an allowed upstream ({allowed})",
                key.prefix,
                as_list(&finding.origins)
            )
        }
        AlertKind::RouteLeak => match &finding.detail {
            FindingDetail::Leak(segment) => {
                format!("{} leaked by {offender} ({segment})", key.prefix)
            }
            _ => format!("{} leaked by {offender}", key.prefix),
        },
        AlertKind::UnexpectedOrigination => {
            let name = finding
                .description
                .as_deref()
                .map_or_else(String::new, |d| format!(" {d}"));
            format!(
                "{} originated by watched {offender}{name}, outside the watchlist",
                key.prefix
            )
        }
        AlertKind::RpkiInvalid => format!("{} announced RPKI-invalid by {offender}", key.prefix),
        AlertKind::VisibilityLoss | AlertKind::Withdrawal | AlertKind::MassWithdrawal => {
            format!("{} {}", key.kind, key.prefix)
        }
        // Feed alerts are raised by `alert::feed`, never from a route finding.
        AlertKind::FeedStalled | AlertKind::UpdatesDropped => format!("{} {}", key.kind, key.prefix),
    };
    match lifecycle {
        Lifecycle::Open | Lifecycle::Update => format!("{what}, seen by {}", vantage_points(peers)),
        Lifecycle::Resolved => format!(
            "resolved: {what}; no vantage point has carried it for {} (peak {})",
            duration(settings.resolve_after.num_seconds()),
            vantage_points(peak)
        ),
    }
}

fn vantage_points(n: usize) -> String {
    if n == 1 {
        "1 vantage point".to_string()
    } else {
        format!("{n} vantage points")
    }
}

fn duration(seconds: i64) -> String {
    if seconds >= 60 && seconds % 60 == 0 {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}
