//! The test-side pcap reader (`support/pcap.rs`): link types, byte orders, TCP reassembly, and
//! errors (never panics) on malformed captures. Captures are built here, byte by byte.

#[path = "support/pcap.rs"]
mod pcap;
mod support;

use pcap::{tcp_streams, Hole, PcapError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const ETHERNET: u32 = 1;
const RAW_IP: u32 = 101;
const SLL: u32 = 113;
const SLL2: u32 = 276;
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;
const FIN_ACK: u8 = 0x11;

const ROUTER: [u8; 4] = [192, 0, 2, 1];
const STATION: [u8; 4] = [198, 51, 100, 7];
const ROUTER6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const STATION6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

/// A classic pcap file with `frames`, in either byte order, with micro- or nanosecond magic.
fn pcap_file(link_type: u32, big_endian: bool, nanos: bool, frames: &[Vec<u8>]) -> Vec<u8> {
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut file = Vec::new();
    file.extend(u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    file.extend(u16b(2));
    file.extend(u16b(4));
    file.extend(u32b(0));
    file.extend(u32b(0));
    file.extend(u32b(65535));
    file.extend(u32b(link_type));
    for (i, frame) in frames.iter().enumerate() {
        file.extend(u32b(1_700_000_000 + i as u32));
        file.extend(u32b(0));
        file.extend(u32b(frame.len() as u32));
        file.extend(u32b(frame.len() as u32));
        file.extend(frame);
    }
    file
}

fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut segment = Vec::new();
    segment.extend(sport.to_be_bytes());
    segment.extend(dport.to_be_bytes());
    segment.extend(seq.to_be_bytes());
    segment.extend(0u32.to_be_bytes());
    segment.extend([5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
    segment.extend(payload);
    segment
}

fn ipv4(src: [u8; 4], dst: [u8; 4], transport: &[u8]) -> Vec<u8> {
    let total = (20 + transport.len()) as u16;
    let mut packet = vec![0x45, 0];
    packet.extend(total.to_be_bytes());
    packet.extend([0, 1, 0x40, 0, 64, 6, 0, 0]);
    packet.extend(src);
    packet.extend(dst);
    packet.extend(transport);
    packet
}

/// IPv6 with one hop-by-hop options header before TCP.
fn ipv6(src: [u8; 16], dst: [u8; 16], transport: &[u8]) -> Vec<u8> {
    let mut packet = vec![0x60, 0, 0, 0];
    packet.extend(((8 + transport.len()) as u16).to_be_bytes());
    packet.extend([0, 64]); // next header: hop-by-hop
    packet.extend(src);
    packet.extend(dst);
    packet.extend([6, 0, 1, 4, 0, 0, 0, 0]); // -> TCP; PadN
    packet.extend(transport);
    packet
}

fn ethernet(ethertype: u16, vlans: &[u16], packet: &[u8]) -> Vec<u8> {
    let mut frame = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    for &vlan in vlans {
        frame.extend([0x81, 0x00]);
        frame.extend(vlan.to_be_bytes());
    }
    frame.extend(ethertype.to_be_bytes());
    frame.extend(packet);
    frame.extend([0; 6]); // padding beyond the IP length
    frame
}

fn sll(ethertype: u16, packet: &[u8]) -> Vec<u8> {
    let mut frame = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
    frame.extend(ethertype.to_be_bytes());
    frame.extend(packet);
    frame
}

fn sll2(ethertype: u16, packet: &[u8]) -> Vec<u8> {
    let mut frame = ethertype.to_be_bytes().to_vec();
    frame.extend([0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
    frame.extend(packet);
    frame
}

/// Router -> station segments over Ethernet/IPv4.
fn v4(segments: &[(u32, u8, &[u8])]) -> Vec<Vec<u8>> {
    segments
        .iter()
        .map(|&(seq, flags, data)| {
            ethernet(
                0x0800,
                &[],
                &ipv4(ROUTER, STATION, &tcp(4321, 1790, seq, flags, data)),
            )
        })
        .collect()
}

fn single_payload(file: &[u8]) -> Vec<u8> {
    let streams = tcp_streams(file).expect("a valid capture");
    assert_eq!(streams.len(), 1, "{streams:?}");
    assert_eq!(streams[0].hole, None);
    streams[0].payload.clone()
}

#[test]
fn segments_are_joined_by_sequence_number_not_capture_order() {
    let frames = v4(&[
        (1000, SYN, b""),
        (1008, PSH_ACK, b"world"),
        (1001, PSH_ACK, b"hello, "),
        (1005, PSH_ACK, b"o, wo"), // overlaps both neighbours with the same bytes
        (1013, FIN_ACK, b"!"),
    ]);
    let file = pcap_file(ETHERNET, false, false, &frames);
    assert_eq!(single_payload(&file), b"hello, world!");
}

#[test]
fn retransmitted_and_empty_segments_add_no_bytes() {
    let frames = v4(&[
        (1000, SYN, b""),
        (1001, PSH_ACK, b"abc"),
        (1001, PSH_ACK, b"abc"),
        (1004, ACK, b""),
        (1003, ACK, b"c"), // keep-alive style: one old byte
        (1004, PSH_ACK, b"def"),
        (1001, PSH_ACK, b"abcdef"),
    ]);
    let file = pcap_file(ETHERNET, false, false, &frames);
    assert_eq!(single_payload(&file), b"abcdef");
}

#[test]
fn both_byte_orders_and_the_nanosecond_magic_read_alike() {
    let frames = v4(&[(7, SYN, b""), (8, PSH_ACK, b"bmp")]);
    for (big_endian, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
        let file = pcap_file(ETHERNET, big_endian, nanos, &frames);
        assert_eq!(
            single_payload(&file),
            b"bmp",
            "big endian {big_endian}, ns {nanos}"
        );
    }
}

#[test]
fn vlan_ethernet_cooked_and_raw_ip_frames_carry_ipv4_and_ipv6() {
    let segment = tcp(4321, 1790, 1, PSH_ACK, b"payload");
    let v4 = ipv4(ROUTER, STATION, &segment);
    let v6 = ipv6(ROUTER6, STATION6, &segment);
    let cases: [(u32, Vec<u8>, [u8; 16]); 8] = [
        (ETHERNET, ethernet(0x0800, &[10, 20], &v4), [0; 16]),
        (ETHERNET, ethernet(0x86dd, &[10], &v6), ROUTER6),
        (SLL, sll(0x0800, &v4), [0; 16]),
        (SLL, sll(0x86dd, &v6), ROUTER6),
        (SLL2, sll2(0x0800, &v4), [0; 16]),
        (SLL2, sll2(0x86dd, &v6), ROUTER6),
        (RAW_IP, v4.clone(), [0; 16]),
        (RAW_IP, v6.clone(), ROUTER6),
    ];
    for (link_type, frame, v6_source) in cases {
        let streams = tcp_streams(&pcap_file(link_type, false, false, &[frame])).expect("valid");
        assert_eq!(streams.len(), 1, "link type {link_type}");
        let expected_source: IpAddr = if v6_source == [0; 16] {
            Ipv4Addr::from(ROUTER).into()
        } else {
            Ipv6Addr::from(v6_source).into()
        };
        assert_eq!(streams[0].src, SocketAddr::new(expected_source, 4321));
        assert_eq!(streams[0].dst.port(), 1790);
        assert_eq!(streams[0].payload, b"payload", "link type {link_type}");
    }
}

#[test]
fn each_direction_and_each_connection_is_its_own_stream() {
    let reply = ethernet(
        0x0800,
        &[],
        &ipv4(STATION, ROUTER, &tcp(1790, 4321, 50, 0x18, b"ack")),
    );
    let mut frames = v4(&[
        (100, SYN, b""),
        (101, PSH_ACK, b"first"),
        (106, FIN_ACK, b""),
    ]);
    frames.push(reply);
    frames.extend(v4(&[(9000, SYN, b""), (9001, PSH_ACK, b"second")]));
    let streams = tcp_streams(&pcap_file(ETHERNET, false, false, &frames)).expect("valid");
    let payloads: Vec<&[u8]> = streams.iter().map(|s| s.payload.as_slice()).collect();
    assert_eq!(payloads, [&b"first"[..], b"ack", b"second"]);
    assert_eq!(streams[1].src.port(), 1790);
    assert_eq!(
        streams.iter().map(|s| s.first_frame).collect::<Vec<_>>(),
        [1, 4, 5]
    );
}

/// RFC 9293 puts SYN data after the SYN's own sequence number; pmacct's generated captures put
/// it at the ISN and continue at ISN + length. Both must give the same bytes.
#[test]
fn data_on_a_syn_is_kept_whichever_way_the_capture_numbers_it() {
    let rfc = v4(&[(500, SYN, b"init"), (505, PSH_ACK, b"-more")]);
    let generated = v4(&[(500, SYN, b"init"), (504, PSH_ACK, b"-more")]);
    for frames in [rfc, generated] {
        let file = pcap_file(ETHERNET, false, false, &frames);
        assert_eq!(single_payload(&file), b"init-more");
    }
}

#[test]
fn a_missing_segment_ends_the_payload_and_is_reported_as_a_hole() {
    let frames = v4(&[(0, SYN, b""), (1, PSH_ACK, b"abc"), (10, PSH_ACK, b"xyz")]);
    let streams = tcp_streams(&pcap_file(ETHERNET, false, false, &frames)).expect("valid");
    assert_eq!(streams[0].payload, b"abc");
    let hole = Hole {
        offset: 3,
        missing: 6,
        dropped: 3,
    };
    assert_eq!(streams[0].hole, Some(hole));
}

#[test]
fn without_a_syn_the_stream_starts_at_its_lowest_sequence_number_across_wraparound() {
    let frames = v4(&[(0, PSH_ACK, b"cd"), (u32::MAX - 1, PSH_ACK, b"ab")]);
    let file = pcap_file(ETHERNET, false, false, &frames);
    assert_eq!(single_payload(&file), b"abcd");
}

#[test]
fn frames_without_tcp_are_skipped() {
    let mut udp = ipv4(ROUTER, STATION, &[0; 8]);
    udp[9] = 17;
    let arp = ethernet(0x0806, &[], &[0; 28]);
    let mut fragment = ipv4(ROUTER, STATION, &tcp(1, 2, 3, PSH_ACK, b"frag"));
    fragment[6] = 0x20; // more fragments
    let frames = [
        ethernet(0x0800, &[], &udp),
        arp,
        ethernet(0x0800, &[], &fragment),
    ];
    assert_eq!(
        tcp_streams(&pcap_file(ETHERNET, false, false, &frames)),
        Ok(vec![])
    );
}

#[test]
fn malformed_captures_are_errors() {
    let good = pcap_file(ETHERNET, false, false, &v4(&[(1, PSH_ACK, b"data")]));
    assert_eq!(
        tcp_streams(&good[..10]),
        Err(PcapError::TooShort { len: 10 })
    );
    let mut pcapng = good.clone();
    pcapng[..4].copy_from_slice(&[0x0a, 0x0d, 0x0d, 0x0a]);
    let error = tcp_streams(&pcapng).unwrap_err();
    assert!(error.to_string().contains("pcapng"), "{error}");
    let usb = pcap_file(189, false, false, &[]);
    assert_eq!(
        tcp_streams(&usb),
        Err(PcapError::UnsupportedLinkType { link_type: 189 })
    );
    let cut = &good[..good.len() - 1];
    assert!(matches!(
        tcp_streams(cut),
        Err(PcapError::TruncatedRecord {
            frame: 1,
            offset: 24,
            ..
        })
    ));

    let mut bad_ihl = ipv4(ROUTER, STATION, &tcp(1, 2, 3, PSH_ACK, b"x"));
    bad_ihl[0] = 0x44;
    let mut long_ip = ipv4(ROUTER, STATION, &tcp(1, 2, 3, PSH_ACK, b"x"));
    long_ip[3] = 200;
    let mut bad_offset = tcp(1, 2, 3, PSH_ACK, b"x");
    bad_offset[12] = 15 << 4;
    let short_v6 = ipv6(ROUTER6, STATION6, &tcp(1, 2, 3, PSH_ACK, b""))[..30].to_vec();
    for (layer, packet) in [
        ("IPv4", bad_ihl),
        ("IPv4", long_ip),
        ("TCP", ipv4(ROUTER, STATION, &bad_offset)),
        ("IPv6", short_v6),
    ] {
        let result = tcp_streams(&pcap_file(RAW_IP, false, false, &[packet]));
        assert!(
            matches!(result, Err(PcapError::BadPacket { frame: 1, layer: l, .. }) if l == layer),
            "{layer}: {result:?}"
        );
    }
}

/// Every prefix of a real capture, and thousands of single-byte corruptions of it, give a
/// result or an error; none panics.
#[test]
fn no_truncation_or_corruption_of_a_real_capture_panics() {
    let Some(path) = support::data_file("bmp/pmacct-200-BMP-HUAWEI-locrib_instance.pcap") else {
        return;
    };
    let original = std::fs::read(path).expect("reading the capture");
    for len in 0..original.len() {
        let _ = tcp_streams(&original[..len]);
    }
    let picks = support::noise(0xc0ffee, 3 * 4000);
    for pick in picks.chunks(3) {
        let mut corrupted = original.clone();
        let at = usize::from(u16::from_be_bytes([pick[0], pick[1]])) % original.len();
        corrupted[at] ^= pick[2] | 1;
        let _ = tcp_streams(&corrupted);
    }
    for seed in 1..200 {
        let mut random = support::noise(seed, 2000);
        random[..24].copy_from_slice(&original[..24]);
        let _ = tcp_streams(&random);
    }
}
