//! Real BMP captures (pmacct's test pcaps, see PROVENANCE.md) replayed through `bgpwatch replay`,
//! every count checked against an independent decoder: Debian's `tshark` reading the same pcap.
//!
//! The router->station direction of each TCP connection is extracted with `support/pcap.rs`,
//! written to a file and replayed as the raw BMP stream a station would have received.

#[path = "support/bmp_reference.rs"]
mod bmp_reference;
#[path = "support/pcap.rs"]
mod pcap;
mod support;

use bmp_reference::{Flow, Messages, Prefixes, Tshark};
use pcap::TcpStream;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

/// What PROVENANCE.md and tshark establish about one capture.
struct Capture {
    /// Path under the data dir.
    file: &'static str,
    /// BMP connections (router -> station) in the capture.
    streams: usize,
    /// Messages by type; PROVENANCE.md lists all but the Initiation messages.
    messages: Messages,
    /// IPv4/IPv6 *unicast* (SAFI 1) prefixes in the Route Monitoring UPDATEs, per tshark.
    unicast: Prefixes,
}

const HUAWEI_LOCRIB: Capture = Capture {
    file: "bmp/pmacct-200-BMP-HUAWEI-locrib_instance.pcap",
    streams: 1,
    messages: Messages {
        route_monitoring: 84,
        peer_up: 18,
        initiation: 1,
        ..Messages::NONE
    },
    unicast: Prefixes {
        announced: 5,
        withdrawn: 0,
    },
};
const CISCO_RD_INSTANCE: Capture = Capture {
    file: "bmp/pmacct-201-BMP-CISCO-rd_instance.pcap",
    streams: 1,
    messages: Messages {
        route_monitoring: 251,
        stats: 42,
        peer_up: 42,
        initiation: 1,
        ..Messages::NONE
    },
    unicast: Prefixes {
        announced: 235,
        withdrawn: 0,
    },
};
const CISCO_PEER_DOWN: Capture = Capture {
    file: "bmp/pmacct-204-BMP-CISCO-peer_down.pcap",
    streams: 1,
    messages: Messages {
        route_monitoring: 301,
        stats: 28,
        peer_down: 3,
        peer_up: 10,
        initiation: 1,
        ..Messages::NONE
    },
    unicast: Prefixes {
        announced: 49,
        withdrawn: 23,
    },
};
const FRR_PEER_DOWN: Capture = Capture {
    file: "bmp/pmacct-205-BMP-6wind-FRR-peer_down.pcap",
    streams: 1,
    messages: Messages {
        route_monitoring: 451,
        stats: 48,
        peer_down: 2,
        peer_up: 7,
        initiation: 1,
        ..Messages::NONE
    },
    unicast: Prefixes {
        announced: 142,
        withdrawn: 0,
    },
};
/// Eleven exporters joined mid-session: Route Monitoring only, no Initiation or Peer Up.
const MULTI_SOURCE: Capture = Capture {
    file: "bmp/pmacct-208-bmp-multi-sources-route-monitoring.pcap",
    streams: 11,
    messages: Messages {
        route_monitoring: 6955,
        ..Messages::NONE
    },
    unicast: Prefixes {
        announced: 4536,
        withdrawn: 0,
    },
};

/// In capture 208 the exporter 203.0.113.23 sends Loc-RIB (RFC 9069) routes with ADD-PATH
/// path IDs, VPNv6 (AFI 2 / SAFI 128) among them. bgpwatch reads those 12 VPNv6 UPDATEs as 76
/// plain IPv6 announcements (38 of them `::/0`); tshark and the RFCs say 143 unicast prefixes.
const VPN_ADD_PATH_EXPORTER: &str = "203.0.113.23";
const VPN_ADD_PATH_UNICAST: Prefixes = Prefixes {
    announced: 143,
    withdrawn: 0,
};

/// Extracts the BMP streams (payload starts with version byte 3) of `capture`; `None` skips.
fn bmp_streams(capture: &Capture) -> Option<(PathBuf, Vec<TcpStream>)> {
    let path = support::data_file(capture.file)?;
    let bytes = std::fs::read(&path).expect("reading the capture");
    let streams: Vec<TcpStream> = pcap::tcp_streams(&bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_iter()
        .filter(|s| s.payload.first() == Some(&bmp_reference::BMP_VERSION))
        .collect();
    for stream in &streams {
        assert_eq!(
            stream.hole, None,
            "{} -> {} lost bytes",
            stream.src, stream.dst
        );
    }
    assert_eq!(
        streams.len(),
        capture.streams,
        "BMP streams in {}",
        capture.file
    );
    Some((path, streams))
}

/// Writes each stream to `dir` and returns the files, in stream order.
fn write_streams(dir: &Path, streams: &[TcpStream]) -> Vec<PathBuf> {
    streams
        .iter()
        .enumerate()
        .map(|(i, stream)| {
            let file = dir.join(format!("stream{i}-{}.bmp", stream.src.ip()));
            std::fs::write(&file, &stream.payload).expect("writing a stream");
            file
        })
        .collect()
}

/// Runs `bgpwatch replay` on `inputs` with a one-prefix watchlist; returns output and summary.
fn replay(dir: &Path, inputs: &[PathBuf], extra: &[&str]) -> (Output, Value) {
    let watchlist = dir.join("watchlist.yaml");
    std::fs::write(
        &watchlist,
        "prefixes:\n  192.0.2.0/24: { origins: [64500] }\n",
    )
    .expect("writing the watchlist");
    let summary = dir.join("summary.json");
    let mut args = vec![
        "--summary-json",
        path_str(&summary),
        "--watchlist",
        path_str(&watchlist),
    ];
    args.extend_from_slice(extra);
    args.extend(inputs.iter().map(|p| path_str(p)));
    let output = support::replay(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "bgpwatch panicked: {stderr}");
    (output, support::summary(&summary))
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 scratch path")
}

fn count(summary: &Value, field: &str) -> u64 {
    summary[field]
        .as_u64()
        .unwrap_or_else(|| panic!("summary has no {field}: {summary}"))
}

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

/// Replays the first `intact` messages of the Cisco peer-down stream followed by `tail`, and
/// the intact part alone; the damaged run must exit 3, name the file and the byte where the
/// damage starts (`reason` in the message), and count exactly what the intact run counts.
fn damaged_after_intact_messages(test: &str, intact: usize, tail: &[u8], reason: &str) {
    let Some((_, streams)) = bmp_streams(&CISCO_PEER_DOWN) else {
        return;
    };
    let stream = &streams[0].payload;
    let offset = bmp_reference::frames(stream)[intact].0;
    let dir = support::scratch(test);
    let good = dir.join("intact.bmp");
    std::fs::write(&good, &stream[..offset]).expect("writing");
    let bad = dir.join("damaged.bmp");
    std::fs::write(&bad, [&stream[..offset], tail].concat()).expect("writing");

    let (good_out, good_summary) = replay(&dir, &[good], &[]);
    assert_eq!(good_out.status.code(), Some(0));
    let (bad_out, bad_summary) = replay(&dir, std::slice::from_ref(&bad), &[]);
    let stderr = String::from_utf8_lossy(&bad_out.stderr);
    assert_eq!(bad_out.status.code(), Some(3), "stderr: {stderr}");
    let error_line = stderr
        .lines()
        .find(|l| l.contains(path_str(&bad)))
        .unwrap_or_else(|| panic!("no error names {}: {stderr}", bad.display()));
    assert!(
        error_line.contains(&format!("byte {offset}")),
        "{error_line}"
    );
    assert!(error_line.contains(reason), "{error_line}");
    assert_eq!(count(&bad_summary, "errors"), 1);
    assert_eq!(count(&bad_summary, "records"), intact as u64);
    for field in [
        "records",
        "announcements",
        "withdrawals",
        "peer_events",
        "skipped",
    ] {
        assert_eq!(bad_summary[field], good_summary[field], "{field}");
    }
}

#[test]
fn stream_cut_inside_a_message_body_exits_3_and_keeps_the_intact_messages() {
    let Some((_, streams)) = bmp_streams(&CISCO_PEER_DOWN) else {
        return;
    };
    let frames = bmp_reference::frames(&streams[0].payload);
    let (start, len) = frames[200];
    let half = &streams[0].payload[start..start + len / 2];
    damaged_after_intact_messages("cut-body", 200, half, "stream ends inside a");
}

#[test]
fn stream_cut_inside_a_message_header_exits_3_and_keeps_the_intact_messages() {
    damaged_after_intact_messages("cut-header", 100, &[3, 0, 0], "3 of 6 bytes");
}

#[test]
fn message_claiming_4_gib_exits_3_without_reading_on() {
    let tail = [3, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    damaged_after_intact_messages("4gib", 20, &tail, "4294967295");
}

#[test]
fn wrong_version_byte_exits_3_without_reading_on() {
    // A well-formed Termination message, but BMP version 2.
    let tail = [2, 0, 0, 0, 12, 5, 0, 1, 0, 2, 0, 0];
    damaged_after_intact_messages("version", 20, &tail, "version 2");
}

/// xorshift64*: deterministic noise without a dependency.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[test]
fn random_bytes_read_as_bmp_exit_3_with_a_message_not_a_panic() {
    let dir = support::scratch("random");
    let file = dir.join("random.bmp");
    let mut bytes = noise(0x5eed, 64 * 1024);
    bytes[0] = 0x5a; // not version 3: the reader must say so
    std::fs::write(&file, &bytes).expect("writing");
    let (output, summary) = replay(
        &dir,
        std::slice::from_ref(&file),
        &["--input-format", "bmp"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: damaged BMP at byte 0", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("version 90"), "{stderr}");
    assert_eq!(count(&summary, "records"), 0);
}

/// Valid framing around random bodies reaches the message decoder: every message is read,
/// undecodable ones are damage (exit 3), and nothing panics.
#[test]
fn random_message_bodies_are_damage_not_a_panic() {
    const MESSAGES: usize = 400;
    let mut bytes = Vec::new();
    for (i, shape) in noise(0xb0d1e5, MESSAGES * 2).chunks(2).enumerate() {
        let body = noise(
            i as u64 + 1,
            usize::from(shape[1]) + 42 * usize::from(shape[0] & 1),
        );
        let length = (6 + body.len()) as u32;
        bytes.push(3);
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.push(shape[0] % 7); // every defined message type
        bytes.extend_from_slice(&body);
    }
    let dir = support::scratch("random-bodies");
    let file = dir.join("bodies.bmp");
    std::fs::write(&file, &bytes).expect("writing");
    let (output, summary) = replay(&dir, &[file], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("damaged BMP at byte"), "{stderr}");
    assert_eq!(count(&summary, "records"), MESSAGES as u64);
    assert!(count(&summary, "errors") > 0);
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
