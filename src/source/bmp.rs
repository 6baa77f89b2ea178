//! Raw BMP byte streams (RFC 7854; RFC 9069 Loc-RIB): what a router sent to a BMP station.
//! Every monitored peer is a vantage point; Peer Down and Termination withdraw what they held.

use super::convert::elem_to_update;
use super::unicast::keep_unicast;
use super::ReadContext;
use crate::update::{timestamp_from_unix, FeedEvent, SourceItem, Timestamp, VantagePoint};
use bgpkit_parser::models::{Asn as BgpAsn, BgpMessage};
use bgpkit_parser::parser::bmp::messages::{BmpMessageBody, BmpPerPeerHeader};
use bgpkit_parser::{parse_bmp_msg, Elementor};
use bytes::Bytes;
use std::collections::{BTreeSet, HashMap};
use std::io::{ErrorKind, Read};
use std::sync::Arc;

/// BMP messages claiming more than this are refused (a Route Monitoring message is at most
/// 6 + 42 + 65,535 bytes; Peer Up carries two OPENs).
pub const MAX_MESSAGE_LEN: u32 = 1 << 20;
/// Bytes of the BMP common header (version, length, type).
pub const COMMON_HEADER_LEN: usize = 6;

/// Checks a common header; returns the whole message's length. A bad header leaves no way
/// to find the next message, so the stream must be dropped.
pub fn check_header(header: &[u8; COMMON_HEADER_LEN]) -> Result<u32, String> {
    let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    if header[0] != 3 {
        return Err(format!(
            "BMP version {} (only version 3 is defined)",
            header[0]
        ));
    }
    if !(COMMON_HEADER_LEN as u32..=MAX_MESSAGE_LEN).contains(&length) {
        return Err(format!(
            "message claims {length} bytes (allowed 6 to {MAX_MESSAGE_LEN})"
        ));
    }
    Ok(length)
}

/// Turns BMP messages of one router into source items.
pub struct BmpSession {
    router: Arc<str>,
    labels: HashMap<u64, Arc<str>>,
    peers_up: BTreeSet<VantagePoint>,
    last_time: Option<Timestamp>,
}

impl BmpSession {
    /// A session with the router called `router` (a file name in replay, an address live).
    pub fn new(router: Arc<str>) -> Self {
        BmpSession {
            router,
            labels: HashMap::new(),
            peers_up: BTreeSet::new(),
            last_time: None,
        }
    }

    fn vantage_point(&mut self, header: &BmpPerPeerHeader) -> VantagePoint {
        let rd = header.peer_distinguisher;
        let router = &self.router;
        let collector = self
            .labels
            .entry(rd)
            .or_insert_with(|| {
                if rd == 0 {
                    router.clone()
                } else {
                    Arc::from(format!("{router} rd {rd}").as_str())
                }
            })
            .clone();
        VantagePoint {
            collector,
            peer_ip: header.peer_ip,
            peer_asn: header.peer_asn.into(),
        }
    }

    fn time(&mut self, header: Option<&BmpPerPeerHeader>) -> Timestamp {
        let stamped = header
            .filter(|h| h.timestamp > 0.0)
            .map(|h| timestamp_from_unix(h.timestamp));
        let time = stamped.or(self.last_time).unwrap_or_default();
        self.last_time = Some(time);
        time
    }

    /// Decodes one whole BMP message (common header included) into items.
    pub fn handle(&mut self, message: Bytes, ctx: &mut ReadContext<'_>) -> Result<(), String> {
        let mut parsed = parse_bmp_msg(&mut message.clone()).map_err(|e| e.to_string())?;
        // FRR sends locally originated routes with 2-octet AS paths although the per-peer
        // header's A flag says 4-octet; the parser then drops the AS_PATH as malformed. When the
        // legacy reading decodes cleanly, it is what the router meant.
        if has_validation_warnings(&parsed.message_body) {
            if let Some(mut legacy) = with_legacy_as_path_flag(&message) {
                if let Ok(reparsed) = parse_bmp_msg(&mut legacy) {
                    if !has_validation_warnings(&reparsed.message_body) {
                        parsed = reparsed;
                    }
                }
            }
        }
        let time = self.time(parsed.per_peer_header.as_ref());
        let header = parsed.per_peer_header;
        match (parsed.message_body, header) {
            (BmpMessageBody::RouteMonitoring(mut rm), Some(h)) => {
                ctx.count_removed(keep_unicast(&mut rm.bgp_message));
                let vp = self.vantage_point(&h);
                self.peers_up.insert(vp.clone());
                let peer_asn = BgpAsn::from(vp.peer_asn);
                let ts = time.timestamp_micros() as f64 / 1e6;
                for elem in Elementor::bgp_to_elems(rm.bgp_message, ts, &vp.peer_ip, &peer_asn) {
                    ctx.count_and_emit(SourceItem::Update(elem_to_update(elem, &vp.collector)));
                }
            }
            (BmpMessageBody::PeerUpNotification(_), Some(h)) => {
                let vantage_point = self.vantage_point(&h);
                self.peers_up.insert(vantage_point.clone());
                ctx.stats.peer_events += 1;
                (ctx.emit)(SourceItem::Event(FeedEvent::PeerUp {
                    time,
                    vantage_point,
                }));
            }
            (BmpMessageBody::PeerDownNotification(down), Some(h)) => {
                let vantage_point = self.vantage_point(&h);
                self.peers_up.remove(&vantage_point);
                ctx.stats.peer_events += 1;
                let reason = format!("BMP Peer Down ({:?})", down.reason);
                (ctx.emit)(SourceItem::Event(FeedEvent::PeerDown {
                    time,
                    vantage_point,
                    reason,
                }));
            }
            (BmpMessageBody::TerminationMessage(_), _) => self.close(time, "BMP Termination", ctx),
            _ => ctx.stats.skipped += 1,
        }
        Ok(())
    }

    /// The router went away: every peer it reported is down.
    pub fn close(&mut self, time: Timestamp, why: &str, ctx: &mut ReadContext<'_>) {
        for vantage_point in std::mem::take(&mut self.peers_up) {
            ctx.stats.peer_events += 1;
            (ctx.emit)(SourceItem::Event(FeedEvent::PeerDown {
                time,
                vantage_point,
                reason: why.to_string(),
            }));
        }
    }
}

fn has_validation_warnings(body: &BmpMessageBody) -> bool {
    matches!(body, BmpMessageBody::RouteMonitoring(rm)
        if matches!(&rm.bgp_message, BgpMessage::Update(u) if u.attributes.has_validation_warnings()))
}

/// The message with the per-peer header's A flag (2-octet AS paths) set, for a Route Monitoring
/// message that does not have it; `None` otherwise.
fn with_legacy_as_path_flag(message: &Bytes) -> Option<Bytes> {
    const ROUTE_MONITORING: u8 = 0;
    const FLAGS_OFFSET: usize = COMMON_HEADER_LEN + 1;
    const LEGACY_AS_PATH: u8 = 0x20;
    if message.get(5) != Some(&ROUTE_MONITORING) || message.get(FLAGS_OFFSET)? & LEGACY_AS_PATH != 0
    {
        return None;
    }
    let mut bytes = message.to_vec();
    bytes[FLAGS_OFFSET] |= LEGACY_AS_PATH;
    Some(Bytes::from(bytes))
}

/// Reads a raw BMP byte stream. Framing errors stop the stream (there is no resync point);
/// a message that frames but does not decode is reported and skipped.
pub fn read(mut reader: Box<dyn Read + Send>, router: Arc<str>, ctx: &mut ReadContext<'_>) {
    let mut session = BmpSession::new(router);
    let mut offset = 0u64;
    loop {
        let mut header = [0u8; COMMON_HEADER_LEN];
        match read_full(&mut reader, &mut header) {
            Ok(0) => return,
            Ok(n) if n < COMMON_HEADER_LEN => {
                ctx.damage(
                    "BMP",
                    offset,
                    format!("stream ends inside a message header ({n} of 6 bytes)"),
                );
                return;
            }
            Ok(_) => {}
            Err(e) => {
                ctx.damage("BMP", offset, e.to_string());
                return;
            }
        }
        let length = match check_header(&header) {
            Ok(length) => length,
            Err(reason) => {
                ctx.damage("BMP", offset, format!("{reason}; stopping"));
                return;
            }
        };
        let mut message = vec![0u8; length as usize];
        message[..COMMON_HEADER_LEN].copy_from_slice(&header);
        match read_full(&mut reader, &mut message[COMMON_HEADER_LEN..]) {
            Ok(n) if n == message.len() - COMMON_HEADER_LEN => {}
            Ok(n) => {
                ctx.damage(
                    "BMP",
                    offset,
                    format!(
                        "stream ends inside a {length}-byte message ({} bytes present)",
                        n + COMMON_HEADER_LEN
                    ),
                );
                return;
            }
            Err(e) => {
                ctx.damage("BMP", offset, e.to_string());
                return;
            }
        }
        ctx.stats.records += 1;
        if let Err(reason) = session.handle(Bytes::from(message), ctx) {
            ctx.damage("BMP", offset, reason);
        }
        offset += u64::from(length);
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::ReadStats;
    use crate::update::{Change, PathHop};

    /// A Route Monitoring message as FRR sends a locally originated route: post-policy, peer
    /// address and AS zero, A flag clear, but a 2-octet AS_PATH.
    fn frr_local_route(path: &[u16]) -> Vec<u8> {
        let mut attrs = vec![0x40, 1, 1, 0]; // ORIGIN IGP
        attrs.extend([0x40, 2, (2 + 2 * path.len()) as u8, 2, path.len() as u8]);
        for asn in path {
            attrs.extend(asn.to_be_bytes());
        }
        attrs.extend([0x40, 3, 4, 192, 0, 2, 4]); // NEXT_HOP
        let nlri = [24, 203, 0, 114];
        let mut update = vec![0xff; 16];
        let length = 19 + 2 + 2 + attrs.len() + nlri.len();
        update.extend((length as u16).to_be_bytes());
        update.push(2);
        update.extend([0, 0]);
        update.extend((attrs.len() as u16).to_be_bytes());
        update.extend(&attrs);
        update.extend(nlri);
        let mut peer = vec![0, 0x40]; // global peer, L (post-policy) flag, A flag clear
        peer.extend([0u8; 8 + 16 + 4 + 4 + 8]);
        let mut msg = vec![3];
        msg.extend(((6 + peer.len() + update.len()) as u32).to_be_bytes());
        msg.push(0);
        msg.extend(peer);
        msg.extend(update);
        msg
    }

    #[test]
    fn a_two_octet_path_under_a_four_octet_flag_is_decoded_as_the_router_meant_it() {
        let mut items = Vec::new();
        let mut stats = ReadStats::default();
        let mut errors = Vec::new();
        let mut emit = |item| items.push(item);
        let mut ctx = ReadContext {
            path: std::path::Path::new("frr"),
            emit: &mut emit,
            stats: &mut stats,
            errors: &mut errors,
            interest: None,
            clock: None,
        };
        let mut session = BmpSession::new(Arc::from("frr"));
        session
            .handle(
                Bytes::from(frr_local_route(&[65004, 64501, 64500])),
                &mut ctx,
            )
            .expect("decoded");
        let [SourceItem::Update(update)] = items.as_slice() else {
            panic!("one update expected: {items:?}");
        };
        assert_eq!(update.prefix.to_string(), "203.0.114.0/24");
        let Change::Announce(route) = &update.change else {
            panic!("an announcement")
        };
        let hops: Vec<_> = route.as_path.hops().to_vec();
        assert_eq!(
            hops,
            [
                PathHop::Asn(65004),
                PathHop::Asn(64501),
                PathHop::Asn(64500)
            ]
        );
    }
}
