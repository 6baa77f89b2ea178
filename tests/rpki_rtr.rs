//! The RTR client against the real Debian `stayrtr` serving a VRP JSON file on loopback: the
//! synced set equals the same file loaded directly (bad entries skipped by both), a changed
//! file reaches the client through Serial Notify and an incremental Serial Query, and a
//! version-0-only stayrtr makes the client fall back to version 0.
//!
//! Each test starts its own stayrtr on free ports and kills it on drop, so tests run in
//! parallel. stayrtr rereads its file every `-refresh 1` second; its RTR refresh interval stays
//! at the default 3600 s, so a change seen within seconds proves Serial Notify was followed.

mod support;

use bgpwatch::rpki::rtr::Timing;
use bgpwatch::rpki::{load_vrp_file, RpkiState, RtrClient, RtrConfig, RtrStatus, Vrps};
use ipnet::IpNet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a sync or a change may take (stayrtr polls its file every second).
const SYNC_LIMIT: Duration = Duration::from_secs(20);

/// Two families, AS0, two ROAs on one prefix, string and numeric ASNs; and three entries both
/// stayrtr and bgpwatch skip (prefix /33, maxLength shorter than the prefix, ASN `ASx`).
const FIRST: &str = r#"{"metadata": {"buildtime": "2026-11-22T00:00:00Z"},
 "roas": [
  {"asn": "AS64500", "prefix": "198.51.100.0/24", "maxLength": 24, "ta": "test"},
  {"asn": 64501, "prefix": "198.51.100.0/22", "maxLength": 23, "ta": "test"},
  {"asn": "AS64502", "prefix": "203.0.113.0/24", "maxLength": 24, "ta": "test"},
  {"asn": "AS0", "prefix": "192.0.2.0/24", "maxLength": 32, "ta": "test"},
  {"asn": "AS64503", "prefix": "2001:db8::/32", "maxLength": 48, "ta": "test"},
  {"asn": "AS64504", "prefix": "2001:db8:ff00::/40", "maxLength": 40, "ta": "test"},
  {"asn": "AS64509", "prefix": "198.51.100.0/33", "maxLength": 24, "ta": "test"},
  {"asn": "AS64509", "prefix": "192.0.2.0/24", "maxLength": 20, "ta": "test"},
  {"asn": "ASx", "prefix": "192.0.2.0/25", "maxLength": 25, "ta": "test"}
 ]}"#;

/// FIRST with 203.0.113.0/24 moved from AS64502 to AS64666 and the /40 withdrawn.
const SECOND: &str = r#"{"metadata": {"buildtime": "2026-11-22T01:00:00Z"},
 "roas": [
  {"asn": "AS64500", "prefix": "198.51.100.0/24", "maxLength": 24, "ta": "test"},
  {"asn": 64501, "prefix": "198.51.100.0/22", "maxLength": 23, "ta": "test"},
  {"asn": "AS64666", "prefix": "203.0.113.0/24", "maxLength": 24, "ta": "test"},
  {"asn": "AS0", "prefix": "192.0.2.0/24", "maxLength": 32, "ta": "test"},
  {"asn": "AS64503", "prefix": "2001:db8::/32", "maxLength": 48, "ta": "test"}
 ]}"#;

/// Routes validated against both sets: (prefix, origin).
const PROBES: [(&str, Option<u32>); 12] = [
    ("198.51.100.0/24", Some(64500)),
    ("198.51.100.0/24", Some(64501)),
    ("198.51.101.0/24", Some(64501)),
    ("198.51.100.0/23", Some(64501)),
    ("198.51.100.0/24", Some(64666)),
    ("198.51.100.0/24", None),
    ("203.0.113.0/24", Some(64502)),
    ("192.0.2.0/24", Some(0)),
    ("192.0.2.128/25", Some(64500)),
    ("2001:db8:1::/48", Some(64503)),
    ("2001:db8:ff00::/40", Some(64504)),
    ("2001:db9::/32", Some(64503)),
];

/// A stayrtr process, killed on drop.
struct Stayrtr {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Stayrtr {
    fn start(binary: &Path, cache: &Path, extra: &[&str]) -> Stayrtr {
        let (port, metrics) = (free_port(), free_port());
        let log = cache.with_extension("log");
        let out = std::fs::File::create(&log).expect("stayrtr log");
        let child = Command::new(binary)
            .arg(format!("-bind=127.0.0.1:{port}"))
            .arg(format!("-cache={}", cache.display()))
            .arg("-checktime=false")
            .arg(format!("-metrics.addr=127.0.0.1:{metrics}"))
            .arg("-refresh=1")
            .args(extra)
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .expect("starting stayrtr");
        Stayrtr { child, port, log }
    }

    fn client(&self) -> RtrClient {
        let mut config = RtrConfig::new(format!("127.0.0.1:{}", self.port));
        config.backoff_min = Duration::from_millis(50);
        config.backoff_max = Duration::from_millis(500);
        config.response_timeout = Duration::from_secs(5);
        RtrClient::spawn(config)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Stayrtr {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Writes `text` to `path` the way validators do: a temporary file renamed over it.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("writing VRP file");
    std::fs::rename(&tmp, path).expect("renaming VRP file");
}

fn states(vrps: &Vrps) -> Vec<RpkiState> {
    PROBES
        .iter()
        .map(|(prefix, origin)| vrps.validate(&prefix.parse::<IpNet>().expect("probe"), *origin))
        .collect()
}

async fn wait_status(
    status: &mut watch::Receiver<RtrStatus>,
    what: &str,
    stayrtr: &Stayrtr,
    done: impl FnMut(&RtrStatus) -> bool,
) -> RtrStatus {
    let waited = tokio::time::timeout(SYNC_LIMIT, status.wait_for(done))
        .await
        .map(|r| r.map(|s| s.clone()));
    match waited {
        Ok(Ok(status)) => status,
        _ => panic!(
            "{what} within {SYNC_LIMIT:?}; status {:?}\nstayrtr log:\n{}",
            status.borrow(),
            stayrtr.log()
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stayrtr_set_equals_the_file_and_changes_arrive_by_serial_notify() {
    let Some(binary) = support::tool("stayrtr") else {
        return;
    };
    let cache = support::scratch("rpki-rtr-stayrtr").join("vrps.json");
    replace(&cache, FIRST);
    let from_file = load_vrp_file(&cache).expect("FIRST loads");
    assert_eq!((from_file.vrps.len(), from_file.rejected.len()), (6, 3));

    let stayrtr = Stayrtr::start(&binary, &cache, &[]);
    let client = stayrtr.client();
    let mut status = client.status();
    let synced = wait_status(&mut status, "no first sync", &stayrtr, |s| s.syncs >= 1).await;
    let vrps: Arc<Vrps> = client.vrps().borrow().clone();
    assert_eq!(*vrps, from_file.vrps, "stayrtr's set differs from the file");
    assert_eq!(states(&vrps), states(&from_file.vrps));
    let pinned: Vec<&str> = states(&vrps).iter().map(RpkiState::as_str).collect();
    assert_eq!(
        pinned,
        [
            "valid",
            "invalid",
            "invalid",
            "valid",
            "invalid",
            "invalid",
            "valid",
            "invalid",
            "invalid",
            "valid",
            "valid",
            "not-found"
        ]
    );
    assert_eq!(synced.version, Some(1));
    assert_eq!(
        synced.timing,
        Some(Timing {
            refresh: 3600,
            retry: 600,
            expire: 7200
        })
    );
    assert!(synced.staleness().is_some_and(|s| s < SYNC_LIMIT));

    let mut published = client.vrps();
    published.mark_unchanged();
    replace(&cache, SECOND);
    let changed = tokio::time::timeout(SYNC_LIMIT, published.changed()).await;
    assert!(
        matches!(changed, Ok(Ok(()))),
        "no change published; status {:?}\nstayrtr log:\n{}",
        status.borrow(),
        stayrtr.log()
    );
    let second = load_vrp_file(&cache).expect("SECOND loads").vrps;
    assert_eq!(**published.borrow(), second);
    let probe = "203.0.113.0/24".parse().expect("probe");
    assert_eq!(
        published.borrow().validate(&probe, Some(64666)),
        RpkiState::Valid
    );
    let after = wait_status(&mut status, "no second sync", &stayrtr, |s| s.syncs >= 2).await;
    assert_eq!(
        (after.serial, after.syncs, after.failures),
        (Some(synced.serial.expect("serial") + 1), 2, synced.failures),
        "expected one incremental update on the same connection; last error {:?}",
        after.last_error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_0_stayrtr_gets_a_version_0_session() {
    let Some(binary) = support::tool("stayrtr") else {
        return;
    };
    let cache = support::scratch("rpki-rtr-stayrtr-v0").join("vrps.json");
    replace(&cache, SECOND);
    let stayrtr = Stayrtr::start(&binary, &cache, &["-protocol=0"]);
    let client = stayrtr.client();
    let mut status = client.status();
    let synced = wait_status(&mut status, "no version-0 sync", &stayrtr, |s| s.syncs >= 1).await;
    assert_eq!((synced.version, synced.timing), (Some(0), None));
    let expected = load_vrp_file(&cache).expect("SECOND loads").vrps;
    assert_eq!(**client.vrps().borrow(), expected);
}
