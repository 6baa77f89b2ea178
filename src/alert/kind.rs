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
    /// A source has been silent or disconnected beyond its limit: bgpwatch is (partly) blind.
    FeedStalled,
    /// Updates had to be dropped because detection could not keep up.
    UpdatesDropped,
}

impl AlertKind {
    /// The contract name (`origin-hijack`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::OriginHijack => "origin-hijack",
            AlertKind::SubprefixHijack => "subprefix-hijack",
            AlertKind::Squat => "squat",
            AlertKind::NewMoreSpecific => "new-more-specific",
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
            | AlertKind::FeedStalled
            | AlertKind::UpdatesDropped => Severity::Critical,
            AlertKind::NewMoreSpecific => Severity::Warning,
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
