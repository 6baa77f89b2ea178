//! The identity of an alert.

use super::AlertKind;
use crate::update::Asn;
use ipnet::IpNet;
use sha2::{Digest, Sha256};
use std::fmt;

/// Identity of an alert: (kind, watched prefix, observed prefix, offender) (DESIGN.md section 7).
/// Two findings with the same key are the same alert, seen by more vantage points.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertKey {
    /// What kind of anomaly.
    pub kind: AlertKind,
    /// The watch entry that was violated (none for `unexpected-origination`: the AS is watched,
    /// the prefix is not).
    pub watched_prefix: Option<IpNet>,
    /// The prefix actually announced.
    pub prefix: IpNet,
    /// The AS at fault: the offending origin for hijacks and squats.
    pub offender: Option<Asn>,
}

impl AlertKey {
    /// A stable alert id for one episode of this key: the same input always gives the same id,
    /// and a later episode (other `first_seen`) gets another.
    pub fn episode_id(&self, first_seen_micros: i64) -> String {
        let mut hash = Sha256::new();
        hash.update(self.to_string().as_bytes());
        hash.update(first_seen_micros.to_be_bytes());
        let digest = hash.finalize();
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for AlertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Alert ids hash this text: keep it stable.
        write!(f, "{} {}", self.kind, self.prefix)?;
        if let Some(watched) = self.watched_prefix {
            write!(f, " in {watched}")?;
        }
        if let Some(asn) = self.offender {
            write!(f, " by AS{asn}")?;
        }
        Ok(())
    }
}
