//! Salvaging the intact prefixes of a malformed IPv4 NLRI field.
//!
//! When the last prefix of an UPDATE's NLRI is truncated, `bgpkit-parser` drops the whole field
//! (keeping its bytes in a validation warning) while `bgpdump` keeps the intact prefixes before
//! it. A monitor should not lose a route a collector recorded, so we keep them too.

use bgpkit_parser::error::BgpValidationWarning;
use bgpkit_parser::models::Bgp4MpEnum;
use bgpkit_parser::models::{BgpMessage, BgpUpdateMessage, MrtMessage, NetworkPrefix};
use ipnet::{IpNet, Ipv4Net};
use std::net::Ipv4Addr;

/// Restores the intact leading prefixes of a malformed announced/withdrawn IPv4 NLRI field.
/// Returns how many prefixes were salvaged.
pub fn salvage_truncated_nlri(message: &mut MrtMessage) -> usize {
    let MrtMessage::Bgp4Mp(Bgp4MpEnum::Message(m)) = message else {
        return 0;
    };
    let BgpMessage::Update(update) = &mut m.bgp_message else {
        return 0;
    };
    salvage_update(update)
}

fn salvage_update(update: &mut BgpUpdateMessage) -> usize {
    let mut announced = Vec::new();
    let mut withdrawn = Vec::new();
    for warning in update.attributes.validation_warnings() {
        if let BgpValidationWarning::MalformedNlri {
            nlri_type,
            raw_bytes,
            ..
        } = warning
        {
            let target = match *nlri_type {
                "announced" => &mut announced,
                "withdrawn" => &mut withdrawn,
                _ => continue,
            };
            target.extend(intact_ipv4_prefixes(raw_bytes));
        }
    }
    let mut salvaged = 0;
    if update.announced_prefixes.is_empty() {
        salvaged += announced.len();
        update.announced_prefixes = announced;
    }
    if update.withdrawn_prefixes.is_empty() {
        salvaged += withdrawn.len();
        update.withdrawn_prefixes = withdrawn;
    }
    salvaged
}

/// Prefixes encoded as (length, ceil(length/8) bytes) until the bytes run out or a length is
/// impossible; host bits are masked.
fn intact_ipv4_prefixes(bytes: &[u8]) -> Vec<NetworkPrefix> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&len) = bytes.get(i) {
        let octets = usize::from(len).div_ceil(8);
        if len > 32 || i + 1 + octets > bytes.len() {
            break;
        }
        let mut addr = [0u8; 4];
        addr[..octets].copy_from_slice(&bytes[i + 1..i + 1 + octets]);
        if let Ok(net) = Ipv4Net::new(Ipv4Addr::from(addr), len) {
            out.push(NetworkPrefix {
                prefix: IpNet::V4(net.trunc()),
                path_id: None,
            });
        }
        i += 1 + octets;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_intact_prefix_before_a_truncated_one_and_masks_host_bits() {
        // The bytes of mrt/edge-cases/updates.nlri_mask_trailing_bits.gz: 11.13.0.0/13, then a
        // /11 with its address missing.
        let got = intact_ipv4_prefixes(&[13, 11, 13, 11]);
        let prefixes: Vec<String> = got.iter().map(|p| p.prefix.to_string()).collect();
        assert_eq!(prefixes, ["11.8.0.0/13"]);
    }

    #[test]
    fn rejects_impossible_lengths() {
        assert!(intact_ipv4_prefixes(&[33, 1, 2, 3, 4, 5]).is_empty());
        assert!(intact_ipv4_prefixes(&[]).is_empty());
    }
}
