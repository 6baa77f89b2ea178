//! The watched address space as sorted, merged address ranges: a binary search answers "does
//! this prefix touch the watched space at all?" for the many prefixes that don't, without
//! walking the trie.

use ipnet::IpNet;

/// Merged address ranges (first and last address) of a set of prefixes, per family.
#[derive(Debug, Clone, Default)]
pub struct AddressSpans {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl AddressSpans {
    /// Adds `prefix`'s range; call [`AddressSpans::seal`] once all are in.
    pub fn add(&mut self, prefix: &IpNet) {
        match prefix {
            IpNet::V4(p) => self
                .v4
                .push((u32::from(p.network()), u32::from(p.broadcast()))),
            IpNet::V6(p) => self
                .v6
                .push((u128::from(p.network()), u128::from(p.broadcast()))),
        }
    }

    /// Sorts and merges overlapping or adjacent ranges.
    pub fn seal(&mut self) {
        merge(&mut self.v4);
        merge(&mut self.v6);
    }

    /// True when `prefix` shares an address with some added prefix: it covers one, equals one
    /// or lies inside one (prefixes are nested or disjoint, so sharing an address is exactly
    /// that).
    pub fn touches(&self, prefix: &IpNet) -> bool {
        match prefix {
            IpNet::V4(p) => overlaps(&self.v4, u32::from(p.network()), u32::from(p.broadcast())),
            IpNet::V6(p) => overlaps(&self.v6, u128::from(p.network()), u128::from(p.broadcast())),
        }
    }
}

fn merge<T: Ord + Copy + num_like::Successor>(ranges: &mut Vec<(T, T)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for &(start, end) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if start <= last.1.successor() => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged.shrink_to_fit();
    *ranges = merged;
}

/// Whether `[first, last]` overlaps one of the sorted, disjoint `ranges`.
fn overlaps<T: Ord + Copy>(ranges: &[(T, T)], first: T, last: T) -> bool {
    // The first range that does not end before `first`.
    let i = ranges.partition_point(|&(_, end)| end < first);
    ranges.get(i).is_some_and(|&(start, _)| start <= last)
}

mod num_like {
    /// The next value, saturating at the maximum (adjacent ranges merge).
    pub trait Successor {
        fn successor(self) -> Self;
    }
    impl Successor for u32 {
        fn successor(self) -> Self {
            self.saturating_add(1)
        }
    }
    impl Successor for u128 {
        fn successor(self) -> Self {
            self.saturating_add(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(prefixes: &[&str]) -> AddressSpans {
        let mut s = AddressSpans::default();
        for p in prefixes {
            s.add(&p.parse().unwrap());
        }
        s.seal();
        s
    }

    fn touches(s: &AddressSpans, p: &str) -> bool {
        s.touches(&p.parse().unwrap())
    }

    #[test]
    fn a_prefix_touches_what_it_covers_equals_or_lies_in() {
        let s = spans(&["202.83.160.0/20", "10.0.0.0/24", "2001:db8::/32"]);
        assert!(touches(&s, "202.83.160.0/20"));
        assert!(touches(&s, "202.83.170.0/24"));
        assert!(touches(&s, "202.0.0.0/8"));
        assert!(touches(&s, "0.0.0.0/0"));
        assert!(touches(&s, "2001:db8:1::/48"));
        assert!(touches(&s, "2000::/3"));
    }

    #[test]
    fn a_prefix_outside_every_span_does_not_touch() {
        let s = spans(&["202.83.160.0/20", "10.0.0.0/24", "10.0.1.0/24"]);
        assert!(!touches(&s, "202.83.176.0/24"));
        assert!(!touches(&s, "10.0.2.0/24"));
        assert!(!touches(&s, "9.255.255.0/24"));
        assert!(!touches(&s, "2001:db8::/32"));
        assert!(!touches(&AddressSpans::default(), "10.0.0.0/24"));
    }

    #[test]
    fn adjacent_and_nested_prefixes_merge() {
        let s = spans(&[
            "10.0.0.0/24",
            "10.0.1.0/24",
            "10.0.0.128/25",
            "255.255.255.255/32",
        ]);
        assert_eq!(s.v4, vec![(0x0a00_0000, 0x0a00_01ff), (u32::MAX, u32::MAX)]);
    }
}
