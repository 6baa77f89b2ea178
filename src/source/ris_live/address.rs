//! Fast paths for the addresses and prefixes of RIS Live messages (a few per message, thousands
//! of messages a second). Each fast path handles the plain form and answers `None` otherwise;
//! the general parser then decides, so what is accepted, and as what, stays the general
//! parser's.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A prefix (`192.0.2.0/24`, `2001:db8::/32`) truncated to its network address, as
/// `IpNet::from_str` reads it.
pub fn prefix(text: &str) -> Option<IpNet> {
    plain_prefix(text)
        .or_else(|| text.parse::<IpNet>().ok())
        .map(|p| p.trunc())
}

/// An address (`192.0.2.1`, `2001:db8::1`), as `IpAddr::from_str` reads it.
pub fn address(text: &str) -> Option<IpAddr> {
    match read_ipv4(text.as_bytes()) {
        Some((addr, [])) => Some(IpAddr::V4(addr)),
        _ => text.parse().ok(),
    }
}

fn plain_prefix(text: &str) -> Option<IpNet> {
    if let Some((addr, rest)) = read_ipv4(text.as_bytes()) {
        let (len, []) = read_decimal(rest.strip_prefix(b"/")?, 2)? else {
            return None;
        };
        return Ipv4Net::new(addr, u8::try_from(len).ok()?)
            .ok()
            .map(IpNet::V4);
    }
    let (addr, len) = text.split_once('/')?;
    let (len, []) = read_decimal(len.as_bytes(), 3)? else {
        return None;
    };
    let addr: Ipv6Addr = addr.parse().ok()?;
    Ipv6Net::new(addr, u8::try_from(len).ok()?)
        .ok()
        .map(IpNet::V6)
}

/// `a.b.c.d` at the start of `bytes` (decimal octets without leading zeros), and the rest.
fn read_ipv4(bytes: &[u8]) -> Option<(Ipv4Addr, &[u8])> {
    let mut octets = [0u8; 4];
    let mut rest = bytes;
    for (i, octet) in octets.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix(b".")?;
        }
        let (value, after) = read_decimal(rest, 3)?;
        *octet = u8::try_from(value).ok()?;
        rest = after;
    }
    Some((Ipv4Addr::from(octets), rest))
}

/// One to `max_digits` (at most 3) decimal digits without a leading zero at the start of
/// `bytes`, and the rest.
fn read_decimal(bytes: &[u8], max_digits: usize) -> Option<(u32, &[u8])> {
    let mut value = 0u32;
    let mut digits = 0;
    while let Some(&b) = bytes.get(digits) {
        if !b.is_ascii_digit() {
            break;
        }
        if digits == max_digits || (digits == 1 && value == 0) {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
        digits += 1;
    }
    (digits > 0).then(|| (value, &bytes[digits..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain, odd and broken forms: the fast paths must agree with the general parsers on each.
    const SAMPLES: [&str; 34] = [
        "192.0.2.0/24",
        "192.0.2.77/24",
        "0.0.0.0/0",
        "255.255.255.255/32",
        "10.0.0.0/8",
        "10.0.0.0/08",
        "010.0.0.0/8",
        "10.0.0.0/33",
        "10.0.0.0/100",
        "256.0.0.0/8",
        "10.0.0/8",
        "10.0.0.0.0/8",
        "10.0.0.0/",
        "10.0.0.0",
        "10.0.0.0/8/8",
        "10.0.0.0/+8",
        "1.2.3.4",
        "01.2.3.4",
        "1.2.3.0004",
        "2001:db8::/32",
        "2001:db8::1/128",
        "2001:0db8:0000::/48",
        "::/0",
        "::ffff:192.0.2.0/120",
        "2001:db8::/129",
        "2001:db8::/064",
        "2001:db8::/64x",
        "2001:db8::%eth0/64",
        "1:2:3:4:5:6:7::/64",
        "2001:db8:::/32",
        "2001:db8::1",
        "fe80::1",
        "",
        "not a prefix",
    ];

    #[test]
    fn prefixes_read_as_ipnet_reads_them() {
        for text in SAMPLES {
            let general = text.parse::<IpNet>().ok().map(|p| p.trunc());
            assert_eq!(prefix(text), general, "{text:?}");
        }
    }

    #[test]
    fn addresses_read_as_the_standard_library_reads_them() {
        for text in SAMPLES {
            assert_eq!(address(text), text.parse::<IpAddr>().ok(), "{text:?}");
        }
    }
}
