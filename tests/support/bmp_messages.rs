//! BMP messages built by hand for live tests: an Initiation, and a Route Monitoring message
//! carrying one IPv4 announcement with a 4-octet AS path (RFC 7854 sections 4.1-4.6).
#![allow(dead_code)]

/// A BMP v3 Initiation message with one sysDescr TLV.
pub fn initiation(description: &str) -> Vec<u8> {
    let mut tlv = vec![0, 1];
    tlv.extend_from_slice(&(description.len() as u16).to_be_bytes());
    tlv.extend_from_slice(description.as_bytes());
    message(4, &tlv)
}

/// Route Monitoring: global peer `peer` (AS `peer_as`) announces `prefix` (a /24, its three
/// octets) with AS path `path`, next hop 192.0.2.1.
pub fn route_monitoring(peer: [u8; 4], peer_as: u32, prefix: [u8; 3], path: &[u32]) -> Vec<u8> {
    let mut attrs = vec![0x40, 1, 1, 0]; // ORIGIN IGP
    attrs.extend([0x40, 2, (2 + 4 * path.len()) as u8, 2, path.len() as u8]);
    for asn in path {
        attrs.extend(asn.to_be_bytes());
    }
    attrs.extend([0x40, 3, 4, 192, 0, 2, 1]); // NEXT_HOP
    let nlri = [24, prefix[0], prefix[1], prefix[2]];
    let mut update = vec![0xff; 16];
    update.extend(((19 + 2 + 2 + attrs.len() + nlri.len()) as u16).to_be_bytes());
    update.push(2); // UPDATE
    update.extend([0, 0]); // no withdrawn routes
    update.extend((attrs.len() as u16).to_be_bytes());
    update.extend(&attrs);
    update.extend(nlri);
    let mut body = vec![0, 0]; // global instance peer, no flags (IPv4, pre-policy, 4-octet AS)
    body.extend([0u8; 8]); // peer distinguisher
    body.extend([0u8; 12]);
    body.extend(peer);
    body.extend(peer_as.to_be_bytes());
    body.extend(peer); // BGP identifier
    body.extend([0u8; 8]); // timestamp: none
    body.extend(update);
    message(0, &body)
}

/// Offset of the BGP message in a [`route_monitoring`] message (common + per-peer header).
pub const BGP_OFFSET: usize = 6 + 42;

fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut msg = vec![3];
    msg.extend(((6 + body.len()) as u32).to_be_bytes());
    msg.push(kind);
    msg.extend_from_slice(body);
    msg
}
