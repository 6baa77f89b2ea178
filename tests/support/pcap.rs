//! Classic libpcap captures -> reassembled TCP byte streams, so tests can replay what a router
//! sent over TCP (BMP, BGP) exactly as a station received it. No dependencies.
//!
//! Reads both byte orders and the microsecond and nanosecond magics; link types Ethernet (with
//! 802.1Q/802.1ad tags), raw IP, Linux cooked SLL and SLL2; IPv4 (fragments are skipped) and
//! IPv6 (extension headers walked). Each direction of each connection becomes one stream, its
//! segments placed by sequence number: retransmitted and overlapping bytes are taken once
//! (the lowest-sequence segment wins, then the earliest captured), empty segments are ignored,
//! and a hole ends the payload (what follows it is counted in [`Hole`], not returned).
//! Malformed input is a [`PcapError`], never a panic. Streams are limited to 2 GiB.
#![allow(dead_code)]

// Reassembly of one direction of one connection, in its own file.
#[path = "pcap_streams.rs"]
mod streams;

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use streams::StreamBuilder;

const GLOBAL_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
const LINKTYPE_LINUX_SLL: u32 = 113;
const LINKTYPE_LINUX_SLL2: u32 = 276;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];
const IPPROTO_TCP: u8 = 6;
const TCP_FIN: u8 = 0x01;
const TCP_SYN: u8 = 0x02;
const TCP_RST: u8 = 0x04;

/// One direction of one TCP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpStream {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// The bytes in sequence order, up to the first hole.
    pub payload: Vec<u8>,
    /// Where the capture lost bytes, if it did.
    pub hole: Option<Hole>,
    /// Frame number (1-based, as Wireshark counts) of the stream's first packet.
    pub first_frame: usize,
}

/// Bytes missing from a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hole {
    /// Stream offset where bytes are missing (= `payload.len()`).
    pub offset: u64,
    /// How many bytes are missing before the next captured segment.
    pub missing: u64,
    /// Captured bytes after the hole that were dropped.
    pub dropped: u64,
}

/// Why a capture cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PcapError {
    /// Shorter than the 24-byte file header.
    TooShort { len: usize },
    /// Not a classic pcap magic number (pcapng is named).
    UnknownMagic { magic: [u8; 4] },
    /// A link type this reader does not decode.
    UnsupportedLinkType { link_type: u32 },
    /// A packet record runs past the end of the file.
    TruncatedRecord {
        frame: usize,
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// A header inside a packet contradicts itself or its frame.
    BadPacket {
        frame: usize,
        layer: &'static str,
        problem: &'static str,
    },
}

impl fmt::Display for PcapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PcapError::TooShort { len } => {
                write!(f, "{len} bytes: shorter than the 24-byte pcap file header")
            }
            PcapError::UnknownMagic { magic } if *magic == [0x0a, 0x0d, 0x0d, 0x0a] => {
                write!(f, "pcapng file; convert it with `editcap -F pcap`")
            }
            PcapError::UnknownMagic { magic } => {
                write!(f, "magic {magic:02x?} is not a classic pcap magic")
            }
            PcapError::UnsupportedLinkType { link_type } => write!(
                f,
                "link type {link_type} unsupported (Ethernet 1, raw IP 101, SLL 113, SLL2 276)"
            ),
            PcapError::TruncatedRecord {
                frame,
                offset,
                needed,
                available,
            } => write!(
                f,
                "frame {frame} at byte {offset}: needs {needed} bytes, file has {available} left"
            ),
            PcapError::BadPacket {
                frame,
                layer,
                problem,
            } => {
                write!(f, "frame {frame}: bad {layer} header: {problem}")
            }
        }
    }
}

impl std::error::Error for PcapError {}

/// Every TCP stream with payload in `pcap`, ordered by first packet.
pub fn tcp_streams(pcap: &[u8]) -> Result<Vec<TcpStream>, PcapError> {
    let mut builders: Vec<StreamBuilder> = Vec::new();
    let mut current: HashMap<(SocketAddr, SocketAddr), usize> = HashMap::new();
    for packet in packets(pcap)? {
        let (frame, data) = packet?;
        let Some(segment) = decode_frame(frame, &data)? else {
            continue;
        };
        let key = (segment.src, segment.dst);
        let index = match current.get(&key) {
            Some(&i) if !builders[i].starts_anew(&segment) => i,
            _ => {
                builders.push(StreamBuilder::new(&segment, frame));
                current.insert(key, builders.len() - 1);
                builders.len() - 1
            }
        };
        builders[index].add(segment, frame);
    }
    Ok(builders
        .into_iter()
        .map(StreamBuilder::finish)
        .filter(|s| !s.payload.is_empty() || s.hole.is_some())
        .collect())
}

/// One captured frame: its link type, bytes, and whether the capture cut it short.
struct Frame<'a> {
    link_type: u32,
    bytes: &'a [u8],
    truncated: bool,
}

type Packets<'a> = Box<dyn Iterator<Item = Result<(usize, Frame<'a>), PcapError>> + 'a>;

/// Validates the file header and iterates over the packet records.
fn packets(pcap: &[u8]) -> Result<Packets<'_>, PcapError> {
    if pcap.len() < GLOBAL_HEADER_LEN {
        return Err(PcapError::TooShort { len: pcap.len() });
    }
    let magic = [pcap[0], pcap[1], pcap[2], pcap[3]];
    let big_endian = match magic {
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => true,
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => false,
        _ => return Err(PcapError::UnknownMagic { magic }),
    };
    let u32_at = move |b: &[u8], at: usize| {
        let word = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if big_endian {
            u32::from_be_bytes(word)
        } else {
            u32::from_le_bytes(word)
        }
    };
    // The upper bits of the link-type field carry FCS information (pcap spec, LinkType).
    let link_type = u32_at(pcap, 20) & 0x03ff_ffff;
    if ![
        LINKTYPE_ETHERNET,
        LINKTYPE_RAW,
        LINKTYPE_LINUX_SLL,
        LINKTYPE_LINUX_SLL2,
    ]
    .contains(&link_type)
    {
        return Err(PcapError::UnsupportedLinkType { link_type });
    }
    let mut offset = GLOBAL_HEADER_LEN;
    let mut frame = 0;
    Ok(Box::new(std::iter::from_fn(move || {
        if offset >= pcap.len() {
            return None;
        }
        frame += 1;
        let available = pcap.len() - offset;
        let at = offset;
        let truncated_record = move |needed| PcapError::TruncatedRecord {
            frame,
            offset: at,
            needed,
            available,
        };
        if available < RECORD_HEADER_LEN {
            offset = pcap.len();
            return Some(Err(truncated_record(RECORD_HEADER_LEN)));
        }
        let incl_len = u32_at(pcap, offset + 8) as usize;
        let orig_len = u32_at(pcap, offset + 12) as usize;
        let needed = RECORD_HEADER_LEN.saturating_add(incl_len);
        if needed > available {
            offset = pcap.len();
            return Some(Err(truncated_record(needed)));
        }
        let bytes = &pcap[offset + RECORD_HEADER_LEN..offset + needed];
        offset += needed;
        let truncated = incl_len < orig_len;
        Some(Ok((
            frame,
            Frame {
                link_type,
                bytes,
                truncated,
            },
        )))
    })))
}

/// A TCP segment as captured.
struct Segment {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    flags: u8,
    payload: Vec<u8>,
}

fn bad(frame: usize, layer: &'static str, problem: &'static str) -> PcapError {
    PcapError::BadPacket {
        frame,
        layer,
        problem,
    }
}

/// The TCP segment in a frame; `None` for frames that carry no TCP (ARP, UDP, fragments ...).
fn decode_frame(frame: usize, captured: &Frame<'_>) -> Result<Option<Segment>, PcapError> {
    let (bytes, truncated) = (captured.bytes, captured.truncated);
    let (mut ethertype, mut rest) = match captured.link_type {
        LINKTYPE_ETHERNET if bytes.len() >= 14 => (be16(bytes, 12), &bytes[14..]),
        LINKTYPE_LINUX_SLL if bytes.len() >= 16 => (be16(bytes, 14), &bytes[16..]),
        LINKTYPE_LINUX_SLL2 if bytes.len() >= 20 => (be16(bytes, 0), &bytes[20..]),
        LINKTYPE_RAW => match bytes.first().map(|b| b >> 4) {
            Some(4) => (ETHERTYPE_IPV4, bytes),
            Some(6) => (ETHERTYPE_IPV6, bytes),
            _ => return Err(bad(frame, "raw IP", "version is neither 4 nor 6")),
        },
        _ => return Err(bad(frame, "link-layer", "frame shorter than its header")),
    };
    while ETHERTYPE_VLAN_TAGS.contains(&ethertype) {
        if rest.len() < 4 {
            return Err(bad(frame, "VLAN", "tag cut short"));
        }
        ethertype = be16(rest, 2);
        rest = &rest[4..];
    }
    let transport = match ethertype {
        ETHERTYPE_IPV4 => ipv4(frame, rest, truncated)?,
        ETHERTYPE_IPV6 => ipv6(frame, rest, truncated)?,
        _ => None,
    };
    match transport {
        Some((src, dst, tcp)) => tcp_segment(frame, src, dst, tcp).map(Some),
        None => Ok(None),
    }
}

type Transport<'a> = Option<(IpAddr, IpAddr, &'a [u8])>;

/// Cuts an IP packet to its stated length; the frame may hold padding, or less when the capture
/// truncated it.
fn ip_payload<'a>(
    frame: usize,
    layer: &'static str,
    packet: &'a [u8],
    header_len: usize,
    total_len: usize,
    truncated: bool,
) -> Result<&'a [u8], PcapError> {
    if total_len < header_len {
        return Err(bad(frame, layer, "total length shorter than the header"));
    }
    if total_len > packet.len() && !truncated {
        return Err(bad(frame, layer, "length exceeds the captured frame"));
    }
    Ok(&packet[header_len..total_len.min(packet.len())])
}

fn ipv4(frame: usize, packet: &[u8], truncated: bool) -> Result<Transport<'_>, PcapError> {
    if packet.len() < 20 || packet[0] >> 4 != 4 {
        return Err(bad(
            frame,
            "IPv4",
            "shorter than 20 bytes or version is not 4",
        ));
    }
    let header_len = usize::from(packet[0] & 0x0f) * 4;
    if header_len < 20 || header_len > packet.len() {
        return Err(bad(frame, "IPv4", "header length outside 20..frame"));
    }
    let payload = ip_payload(
        frame,
        "IPv4",
        packet,
        header_len,
        usize::from(be16(packet, 2)),
        truncated,
    )?;
    let more_fragments = packet[6] & 0x20 != 0;
    let fragment_offset = be16(packet, 6) & 0x1fff;
    if packet[9] != IPPROTO_TCP || more_fragments || fragment_offset != 0 {
        return Ok(None);
    }
    let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
    let dst = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
    Ok(Some((src.into(), dst.into(), payload)))
}

fn ipv6(frame: usize, packet: &[u8], truncated: bool) -> Result<Transport<'_>, PcapError> {
    if packet.len() < 40 || packet[0] >> 4 != 6 {
        return Err(bad(
            frame,
            "IPv6",
            "shorter than 40 bytes or version is not 6",
        ));
    }
    let payload_len = usize::from(be16(packet, 4));
    let mut rest = ip_payload(frame, "IPv6", packet, 40, 40 + payload_len, truncated)?;
    let address = |at: usize| {
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&packet[at..at + 16]);
        IpAddr::from(Ipv6Addr::from(octets))
    };
    let mut next = packet[6];
    loop {
        let header_len = match next {
            IPPROTO_TCP => return Ok(Some((address(8), address(24), rest))),
            0 | 43 | 60 if rest.len() >= 2 => (usize::from(rest[1]) + 1) * 8,
            51 if rest.len() >= 2 => (usize::from(rest[1]) + 2) * 4,
            0 | 43 | 60 | 51 => return Err(bad(frame, "IPv6", "extension header cut short")),
            _ => return Ok(None), // fragment, no next header, another protocol
        };
        if header_len > rest.len() {
            return Err(bad(
                frame,
                "IPv6",
                "extension header longer than the packet",
            ));
        }
        next = rest[0];
        rest = &rest[header_len..];
    }
}

fn tcp_segment(frame: usize, src: IpAddr, dst: IpAddr, tcp: &[u8]) -> Result<Segment, PcapError> {
    if tcp.len() < 20 {
        return Err(bad(frame, "TCP", "shorter than 20 bytes"));
    }
    let header_len = usize::from(tcp[12] >> 4) * 4;
    if header_len < 20 || header_len > tcp.len() {
        return Err(bad(frame, "TCP", "data offset outside 20..segment"));
    }
    Ok(Segment {
        src: SocketAddr::new(src, be16(tcp, 0)),
        dst: SocketAddr::new(dst, be16(tcp, 2)),
        seq: u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]),
        flags: tcp[13],
        payload: tcp[header_len..].to_vec(),
    })
}

fn be16(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}
