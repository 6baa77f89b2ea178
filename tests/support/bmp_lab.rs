//! The BMP lab of the live tests: gobgpd speakers peered over loopback reporting to
//! `bgpwatch run` as BMP senders, and what the tests read back (LAB.md section 1.1 pitfalls in
//! `live_bmp.rs`).
#![allow(dead_code)]

use super::gobgpd::{wait_until, Export, Gobgpd};
use super::monitor::Monitor;
use super::support;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The watched prefix the hijacks target (origin AS64500 expected, group gov).
pub const WATCHED: &str = "198.51.100.0/24";
/// Another watched prefix, announced legitimately only.
pub const CARRIER: &str = "203.0.113.0/24";
pub const HIJACKER: u32 = 64666;
pub const LEGITIMATE: u32 = 64500;
/// gobgpd 3.10 waits 5 to 10 s (at random) before it first connects to a peer, and 5 s idle
/// after a session went down; two rounds fit.
pub const ESTABLISH: Duration = Duration::from_secs(25);
/// BMP messages reach the monitor within milliseconds of a route change; allow for a busy CI.
pub const PROPAGATE: Duration = Duration::from_secs(10);
/// Hijack alerts resolve 2 s after the last vantage point dropped the route.
pub const RESOLVE_FAST: &str = "resolve_after = \"2s\"";
pub const PEER_EVENTS: &str = "bgpwatch_updates_total{kind=\"peer_event\",source=\"bmp\"}";
pub const ANNOUNCEMENTS: &str = "bgpwatch_updates_total{kind=\"announce\",source=\"bmp\"}";
/// Set by detection once a second.
pub const VANTAGE_POINTS_UP: &str = "bgpwatch_vantage_points_up{source=\"all\"}";
pub const WITHDRAWALS: &str = "bgpwatch_updates_total{kind=\"withdraw\",source=\"bmp\"}";

// ---------------------------------------------------------------------------------------------
// Daemons

/// A daemon started by a test: stopped and reaped when dropped.
pub struct Daemon {
    pub name: String,
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn start(name: &str, mut command: Command, log: PathBuf) -> Daemon {
        let out = std::fs::File::create(&log).expect("creating daemon log");
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log handle"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Daemon {
            name: name.to_string(),
            child,
            log,
        }
    }

    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!("--- {} ({}):\n{text}", self.name, self.log.display())
    }

    /// SIGTERM (a router shutting down cleanly), SIGKILL if it is still there after 5 s.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of one `/metrics` series (0 when absent).
pub fn metric(m: &Monitor, series: &str) -> f64 {
    let Some((200, body)) = m.get("/metrics") else {
        return 0.0;
    };
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

pub fn bmp_source(port: u16) -> String {
    format!("[[sources]]\ntype = \"bmp\"\nlisten = \"127.0.0.1:{port}\"\n")
}

/// gobgpd and the gobgp CLI, or a loud skip.
pub fn gobgp_installed() -> bool {
    support::tool("gobgpd").is_some() && support::tool("gobgp").is_some()
}

/// Two gobgpd speakers A (127.0.`net`.1, AS651`net`1) and B (127.0.`net`.2, AS651`net`2) peered
/// over eBGP, each reporting the other over BMP to the station on `bmp`; started, not yet
/// established.
pub fn gobgpd_pair(dir: &Path, net: u8, bmp: u16) -> (Gobgpd, Gobgpd) {
    let asn = |i: u32| 65100 + 10 * u32::from(net) + i;
    let speaker = |name: &str, i: u8| {
        let address = format!("127.0.{net}.{i}");
        Gobgpd::new(
            dir,
            name,
            &address,
            asn(i.into()),
            &format!("192.0.2.{net}{i}"),
        )
    };
    let mut a = speaker("gobgpd-A", 1);
    let mut b = speaker("gobgpd-B", 2);
    a.report_bmp_to(bmp);
    b.report_bmp_to(bmp);
    a.configure(&[b.neighbor(false)], Export::Everything, None);
    b.configure(&[a.neighbor(false)], Export::Everything, None);
    a.start();
    b.start();
    (a, b)
}

pub fn pair_logs(m: &Monitor, a: &Gobgpd, b: &Gobgpd) -> String {
    format!(
        "events: {:?}\n--- bgpwatch:\n{}\n{}\n{}",
        m.events(),
        m.log(),
        a.log(),
        b.log()
    )
}

/// Waits until A and B are established and the station heard both routers' Peer Up.
pub fn wait_for_pair(m: &Monitor, a: &Gobgpd, b: &Gobgpd) {
    wait_until(
        "the A-B session",
        ESTABLISH,
        || a.established_with(&b.address) && b.established_with(&a.address),
        || pair_logs(m, a, b),
    );
    wait_until(
        "a BMP Peer Up from each router",
        PROPAGATE,
        || metric(m, PEER_EVENTS) >= 2.0,
        || pair_logs(m, a, b),
    );
}

pub fn events_for(m: &Monitor, event: &str, kind: &str, prefix: &str) -> Vec<Value> {
    m.events()
        .into_iter()
        .filter(|e| e["event"] == event && e["kind"] == kind && e["prefix"] == prefix)
        .collect()
}

/// The strings (or JSON texts) of an array, as a set: evidence lists come in no fixed order.
pub fn as_set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect()
}

/// A RIS Live line carrying what one BMP vantage point reported.
pub fn ris_line(collector: &str, peer: &str, peer_asn: u32, path: &[u32], t: f64) -> String {
    json!({"type": "ris_message", "data": {"timestamp": t, "peer": peer,
        "peer_asn": peer_asn.to_string(), "host": collector, "type": "UPDATE", "path": path,
        "announcements": [{"next_hop": "192.0.2.200", "prefixes": [WATCHED]}]}})
    .to_string()
}

// ---------------------------------------------------------------------------------------------
// 1. gobgpd, the reference sender: a hijack alerts like replay and resolves when withdrawn
