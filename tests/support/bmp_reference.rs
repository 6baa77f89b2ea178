//! What bgpwatch's BMP counts are checked against: Debian's `tshark` decoding the original pcap,
//! and a minimal BMP framing walk (common and per-peer headers only) of the extracted streams.
//! Include it beside `support` and `pcap` (`#[path = "support/bmp_reference.rs"] mod bmp_reference;`).
#![allow(dead_code)]

use super::pcap::TcpStream;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first byte of every BMP message.
pub const BMP_VERSION: u8 = 3;
/// The station port of the pmacct test captures (tshark must be told to decode it as BMP).
pub const PMACCT_BMP_PORT: u16 = 1790;
const TYPE_ROUTE_MONITORING: u8 = 0;
const TYPE_PEER_DOWN: u8 = 2;
const TYPE_PEER_UP: u8 = 3;
const TYPE_TERMINATION: u8 = 5;
const PER_PEER_HEADER: std::ops::Range<usize> = 6..48;

/// One direction of a TCP connection: (sender, receiver).
pub type Flow = (SocketAddr, SocketAddr);

/// BMP messages by type (RFC 7854 section 4.1).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Messages {
    pub route_monitoring: u64,
    pub stats: u64,
    pub peer_down: u64,
    pub peer_up: u64,
    pub initiation: u64,
    pub termination: u64,
    pub mirroring: u64,
}

impl Messages {
    /// No messages (a base for struct-update syntax in constants).
    pub const NONE: Messages = Messages {
        route_monitoring: 0,
        stats: 0,
        peer_down: 0,
        peer_up: 0,
        initiation: 0,
        termination: 0,
        mirroring: 0,
    };

    fn count(&mut self, bmp_type: u8) {
        let slot = match bmp_type {
            0 => &mut self.route_monitoring,
            1 => &mut self.stats,
            2 => &mut self.peer_down,
            3 => &mut self.peer_up,
            4 => &mut self.initiation,
            5 => &mut self.termination,
            6 => &mut self.mirroring,
            other => panic!("BMP message type {other} is not defined"),
        };
        *slot += 1;
    }

    /// Messages by type in a BMP byte stream.
    pub fn of_stream(stream: &[u8]) -> Messages {
        let mut messages = Messages::NONE;
        for (offset, _) in frames(stream) {
            messages.count(stream[offset + 5]);
        }
        messages
    }

    pub fn add(&mut self, other: &Messages) {
        self.route_monitoring += other.route_monitoring;
        self.stats += other.stats;
        self.peer_down += other.peer_down;
        self.peer_up += other.peer_up;
        self.initiation += other.initiation;
        self.termination += other.termination;
        self.mirroring += other.mirroring;
    }

    pub fn all(&self) -> u64 {
        self.route_monitoring
            + self.stats
            + self.peer_down
            + self.peer_up
            + self.initiation
            + self.termination
            + self.mirroring
    }
}

/// Prefixes announced and withdrawn.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Prefixes {
    pub announced: u64,
    pub withdrawn: u64,
}

impl Prefixes {
    pub fn add(&mut self, other: &Prefixes) {
        self.announced += other.announced;
        self.withdrawn += other.withdrawn;
    }
}

/// The router->station bytes of the first BMP connection in the capture `pcap_file` (under the
/// data dir), or a loud skip.
pub fn first_stream(pcap_file: &str) -> Option<Vec<u8>> {
    let file = crate::support::data_file(pcap_file)?;
    let capture = std::fs::read(&file).expect("reading the capture");
    let stream = super::pcap::tcp_streams(&capture)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .into_iter()
        .find(|s| s.payload.first() == Some(&BMP_VERSION))
        .unwrap_or_else(|| panic!("{}: no BMP stream", file.display()));
    Some(stream.payload)
}

/// (offset, length) of every message in a BMP stream; panics unless the stream is exactly a
/// sequence of whole version-3 messages.
pub fn frames(stream: &[u8]) -> Vec<(usize, usize)> {
    let mut frames = Vec::new();
    let mut offset = 0;
    while offset < stream.len() {
        let header = &stream[offset..];
        assert!(
            header.len() >= 6 && header[0] == BMP_VERSION,
            "no BMP header at {offset}"
        );
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        assert!(
            len >= 6 && len <= header.len(),
            "bad length {len} at {offset}"
        );
        frames.push((offset, len));
        offset += len;
    }
    frames
}

/// Peers as RFC 7854 identifies them: distinguisher, address and AS from the per-peer header.
fn peer_key(message: &[u8]) -> [u8; 28] {
    let header = &message[PER_PEER_HEADER];
    let mut key = [0u8; 28];
    key.copy_from_slice(&header[2..30]);
    key
}

/// Walks the stream keeping the set of peers up (Peer Up or Route Monitoring adds, Peer Down
/// removes); returns the peers a Termination closed in total and the peers up at the end.
fn walk_peers(stream: &[u8]) -> (u64, u64) {
    let mut up = BTreeSet::new();
    let mut closed = 0;
    for (offset, len) in frames(stream) {
        let message = &stream[offset..offset + len];
        match message[5] {
            TYPE_ROUTE_MONITORING | TYPE_PEER_UP => {
                up.insert(peer_key(message));
            }
            TYPE_PEER_DOWN => {
                up.remove(&peer_key(message));
            }
            TYPE_TERMINATION => closed += std::mem::take(&mut up).len() as u64,
            _ => {}
        }
    }
    (closed, up.len() as u64)
}

/// Peer events a Termination message adds: the peers up when it arrives.
pub fn peers_closed_by_termination(stream: &[u8]) -> u64 {
    walk_peers(stream).0
}

/// Peers still up when the stream ends.
pub fn peers_up_at_end(stream: &[u8]) -> u64 {
    walk_peers(stream).1
}

/// The `tshark` program.
pub struct Tshark(PathBuf);

impl Tshark {
    /// `tshark` on PATH, or a loud skip (a failure under `BGPWATCH_REQUIRE_LAB=1`).
    pub fn find() -> Option<Tshark> {
        super::support::tool("tshark").map(Tshark)
    }

    /// Runs tshark on `pcap` with the streams' station ports decoded as BMP.
    fn run(&self, pcap: &Path, streams: &[TcpStream], args: &[&str]) -> Vec<u8> {
        let ports: BTreeSet<u16> = streams.iter().map(|s| s.dst.port()).collect();
        let mut command = Command::new(&self.0);
        command.arg("-r").arg(pcap);
        for port in ports {
            command.args(["-d", &format!("tcp.port=={port},bmp")]);
        }
        let output = command.args(args).output().expect("running tshark");
        assert!(
            output.status.success(),
            "tshark: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// BMP messages by type in each flow of `pcap`.
    pub fn message_types(&self, pcap: &Path, streams: &[TcpStream]) -> HashMap<Flow, Messages> {
        let fields = [
            "ip.src",
            "ipv6.src",
            "tcp.srcport",
            "ip.dst",
            "ipv6.dst",
            "tcp.dstport",
        ];
        let mut args = vec!["-Y", "bmp", "-T", "fields", "-E", "separator=/t"];
        for field in fields.iter().chain(&["bmp.type"]) {
            args.extend(["-e", field]);
        }
        let stdout = self.run(pcap, streams, &args);
        let mut counts: HashMap<Flow, Messages> = HashMap::new();
        for line in String::from_utf8(stdout)
            .expect("tshark prints UTF-8")
            .lines()
        {
            let columns: Vec<&str> = line.split('\t').collect();
            let address = |v4: &str, v6: &str, port: &str| {
                let ip: IpAddr = if v4.is_empty() { v6 } else { v4 }
                    .parse()
                    .expect("address");
                SocketAddr::new(ip, port.parse().expect("port"))
            };
            let flow = (
                address(columns[0], columns[1], columns[2]),
                address(columns[3], columns[4], columns[5]),
            );
            let messages = counts.entry(flow).or_default();
            for bmp_type in columns[6].split(',') {
                messages.count(bmp_type.parse().expect("bmp.type is a number"));
            }
        }
        counts
    }

    /// IPv4/IPv6 unicast (SAFI 1) prefixes in the Route Monitoring UPDATEs of each flow, from
    /// tshark's JSON tree (which keeps every MP_REACH/MP_UNREACH with its AFI/SAFI).
    pub fn unicast_prefixes(&self, pcap: &Path, streams: &[TcpStream]) -> HashMap<Flow, Prefixes> {
        let args = ["-Y", "bgp.type == 2", "-T", "json", "--no-duplicate-keys"];
        let stdout = self.run(
            pcap,
            streams,
            &[&args[..], &["-J", "ip ipv6 tcp bmp"]].concat(),
        );
        let mut counts: HashMap<Flow, Prefixes> = HashMap::new();
        let mut deserializer = serde_json::Deserializer::from_slice(&stdout);
        let each_frame = |frame: Value| {
            let layers = &frame["_source"]["layers"];
            let entry = counts.entry(flow_of(layers)).or_default();
            for bmp in each(&layers["bmp"]) {
                if bmp["bmp.type"] == "0" {
                    each(&bmp["bgp"]).for_each(|bgp| entry.add(&unicast_in_update(bgp)));
                }
            }
        };
        deserializer
            .deserialize_seq(PerElement(each_frame))
            .expect("tshark JSON");
        counts
    }
}

/// Feeds the elements of a JSON array one at a time (tshark's JSON is large; no whole tree).
struct PerElement<F>(F);

impl<'de, F: FnMut(Value)> Visitor<'de> for PerElement<F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of packets")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(element) = seq.next_element::<Value>()? {
            (self.0)(element);
        }
        Ok(())
    }
}

/// A single value, or each element of an array (`--no-duplicate-keys` merges repeats).
fn each(value: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match value {
        Value::Array(items) => Box::new(items.iter()),
        Value::Null => Box::new(std::iter::empty()),
        other => Box::new(std::iter::once(other)),
    }
}

/// How many fields called one of `names` the tree under `value` holds.
fn fields_named(value: &Value, names: &[&str]) -> u64 {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, v)| {
                if names.contains(&key.as_str()) {
                    each(v).count() as u64
                } else {
                    fields_named(v, names)
                }
            })
            .sum(),
        Value::Array(items) => items.iter().map(|v| fields_named(v, names)).sum(),
        _ => 0,
    }
}

fn flow_of(layers: &Value) -> Flow {
    let (network, name) = if layers["ip"].is_object() {
        (&layers["ip"], "ip")
    } else {
        (&layers["ipv6"], "ipv6")
    };
    let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
    let end = |direction: &str| {
        let address = text(&network[format!("{name}.{direction}")]);
        let port = text(&layers["tcp"][format!("tcp.{direction}port")]);
        let ip: IpAddr = address.parse().expect("tshark gives the address");
        SocketAddr::new(ip, port.parse().expect("tshark gives the port"))
    };
    (end("src"), end("dst"))
}

/// Unicast prefixes of one BGP message as tshark decodes it (zero for all but UPDATEs).
fn unicast_in_update(bgp: &Value) -> Prefixes {
    if bgp["bgp.type"] != "2" {
        return Prefixes::default();
    }
    let mut prefixes = Prefixes {
        announced: fields_named(&bgp["bgp.update.nlri"], &["bgp.nlri_prefix"]),
        withdrawn: fields_named(
            &bgp["bgp.update.withdrawn_routes"],
            &["bgp.withdrawn_prefix"],
        ),
    };
    let attributes = &bgp["bgp.update.path_attributes"]["bgp.update.path_attribute"];
    for attribute in each(attributes) {
        for (kind, slot) in [
            ("mp_reach_nlri", &mut prefixes.announced),
            ("mp_unreach_nlri", &mut prefixes.withdrawn),
        ] {
            let safi = &attribute[format!("bgp.update.path_attribute.{kind}.safi")];
            if safi == "1" {
                let nlri = &attribute[format!("bgp.update.path_attribute.{kind}")];
                let names = [
                    format!("bgp.{kind}_ipv4_prefix"),
                    format!("bgp.{kind}_ipv6_prefix"),
                ];
                *slot += fields_named(nlri, &[&names[0], &names[1]]);
            }
        }
    }
    prefixes
}
