//! A prefix map over both address families, on `prefix-trie`.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;

/// Longest-prefix-match map from IPv4 and IPv6 prefixes to values.
#[derive(Debug, Clone)]
pub struct NetMap<T> {
    v4: PrefixMap<Ipv4Net, T>,
    v6: PrefixMap<Ipv6Net, T>,
}

impl<T> Default for NetMap<T> {
    fn default() -> Self {
        NetMap {
            v4: PrefixMap::new(),
            v6: PrefixMap::new(),
        }
    }
}

impl<T> NetMap<T> {
    /// Inserts a value, returning the one it replaced.
    pub fn insert(&mut self, prefix: IpNet, value: T) -> Option<T> {
        match prefix {
            IpNet::V4(p) => self.v4.insert(p, value),
            IpNet::V6(p) => self.v6.insert(p, value),
        }
    }

    /// The value stored for exactly this prefix.
    pub fn get(&self, prefix: &IpNet) -> Option<&T> {
        match prefix {
            IpNet::V4(p) => self.v4.get(p),
            IpNet::V6(p) => self.v6.get(p),
        }
    }

    /// The most specific stored prefix that covers (or equals) `prefix`.
    pub fn longest_match(&self, prefix: &IpNet) -> Option<(IpNet, &T)> {
        match prefix {
            IpNet::V4(p) => self.v4.get_lpm(p).map(|(k, v)| (IpNet::V4(k), v)),
            IpNet::V6(p) => self.v6.get_lpm(p).map(|(k, v)| (IpNet::V6(k), v)),
        }
    }

    /// Every stored prefix covering `prefix` (itself included), least specific first.
    pub fn covering(&self, prefix: &IpNet) -> Vec<(IpNet, &T)> {
        match prefix {
            IpNet::V4(p) => self.v4.cover(p).map(|(k, v)| (IpNet::V4(k), v)).collect(),
            IpNet::V6(p) => self.v6.cover(p).map(|(k, v)| (IpNet::V6(k), v)).collect(),
        }
    }

    /// True when some stored prefix is strictly more specific than `prefix`.
    pub fn has_more_specific(&self, prefix: &IpNet) -> bool {
        match prefix {
            IpNet::V4(p) => self.v4.children(p).any(|(k, _)| k != *p),
            IpNet::V6(p) => self.v6.children(p).any(|(k, _)| k != *p),
        }
    }

    /// Every stored prefix equal to or more specific than `prefix`.
    pub fn within(&self, prefix: &IpNet) -> Vec<IpNet> {
        match prefix {
            IpNet::V4(p) => self.v4.children(p).map(|(k, _)| IpNet::V4(k)).collect(),
            IpNet::V6(p) => self.v6.children(p).map(|(k, _)| IpNet::V6(k)).collect(),
        }
    }

    /// Number of stored prefixes.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All entries, IPv4 first, each family in prefix order.
    pub fn iter(&self) -> impl Iterator<Item = (IpNet, &T)> {
        self.v4
            .iter()
            .map(|(k, v)| (IpNet::V4(k), v))
            .chain(self.v6.iter().map(|(k, v)| (IpNet::V6(k), v)))
    }
}
