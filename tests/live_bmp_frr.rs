//! `bgpwatch run` as a BMP station for FRR's `bgpd -M bmp` (a quirky BMP sender) peered over
//! loopback with gobgpd (LAB.md section 1.1; the lab itself in `support/bmp_lab.rs`).

#[path = "support/bmp_lab.rs"]
mod bmp_lab;
#[path = "support/gobgpd.rs"]
mod gobgpd;
#[path = "support/monitor.rs"]
mod monitor;
mod support;

use bmp_lab::*;
use gobgpd::{wait_until, Export, Gobgpd, Neighbor};
use monitor::{free_port, Monitor};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

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
            g.configure(std::slice::from_ref(&frr), Export::Everything, None);
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
