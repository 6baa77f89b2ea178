//! The real BMP captures of the data dir (pmacct's test pcaps, PROVENANCE.md): what is known
//! about each, their router->station streams, and `bgpwatch replay` run on them.
#![allow(dead_code)]

use super::bmp_reference::{self, Messages, Prefixes};
use super::pcap::{self, TcpStream};
use super::support;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// What PROVENANCE.md and tshark establish about one capture.
pub struct Capture {
    /// Path under the data dir.
    pub file: &'static str,
    /// BMP connections (router -> station) in the capture.
    pub streams: usize,
    /// Messages by type; PROVENANCE.md lists all but the Initiation messages.
    pub messages: Messages,
    /// IPv4/IPv6 *unicast* (SAFI 1) prefixes in the Route Monitoring UPDATEs, per tshark.
    pub unicast: Prefixes,
}

pub const HUAWEI_LOCRIB: Capture = Capture {
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
pub const CISCO_RD_INSTANCE: Capture = Capture {
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
pub const CISCO_PEER_DOWN: Capture = Capture {
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
pub const FRR_PEER_DOWN: Capture = Capture {
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
pub const MULTI_SOURCE: Capture = Capture {
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
pub const VPN_ADD_PATH_EXPORTER: &str = "203.0.113.23";
pub const VPN_ADD_PATH_UNICAST: Prefixes = Prefixes {
    announced: 143,
    withdrawn: 0,
};

/// Extracts the BMP streams (payload starts with version byte 3) of `capture`; `None` skips.
pub fn bmp_streams(capture: &Capture) -> Option<(PathBuf, Vec<TcpStream>)> {
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
pub fn write_streams(dir: &Path, streams: &[TcpStream]) -> Vec<PathBuf> {
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
pub fn replay(dir: &Path, inputs: &[PathBuf], extra: &[&str]) -> (Output, Value) {
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

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 scratch path")
}

pub fn count(summary: &Value, field: &str) -> u64 {
    summary[field]
        .as_u64()
        .unwrap_or_else(|| panic!("summary has no {field}: {summary}"))
}
