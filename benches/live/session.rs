//! The child side of the live bench: a `bgpwatch run` with a generated config, its websocket
//! session with the server here, the alert pipe and the child's `/metrics`.

use crate::Settings;
use futures_util::StreamExt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

pub use crate::stream::WsSink;

/// Time allowed for the child to connect and subscribe.
const CONNECT_LIMIT: Duration = Duration::from_secs(60);
/// Time allowed for the child to exit after SIGTERM.
const EXIT_LIMIT: Duration = Duration::from_secs(10);
/// `O_NONBLOCK` on Linux.
const O_NONBLOCK: i32 = 0o4000;

/// A running child, subscribed, with the server's half of its websocket.
pub struct Session {
    pub child: Guard,
    pub pid: u32,
    pub ws_tx: WsSink,
    /// `ris_subscribe` messages the child sent.
    pub subscriptions: usize,
    /// Alert lines, timestamped on arrival.
    pub arrivals: mpsc::Receiver<(Instant, String)>,
    /// `host:port` of the child's HTTP listener.
    pub http: String,
    pub log: PathBuf,
    reader: std::thread::JoinHandle<()>,
    client_messages: tokio::task::JoinHandle<u64>,
}

impl Session {
    /// Starts `bgpwatch run` in `dir` on `watchlists` (firehose mode, `min_peers` 2, alerts to a
    /// named pipe) and waits until it has subscribed.
    pub async fn start(
        settings: &Settings,
        dir: &Path,
        watchlists: &[PathBuf],
    ) -> Result<Session, String> {
        let fifo = dir.join("alerts.fifo");
        let status = Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map_err(|e| format!("cannot run mkfifo: {e}"))?;
        if !status.success() {
            return Err(format!("mkfifo {} failed: {status}", fifo.display()));
        }
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen: {e}"))?;
        let ws_addr = listener.local_addr().map_err(|e| e.to_string())?;
        let http = format!("127.0.0.1:{}", free_port()?);
        let config = dir.join("bgpwatch.toml");
        let lists: Vec<String> = watchlists
            .iter()
            .map(|p| format!("{:?}", p.display().to_string()))
            .collect();
        let toml = format!(
            "watchlist = [{}]\nstate = \"{}\"\n[http]\nlisten = \"{http}\"\n[detect]\nmin_peers = 2\n\
             [[sources]]\ntype = \"ris-live\"\nurl = \"ws://{ws_addr}/v1/ws/?client=bench\"\nmode = \"firehose\"\nstall_after = \"60s\"\n\
             [[sinks]]\ntype = \"jsonl\"\npath = \"{}\"\n",
            lists.join(", "),
            dir.join("state.db").display(),
            fifo.display()
        );
        write_file(&config, &toml)?;

        // The reader opens the pipe first (blocking until the child opens it for writing).
        let (arrivals_tx, arrivals) = mpsc::channel();
        let reader_fifo = fifo.clone();
        let reader = std::thread::spawn(move || read_lines(&reader_fifo, arrivals_tx));
        let log = dir.join("stderr.log");
        let child = Command::new(&settings.binary)
            .args(["run", "--config"])
            .arg(&config)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("BGPWATCH_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", settings.binary.display()))?;
        let mut child = Guard {
            child,
            fifo,
            log: log.clone(),
        };
        let pid = child.child.id();

        // Wait for the websocket session and the subscriptions (RIS_PEER_STATE comes last).
        let stream = child.accept(&listener).await?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let ws = tokio_tungstenite::accept_async(stream)
            .await
            .map_err(|e| format!("websocket handshake: {e}"))?;
        let (ws_tx, mut ws_rx) = ws.split();
        let subscribed = tokio::time::timeout(CONNECT_LIMIT, async {
            let mut subscriptions = 0;
            while let Some(Ok(message)) = ws_rx.next().await {
                if let Message::Text(text) = message {
                    subscriptions += usize::from(text.contains("ris_subscribe"));
                    if text.contains("RIS_PEER_STATE") {
                        return Some(subscriptions);
                    }
                }
            }
            None
        })
        .await;
        let subscriptions = match subscribed {
            Ok(Some(n)) => n,
            _ => return Err(format!("the child did not subscribe{}", child.log_tail())),
        };
        // Drain what the client sends from now on (its pings).
        let client_messages = tokio::spawn(async move {
            let mut n = 0u64;
            while let Some(Ok(_)) = ws_rx.next().await {
                n += 1;
            }
            n
        });
        Ok(Session {
            child,
            pid,
            ws_tx,
            subscriptions,
            arrivals,
            http,
            log,
            reader,
            client_messages,
        })
    }

    /// Stops the child; the alert lines not yet taken and the client's message count.
    pub async fn finish(mut self) -> (Vec<(Instant, String)>, u64) {
        use futures_util::SinkExt;
        self.child.terminate();
        let _ = self.ws_tx.close().await;
        let client_messages = self.client_messages.await.unwrap_or(0);
        let _ = self.reader.join();
        (self.arrivals.try_iter().collect(), client_messages)
    }
}

/// The prefix of an `open` origin-hijack line, if it is one.
pub fn open_prefix(line: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value["event"] != "open" || value["kind"] != "origin-hijack" {
        return None;
    }
    value["prefix"].as_str().map(str::to_string)
}

/// Reads the alert pipe line by line, timestamping each line as it arrives.
pub fn read_lines(fifo: &Path, out: mpsc::Sender<(Instant, String)>) {
    let Ok(file) = File::open(fifo) else {
        return;
    };
    let mut reader = BufReader::new(file);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let at = Instant::now();
                if out.send((at, line.trim_end().to_string())).is_err() {
                    return;
                }
            }
        }
    }
}

/// The child, killed (and its pipe unblocked) if the run ends early.
pub struct Guard {
    child: Child,
    fifo: PathBuf,
    log: PathBuf,
}

impl Guard {
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("; its log ends:\n{}", tail.join("\n"))
    }

    /// Accepts the child's websocket connection, failing early when it exits.
    async fn accept(&mut self, listener: &TcpListener) -> Result<tokio::net::TcpStream, String> {
        let limit = Instant::now() + CONNECT_LIMIT;
        while Instant::now() < limit {
            if !self.alive() {
                return Err(format!(
                    "the child exited before connecting{}",
                    self.log_tail()
                ));
            }
            if let Ok(accepted) =
                tokio::time::timeout(Duration::from_millis(100), listener.accept()).await
            {
                return accepted
                    .map(|(stream, _)| stream)
                    .map_err(|e| format!("accept: {e}"));
            }
        }
        Err(format!("the child did not connect{}", self.log_tail()))
    }

    /// SIGTERM, then wait (SIGKILL after [`EXIT_LIMIT`]).
    pub fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        while start.elapsed() < EXIT_LIMIT {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        println!("note: the child ignored SIGTERM for {EXIT_LIMIT:?}; killed");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.alive() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // A reader still blocked in open() (the child never opened the pipe) is released by a
        // writer that opens and closes it at once; O_NONBLOCK fails instead of waiting when no
        // reader is left.
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(&self.fifo);
    }
}

pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// `GET path` over HTTP/1.0; the body.
pub fn http_get(address: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

/// The sum of every sample of metric `name` (all label sets) in a Prometheus text page.
pub fn metric_sum(page: &str, name: &str) -> f64 {
    page.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let metric = series.split('{').next()?;
            (metric == name)
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}
