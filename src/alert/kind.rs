//! What an alert is about and how loud it is.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of alert bgpwatch raises (DESIGN.md section 6). The kebab-case names are a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertKind {
    /// The exact watched prefix announced with an origin outside `origins`.
    OriginHijack,
    /// A more-specific of a watched prefix announced with an origin outside `origins`.
    SubprefixHijack,
    /// Anything announced inside space that nobody may announce (`origins: []`).
    Squat,
    /// A more-specific from an expected origin, longer than the entry's `max_length`.
    NewMoreSpecific,
    /// The origin is right but the AS before it is not an allowed upstream.
    PathHijack,
    /// A watched prefix's path breaks valley-free export (a customer passing a provider's or
    /// peer's route to another provider or peer).
    RouteLeak,
    /// An AS of the `asns:` section originates a prefix outside the watchlist.
    UnexpectedOrigination,
    /// Watched space announced RPKI-invalid (origin or max-length).
    RpkiInvalid,
    /// Visibility of a watched prefix fell below half of its baseline.
    VisibilityLoss,
    /// A watched prefix is effectively gone (visibility at most a tenth of its baseline).
    Withdrawal,
    /// A large share of a group's prefixes lost visibility together: one incident.
    MassWithdrawal,
    /// A source has been silent or disconnected beyond its limit: bgpwatch is (partly) blind.
    FeedStalled,
    /// Updates had to be dropped because detection could not keep up.
    UpdatesDropped,
}

impl AlertKind {
    /// Kinds judged route by route in the alert book (the rest are visibility and feed kinds).
    pub fn is_route_kind(self) -> bool {
        !matches!(
            self,
            AlertKind::VisibilityLoss
                | AlertKind::Withdrawal
                | AlertKind::MassWithdrawal
                | AlertKind::FeedStalled
                | AlertKind::UpdatesDropped
        )
    }

    /// The kind an open alert of this kind may have had earlier under the same id: a
    /// `visibility-loss` escalates to `withdrawal`.
    pub fn escalated_from(self) -> Option<AlertKind> {
        match self {
            AlertKind::Withdrawal => Some(AlertKind::VisibilityLoss),
            _ => None,
        }
    }

    /// The contract name (`origin-hijack`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::OriginHijack => "origin-hijack",
            AlertKind::SubprefixHijack => "subprefix-hijack",
            AlertKind::Squat => "squat",
            AlertKind::NewMoreSpecific => "new-more-specific",
            AlertKind::PathHijack => "path-hijack",
            AlertKind::RouteLeak => "route-leak",
            AlertKind::UnexpectedOrigination => "unexpected-origination",
            AlertKind::RpkiInvalid => "rpki-invalid",
            AlertKind::VisibilityLoss => "visibility-loss",
            AlertKind::Withdrawal => "withdrawal",
            AlertKind::MassWithdrawal => "mass-withdrawal",
            AlertKind::FeedStalled => "feed-stalled",
            AlertKind::UpdatesDropped => "updates-dropped",
        }
    }

    /// Severity before group caps apply.
    pub fn default_severity(self) -> Severity {
        match self {
            AlertKind::OriginHijack
            | AlertKind::SubprefixHijack
            | AlertKind::Squat
            | AlertKind::RouteLeak
            | AlertKind::Withdrawal
            | AlertKind::MassWithdrawal
            | AlertKind::FeedStalled
            | AlertKind::UpdatesDropped => Severity::Critical,
            AlertKind::NewMoreSpecific
            | AlertKind::PathHijack
            | AlertKind::UnexpectedOrigination
            | AlertKind::RpkiInvalid
            | AlertKind::VisibilityLoss => Severity::Warning,
        }
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How urgently an alert pages. Ordered: `Info < Warning < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look in working hours.
    Info,
    /// Worth a ticket.
    Warning,
    /// Page on-call now.
    Critical,
}

impl Severity {
    /// The contract name (`critical`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
