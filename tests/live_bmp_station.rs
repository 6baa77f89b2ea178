//! The BMP station on its own: only a connection that speaks BMP counts as a router, and
//! memory stays bounded whatever many senders hold half-sent messages.

#[path = "support/bmp_messages.rs"]
mod bmp_messages;
#[path = "support/monitor.rs"]
mod monitor;
mod support;

use bmp_messages::{initiation, route_monitoring};
use monitor::Monitor;
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

fn station(name: &str) -> (Monitor, String) {
    let listen = format!("127.0.6.1:{}", monitor::free_port());
    let m = Monitor::start(
        name,
        &format!("[[sources]]\ntype = \"bmp\"\nlisten = \"{listen}\"\nstall_after = \"60s\"\n"),
    );
    (m, listen)
}

fn healthz(m: &Monitor) -> u16 {
    m.get("/healthz").map_or(0, |(status, _)| status)
}

#[test]
fn a_silent_or_garbage_connection_is_not_a_router_but_a_bmp_speaker_is() {
    let (m, listen) = station("bmp_station_health");
    assert_eq!(healthz(&m), 503, "no router yet");
    let _silent = TcpStream::connect(&listen).unwrap();
    let mut garbage = TcpStream::connect(&listen).unwrap();
    garbage.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        healthz(&m),
        503,
        "a port scanner does not make the station healthy"
    );
    let mut router = TcpStream::connect(&listen).unwrap();
    router.write_all(&initiation("test router")).unwrap();
    m.wait_for(
        "healthz 200 once a router spoke BMP",
        Duration::from_secs(5),
        |m| healthz(m) == 200,
    );
    drop(router);
    m.wait_for(
        "healthz 503 when the router left",
        Duration::from_secs(5),
        |m| healthz(m) == 503,
    );
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn many_half_sent_messages_cannot_exhaust_memory() {
    let (m, listen) = station("bmp_station_memory");
    let before = rss_kib(m.pid());
    // 200 senders each open like a router, then claim a 1 MiB message, send most of it and
    // stall.
    let claimed: u32 = 1 << 20;
    let mut senders = Vec::new();
    for _ in 0..200 {
        let mut s = TcpStream::connect(&listen).unwrap();
        s.write_all(&initiation("test router")).unwrap();
        let mut header = vec![3];
        header.extend_from_slice(&claimed.to_be_bytes());
        header.push(0);
        let _ = s.write_all(&header);
        s.set_nonblocking(true).unwrap();
        let _ = s.write(&vec![0u8; 900 << 10]);
        senders.push(s);
    }
    std::thread::sleep(Duration::from_secs(2));
    let during = rss_kib(m.pid());
    // The station-wide budget is 64 MiB; without it this was about 200 MiB.
    assert!(
        during < before + 100 * 1024,
        "RSS grew from {before} KiB to {during} KiB"
    );
    assert_eq!(
        m.get("/metrics").map(|(s, _)| s),
        Some(200),
        "still serving"
    );
}

#[test]
fn a_crowd_of_slow_strangers_claiming_1_mib_cannot_starve_a_router() {
    let (m, listen) = station("bmp_station_crowd");
    // 200 connections that never spoke BMP claim 1 MiB first messages and send a few bytes.
    // Held whole, 64 of them would take the station's whole 64 MiB budget for 60 s each.
    let mut crowd = Vec::new();
    for _ in 0..200 {
        let mut s = TcpStream::connect(&listen).unwrap();
        let mut header = vec![3];
        header.extend_from_slice(&(1u32 << 20).to_be_bytes());
        header.push(4);
        let _ = s.write_all(&header);
        let _ = s.write_all(&[0, 1, 0]);
        crowd.push(s);
    }
    m.wait_for("the crowd refused", Duration::from_secs(10), |m| {
        m.log()
            .matches("first message claims 1048576 bytes")
            .count()
            == 200
    });
    let announced = "bgpwatch_updates_total{kind=\"announce\",source=\"bmp\"}";
    let mut router = TcpStream::connect(&listen).unwrap();
    router.write_all(&initiation("test router")).unwrap();
    router
        .write_all(&route_monitoring(
            [198, 18, 1, 1],
            3356,
            [203, 0, 113],
            &[3356, 64500],
        ))
        .unwrap();
    m.wait_for("the router's announcement", Duration::from_secs(5), |m| {
        m.metric(announced) == 1.0
    });
}
