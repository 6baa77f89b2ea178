//! The HTTP API of a real `bgpwatch run` (issue 5, issue 9): an ack, a silence and a
//! maintenance window recorded over HTTP outlive a SIGTERM and a restart on the same state
//! file, writes need the configured token, and the token appears in no response and no log
//! line. Everything listens on loopback.

#[path = "support/monitor.rs"]
mod monitor;
#[path = "support/ris_live_server.rs"]
mod server;
mod support;

use monitor::Monitor;
use serde_json::Value;
use server::Action;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

/// The API token of the test configuration.
const TOKEN: &str = "bgpwatch-it-token-7d3c91e0aa52";

/// Writes the config for one run: RIS Live from `ris_url`, fresh loopback ports, the shared
/// state file in `dir`, the token inline, and the file's mode. Returns (config, http address).
fn write_config(dir: &Path, run: &str, ris_url: &str, mode: u32) -> (std::path::PathBuf, String) {
    let http = format!("127.0.0.1:{}", monitor::free_port());
    let config = dir.join(format!("bgpwatch-{run}.toml"));
    let toml = format!(
        "watchlist = [\"fixtures/scenarios/watchlist.yaml\"]\nstate = \"{}\"\n\
         [http]\nlisten = \"{http}\"\ntoken = \"{TOKEN}\"\n[detect]\nmin_peers = 2\n\
         [[sources]]\ntype = \"ris-live\"\nurl = \"{ris_url}\"\nstall_after = \"60s\"\n\
         [[sinks]]\ntype = \"jsonl\"\npath = \"{}\"\n",
        dir.join("state.db").display(),
        dir.join("alerts.jsonl").display()
    );
    std::fs::write(&config, toml).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).unwrap();
    (config, http)
}

/// Every response body seen, to check none holds the token.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    /// Sends a request (JSON body, with or without the token); returns status and parsed body.
    fn call(
        &mut self,
        m: &Monitor,
        method: &str,
        path: &str,
        token: bool,
        body: &str,
    ) -> (u16, Value) {
        let auth = format!("Authorization: Bearer {TOKEN}");
        let mut headers = vec!["Content-Type: application/json"];
        if token {
            headers.push(&auth);
        }
        let (status, head, body) = m
            .request(method, path, &headers, body)
            .unwrap_or_else(|| panic!("no answer to {method} {path}"));
        self.0.push(format!("{head}\n{body}"));
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{method} {path}: {status} body is not JSON ({e}): {body}"));
        (status, json)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn acks_silences_and_maintenance_outlive_a_restart_and_the_token_never_shows() {
    let server = server::start(vec![
        vec![
            Action::Send(vec![
                server::hijack_frame("198.18.0.1", 3356, 1.0e9),
                server::hijack_frame("198.18.0.2", 1299, 1.0e9 + 1.0),
            ]),
            Action::Idle,
        ],
        vec![Action::Idle],
    ])
    .await;
    let dir = support::scratch("http_api_restart");
    let mut seen = Seen::default();

    // First run: the config file is world-readable and holds the token, which is warned about.
    let (config, http) = write_config(&dir, "first", &server.url, 0o644);
    let m = Monitor::start_config(&dir, &http, &config, "debug");
    m.wait_for("the hijack", Duration::from_secs(20), |m| {
        m.events().iter().any(|e| e["kind"] == "origin-hijack")
    });
    let (status, alerts) = seen.call(&m, "GET", "/api/v1/alerts?state=open", false, "");
    assert_eq!(status, 200, "{alerts}");
    let id = alerts["alerts"][0]["id"]
        .as_str()
        .expect("an open alert")
        .to_string();
    let ack = r#"{"by": "noc-alice", "comment": "calling AS64666"}"#;
    let ack_path = format!("/api/v1/alerts/{id}/ack");
    assert_eq!(seen.call(&m, "POST", &ack_path, false, ack).0, 401);
    let (status, acked) = seen.call(&m, "POST", &ack_path, true, ack);
    assert_eq!(
        (status, &acked["ack"]["by"]),
        (200, &Value::from("noc-alice")),
        "{acked}"
    );

    let silence = r#"{"matchers": {"prefix": "203.0.113.0/24"}, "duration": "2h",
        "created_by": "noc-alice", "comment": "lab announcements"}"#;
    assert_eq!(
        seen.call(&m, "POST", "/api/v1/silences", false, silence).0,
        401
    );
    let (status, silence) = seen.call(&m, "POST", "/api/v1/silences", true, silence);
    assert_eq!(status, 201, "{silence}");
    let window = r#"{"prefix": "198.51.100.0/24", "new_origin": 64501, "duration": "1h",
        "comment": "CHG-42 migration"}"#;
    let (status, window) = seen.call(&m, "POST", "/api/v1/maintenance", true, window);
    assert_eq!(status, 201, "{window}");
    let (status, bad) = seen.call(&m, "POST", "/api/v1/maintenance", true, "{\"prefix\": 1}");
    assert_eq!(status, 400, "{bad}");
    assert_eq!(m.terminate(), Some(0));
    let first_log = std::fs::read_to_string(dir.join("stderr.log")).unwrap();
    assert!(
        first_log.contains("readable by its group or everybody")
            && first_log.contains("bgpwatch-first.toml")
            && first_log.contains("644"),
        "no warning about the readable config file:\n{first_log}"
    );

    // Second run on the same state file, config now private: no warning, and state is back.
    let (config, http) = write_config(&dir, "second", &server.url, 0o600);
    let m = Monitor::start_config(&dir, &http, &config, "debug");
    let (status, silences) = seen.call(&m, "GET", "/api/v1/silences", false, "");
    assert_eq!(status, 200);
    assert_eq!(silences["silences"], Value::Array(vec![silence.clone()]));
    let (_, windows) = seen.call(&m, "GET", "/api/v1/maintenance", false, "");
    assert_eq!(windows["maintenance"], Value::Array(vec![window.clone()]));
    let (status, alert) = seen.call(&m, "GET", &format!("/api/v1/alerts/{id}"), false, "");
    assert_eq!(status, 200);
    assert_eq!(alert["ack"], acked["ack"]);
    let delete = format!("/api/v1/silences/{}", silence["id"]);
    let (status, expired) = seen.call(&m, "DELETE", &delete, true, "");
    assert!(
        status == 200 && expired["expired_at"].is_string(),
        "{expired}"
    );
    assert_eq!(m.terminate(), Some(0));

    let log = std::fs::read_to_string(dir.join("stderr.log")).unwrap();
    let second_log = &log[first_log.len()..];
    assert!(
        !second_log.contains("bgpwatch-second.toml"),
        "a private config file was warned about:\n{second_log}"
    );
    assert!(
        log.contains("http listening"),
        "the log was not captured:\n{log}"
    );
    assert!(!log.contains(TOKEN), "the token is in the log");
    for response in &seen.0 {
        assert!(
            !response.contains(TOKEN),
            "the token is in a response: {response}"
        );
    }
}
