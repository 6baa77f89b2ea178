//! Alert state outlives the process: every alert event is committed to the state database
//! (`state = "..."`), so a shutdown (or a crash) loses nothing; a corrupt or locked database
//! stops the start with a clear message and is left as it was.

#[path = "support/monitor.rs"]
mod monitor;
#[path = "support/ris_live_server.rs"]
mod server;
mod support;

use bgpwatch::store::Store;
use monitor::Monitor;
use server::Action;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn an_open_alert_is_in_the_state_database_after_shutdown() {
    let server = server::start(vec![vec![
        Action::Send(vec![
            server::hijack_frame("198.18.0.1", 3356, 1.0e9),
            server::hijack_frame("198.18.0.2", 1299, 1.0e9 + 1.0),
        ]),
        Action::Idle,
    ]])
    .await;
    let sources = format!(
        "[[sources]]\ntype = \"ris-live\"\nurl = \"{}\"\nstall_after = \"60s\"\n",
        server.url
    );
    let m = Monitor::start("live_state_persist", &sources);
    m.wait_for("the hijack", Duration::from_secs(20), |m| {
        m.events().iter().any(|e| e["kind"] == "origin-hijack")
    });
    let alert = m
        .events()
        .into_iter()
        .find(|e| e["kind"] == "origin-hijack")
        .unwrap();
    let state = m.dir.join("state.db");
    assert_eq!(m.terminate(), Some(0));
    let store = Store::open(&state).expect("the state database opens after shutdown");
    let open = store.open_alerts().unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].id, alert["id"].as_str().unwrap());
    assert_eq!(
        open[0].prefix.map(|p| p.to_string()).as_deref(),
        Some("198.51.100.0/24")
    );
}

fn run_with_state(name: &str, state: &std::path::Path) -> std::process::Output {
    let dir = support::scratch(name);
    let config = dir.join("bgpwatch.toml");
    let port = monitor::free_port();
    std::fs::write(
        &config,
        format!(
            "watchlist = \"fixtures/scenarios/watchlist.yaml\"\nstate = \"{}\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n[[sources]]\ntype = \"bmp\"\nlisten = \"127.0.0.1:{}\"\n",
            state.display(),
            monitor::free_port()
        ),
    )
    .unwrap();
    let mut child = support::bgpwatch()
        .args(["run", "--config", config.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("bgpwatch kept running with an unusable state database");
}

#[test]
fn a_corrupt_state_database_is_reported_at_start_and_left_untouched() {
    let dir = support::scratch("live_state_corrupt");
    let state = dir.join("state.db");
    let garbage: Vec<u8> = (0u32..8192)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    std::fs::write(&state, &garbage).unwrap();
    let output = run_with_state("live_state_corrupt_run", &state);
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("state.db"), "{err}");
    assert_eq!(
        std::fs::read(&state).unwrap(),
        garbage,
        "not recreated or modified"
    );
}

#[test]
fn a_state_database_held_by_another_bgpwatch_is_refused() {
    let m = Monitor::start(
        "live_state_locked",
        "[[sources]]\ntype = \"bmp\"\nlisten = \"127.0.6.9:0\"\n",
    );
    let output = run_with_state("live_state_locked_second", &m.dir.join("state.db"));
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr).to_lowercase();
    assert!(err.contains("state.db") && err.contains("lock"), "{err}");
}
