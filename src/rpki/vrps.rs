//! Validated ROA payloads indexed by prefix, and RFC 6811 route origin validation.

use crate::update::Asn;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use std::fmt;

/// Most ROAs listed in an [`RpkiState::Invalid`] reason; the rest are counted.
const MAX_ROAS_IN_REASON: usize = 4;

/// One validated ROA payload: `asn` may originate `prefix` and its more-specifics up to
/// `max_length`. AS0 means "nobody may" (RFC 6483 section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Vrp {
    /// The ROA prefix, without host bits.
    pub prefix: IpNet,
    /// The longest prefix length the ROA authorises, at least `prefix.prefix_len()`.
    pub max_length: u8,
    /// The authorised origin AS.
    pub asn: Asn,
}

impl fmt::Display for Vrp {
    /// `198.51.100.0/22-24 AS64500`, the notation of RPKI tools.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{} AS{}", self.prefix, self.max_length, self.asn)
    }
}

impl Vrp {
    /// True when this VRP lets `origin` announce `prefix` (which it must cover): RFC 6811
    /// "matched". AS0 and an AS_SET origin (`None`) never match.
    fn matches(&self, prefix: &IpNet, origin: Option<Asn>) -> bool {
        self.asn != 0 && origin == Some(self.asn) && prefix.prefix_len() <= self.max_length
    }
}

/// The RFC 6811 origin-validation state of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpkiState {
    /// A covering VRP authorises the origin at this prefix length.
    Valid,
    /// Covered by VRPs, none of which authorises this origin at this prefix length.
    Invalid {
        /// Why, naming the covering VRPs, e.g. `origin AS64666 not authorised; ROAs:
        /// 198.51.100.0/24-24 AS64500`.
        reason: String,
    },
    /// No VRP covers the prefix.
    NotFound,
}

impl RpkiState {
    /// `valid`, `invalid` or `not-found`: the evidence string of alert events.
    pub fn as_str(&self) -> &'static str {
        match self {
            RpkiState::Valid => "valid",
            RpkiState::Invalid { .. } => "invalid",
            RpkiState::NotFound => "not-found",
        }
    }
}

impl fmt::Display for RpkiState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpkiState::Invalid { reason } => write!(f, "invalid: {reason}"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// A set of VRPs for both address families, indexed by prefix. Duplicates (the same VRP from
/// two trust anchors) are stored once. Immutable once built: sources publish a new
/// `Arc<Vrps>` on every change.
#[derive(Debug, Clone, Default)]
pub struct Vrps {
    v4: PrefixMap<Ipv4Net, Vec<(u8, Asn)>>,
    v6: PrefixMap<Ipv6Net, Vec<(u8, Asn)>>,
    len: usize,
}

impl PartialEq for Vrps {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Vrps {}

impl FromIterator<Vrp> for Vrps {
    fn from_iter<I: IntoIterator<Item = Vrp>>(iter: I) -> Self {
        let mut vrps = Vrps::default();
        for vrp in iter {
            vrps.insert(vrp);
        }
        vrps
    }
}

impl Vrps {
    /// An empty set: every route is [`RpkiState::NotFound`].
    pub fn new() -> Self {
        Vrps::default()
    }

    /// Adds a VRP (host bits of its prefix are cleared); returns false when it was present.
    pub fn insert(&mut self, vrp: Vrp) -> bool {
        let entry = (vrp.max_length, vrp.asn);
        let list = match vrp.prefix.trunc() {
            IpNet::V4(p) => self.v4.entry(p).or_default(),
            IpNet::V6(p) => self.v6.entry(p).or_default(),
        };
        match list.binary_search(&entry) {
            Ok(_) => false,
            Err(at) => {
                list.insert(at, entry);
                self.len += 1;
                true
            }
        }
    }

    /// Number of distinct VRPs.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the set holds no VRP.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every VRP: IPv4 first, each family in prefix order, then by max length and AS.
    pub fn iter(&self) -> impl Iterator<Item = Vrp> + '_ {
        let v4 = self
            .v4
            .iter()
            .flat_map(|(p, list)| expand(IpNet::V4(p), list));
        let v6 = self
            .v6
            .iter()
            .flat_map(|(p, list)| expand(IpNet::V6(p), list));
        v4.chain(v6)
    }

    /// Every VRP whose prefix covers (or equals) `prefix`, least specific first.
    pub fn covering(&self, prefix: &IpNet) -> Vec<Vrp> {
        match prefix.trunc() {
            IpNet::V4(p) => self
                .v4
                .cover(&p)
                .flat_map(|(k, list)| expand(IpNet::V4(k), list))
                .collect(),
            IpNet::V6(p) => self
                .v6
                .cover(&p)
                .flat_map(|(k, list)| expand(IpNet::V6(k), list))
                .collect(),
        }
    }

    /// RFC 6811 origin validation of `prefix` announced by `origin` (`None` for an AS_SET
    /// origin, which no VRP matches): `Valid` when a covering VRP has this origin (never AS0)
    /// and a max length at least the prefix length; `Invalid` when covered otherwise;
    /// `NotFound` when no VRP covers the prefix.
    pub fn validate(&self, prefix: &IpNet, origin: Option<Asn>) -> RpkiState {
        let covering = self.covering(prefix);
        if covering.is_empty() {
            return RpkiState::NotFound;
        }
        if covering.iter().any(|vrp| vrp.matches(prefix, origin)) {
            return RpkiState::Valid;
        }
        RpkiState::Invalid {
            reason: invalid_reason(prefix, origin, &covering),
        }
    }
}

fn expand(prefix: IpNet, list: &[(u8, Asn)]) -> impl Iterator<Item = Vrp> + '_ {
    list.iter().map(move |&(max_length, asn)| Vrp {
        prefix,
        max_length,
        asn,
    })
}

/// Explains an invalid route: too specific for a ROA of its own origin, or an origin no
/// covering ROA authorises.
fn invalid_reason(prefix: &IpNet, origin: Option<Asn>, covering: &[Vrp]) -> String {
    let own = covering
        .iter()
        .filter(|vrp| vrp.asn != 0 && Some(vrp.asn) == origin)
        .max_by_key(|vrp| vrp.max_length);
    if let Some(vrp) = own {
        return format!(
            "/{} more specific than max-length {} of {vrp}",
            prefix.prefix_len(),
            vrp.max_length
        );
    }
    let who = match origin {
        Some(asn) => format!("origin AS{asn} not authorised"),
        None => "AS_SET origin cannot be authorised".to_owned(),
    };
    let mut listed: Vec<String> = covering
        .iter()
        .take(MAX_ROAS_IN_REASON)
        .map(Vrp::to_string)
        .collect();
    if covering.len() > MAX_ROAS_IN_REASON {
        listed.push(format!("and {} more", covering.len() - MAX_ROAS_IN_REASON));
    }
    format!("{who}; ROAs: {}", listed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().expect("test prefix")
    }

    fn vrp(prefix: &str, max_length: u8, asn: Asn) -> Vrp {
        Vrp {
            prefix: net(prefix),
            max_length,
            asn,
        }
    }

    fn set(vrps: &[Vrp]) -> Vrps {
        vrps.iter().copied().collect()
    }

    fn reason(state: RpkiState) -> String {
        match state {
            RpkiState::Invalid { reason } => reason,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn exact_match_with_the_right_origin_is_valid() {
        let vrps = set(&[vrp("198.51.100.0/24", 24, 64500)]);
        assert_eq!(
            vrps.validate(&net("198.51.100.0/24"), Some(64500)),
            RpkiState::Valid
        );
    }

    #[test]
    fn wrong_origin_is_invalid_and_names_the_roas() {
        let vrps = set(&[vrp("198.51.100.0/24", 24, 64500)]);
        let state = vrps.validate(&net("198.51.100.0/24"), Some(64666));
        assert_eq!(state.as_str(), "invalid");
        assert_eq!(
            reason(state),
            "origin AS64666 not authorised; ROAs: 198.51.100.0/24-24 AS64500"
        );
    }

    #[test]
    fn more_specific_within_max_length_is_valid() {
        let vrps = set(&[vrp("198.51.100.0/22", 24, 64500)]);
        assert_eq!(
            vrps.validate(&net("198.51.101.0/24"), Some(64500)),
            RpkiState::Valid
        );
    }

    #[test]
    fn longer_than_max_length_is_invalid_even_from_the_right_origin() {
        let vrps = set(&[vrp("198.51.100.0/22", 22, 64500)]);
        let state = vrps.validate(&net("198.51.100.0/24"), Some(64500));
        assert_eq!(
            reason(state),
            "/24 more specific than max-length 22 of 198.51.100.0/22-22 AS64500"
        );
    }

    #[test]
    fn as0_roa_never_matches_not_even_origin_as0() {
        let vrps = set(&[vrp("198.51.100.0/24", 24, 0)]);
        assert_eq!(
            vrps.validate(&net("198.51.100.0/24"), Some(64500)).as_str(),
            "invalid"
        );
        assert_eq!(
            vrps.validate(&net("198.51.100.0/24"), Some(0)).as_str(),
            "invalid"
        );
    }

    #[test]
    fn as0_roa_beside_a_real_roa_does_not_spoil_it() {
        let vrps = set(&[
            vrp("198.51.100.0/22", 24, 0),
            vrp("198.51.100.0/24", 24, 64500),
        ]);
        assert_eq!(
            vrps.validate(&net("198.51.100.0/24"), Some(64500)),
            RpkiState::Valid
        );
    }

    #[test]
    fn two_roas_one_matching_is_valid() {
        let vrps = set(&[
            vrp("198.51.100.0/24", 24, 64500),
            vrp("198.51.100.0/22", 24, 64501),
        ]);
        assert_eq!(
            vrps.validate(&net("198.51.100.0/24"), Some(64501)),
            RpkiState::Valid
        );
        assert_eq!(
            vrps.validate(&net("198.51.100.0/24"), Some(64500)),
            RpkiState::Valid
        );
        assert_eq!(
            vrps.validate(&net("198.51.101.0/24"), Some(64500)).as_str(),
            "invalid"
        );
    }

    #[test]
    fn uncovered_prefix_is_not_found_even_under_a_more_specific_roa() {
        let vrps = set(&[vrp("198.51.100.0/24", 24, 64500)]);
        assert_eq!(
            vrps.validate(&net("198.51.0.0/16"), Some(64500)),
            RpkiState::NotFound
        );
        assert_eq!(
            vrps.validate(&net("203.0.113.0/24"), Some(64500)),
            RpkiState::NotFound
        );
        assert_eq!(RpkiState::NotFound.as_str(), "not-found");
    }

    #[test]
    fn as_set_origin_is_invalid_when_covered_and_not_found_otherwise() {
        let vrps = set(&[vrp("198.51.100.0/24", 24, 64500)]);
        let state = vrps.validate(&net("198.51.100.0/24"), None);
        assert!(reason(state).starts_with("AS_SET origin cannot be authorised; ROAs:"));
        assert_eq!(
            vrps.validate(&net("203.0.113.0/24"), None),
            RpkiState::NotFound
        );
    }

    #[test]
    fn ipv6_is_validated_in_its_own_family() {
        let vrps = set(&[vrp("2001:db8::/32", 48, 64500), vrp("0.0.0.0/0", 32, 64666)]);
        assert_eq!(
            vrps.validate(&net("2001:db8:1::/48"), Some(64500)),
            RpkiState::Valid
        );
        assert_eq!(
            vrps.validate(&net("2001:db8:1:1::/64"), Some(64500))
                .as_str(),
            "invalid"
        );
        assert_eq!(
            vrps.validate(&net("2001:db9::/32"), Some(64666)),
            RpkiState::NotFound
        );
    }

    #[test]
    fn duplicates_are_stored_once_and_host_bits_cleared() {
        let mut vrps = Vrps::new();
        assert!(vrps.insert(vrp("198.51.100.0/24", 24, 64500)));
        assert!(!vrps.insert(vrp("198.51.100.0/24", 24, 64500)));
        assert!(vrps.insert(vrp("198.51.100.0/24", 25, 64500)));
        assert_eq!(vrps.len(), 2);
        assert_eq!(
            vrps.validate(&net("198.51.100.7/24"), Some(64500)),
            RpkiState::Valid
        );
    }

    #[test]
    fn a_long_roa_list_is_cut_in_the_reason() {
        let vrps: Vrps = (1..=6)
            .map(|i| vrp("198.51.100.0/24", 24, 64500 + i))
            .collect();
        let text = reason(vrps.validate(&net("198.51.100.0/24"), Some(1)));
        assert!(text.ends_with("and 2 more"), "{text}");
    }
}
