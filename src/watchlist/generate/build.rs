//! The builder: a country's space plus observed routes in, watch entries out.
//!
//! - every delegated block is an entry: origins seen for the block itself, else the union of the
//!   origins of its routed more-specifics; with routed space it gets `max_length` /24 (IPv4) or
//!   /48 (IPv6) so its owners may deaggregate; with nothing routed inside it is a squat watch
//!   (`origins: []`);
//! - every routed prefix inside the space that is not itself a block is an entry with the
//!   origins seen for it (several kept, sorted), `max_length` likewise;
//! - the country's ASes go into `asns:`, named from the AS-names file when one is given.

use super::asnames::AsNames;
use super::document::{DocAsn, DocPrefix};
use super::routes::ObservedRoutes;
use super::space::CountrySpace;
use crate::update::Asn;
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};

/// More-specifics up to this length from an expected origin are normal in routed IPv4 space.
pub const DEAGGREGATION_LIMIT_V4: u8 = 24;
/// More-specifics up to this length from an expected origin are normal in routed IPv6 space.
pub const DEAGGREGATION_LIMIT_V6: u8 = 48;

/// What the builder made, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Delegated blocks announced as themselves.
    pub delegated_routed: usize,
    /// Delegated blocks not announced themselves but through more-specifics.
    pub delegated_via_more_specifics: usize,
    /// Delegated blocks with nothing routed inside: squat watches.
    pub squat_watches: usize,
    /// Routed prefixes strictly inside a block.
    pub routed_more_specifics: usize,
    /// Routed prefixes (blocks included) seen with more than one origin.
    pub multi_origin: usize,
    /// IPv4 entries.
    pub ipv4_entries: usize,
    /// IPv6 entries.
    pub ipv6_entries: usize,
    /// ASes in `asns:`.
    pub asns: usize,
    /// Of those, named from the AS-names file.
    pub asns_named: usize,
}

impl Counts {
    /// Every delegated block.
    pub fn delegated_blocks(&self) -> usize {
        self.delegated_routed + self.delegated_via_more_specifics + self.squat_watches
    }

    /// Every prefix entry.
    pub fn entries(&self) -> usize {
        self.ipv4_entries + self.ipv6_entries
    }
}

/// The entries and ASes for a country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// Prefix entries, IPv4 then IPv6, in address order.
    pub prefixes: Vec<DocPrefix>,
    /// The `asns:` section, in AS order.
    pub asns: Vec<DocAsn>,
    /// Counts by kind.
    pub counts: Counts,
}

/// Builds the entries. `group` is set on every entry; `routes` must hold only prefixes inside
/// `space` (others are ignored).
pub fn build(
    space: &CountrySpace,
    routes: &ObservedRoutes,
    names: Option<&AsNames>,
    group: &str,
) -> Built {
    let mut counts = Counts::default();
    let mut entries: BTreeMap<IpNet, DocPrefix> = BTreeMap::new();
    let country = &space.country;
    for (block, origin) in space.blocks() {
        let exact = routes.get(block);
        let more: Vec<&BTreeSet<Asn>> = routes
            .inside(block)
            .filter(|(p, _)| *p != block)
            .map(|(_, o)| o)
            .collect();
        let delegation = format!("{country} delegation, {}", origin.describe());
        let (origins, description) = match exact {
            Some(seen) => {
                counts.delegated_routed += 1;
                let tail = match more.len() {
                    0 => String::new(),
                    n => format!(", {n} routed more-specific{}", plural(n)),
                };
                (seen.clone(), format!("{delegation}; routed{tail}"))
            }
            None if !more.is_empty() => {
                counts.delegated_via_more_specifics += 1;
                let union: BTreeSet<Asn> = more.iter().flat_map(|o| o.iter().copied()).collect();
                let n = more.len();
                let text = format!(
                    "{delegation}; announced only as {n} more-specific{}",
                    plural(n)
                );
                (union, text)
            }
            None => {
                counts.squat_watches += 1;
                let text = format!("{delegation}; nothing announced inside: squat watch");
                (BTreeSet::new(), text)
            }
        };
        // Space nobody announced when the routing data was taken pages as a warning until an
        // operator has reviewed it: stale routing data must not flood on-call with squats.
        let block_group = if origins.is_empty() {
            unannounced_group(group)
        } else {
            group.to_string()
        };
        entries.insert(*block, entry(*block, origins, description, &block_group));
    }
    for (prefix, origins) in routes.iter() {
        if space.block(prefix).is_some() {
            continue;
        }
        let Some(block) = space.covering_block(prefix) else {
            continue;
        };
        counts.routed_more_specifics += 1;
        let description = format!("routed inside {country} delegation {block}");
        entries.insert(*prefix, entry(*prefix, origins.clone(), description, group));
    }
    counts.multi_origin = routes
        .iter()
        .filter(|(p, o)| o.len() > 1 && space.contains(p))
        .count();
    counts.ipv4_entries = entries.keys().filter(|p| matches!(p, IpNet::V4(_))).count();
    counts.ipv6_entries = entries.len() - counts.ipv4_entries;
    let asns: Vec<DocAsn> = space
        .asns()
        .map(|(&asn, origin)| {
            let name = names.and_then(|n| n.get(asn));
            counts.asns_named += usize::from(name.is_some());
            let description = match name {
                Some(name) => name.to_string(),
                None => format!("{country} AS, {}", origin.describe()),
            };
            let originates = routes
                .iter()
                .filter(|(prefix, origins)| origins.contains(&asn) && !space.contains(prefix))
                .map(|(prefix, _)| *prefix)
                .collect();
            DocAsn {
                asn,
                description: Some(description),
                upstreams: Vec::new(),
                originates,
            }
        })
        .collect();
    counts.asns = asns.len();
    Built {
        prefixes: entries.into_values().collect(),
        asns,
        counts,
    }
}

/// The group of squat watches: `<country>-unannounced`, severity capped at warning.
pub fn unannounced_group(group: &str) -> String {
    format!("{group}-unannounced")
}

fn entry(prefix: IpNet, origins: BTreeSet<Asn>, description: String, group: &str) -> DocPrefix {
    let limit = match prefix {
        IpNet::V4(_) => DEAGGREGATION_LIMIT_V4,
        IpNet::V6(_) => DEAGGREGATION_LIMIT_V6,
    };
    let max_length = (!origins.is_empty() && prefix.prefix_len() < limit).then_some(limit);
    DocPrefix {
        prefix,
        description: Some(description),
        origins: origins.into_iter().collect(),
        group: Some(group.to_string()),
        max_length,
        ignore_more_specifics: false,
        ignore: false,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::generate::delegated::parse_delegated;
    use std::path::Path;

    const DELEGATED: &str = "\
apnic|PK|ipv4|202.83.160.0|4096|20030224|allocated
apnic|PK|ipv4|203.0.112.0|768|20100101|assigned
apnic|PK|ipv6|2400:fc00::|32|20030214|allocated
apnic|PK|asn|17557|2|19990803|allocated
apnic|IN|ipv4|1.0.0.0|256|20100101|allocated
";

    fn space() -> CountrySpace {
        let file = parse_delegated(DELEGATED.as_bytes(), Path::new("d"), false).unwrap();
        CountrySpace::collect("pk", &[file]).unwrap()
    }

    fn routes(list: &[(&str, &[Asn])]) -> ObservedRoutes {
        let mut routes = ObservedRoutes::default();
        for (p, o) in list {
            routes.add(p.parse().unwrap(), o);
        }
        routes
    }

    #[test]
    fn blocks_get_their_own_origins_else_their_more_specifics_else_become_squat_watches() {
        let observed = routes(&[
            ("202.83.160.0/20", &[17557]),
            ("202.83.164.0/24", &[45595, 9541]),
            ("203.0.114.0/24", &[23674]),
            ("203.0.114.128/25", &[64500]),
        ]);
        let built = build(&space(), &observed, None, "pk");
        let by_prefix: BTreeMap<String, &DocPrefix> = built
            .prefixes
            .iter()
            .map(|p| (p.prefix.to_string(), p))
            .collect();
        let keys: Vec<&str> = by_prefix.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "202.83.160.0/20",
                "202.83.164.0/24",
                "203.0.112.0/23",
                "203.0.114.0/24",
                "203.0.114.128/25",
                "2400:fc00::/32"
            ]
        );
        assert_eq!(
            by_prefix["202.83.160.0/20"].origins,
            [17557],
            "its own origin wins"
        );
        assert_eq!(by_prefix["202.83.160.0/20"].max_length, Some(24));
        assert_eq!(
            by_prefix["202.83.164.0/24"].origins,
            [9541, 45595],
            "multi-origin, sorted"
        );
        assert_eq!(by_prefix["202.83.164.0/24"].max_length, None, "already /24");
        assert!(
            by_prefix["203.0.112.0/23"].origins.is_empty(),
            "nothing inside: squat"
        );
        assert_eq!(by_prefix["203.0.112.0/23"].max_length, None);
        assert_eq!(by_prefix["203.0.114.0/24"].origins, [23674]);
        assert!(by_prefix["2400:fc00::/32"].origins.is_empty());
        for p in &built.prefixes {
            let expected = if p.origins.is_empty() {
                "pk-unannounced"
            } else {
                "pk"
            };
            assert_eq!(p.group.as_deref(), Some(expected), "{}", p.prefix);
        }
        assert_eq!(built.counts.delegated_routed, 2);
        assert_eq!(built.counts.squat_watches, 2);
        assert_eq!(built.counts.routed_more_specifics, 2);
        assert_eq!(built.counts.multi_origin, 1);
        assert_eq!(
            built.asns.iter().map(|a| a.asn).collect::<Vec<_>>(),
            [17557, 17558]
        );
    }

    #[test]
    fn a_block_announced_only_as_more_specifics_takes_their_union() {
        let observed = routes(&[("202.83.160.0/24", &[17557]), ("202.83.161.0/24", &[9541])]);
        let built = build(&space(), &observed, None, "pk");
        let block = &built.prefixes[0];
        assert_eq!(block.prefix.to_string(), "202.83.160.0/20");
        assert_eq!(block.origins, [9541, 17557]);
        assert_eq!(block.max_length, Some(24));
        assert_eq!(built.counts.delegated_via_more_specifics, 1);
    }
}
