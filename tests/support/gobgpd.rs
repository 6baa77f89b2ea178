//! gobgpd speakers for lab tests: each on its own loopback address with its own BGP and API
//! ports, configured from Rust, killed (and reaped) when dropped.
//! Include with `#[path = "support/gobgpd.rs"] mod gobgpd;` next to `mod support;`.
//!
//! Loopback pitfalls (LAB.md section 1.1) handled here: exports rewrite the next hop to a
//! 192.0.2.x address (gobgpd treats 127/8 next hops as withdrawals); `local-address-list` keeps
//! each gobgpd off the other addresses; `--pprof-disable` keeps parallel gobgpds off the shared
//! pprof port; and [`layout_safe_dir`] gives a directory whose path survives gobgpd reading the
//! MRT `file-name` as a Go time layout.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// gobgpd 3.10 waits 5 to 10 s (at random) before it first connects to a peer.
pub const ESTABLISH: Duration = Duration::from_secs(30);

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Pieces of a path that gobgpd's MRT `file-name` (a Go time layout) would replace with the
/// date: any digit, and the month, weekday, zone and AM/PM tokens.
fn has_go_layout_token(path: &str) -> bool {
    path.chars().any(|c| c.is_ascii_digit())
        || ["Jan", "Mon", "MST", "PM", "pm"]
            .iter()
            .any(|t| path.contains(t))
}

/// A fresh scratch directory for `test` whose path contains no Go time-layout token (the
/// process id is spelled with the letters a-j), for gobgpd's MRT dumps.
pub fn layout_safe_dir(test: &str) -> PathBuf {
    let pid: String = std::process::id()
        .to_string()
        .bytes()
        .map(|d| char::from(b'a' + (d - b'0')))
        .collect();
    let dir = std::env::temp_dir()
        .join("bgpwatch-tests")
        .join(format!("{test}-{pid}"));
    let text = dir.to_string_lossy();
    assert!(
        !has_go_layout_token(&text),
        "{text} holds a Go time-layout token (digit, Jan, Mon, MST, PM, pm) that gobgpd would \
         replace in the MRT file name; set TMPDIR to a path without one"
    );
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating scratch dir");
    dir
}

/// Polls `done` every 100 ms; panics after `limit` with `context()` (logs) in the message.
pub fn wait_until(
    what: &str,
    limit: Duration,
    done: impl Fn() -> bool,
    context: impl Fn() -> String,
) {
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

/// A BGP neighbor in a gobgpd configuration.
pub struct Neighbor {
    pub address: String,
    pub asn: u32,
    pub port: u16,
    /// Wait for the neighbor to connect.
    pub passive: bool,
}

/// What a speaker sends its neighbors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// Every best path, the next hop rewritten to the speaker's `next_hop` (gobgpd's eBGP
    /// default: no valley-free policy, which is what lets a customer leak).
    Everything,
    /// Nothing (a route collector).
    Nothing,
}

/// One gobgpd speaker.
pub struct Gobgpd {
    /// Name in logs and messages.
    pub name: String,
    /// Its loopback address.
    pub address: String,
    /// Its AS.
    pub asn: u32,
    next_hop: String,
    /// Its BGP port.
    pub port: u16,
    api: u16,
    config: PathBuf,
    dir: PathBuf,
    /// The BMP station it reports to, if any.
    bmp: Option<u16>,
    child: Option<Child>,
    /// Starts so far (each start logs to its own file).
    starts: usize,
}

impl Gobgpd {
    /// A speaker called `name` at `address` (ports drawn here), next hop `next_hop` in what it
    /// exports and originates.
    pub fn new(dir: &Path, name: &str, address: &str, asn: u32, next_hop: &str) -> Gobgpd {
        Gobgpd {
            name: name.to_string(),
            address: address.to_string(),
            asn,
            next_hop: next_hop.to_string(),
            port: free_port(),
            api: free_port(),
            config: dir.join(format!("{name}.toml")),
            dir: dir.to_path_buf(),
            bmp: None,
            child: None,
            starts: 0,
        }
    }

    /// Makes [`Gobgpd::configure`] report Route Monitoring (pre-policy) over BMP to the station
    /// on 127.0.0.1:`station`.
    pub fn report_bmp_to(&mut self, station: u16) {
        self.bmp = Some(station);
    }

    /// This speaker as another speaker's neighbor (`passive`: that one waits to be called).
    pub fn neighbor(&self, passive: bool) -> Neighbor {
        Neighbor {
            address: self.address.clone(),
            asn: self.asn,
            port: self.port,
            passive,
        }
    }

    /// Writes the configuration: eBGP with `neighbors`, the export policy, and an MRT BGP4MP
    /// updates dump to `mrt_updates` (its path must pass [`layout_safe_dir`]'s check).
    pub fn configure(&self, neighbors: &[Neighbor], export: Export, mrt_updates: Option<&Path>) {
        let (address, asn, port) = (&self.address, self.asn, self.port);
        let router_id = address.replacen("127.", "10.", 1);
        let mut toml = format!(
            "[global.config]\n  as = {asn}\n  router-id = \"{router_id}\"\n  port = {port}\n  \
             local-address-list = [\"{address}\"]\n"
        );
        if let Some(file) = mrt_updates {
            assert!(!has_go_layout_token(&file.to_string_lossy()), "{file:?}");
            toml += &format!(
                "[[mrt-dump]]\n  [mrt-dump.config]\n    dump-type = \"updates\"\n    \
                 file-name = \"{}\"\n",
                file.display()
            );
        }
        if let Some(bmp) = self.bmp {
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
        toml += &match export {
            Export::Everything => format!(
                "[[policy-definitions]]\n  name = \"nh-out\"\n  [[policy-definitions.statements]]\n    \
                 name = \"nhself\"\n    [policy-definitions.statements.actions]\n      \
                 route-disposition = \"accept-route\"\n      \
                 [policy-definitions.statements.actions.bgp-actions]\n        \
                 set-next-hop = \"{}\"\n[global.apply-policy.config]\n  \
                 export-policy-list = [\"nh-out\"]\n  default-export-policy = \"accept-route\"\n",
                self.next_hop
            ),
            Export::Nothing => {
                "[global.apply-policy.config]\n  default-export-policy = \"reject-route\"\n"
                    .to_string()
            }
        };
        std::fs::write(&self.config, toml).expect("writing gobgpd config");
    }

    /// Starts gobgpd and waits for its API.
    pub fn start(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(self.log_path()).expect("creating gobgpd log");
        let child = Command::new("gobgpd")
            .arg("-f")
            .arg(&self.config)
            .args(["-p", "--pprof-disable", "--api-hosts"])
            .arg(format!("127.0.0.1:{}", self.api))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.name));
        self.child = Some(child);
        let api = format!("127.0.0.1:{}", self.api);
        wait_until(
            &format!("{}'s API", self.name),
            Duration::from_secs(10),
            || TcpStream::connect(&api).is_ok(),
            || self.log(),
        );
    }

    /// Stops gobgpd (SIGKILL) and reaps it; the MRT dump it wrote stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A clean shutdown (SIGTERM, SIGKILL after 5 s) and a fresh start: the router comes back
    /// with an empty RIB.
    pub fn restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        self.start();
    }

    /// This start's log file.
    fn log_path(&self) -> PathBuf {
        self.dir.join(format!("{}.{}.log", self.name, self.starts))
    }

    /// Its log, headed by its name, for failure messages.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        format!("--- {} ({}):\n{text}", self.name, self.log_path().display())
    }

    /// Runs the gobgp CLI against this speaker.
    pub fn try_cli(&self, args: &[&str]) -> Result<String, String> {
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

    /// [`Gobgpd::try_cli`], panicking with the log on failure.
    pub fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args).unwrap_or_else(|e| {
            panic!("gobgp -p {} {args:?} failed: {e}\n{}", self.api, self.log())
        })
    }

    /// Originates `prefix` with AS path `path` (before its own AS, which eBGP export prepends).
    pub fn announce(&self, prefix: &str, path: &[u32]) {
        let path: Vec<String> = path.iter().map(u32::to_string).collect();
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
            &path.join(","),
            "origin",
            "igp",
        ]);
    }

    /// Withdraws the route to `prefix` it originated.
    pub fn withdraw(&self, prefix: &str) {
        self.cli(&["global", "rib", "del", "-a", "ipv4", prefix]);
    }

    /// True when the session with the speaker at `neighbor` is up.
    pub fn established_with(&self, neighbor: &str) -> bool {
        self.try_cli(&["neighbor", neighbor])
            .is_ok_and(|out| out.contains("BGP state = ESTABLISHED"))
    }

    /// The routes received from `neighbor` (gobgp's adj-in table, as text).
    pub fn adj_in(&self, neighbor: &str) -> String {
        self.try_cli(&["neighbor", neighbor, "adj-in"])
            .unwrap_or_default()
    }
}

impl Drop for Gobgpd {
    fn drop(&mut self) {
        self.stop();
    }
}
