//! An IPv4 range as RIRs write it (first address + number of addresses) turned into the minimal
//! list of CIDR prefixes that covers exactly that range. Most delegations are one aligned power
//! of two, but older and transferred blocks are not (768 addresses = a /23 and a /24).

use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// Addresses in the IPv4 space.
const IPV4_SPACE: u64 = 1 << 32;

/// Why a range cannot be turned into prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// A range of zero addresses.
    #[error("the address count is 0")]
    Empty,
    /// The range runs past 255.255.255.255.
    #[error("{start} + {count} addresses runs past 255.255.255.255")]
    PastEnd {
        /// First address.
        start: Ipv4Addr,
        /// Number of addresses.
        count: u64,
    },
}

/// The minimal list of prefixes covering exactly `count` addresses from `start`, in address
/// order: at each step the largest block that is aligned at the current address and does not
/// run past the end.
pub fn ipv4_range_to_cidrs(start: Ipv4Addr, count: u64) -> Result<Vec<Ipv4Net>, RangeError> {
    if count == 0 {
        return Err(RangeError::Empty);
    }
    let mut current = u64::from(u32::from(start));
    let end = current + count;
    if end > IPV4_SPACE {
        return Err(RangeError::PastEnd { start, count });
    }
    let mut prefixes = Vec::new();
    while current < end {
        let alignment_bits = if current == 0 {
            32
        } else {
            current.trailing_zeros().min(32)
        };
        let remaining_bits = 63 - (end - current).leading_zeros();
        let host_bits = alignment_bits.min(remaining_bits);
        let address = Ipv4Addr::from(current as u32);
        let prefix = Ipv4Net::new(address, (32 - host_bits) as u8)
            .expect("host_bits is at most 32, so the length is valid");
        prefixes.push(prefix);
        current += 1 << host_bits;
    }
    Ok(prefixes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(start: &str, count: u64) -> Vec<String> {
        ipv4_range_to_cidrs(start.parse().unwrap(), count)
            .unwrap()
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn an_aligned_power_of_two_is_one_prefix() {
        assert_eq!(split("202.83.160.0", 4096), ["202.83.160.0/20"]);
        assert_eq!(split("10.0.0.0", 1), ["10.0.0.0/32"]);
    }

    #[test]
    fn an_odd_sized_block_splits_into_the_minimal_prefixes() {
        assert_eq!(split("1.0.0.0", 768), ["1.0.0.0/23", "1.0.2.0/24"]);
        assert_eq!(
            split("1.0.0.0", 1792),
            ["1.0.0.0/22", "1.0.4.0/23", "1.0.6.0/24"]
        );
        assert_eq!(split("192.0.2.0", 3), ["192.0.2.0/31", "192.0.2.2/32"]);
    }

    #[test]
    fn an_unaligned_start_grows_up_to_alignment_then_shrinks() {
        // 1.0.1.0 - 1.0.4.255: a /24 to reach /23 alignment, a /23, then a /24.
        assert_eq!(
            split("1.0.1.0", 1024),
            ["1.0.1.0/24", "1.0.2.0/23", "1.0.4.0/24"]
        );
    }

    #[test]
    fn the_split_covers_exactly_the_range_with_no_overlap() {
        for (start, count) in [
            ("1.0.1.0", 1_000_000u64),
            ("3.3.3.3", 77_777),
            ("0.0.0.1", 5),
        ] {
            let prefixes = ipv4_range_to_cidrs(start.parse().unwrap(), count).unwrap();
            let mut next = u64::from(u32::from(start.parse::<Ipv4Addr>().unwrap()));
            for p in &prefixes {
                assert_eq!(
                    u64::from(u32::from(p.network())),
                    next,
                    "gap or overlap at {p}"
                );
                next += 1u64 << (32 - p.prefix_len());
            }
            assert_eq!(
                next - u64::from(u32::from(start.parse::<Ipv4Addr>().unwrap())),
                count
            );
            // Minimal: no two neighbours could merge into one aligned prefix.
            for pair in prefixes.windows(2) {
                if pair[0].prefix_len() == pair[1].prefix_len() {
                    assert_ne!(pair[0].supernet(), pair[1].supernet(), "{pair:?} merge");
                }
            }
        }
    }

    #[test]
    fn the_whole_space_is_one_slash_zero() {
        assert_eq!(split("0.0.0.0", 1 << 32), ["0.0.0.0/0"]);
    }

    #[test]
    fn empty_and_overflowing_ranges_are_refused() {
        let start: Ipv4Addr = "255.255.255.0".parse().unwrap();
        assert_eq!(ipv4_range_to_cidrs(start, 0), Err(RangeError::Empty));
        assert_eq!(
            ipv4_range_to_cidrs(start, 257),
            Err(RangeError::PastEnd { start, count: 257 })
        );
        assert_eq!(split("255.255.255.0", 256), ["255.255.255.0/24"]);
    }
}
