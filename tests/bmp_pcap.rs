//! Real BMP captures (pmacct's test pcaps, see PROVENANCE.md) replayed through `bgpwatch replay`,
//! every count checked against an independent decoder: Debian's `tshark` reading the same pcap.
//!
//! The router->station direction of each TCP connection is extracted with `support/pcap.rs`,
//! written to a file and replayed as the raw BMP stream a station would have received.
#[path = "support/bmp_captures.rs"]
mod bmp_captures;
#[path = "support/bmp_reference.rs"]
mod bmp_reference;
#[path = "support/pcap.rs"]
mod pcap;
mod support;

use bmp_captures::*;
use bmp_reference::{Flow, Messages, Prefixes, Tshark};
use pcap::TcpStream;
use std::collections::BTreeSet;

/// Message counts: tshark on the pcap == our framing of the reassembled streams == the pinned
/// PROVENANCE.md facts == what bgpwatch reports (records; Peer Up/Down as peer events;
/// Initiation and Statistics as skipped), and the real capture replays without damage.
fn messages_are_counted_like_tshark(capture: &Capture, test: &str) {
    let Some(tshark) = Tshark::find() else { return };
    let Some((pcap_path, streams)) = bmp_streams(capture) else {
        return;
    };
    let by_tshark = tshark.message_types(&pcap_path, &streams);
    let mut total = Messages::NONE;
    for stream in &streams {
        let flow: Flow = (stream.src, stream.dst);
        let ours = Messages::of_stream(&stream.payload);
        assert_eq!(
            by_tshark.get(&flow),
            Some(&ours),
            "{} -> {}",
            stream.src,
            stream.dst
        );
        total.add(&ours);
    }
    assert_eq!(total, capture.messages, "messages in {}", capture.file);

    let dir = support::scratch(test);
    let inputs = write_streams(&dir, &streams);
    let (output, summary) = replay(&dir, &inputs, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "real capture damaged? {stderr}"
    );
    assert_eq!(count(&summary, "errors"), 0);
    assert_eq!(count(&summary, "records"), total.all());
    let closed_by_termination: u64 = streams
        .iter()
        .map(|s| bmp_reference::peers_closed_by_termination(&s.payload))
        .sum();
    assert_eq!(
        count(&summary, "peer_events"),
        total.peer_up + total.peer_down + closed_by_termination
    );
    assert_eq!(
        count(&summary, "skipped"),
        total.initiation + total.stats + total.mirroring
    );
}

/// Prefix counts: bgpwatch's announcements and withdrawals == the IPv4/IPv6 unicast prefixes
/// tshark decodes from the Route Monitoring UPDATEs (NLRI + MP_REACH vs withdrawn routes +
/// MP_UNREACH, SAFI 1 only).
///
/// What is not counted, by bgpwatch or here: L3VPN routes (SAFI 128) are scoped by a route
/// distinguisher and are no Internet routes; labelled unicast (SAFI 4: 11 prefixes in 200, 140
/// in 204, 985 in 208) is dropped by bgpkit-parser's `Elementor`, which ignores labelled NLRI
/// (a gap: 6PE/BGP-LU networks carry Internet routes that way; once bgpwatch reads them, count
/// SAFI 4 in `bmp_reference::unicast_in_update` too); End-of-RIB markers (empty UPDATEs, empty
/// MP_UNREACH) hold no prefix. Exporters in `except` (source addresses) are left out.
fn unicast_prefixes_are_counted_like_tshark(capture: &Capture, test: &str, except: &[&str]) {
    let Some(tshark) = Tshark::find() else { return };
    let Some((pcap_path, streams)) = bmp_streams(capture) else {
        return;
    };
    let by_tshark = tshark.unicast_prefixes(&pcap_path, &streams);
    let mut all = Prefixes::default();
    for stream in &streams {
        all.add(&by_tshark[&(stream.src, stream.dst)]);
    }
    assert_eq!(
        all, capture.unicast,
        "unicast prefixes in {} per tshark",
        capture.file
    );

    let kept: Vec<TcpStream> = streams
        .into_iter()
        .filter(|s| !except.contains(&s.src.ip().to_string().as_str()))
        .collect();
    let mut expected = Prefixes::default();
    for stream in &kept {
        expected.add(&by_tshark[&(stream.src, stream.dst)]);
    }
    let dir = support::scratch(test);
    let (output, summary) = replay(&dir, &write_streams(&dir, &kept), &[]);
    assert_eq!(output.status.code(), Some(0));
    let counted = Prefixes {
        announced: count(&summary, "announcements"),
        withdrawn: count(&summary, "withdrawals"),
    };
    assert_eq!(counted, expected, "bgpwatch vs tshark for {}", capture.file);
}

#[test]
fn huawei_locrib_capture_messages_are_counted_like_tshark() {
    messages_are_counted_like_tshark(&HUAWEI_LOCRIB, "msgs-200");
}

#[test]
fn cisco_rd_instance_capture_messages_are_counted_like_tshark() {
    messages_are_counted_like_tshark(&CISCO_RD_INSTANCE, "msgs-201");
}

#[test]
fn cisco_peer_down_capture_messages_are_counted_like_tshark() {
    messages_are_counted_like_tshark(&CISCO_PEER_DOWN, "msgs-204");
}

#[test]
fn frr_peer_down_capture_messages_are_counted_like_tshark() {
    messages_are_counted_like_tshark(&FRR_PEER_DOWN, "msgs-205");
}

#[test]
fn multi_source_capture_messages_are_counted_like_tshark() {
    messages_are_counted_like_tshark(&MULTI_SOURCE, "msgs-208");
}

#[test]
fn huawei_locrib_unicast_prefixes_are_counted_like_tshark() {
    unicast_prefixes_are_counted_like_tshark(&HUAWEI_LOCRIB, "pfx-200", &[]);
}

#[test]
fn cisco_rd_instance_unicast_prefixes_are_counted_like_tshark() {
    unicast_prefixes_are_counted_like_tshark(&CISCO_RD_INSTANCE, "pfx-201", &[]);
}

#[test]
fn cisco_peer_down_unicast_announcements_and_withdrawals_are_counted_like_tshark() {
    unicast_prefixes_are_counted_like_tshark(&CISCO_PEER_DOWN, "pfx-204", &[]);
}

#[test]
fn frr_peer_down_unicast_prefixes_are_counted_like_tshark() {
    unicast_prefixes_are_counted_like_tshark(&FRR_PEER_DOWN, "pfx-205", &[]);
}

#[test]
fn multi_source_unicast_prefixes_are_counted_like_tshark() {
    unicast_prefixes_are_counted_like_tshark(&MULTI_SOURCE, "pfx-208", &[]);
}

#[test]
fn vpn_routes_with_add_path_are_not_announced_as_plain_prefixes() {
    let Some(tshark) = Tshark::find() else { return };
    let Some((pcap_path, streams)) = bmp_streams(&MULTI_SOURCE) else {
        return;
    };
    let stream = streams
        .into_iter()
        .find(|s| s.src.ip().to_string() == VPN_ADD_PATH_EXPORTER)
        .expect("the ADD-PATH exporter's stream");
    let flow = (stream.src, stream.dst);
    let by_tshark = tshark.unicast_prefixes(&pcap_path, std::slice::from_ref(&stream));
    assert_eq!(by_tshark[&flow], VPN_ADD_PATH_UNICAST);
    let dir = support::scratch("vpn-add-path");
    let (_, summary) = replay(&dir, &write_streams(&dir, &[stream]), &[]);
    assert_eq!(
        count(&summary, "announcements"),
        VPN_ADD_PATH_UNICAST.announced
    );
}

/// A Termination message ends the router's session: every peer it still reported (Peer Up or
/// Route Monitoring since the last Peer Down) becomes one more peer event.
#[test]
fn termination_message_takes_down_every_peer_still_up() {
    let Some((_, streams)) = bmp_streams(&CISCO_PEER_DOWN) else {
        return;
    };
    let mut bytes = streams[0].payload.clone();
    let up_before = bmp_reference::peers_up_at_end(&bytes);
    assert!(up_before > 0, "the capture ends with peers up");
    // Termination (type 5) with one TLV: reason (type 1), length 2, "administratively closed".
    bytes.extend_from_slice(&[3, 0, 0, 0, 12, 5, 0, 1, 0, 2, 0, 0]);
    assert_eq!(
        bmp_reference::peers_closed_by_termination(&bytes),
        up_before
    );
    let dir = support::scratch("termination");
    let file = dir.join("with-termination.bmp");
    std::fs::write(&file, &bytes).expect("writing the stream");
    let (output, summary) = replay(&dir, &[file], &[]);
    assert_eq!(output.status.code(), Some(0));
    let m = &CISCO_PEER_DOWN.messages;
    assert_eq!(count(&summary, "records"), m.all() + 1);
    assert_eq!(
        count(&summary, "peer_events"),
        m.peer_up + m.peer_down + up_before
    );
}

#[test]
fn extracted_streams_hold_only_whole_messages_and_no_other_traffic() {
    for capture in [
        &HUAWEI_LOCRIB,
        &CISCO_RD_INSTANCE,
        &CISCO_PEER_DOWN,
        &FRR_PEER_DOWN,
        &MULTI_SOURCE,
    ] {
        let Some((_, streams)) = bmp_streams(capture) else {
            return;
        };
        let ports: BTreeSet<u16> = streams.iter().map(|s| s.dst.port()).collect();
        assert_eq!(
            ports,
            BTreeSet::from([bmp_reference::PMACCT_BMP_PORT]),
            "{}",
            capture.file
        );
        for stream in &streams {
            let (last, len) = *bmp_reference::frames(&stream.payload)
                .last()
                .expect("messages");
            assert_eq!(
                last + len,
                stream.payload.len(),
                "{} ends mid-message",
                stream.src
            );
        }
    }
}
