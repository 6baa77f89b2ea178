//! `bgpwatch run` as a BMP station for real routers: Debian's gobgpd (the reference BMP sender)
//! and FRR's `bgpd -M bmp` (a quirky one) peered over loopback, routes injected with the gobgp
//! CLI; and hostile BMP clients beside a good router.
//!
//! Each test runs its BGP speakers on its own 127.0.N.x addresses (N = 1 gobgpd pair, 2 session
//! reset, 3 FRR, 4 hostile clients), picks free ports for BGP, the gobgp API and the station, and
//! kills every daemon it started (guards with `Drop`), so the tests run in parallel.
//! Loopback pitfalls (LAB.md section 1.1): every speaker rewrites the next hop of what it exports
//! to 192.0.2.x (gobgpd and FRR reject 127/8 next hops); gobgpd needs `local-address-list`;
//! `--pprof-disable` keeps parallel gobgpds off the shared default pprof port.

#[path = "support/monitor.rs"]
mod monitor;
mod support;

use monitor::{free_port, Monitor};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The watched prefix the hijacks target (origin AS64500 expected, group gov).
const WATCHED: &str = "198.51.100.0/24";
/// Another watched prefix, announced legitimately only.
const CARRIER: &str = "203.0.113.0/24";
const HIJACKER: u32 = 64666;
const LEGITIMATE: u32 = 64500;
/// gobgpd 3.10 waits 5 to 10 s (at random) before it first connects to a peer, and 5 s idle
/// after a session went down; two rounds fit.
const ESTABLISH: Duration = Duration::from_secs(25);
/// BMP messages reach the monitor within milliseconds of a route change; allow for a busy CI.
const PROPAGATE: Duration = Duration::from_secs(10);
/// Hijack alerts resolve 2 s after the last vantage point dropped the route.
const RESOLVE_FAST: &str = "resolve_after = \"2s\"";
const PEER_EVENTS: &str = "bgpwatch_updates_total{kind=\"peer_event\",source=\"bmp\"}";
const ANNOUNCEMENTS: &str = "bgpwatch_updates_total{kind=\"announce\",source=\"bmp\"}";
/// Set by detection once a second.
const VANTAGE_POINTS_UP: &str = "bgpwatch_vantage_points_up{source=\"all\"}";
const WITHDRAWALS: &str = "bgpwatch_updates_total{kind=\"withdraw\",source=\"bmp\"}";

// ---------------------------------------------------------------------------------------------
// Daemons

/// A daemon started by a test: stopped and reaped when dropped.
struct Daemon {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(name: &str, mut command: Command, log: PathBuf) -> Daemon {
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

    fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!("--- {} ({}):\n{text}", self.name, self.log.display())
    }

    /// SIGTERM (a router shutting down cleanly), SIGKILL if it is still there after 5 s.
    fn stop(&mut self) {
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

/// Polls `done` every 100 ms; panics after `limit` with `context()` (logs) in the message.
fn wait_until(what: &str, limit: Duration, done: impl Fn() -> bool, context: impl Fn() -> String) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "timed out after {limit:?} waiting for {what}\n{}",
        context()
    );
}

/// The value of one `/metrics` series (0 when absent).
fn metric(m: &Monitor, series: &str) -> f64 {
    let Some((200, body)) = m.get("/metrics") else {
        return 0.0;
    };
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

fn bmp_source(port: u16) -> String {
    format!("[[sources]]\ntype = \"bmp\"\nlisten = \"127.0.0.1:{port}\"\n")
}

/// gobgpd and the gobgp CLI, or a loud skip.
fn gobgp_installed() -> bool {
    support::tool("gobgpd").is_some() && support::tool("gobgp").is_some()
}

// ---------------------------------------------------------------------------------------------
// gobgpd

/// A BGP neighbor in a gobgpd configuration.
struct Neighbor {
    address: String,
    asn: u32,
    port: u16,
    /// Wait for the neighbor to connect.
    passive: bool,
}

/// One gobgpd speaker on its own loopback address, with its own BGP and API ports.
struct Gobgpd {
    name: String,
    address: String,
    asn: u32,
    /// What it puts as next hop in its exports and local routes (never 127/8, see above).
    next_hop: String,
    port: u16,
    api: u16,
    config: PathBuf,
    dir: PathBuf,
    daemon: Option<Daemon>,
    starts: usize,
}

impl Gobgpd {
    /// A speaker called `name` at `address`; its ports are drawn here, its config written by
    /// [`Gobgpd::configure`].
    fn new(dir: &Path, name: &str, address: &str, asn: u32, next_hop: &str) -> Gobgpd {
        Gobgpd {
            name: name.to_string(),
            address: address.to_string(),
            asn,
            next_hop: next_hop.to_string(),
            port: free_port(),
            api: free_port(),
            config: dir.join(format!("{name}.toml")),
            dir: dir.to_path_buf(),
            daemon: None,
            starts: 0,
        }
    }

    /// Writes the configuration: eBGP with `neighbors`, exports with the next hop rewritten,
    /// Route Monitoring pre-policy to the station on `bmp`.
    fn configure(&self, bmp: Option<u16>, neighbors: &[Neighbor]) {
        let (address, asn, port) = (&self.address, self.asn, self.port);
        let router_id = address.replacen("127.", "10.", 1);
        let mut toml = format!(
            "[global.config]\n  as = {asn}\n  router-id = \"{router_id}\"\n  port = {port}\n  \
             local-address-list = [\"{address}\"]\n"
        );
        if let Some(bmp) = bmp {
            toml += &format!(
                "[[bmp-servers]]\n  [bmp-servers.config]\n    address = \"127.0.0.1\"\n    \
                 port = {bmp}\n    route-monitoring-policy = \"pre-policy\"\n"
            );
        }
        for n in neighbors {
            toml += &format!(
                "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{}\"\n    \
                 peer-as = {}\n  [neighbors.transport.config]\n    \
                 local-address = \"{address}\"\n    remote-port = {}\n    passive-mode = {}\n  \
                 [neighbors.timers.config]\n    connect-retry = 1\n",
                n.address, n.asn, n.port, n.passive
            );
        }
        toml += &format!(
            "[[policy-definitions]]\n  name = \"nh-out\"\n  [[policy-definitions.statements]]\n    \
             name = \"nhself\"\n    [policy-definitions.statements.actions]\n      \
             route-disposition = \"accept-route\"\n      \
             [policy-definitions.statements.actions.bgp-actions]\n        \
             set-next-hop = \"{}\"\n[global.apply-policy.config]\n  \
             export-policy-list = [\"nh-out\"]\n  default-export-policy = \"accept-route\"\n",
            self.next_hop
        );
        std::fs::write(&self.config, toml).expect("writing gobgpd config");
    }

    /// Starts gobgpd and waits for its API.
    fn start(&mut self) {
        self.starts += 1;
        let mut command = Command::new("gobgpd");
        command
            .arg("-f")
            .arg(&self.config)
            .args(["-p", "--pprof-disable", "--api-hosts"])
            .arg(format!("127.0.0.1:{}", self.api));
        let log = self.dir.join(format!("{}.{}.log", self.name, self.starts));
        self.daemon = Some(Daemon::start(&self.name, command, log));
        let api = format!("127.0.0.1:{}", self.api);
        wait_until(
            &format!("{}'s API", self.name),
            Duration::from_secs(10),
            || TcpStream::connect(&api).is_ok(),
            || self.log(),
        );
    }

    /// A clean shutdown (SIGTERM) and a fresh start: the router restarts with an empty RIB.
    fn restart(&mut self) {
        if let Some(daemon) = self.daemon.as_mut() {
            daemon.stop();
        }
        self.daemon = None;
        self.start();
    }

    fn log(&self) -> String {
        self.daemon.as_ref().map(Daemon::log).unwrap_or_default()
    }

    /// Runs the gobgp CLI against this speaker.
    fn try_cli(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new("gobgp")
            .arg("-p")
            .arg(self.api.to_string())
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args).unwrap_or_else(|e| {
            panic!("gobgp -p {} {args:?} failed: {e}\n{}", self.api, self.log())
        })
    }

    /// Originates `prefix` with `path` (next hop 192.0.2.x: gobgpd takes no loopback next hop).
    fn announce(&self, prefix: &str, path: &[u32]) {
        let path: Vec<String> = path.iter().map(u32::to_string).collect();
        let path = path.join(",");
        self.cli(&[
            "global",
            "rib",
            "add",
            "-a",
            "ipv4",
            prefix,
            "nexthop",
            &self.next_hop,
            "aspath",
            &path,
            "origin",
            "igp",
        ]);
    }

    fn withdraw(&self, prefix: &str) {
        self.cli(&["global", "rib", "del", "-a", "ipv4", prefix]);
    }

    fn established_with(&self, neighbor: &str) -> bool {
        self.try_cli(&["neighbor", neighbor])
            .is_ok_and(|out| out.contains("BGP state = ESTABLISHED"))
    }

    fn neighbor(&self, passive: bool) -> Neighbor {
        Neighbor {
            address: self.address.clone(),
            asn: self.asn,
            port: self.port,
            passive,
        }
    }
}

/// Two gobgpd speakers A (127.0.`net`.1, AS651`net`1) and B (127.0.`net`.2, AS651`net`2) peered
/// over eBGP, each reporting the other over BMP to the station on `bmp`; started, not yet
/// established.
fn gobgpd_pair(dir: &Path, net: u8, bmp: u16) -> (Gobgpd, Gobgpd) {
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
    a.configure(Some(bmp), &[b.neighbor(false)]);
    b.configure(Some(bmp), &[a.neighbor(false)]);
    a.start();
    b.start();
    (a, b)
}

fn pair_logs(m: &Monitor, a: &Gobgpd, b: &Gobgpd) -> String {
    format!(
        "events: {:?}\n--- bgpwatch:\n{}\n{}\n{}",
        m.events(),
        m.log(),
        a.log(),
        b.log()
    )
}

/// Waits until A and B are established and the station heard both routers' Peer Up.
fn wait_for_pair(m: &Monitor, a: &Gobgpd, b: &Gobgpd) {
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

fn events_for(m: &Monitor, event: &str, kind: &str, prefix: &str) -> Vec<Value> {
    m.events()
        .into_iter()
        .filter(|e| e["event"] == event && e["kind"] == kind && e["prefix"] == prefix)
        .collect()
}

/// The strings (or JSON texts) of an array, as a set: evidence lists come in no fixed order.
fn as_set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect()
}

/// A RIS Live line carrying what one BMP vantage point reported.
fn ris_line(collector: &str, peer: &str, peer_asn: u32, path: &[u32], t: f64) -> String {
    json!({"type": "ris_message", "data": {"timestamp": t, "peer": peer,
        "peer_asn": peer_asn.to_string(), "host": collector, "type": "UPDATE", "path": path,
        "announcements": [{"next_hop": "192.0.2.200", "prefixes": [WATCHED]}]}})
    .to_string()
}

// ---------------------------------------------------------------------------------------------
// 1. gobgpd, the reference sender: a hijack alerts like replay and resolves when withdrawn

#[test]
fn gobgpd_hijack_alerts_like_replay_and_resolves_when_withdrawn() {
    if !gobgp_installed() {
        return;
    }
    let started = Instant::now();
    let bmp = free_port();
    let m = Monitor::start_with("live_bmp_gobgpd", RESOLVE_FAST, &bmp_source(bmp));
    let (a, b) = gobgpd_pair(&m.dir, 1, bmp);
    wait_for_pair(&m, &a, &b);
    let established = started.elapsed();

    let injected = Instant::now();
    for router in [&a, &b] {
        router.announce(WATCHED, &[HIJACKER]);
    }
    wait_until(
        "an origin-hijack alert",
        PROPAGATE,
        || !events_for(&m, "open", "origin-hijack", WATCHED).is_empty(),
        || pair_logs(&m, &a, &b),
    );
    let detected = injected.elapsed();
    let live = events_for(&m, "open", "origin-hijack", WATCHED).remove(0);
    assert_eq!(live["origin"], HIJACKER, "{live}");
    assert_eq!(live["offender"], HIJACKER, "{live}");
    assert_eq!(live["peers"], 2, "one vantage point per router: {live}");

    // A reports B (and B reports A) as a monitored peer, with the path as received over eBGP.
    // The same announcements as RIS Live lines, through replay, give the same alert.
    let router = "bmp 127.0.0.1";
    let lines = [
        ris_line(router, &b.address, b.asn, &[b.asn, HIJACKER], 1.7e9),
        ris_line(router, &a.address, a.asn, &[a.asn, HIJACKER], 1.7e9 + 1.0),
    ];
    let file = m.dir.join("twin.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let replayed = support::events(&support::replay(&[
        "--watchlist",
        "fixtures/scenarios/watchlist.yaml",
        file.to_str().unwrap(),
    ]));
    assert_eq!(replayed.len(), 1, "{replayed:?}");
    let twin = &replayed[0];
    let fields = [
        "event",
        "kind",
        "severity",
        "prefix",
        "watched_prefix",
        "origin",
        "origins",
        "offender",
        "expected_origins",
        "peers",
        "group",
        "description",
    ];
    for field in fields {
        assert_eq!(
            live[field], twin[field],
            "field {field}\nlive: {live}\nreplay: {twin}"
        );
    }
    for evidence in ["sample_paths", "vantage_points"] {
        assert_eq!(
            as_set(&live["evidence"][evidence]),
            as_set(&twin["evidence"][evidence]),
            "evidence.{evidence}"
        );
    }

    // Withdrawn on both: resolved 2 s later, and nothing else was ever raised.
    let withdrawn = Instant::now();
    for router in [&a, &b] {
        router.withdraw(WATCHED);
    }
    wait_until(
        "the hijack to resolve",
        PROPAGATE,
        || !events_for(&m, "resolved", "origin-hijack", WATCHED).is_empty(),
        || pair_logs(&m, &a, &b),
    );
    let resolved_after = withdrawn.elapsed();
    let events = m.events();
    assert_eq!(events.len(), 2, "one open, one resolved: {events:?}");
    let resolved = &events[1];
    assert_eq!(resolved["event"], "resolved");
    assert_eq!(resolved["id"], live["id"]);
    assert_eq!(resolved["peers"], 0, "{resolved}");
    assert_eq!(resolved["evidence"]["resolve_after_seconds"], 2);
    assert!(
        resolved_after >= Duration::from_secs(2),
        "resolved {resolved_after:?} after the withdrawal"
    );
    assert!(metric(&m, ANNOUNCEMENTS) >= 2.0 && metric(&m, WITHDRAWALS) >= 2.0);
    eprintln!(
        "gobgpd pair: established + Peer Up after {established:?}, hijack alert {detected:?} \
         after injection, resolved {resolved_after:?} after withdrawal, {:?} in all",
        started.elapsed()
    );
    drop((a, b));
    assert_eq!(m.terminate(), Some(0), "clean exit on SIGTERM");
}

// ---------------------------------------------------------------------------------------------
// 2. A session reset (a router restarts) raises nothing

#[test]
fn a_session_reset_raises_no_alert() {
    if !gobgp_installed() {
        return;
    }
    let started = Instant::now();
    let bmp = free_port();
    let m = Monitor::start("live_bmp_reset", &bmp_source(bmp));
    let (a, mut b) = gobgpd_pair(&m.dir, 2, bmp);
    wait_for_pair(&m, &a, &b);
    for router in [&a, &b] {
        router.announce(WATCHED, &[LEGITIMATE]);
        router.announce(CARRIER, &[LEGITIMATE]);
    }
    wait_until(
        "the legitimate routes at both vantage points",
        PROPAGATE,
        || metric(&m, ANNOUNCEMENTS) >= 4.0,
        || pair_logs(&m, &a, &b),
    );
    let peer_events = metric(&m, PEER_EVENTS);
    let announcements = metric(&m, ANNOUNCEMENTS);

    // B shuts down (Cease to A, its BMP session closes) and comes back with an empty RIB; its
    // routes are originated again once the session is back.
    let reset = Instant::now();
    b.restart();
    wait_until(
        "the A-B session to come back",
        ESTABLISH,
        || a.established_with(&b.address) && b.established_with(&a.address),
        || pair_logs(&m, &a, &b),
    );
    let back = reset.elapsed();
    b.announce(WATCHED, &[LEGITIMATE]);
    b.announce(CARRIER, &[LEGITIMATE]);
    // Peer Down and Peer Up from A's BMP; B's closed BMP session takes its peer down, its new one
    // brings it up: four peer events. Four announcements: both prefixes at both vantage points.
    wait_until(
        "Peer Down/Peer Up and the routes again",
        PROPAGATE,
        || {
            metric(&m, PEER_EVENTS) >= peer_events + 4.0
                && metric(&m, ANNOUNCEMENTS) >= announcements + 4.0
        },
        || pair_logs(&m, &a, &b),
    );
    // Metrics are counted as a batch enters detection, alerts leave with that same batch; one
    // more detection tick (1 s) settles anything pending.
    let settled = Instant::now();
    wait_until(
        "a detection tick with both vantage points up",
        PROPAGATE,
        || settled.elapsed() > Duration::from_millis(1500) && metric(&m, VANTAGE_POINTS_UP) == 2.0,
        || pair_logs(&m, &a, &b),
    );
    let events = m.events();
    assert!(events.is_empty(), "a session reset raised {events:?}");
    let after_reset = metric(&m, PEER_EVENTS);

    // Both vantage points are tracked again: a real hijack now is seen by both.
    for router in [&a, &b] {
        router.announce(WATCHED, &[HIJACKER]);
    }
    wait_until(
        "a hijack after the reset",
        PROPAGATE,
        || !events_for(&m, "open", "origin-hijack", WATCHED).is_empty(),
        || pair_logs(&m, &a, &b),
    );
    let live = events_for(&m, "open", "origin-hijack", WATCHED).remove(0);
    assert_eq!(live["peers"], 2, "{live}");
    assert_eq!(m.events().len(), 1, "{:?}", m.events());
    eprintln!(
        "session reset: peer events {peer_events} -> {after_reset}, session back {back:?} \
         after the restart, {:?} in all",
        started.elapsed()
    );
    drop((a, b));
    assert_eq!(m.terminate(), Some(0), "clean exit on SIGTERM");
}

// ---------------------------------------------------------------------------------------------
// 3. FRR as a second, quirky sender

/// FRR's bgpd (not on PATH), or a loud skip.
fn frr_bgpd() -> Option<PathBuf> {
    let bgpd = PathBuf::from("/usr/lib/frr/bgpd");
    if bgpd.is_file() {
        Some(bgpd)
    } else {
        support::missing("FRR's /usr/lib/frr/bgpd is not installed (Debian package frr)")
    }
}

#[test]
fn frr_routes_are_detected_despite_its_quirks() {
    if !gobgp_installed() {
        return;
    }
    let (Some(bgpd), Some(vtysh)) = (frr_bgpd(), support::tool("vtysh")) else {
        return;
    };
    let started = Instant::now();
    let bmp = free_port();
    let m = Monitor::start_with("live_bmp_frr", RESOLVE_FAST, &bmp_source(bmp));
    let dir = m.dir.join("frr");
    std::fs::create_dir_all(&dir).unwrap();

    // FRR (127.0.3.1, AS65301) peers with two gobgpds that wait for it to connect; only FRR
    // speaks BMP, so each gobgpd is one vantage point.
    let (frr_address, frr_asn, frr_port) = ("127.0.3.1", 65301, free_port());
    let frr = Neighbor {
        address: frr_address.to_string(),
        asn: frr_asn,
        port: frr_port,
        passive: true,
    };
    let mut upstreams: Vec<Gobgpd> = (2..=3u8)
        .map(|i| {
            let name = format!("gobgpd-{i}");
            let address = format!("127.0.3.{i}");
            let asn = 65300 + u32::from(i);
            let g = Gobgpd::new(&dir, &name, &address, asn, &format!("192.0.2.3{i}"));
            g.configure(None, std::slice::from_ref(&frr));
            g
        })
        .collect();
    for g in upstreams.iter_mut() {
        g.start();
    }
    let mut config = format!(
        "frr defaults traditional\nhostname bgpwatch-test\nlog file {}/bgpd.log informational\n\
         route-map NHOUT permit 10\n set ip next-hop 192.0.2.31\nexit\n\
         router bgp {frr_asn}\n bgp router-id 10.0.3.1\n no bgp ebgp-requires-policy\n",
        dir.display()
    );
    for g in &upstreams {
        let n = &g.address;
        config += &format!(
            " neighbor {n} remote-as {}\n neighbor {n} port {}\n \
             neighbor {n} update-source {frr_address}\n neighbor {n} disable-connected-check\n \
             neighbor {n} timers connect 1\n",
            g.asn, g.port
        );
    }
    config += " address-family ipv4 unicast\n";
    for g in &upstreams {
        // Without soft-reconfiguration inbound, FRR's pre-policy monitoring sends withdrawals.
        config += &format!(
            "  neighbor {0} soft-reconfiguration inbound\n  neighbor {0} route-map NHOUT out\n",
            g.address
        );
    }
    config += &format!(
        " exit-address-family\n bmp targets bgpwatch\n  bmp monitor ipv4 unicast pre-policy\n  \
         bmp connect 127.0.0.1 port {bmp} min-retry 1000 max-retry 2000\n exit\nexit\n"
    );
    let conf = dir.join("bgpd.conf");
    std::fs::write(&conf, config).unwrap();
    let mut command = Command::new(bgpd);
    command
        .arg("-f")
        .arg(&conf)
        .args(["-M", "bmp", "-Z", "-S", "-l", frr_address, "-P", "0", "-p"])
        .arg(frr_port.to_string())
        .arg("--vty_socket")
        .arg(&dir)
        .arg("-i")
        .arg(dir.join("bgpd.pid"));
    let frr_daemon = Daemon::start("frr-bgpd", command, dir.join("bgpd.out"));
    let logs = || {
        let frr_log = std::fs::read_to_string(dir.join("bgpd.log")).unwrap_or_default();
        format!(
            "events: {:?}\n--- bgpwatch:\n{}\n{}\n--- FRR bgpd.log:\n{frr_log}\n{}\n{}",
            m.events(),
            m.log(),
            frr_daemon.log(),
            upstreams[0].log(),
            upstreams[1].log()
        )
    };
    wait_until(
        "FRR's sessions with both gobgpds",
        ESTABLISH,
        || upstreams.iter().all(|g| g.established_with(frr_address)),
        logs,
    );
    // FRR opens with a Peer Down for each peer not yet established, then a Peer Up per peer:
    // both vantage points end up up.
    wait_until(
        "FRR's Peer Up for both peers",
        PROPAGATE,
        || metric(&m, VANTAGE_POINTS_UP) == 2.0,
        logs,
    );
    let first_peer_events = metric(&m, PEER_EVENTS);
    let established = started.elapsed();

    // A legitimate route first: FRR prepends its own AS (65301 6530x 64500); the origin stays.
    for g in &upstreams {
        g.announce(CARRIER, &[LEGITIMATE]);
    }
    wait_until(
        "the legitimate route at both vantage points",
        PROPAGATE,
        || metric(&m, ANNOUNCEMENTS) >= 2.0,
        logs,
    );
    let injected = Instant::now();
    for g in &upstreams {
        g.announce(WATCHED, &[HIJACKER]);
    }
    wait_until(
        "an origin-hijack alert from FRR's view",
        PROPAGATE,
        || !events_for(&m, "open", "origin-hijack", WATCHED).is_empty(),
        logs,
    );
    let detected = injected.elapsed();
    let live = events_for(&m, "open", "origin-hijack", WATCHED).remove(0);
    assert_eq!(live["origin"], HIJACKER, "{live}");
    assert_eq!(live["offender"], HIJACKER, "{live}");
    assert_eq!(live["expected_origins"], json!([LEGITIMATE]), "{live}");
    assert_eq!(live["group"], "gov", "{live}");
    assert_eq!(live["peers"], 2, "{live}");
    let vantage_points: BTreeSet<String> = upstreams
        .iter()
        .map(|g| format!("bmp 127.0.0.1 {} AS{}", g.address, g.asn))
        .collect();
    assert_eq!(as_set(&live["evidence"]["vantage_points"]), vantage_points);
    let paths: BTreeSet<String> = upstreams
        .iter()
        .map(|g| json!([frr_asn, g.asn, HIJACKER]).to_string())
        .collect();
    assert_eq!(
        as_set(&live["evidence"]["sample_paths"]),
        paths,
        "FRR's Route Monitoring paths carry its own AS first"
    );

    // A flap of one FRR session: FRR reports it with a burst of Peer Downs (one per failed
    // reconnection) and a Peer Up, then the routes again. The alert stays the same alert.
    let peer_events = metric(&m, PEER_EVENTS);
    let announcements = metric(&m, ANNOUNCEMENTS);
    let flapped = Instant::now();
    let output = Command::new(&vtysh)
        .arg("--vty_socket")
        .arg(&dir)
        .args(["-d", "bgpd", "-c"])
        .arg(format!("clear bgp {}", upstreams[0].address))
        .output()
        .expect("running vtysh");
    assert!(output.status.success(), "vtysh: {output:?}");
    wait_until(
        "the flapped session back, with its routes",
        ESTABLISH,
        || {
            upstreams[0].established_with(frr_address)
                && metric(&m, PEER_EVENTS) >= peer_events + 2.0
                && metric(&m, ANNOUNCEMENTS) >= announcements + 2.0
                && metric(&m, VANTAGE_POINTS_UP) == 2.0
        },
        logs,
    );
    let flap = flapped.elapsed();
    let flap_events = metric(&m, PEER_EVENTS) - peer_events;
    assert_eq!(
        events_for(&m, "open", "origin-hijack", WATCHED).len(),
        1,
        "a flap re-opened the alert: {:?}",
        m.events()
    );

    for g in &upstreams {
        g.withdraw(WATCHED);
    }
    wait_until(
        "the hijack to resolve",
        PROPAGATE,
        || !events_for(&m, "resolved", "origin-hijack", WATCHED).is_empty(),
        logs,
    );
    let events = m.events();
    assert!(
        events.iter().all(|e| e["kind"] == "origin-hijack"
            && e["prefix"] == WATCHED
            && e["id"] == live["id"]),
        "only the hijack's lifecycle (nothing for {CARRIER}): {events:?}"
    );
    assert_eq!(events.last().unwrap()["event"], "resolved", "{events:?}");
    eprintln!(
        "FRR: established + Peer Up after {established:?} ({first_peer_events} peer events), \
         hijack alert {detected:?} after injection, flap back after {flap:?} with \
         {flap_events} peer events, events {:?}, {:?} in all",
        events
            .iter()
            .map(|e| e["event"].clone())
            .collect::<Vec<_>>(),
        started.elapsed()
    );
    drop(frr_daemon);
    drop(upstreams);
    assert_eq!(m.terminate(), Some(0), "clean exit on SIGTERM");
}

// ---------------------------------------------------------------------------------------------
// 4. Hostile BMP clients beside a good router

/// Deterministic noise (xorshift64*); seed chosen so the first byte is not 3 (BMP's version).
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Connects to the station and sends `bytes`.
fn hostile(bmp: u16, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", bmp)).expect("connecting to the station");
    stream.write_all(bytes).expect("sending");
    stream
}

/// Whether the station closed `stream` within `limit` (EOF or reset).
fn dropped_by_station(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 64];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                return false
            }
            Err(_) => return true, // connection reset: closed with our bytes unread
        }
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn hostile_bmp_clients_are_dropped_and_the_good_router_still_detected() {
    if !gobgp_installed() {
        return;
    }
    let started = Instant::now();
    let bmp = free_port();
    let mut m = Monitor::start("live_bmp_hostile", &bmp_source(bmp));
    let (a, b) = gobgpd_pair(&m.dir, 4, bmp);
    wait_for_pair(&m, &a, &b);
    let (status, body) = m.get("/healthz").expect("/healthz answers");
    assert_eq!(status, 200, "routers connected: {body}");
    let peer_events = metric(&m, PEER_EVENTS);

    // One connects and says nothing (the station's first-message timeout is 30 s: not waited).
    let mut silent = TcpStream::connect(("127.0.0.1", bmp)).expect("connecting");
    let random = noise(64 * 1024);
    assert_ne!(random[0], 3, "the noise must not start like a BMP header");
    let random_reason = format!("BMP version {} (only version 3 is defined)", random[0]);
    let mut version_2 = vec![2u8, 0, 0, 0, 6, 4];
    version_2.extend_from_slice(b"\x00\x01\x00\x05GoBGP");
    let claims_4_gb = [3u8, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0];
    let cases: [(&str, &[u8], &str); 3] = [
        ("random bytes", &random, &random_reason),
        (
            "version 2",
            &version_2,
            "BMP version 2 (only version 3 is defined)",
        ),
        (
            "a 4 GB length",
            &claims_4_gb,
            "message claims 4294967295 bytes",
        ),
    ];
    for (what, bytes, reason) in cases {
        let mut stream = hostile(bmp, bytes);
        assert!(
            dropped_by_station(&mut stream, Duration::from_secs(5)),
            "the station kept a client sending {what}\n{}",
            m.log()
        );
        m.wait_for(
            &format!("the logged reason for {what}"),
            Duration::from_secs(5),
            |m| {
                m.log()
                    .lines()
                    .any(|l| l.contains("input rejected") && l.contains(reason))
            },
        );
    }
    assert!(m.alive(), "bgpwatch died:\n{}", m.log());
    let rss = rss_kib(m.pid());
    assert!(rss < 256 * 1024, "RSS {rss} KiB after a 4 GB claim");
    assert_eq!(
        metric(&m, PEER_EVENTS),
        peer_events,
        "hostile clients must not touch the routers' peers"
    );

    // The good routers are unaffected: a hijack through them is detected while the silent
    // client is still connected.
    for router in [&a, &b] {
        router.announce(WATCHED, &[HIJACKER]);
    }
    wait_until(
        "the good routers' hijack",
        PROPAGATE,
        || !events_for(&m, "open", "origin-hijack", WATCHED).is_empty(),
        || pair_logs(&m, &a, &b),
    );
    let live = events_for(&m, "open", "origin-hijack", WATCHED).remove(0);
    assert_eq!(
        (live["offender"].clone(), live["peers"].clone()),
        (json!(HIJACKER), json!(2))
    );
    assert!(
        !dropped_by_station(&mut silent, Duration::from_millis(200)),
        "the silent client was dropped before its 30 s timeout"
    );
    let (status, body) = m.get("/healthz").expect("/healthz answers");
    assert_eq!(status, 200, "routers connected: {body}");
    assert!(m.alive(), "bgpwatch died:\n{}", m.log());
    let rejected = m.log().matches("input rejected").count();
    eprintln!(
        "hostile clients: {rejected} rejections logged, RSS {rss} KiB, {:?} in all",
        started.elapsed()
    );
    drop(silent);
    drop((a, b));
    assert_eq!(m.terminate(), Some(0), "clean exit on SIGTERM");
}
