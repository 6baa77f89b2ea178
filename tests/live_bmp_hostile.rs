//! Hostile BMP clients (noise, huge claimed lengths, slow senders) beside a good gobgpd router:
//! each is dropped by the station, and the good router's routes are still detected.

#[path = "support/bmp_lab.rs"]
mod bmp_lab;
#[path = "support/gobgpd.rs"]
mod gobgpd;
#[path = "support/monitor.rs"]
mod monitor;
mod support;

use bmp_lab::*;
use gobgpd::wait_until;
use monitor::{free_port, Monitor};
use serde_json::json;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Seed of the noise client's bytes, chosen so the first byte is not 3 (BMP's version).
const NOISE_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

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
    let random = support::noise(NOISE_SEED, 64 * 1024);
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
