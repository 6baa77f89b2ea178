//! Runs `bgpwatch run` as a child process for live tests, and reads what it produces.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A running monitor; killed when dropped.
pub struct Monitor {
    child: Child,
    /// The alerts file of its jsonl sink.
    pub alerts: PathBuf,
    /// Its HTTP address.
    pub http: String,
    /// Its scratch directory.
    pub dir: PathBuf,
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Monitor {
    /// Starts `bgpwatch run` with `sources` (TOML `[[sources]]` blocks) and the scenario
    /// watchlist; alerts go to a file.
    pub fn start(name: &str, sources: &str) -> Monitor {
        Monitor::start_with(name, "", sources)
    }

    /// [`Monitor::start`] with extra `[detect]` keys (TOML lines, e.g. `resolve_after = "2s"`).
    pub fn start_with(name: &str, detect: &str, sources: &str) -> Monitor {
        Monitor::start_full(name, "", detect, sources)
    }

    /// [`Monitor::start_with`] plus top-level keys (TOML lines, e.g. `vrps = "file"`).
    pub fn start_full(name: &str, top: &str, detect: &str, sources: &str) -> Monitor {
        Monitor::start_http(name, top, "", detect, sources)
    }

    /// [`Monitor::start`] with an API token in `[http]`.
    pub fn start_token(name: &str, token: &str, sources: &str) -> Monitor {
        Monitor::start_http(name, "", &format!("token = \"{token}\""), "", sources)
    }

    fn start_http(name: &str, top: &str, http_keys: &str, detect: &str, sources: &str) -> Monitor {
        let dir = crate::support::scratch(name);
        let alerts = dir.join("alerts.jsonl");
        let http = format!("127.0.0.1:{}", free_port());
        let config = dir.join("bgpwatch.toml");
        let toml = format!(
            "watchlist = [\"fixtures/scenarios/watchlist.yaml\"]\nstate = \"{}\"\n{top}\n[http]\nlisten = \"{http}\"\n{http_keys}\n[detect]\nmin_peers = 2\n{detect}\n{sources}\n[[sinks]]\ntype = \"jsonl\"\npath = \"{}\"\n",
            dir.join("state.db").display(),
            alerts.display()
        );
        std::fs::write(&config, toml).unwrap();
        Monitor::launch(dir, http)
    }

    /// Starts `bgpwatch run` again with the config and state of an earlier monitor (after
    /// [`Monitor::kill9`] or [`Monitor::terminate`]); its stderr goes to `stderr.<n>.log`.
    pub fn relaunch(dir: std::path::PathBuf, http: String) -> Monitor {
        Monitor::launch(dir, http)
    }

    fn launch(dir: std::path::PathBuf, http: String) -> Monitor {
        let config = dir.join("bgpwatch.toml");
        let alerts = dir.join("alerts.jsonl");
        let log = dir.join("stderr.log");
        if log.exists() {
            let mut n = 1;
            while dir.join(format!("stderr.{n}.log")).exists() {
                n += 1;
            }
            std::fs::rename(&log, dir.join(format!("stderr.{n}.log"))).unwrap();
        }
        let child = crate::support::bgpwatch()
            .args(["run", "--config", config.to_str().unwrap()])
            .env("BGPWATCH_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("starting bgpwatch run");
        let monitor = Monitor {
            child,
            alerts,
            http,
            dir,
        };
        monitor.wait_for("HTTP to answer", Duration::from_secs(20), |m| {
            m.get("/metrics").is_some()
        });
        monitor
    }

    /// `kill -9`: no shutdown, no flush. Returns what [`Monitor::relaunch`] needs.
    pub fn kill9(mut self) -> (std::path::PathBuf, String) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        (self.dir.clone(), self.http.clone())
    }

    /// Starts `bgpwatch run --config config` with a config the test wrote itself; `http` is its
    /// `[http] listen`. The log is appended to `dir/stderr.log`, so a restart in the same
    /// directory keeps the earlier run's log.
    pub fn start_config(dir: &Path, http: &str, config: &Path, log_level: &str) -> Monitor {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("stderr.log"))
            .unwrap();
        let child = crate::support::bgpwatch()
            .args(["run", "--config", config.to_str().unwrap()])
            .env("BGPWATCH_LOG", log_level)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting bgpwatch run");
        let monitor = Monitor {
            child,
            alerts: dir.join("alerts.jsonl"),
            http: http.to_string(),
            dir: dir.to_path_buf(),
        };
        monitor.wait_for("HTTP to answer", Duration::from_secs(20), |m| {
            m.get("/metrics").is_some()
        });
        monitor
    }

    /// Any request over HTTP/1.0 with extra header lines (`"Name: value"`) and a body:
    /// (status, head, body), or None when nothing answers.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[&str],
        body: &str,
    ) -> Option<(u16, String, String)> {
        let mut stream = TcpStream::connect(&self.http).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut head = format!(
            "{method} {path} HTTP/1.0\r\nHost: test\r\nContent-Length: {}\r\n",
            body.len()
        );
        for header in headers {
            head.push_str(header);
            head.push_str("\r\n");
        }
        write!(stream, "{head}\r\n{body}").ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let status = response.split_whitespace().nth(1)?.parse().ok()?;
        let (head, body) = response.split_once("\r\n\r\n")?;
        Some((status, head.to_string(), body.to_string()))
    }

    /// An API call with a JSON body and the bearer `token`: (status, body as JSON, `Null` when
    /// it is not JSON). Panics when nothing answers.
    pub fn api(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: &str,
    ) -> (u16, serde_json::Value) {
        let auth = format!("Authorization: Bearer {token}");
        let (status, _, body) = self
            .request(
                method,
                path,
                &["Content-Type: application/json", &auth],
                body,
            )
            .unwrap_or_else(|| panic!("no answer to {method} {path}"));
        (
            status,
            serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// `GET path` over HTTP/1.0: (status, body), or None when nothing answers.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(&self.http).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let status = response.split_whitespace().nth(1)?.parse().ok()?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Some((status, body))
    }

    /// The value of one `/metrics` series, as written there (`name{labels}`); 0 when absent.
    pub fn metric(&self, series: &str) -> f64 {
        let Some((200, body)) = self.get("/metrics") else {
            return 0.0;
        };
        body.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// Alert events written so far.
    pub fn events(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.alerts)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("alert line is JSON"))
            .collect()
    }

    /// What the monitor logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    /// Polls `done` until true; panics after `limit` with the log.
    pub fn wait_for(&self, what: &str, limit: Duration, done: impl Fn(&Monitor) -> bool) {
        let start = Instant::now();
        while start.elapsed() < limit {
            if done(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {what}; events: {:?}\nlog:\n{}",
            self.events(),
            self.log()
        );
    }

    /// Waits for the first alert of `kind` in the JSON lines; returns its id.
    pub fn wait_for_alert(&self, kind: &str, limit: Duration) -> String {
        let found = |m: &Monitor| {
            m.events()
                .into_iter()
                .find(|e| e["kind"] == kind)
                .and_then(|e| e["id"].as_str().map(str::to_string))
        };
        self.wait_for(&format!("a {kind} alert"), limit, |m| found(m).is_some());
        found(self).expect("seen above")
    }

    /// Sends SIGTERM and waits for a clean exit; returns the exit code.
    pub fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
