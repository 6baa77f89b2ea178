//! The status page at `/` of a running `bgpwatch run`, fed real RIS Live lines plus a hijack and
//! a partial withdrawal of the scenario prefixes, rendered by headless Debian Chromium into a
//! PNG screenshot. `BGPWATCH_UPDATE_SCREENSHOT=1` copies it to `docs/status-page.png`.

#[path = "support/monitor.rs"]
mod monitor;
#[path = "support/observe.rs"]
mod observe;
#[path = "support/ris_live_server.rs"]
mod server;
mod support;

use monitor::Monitor;
use server::Action;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Chromium's window: the screenshot's size.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 1600;
/// Flags that work on this kind of machine (no sandbox as root, no network chatter).
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];
/// More than one visibility evaluation (10 s) apart.
const PHASE: Duration = Duration::from_secs(11);
const SUBSCRIPTIONS: usize = 7;
const MINISTRY: &str = "198.51.100.0/24";
const CARRIER: &str = "203.0.113.0/24";

/// Phase 1: every legit vantage point carries the tracked prefixes. Phase 2: AS64666 hijacks
/// the ministry prefix at two others while four legit ones withdraw it, and two withdraw the
/// carrier block. Phase 3: two come back to the ministry prefix.
fn script(real_lines: Vec<String>) -> Vec<Action> {
    let mut first = real_lines;
    first.extend(observe::legit_announcements());
    let mut second = observe::hijack();
    for &(peer, asn) in &observe::LEGIT_PEERS[..4] {
        second.push(observe::withdraw(peer, asn, &[MINISTRY]));
    }
    for &(peer, asn) in &observe::LEGIT_PEERS[4..] {
        second.push(observe::withdraw(peer, asn, &[CARRIER]));
    }
    let third = observe::LEGIT_PEERS[..2]
        .iter()
        .map(|&(peer, asn)| observe::announce(peer, &[asn, 64500], &[MINISTRY]))
        .collect();
    vec![
        Action::AwaitSubscriptions(SUBSCRIPTIONS),
        Action::Send(first),
        Action::Sleep(PHASE),
        Action::Send(second),
        Action::Sleep(PHASE),
        Action::Send(third),
        Action::Idle,
    ]
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

fn screenshot(chromium: &Path, url: &str, dir: &Path) -> Vec<u8> {
    let png = dir.join("status-page.png");
    let mut child = Command::new(chromium)
        .args(CHROMIUM_FLAGS)
        .arg(format!(
            "--user-data-dir={}",
            dir.join("chromium").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={WIDTH},{HEIGHT}"))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("chromium.log")).unwrap())
        .spawn()
        .expect("starting chromium");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = std::fs::read_to_string(dir.join("chromium.log")).unwrap_or_default();
    assert!(status.success(), "chromium failed: {log}");
    std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot ({e}): {log}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_status_page_shows_feeds_alert_evidence_and_visibility_charts_in_chromium() {
    let Some(chromium) = support::tool("chromium") else {
        return;
    };
    let Some(lines) = observe::real_lines() else {
        return;
    };
    let server = server::start(vec![script(lines)]).await;
    let m = Monitor::start("status_page", &observe::ris_source(&server.url));
    // Both prefixes end at 4 of 6 vantage points, after at least three samples.
    m.wait_for(
        "the third phase on the page",
        Duration::from_secs(90),
        |m| {
            m.get("/")
                .is_some_and(|(_, body)| body.matches("4 of 6 vantage points").count() == 2)
        },
    );

    let page = observe::get(&m.http, "/").unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page
        .header("content-security-policy")
        .is_some_and(|csp| csp.starts_with("default-src 'none'")));
    let html = &page.body;
    for absent in ["<script", "src=", "<link", "http://", "https://"] {
        assert!(
            !html.contains(absent),
            "{absent}: nothing loaded, nothing run"
        );
    }
    for evidence in [
        "198.51.100.0/24 announced by AS64666 instead of AS64500, seen by 2 vantage points",
        "Ministry network (group gov)",
        "<code>3356 64666</code>",
        "198.18.0.1",
        "is not an expected origin",
        r#"<span class="badge live">live</span>"#,
    ] {
        assert!(html.contains(evidence), "{evidence} missing from the page");
    }
    assert_eq!(
        html.matches("<svg").count(),
        observe::TRACKED.len(),
        "one chart per tracked prefix"
    );

    let png = screenshot(&chromium, &format!("http://{}/", m.http), &m.dir);
    assert_eq!(png_size(&png), (WIDTH, HEIGHT));
    assert!(png.len() > 40_000, "a blank page compresses to far less");
    eprintln!(
        "screenshot: {} ({} bytes)",
        m.dir.join("status-page.png").display(),
        png.len()
    );
    if std::env::var("BGPWATCH_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/status-page.png");
        std::fs::write(&docs, &png).unwrap();
        eprintln!("copied to {}", docs.display());
    }
    assert_eq!(m.terminate(), Some(0), "clean exit on SIGTERM");
}
