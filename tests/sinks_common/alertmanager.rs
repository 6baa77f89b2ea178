//! The real Debian `prometheus-alertmanager`, started on loopback by the tests that need it.

use super::Receiver;
use bgpwatch::sink::http_client;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Alertmanager is ready well within this (1.05 s measured in LAB.md).
const STARTUP: Duration = Duration::from_secs(20);

/// A running Alertmanager, killed (by its PID) on drop.
pub struct Alertmanager {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
}

impl Alertmanager {
    /// Starts one on a free loopback port, its gossip listener off, routing every alert (one
    /// group per `alert_id`) to `webhook` with resolved notifications on.
    pub async fn start(test: &str, webhook: &str) -> Option<Alertmanager> {
        let binary = crate::support::tool("prometheus-alertmanager")?;
        let dir = crate::support::scratch(test);
        let config = dir.join("alertmanager.yml");
        std::fs::write(
            &config,
            format!(
                "route: {{receiver: recorder, group_by: [alert_id], group_wait: 1s, \
                 group_interval: 1s, repeat_interval: 1h}}\n\
                 receivers: [{{name: recorder, webhook_configs: [{{url: \"{webhook}\", \
                 send_resolved: true}}]}}]\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let log = dir.join("alertmanager.log");
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("starting prometheus-alertmanager");
        let mut am = Alertmanager {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        am.wait_ready().await;
        Some(am)
    }

    async fn wait_ready(&mut self) {
        let client = http_client::build().unwrap();
        let deadline = tokio::time::Instant::now() + STARTUP;
        loop {
            let ready = client.get(format!("{}/-/ready", self.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("alertmanager exited ({status}): {}", self.log_text());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not ready: {}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET /api/v2/alerts` for one bgpwatch alert id: what Alertmanager shows as current.
    pub async fn alerts(&self, alert_id: &str) -> Vec<Value> {
        // filter=alert_id="<id>", percent-encoded
        let url = format!(
            "{}/api/v2/alerts?filter=alert_id%3D%22{alert_id}%22",
            self.base
        );
        let response = http_client::build().unwrap().get(url).send().await.unwrap();
        assert!(response.status().is_success());
        response.json().await.unwrap()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Waits for a webhook notification with `status` (`firing`, `resolved`) about `alert_id`.
pub async fn notification(
    within: Duration,
    recorder: &Receiver,
    status: &str,
    alert_id: &str,
) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let found =
            recorder.requests().iter().map(|r| r.json()).find(|n| {
                n["status"] == status && n["alerts"][0]["labels"]["alert_id"] == alert_id
            });
        if let Some(found) = found {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {status} notification for {alert_id}: {:?}",
            recorder
                .requests()
                .iter()
                .map(|r| r.json())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
