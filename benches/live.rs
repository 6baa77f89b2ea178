//! The live path end to end (DESIGN.md section 10, issues 3 and 8): CPU per RIS Live message
//! and alert latency of the release `bgpwatch run`, fed by a RIS-Live-compatible websocket
//! server in this process, in one run.
//!
//! For each target rate (default 5,000 and 50,000 msg/s) a fresh `bgpwatch run` child gets a
//! generated watchlist (10.x.y.0/24 prefixes, origin AS64500), `min_peers = 2`, a `ris-live`
//! source in firehose mode pointing at the server here (which, like the firehose, does not
//! filter), and a `jsonl` sink whose path is a named pipe. The server streams the real RIS Live
//! frames of `ris-live/morrowc-rislive.1k-msgs.jsonl` (looped, timestamps rewritten to now) at
//! the target rate for `BENCH_LIVE_SECS` seconds, paced by a token bucket refilled on tokio's
//! clock every millisecond, and every `BENCH_LIVE_HIJACK_MS` ms injects a hijack: two frames from
//! two distinct peers announcing a watched prefix not hijacked before from AS64666.
//!
//! * latency: from the instant the second frame of a pair has been written to the socket to the
//!   arrival of that prefix's `open` line on the pipe (a thread blocked in `read` timestamps each
//!   line, so there is no polling delay);
//! * CPU µs per message: the child's utime + stime (`/proc/<pid>/stat`, 10 ms ticks) from the
//!   first frame until every alert has arrived, divided by the frames sent; the server's own CPU
//!   is in this process and excluded;
//! * peak RSS: the child's `VmHWM`.
//!
//! `cargo bench --bench live`. Environment: `BENCH_LIVE_RATES` (comma-separated msg/s, default
//! `5000,50000`), `BENCH_LIVE_SECS` (default 10), `BENCH_LIVE_HIJACK_MS` (default 20),
//! `BGPWATCH_DATA` (default `../shared/data`; the bench prints `SKIPPED:` when the file is
//! absent). Exits with 1 when the alerts received differ from the hijacks injected.

use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;

/// The real RIS Live frames streamed, relative to the data directory.
const DATA_FILE: &str = "ris-live/morrowc-rislive.1k-msgs.jsonl";
/// Target rates (msg/s) when `BENCH_LIVE_RATES` is unset.
const DEFAULT_RATES: [u64; 2] = [5_000, 50_000];
/// Streaming time per rate when `BENCH_LIVE_SECS` is unset.
const DEFAULT_SECS: f64 = 10.0;
/// Interval between injected hijacks when `BENCH_LIVE_HIJACK_MS` is unset.
const DEFAULT_HIJACK_MS: u64 = 20;
/// Watched prefixes at least (more when the run injects more hijacks).
const MIN_WATCHED: usize = 500;
/// The legitimate origin of every watched prefix.
const OWNER_AS: u32 = 64500;
/// The origin of every injected hijack.
const HIJACKER_AS: u32 = 64666;
/// The two vantage points (peer IP, peer AS) that carry each hijack.
const HIJACK_PEERS: [(&str, u32); 2] = [("198.18.0.1", 3356), ("198.18.0.2", 1299)];
/// Pacing tick of the token bucket.
const TICK: Duration = Duration::from_millis(1);
/// Bucket depth: tokens beyond this much sending time are lost (the server fell behind).
const BUCKET_DEPTH: Duration = Duration::from_millis(20);
/// How long after the last frame the alerts may still arrive.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);
/// Time allowed for the child to connect and subscribe.
const CONNECT_LIMIT: Duration = Duration::from_secs(60);
/// Time allowed for the child to exit after SIGTERM.
const EXIT_LIMIT: Duration = Duration::from_secs(10);
/// `O_NONBLOCK` on Linux.
const O_NONBLOCK: i32 = 0o4000;
/// Clock ticks per second in `/proc/*/stat` (`USER_HZ`, fixed by the Linux ABI).
const USER_HZ: u64 = 100;
/// The rate the issue's targets are stated at.
const TARGET_RATE: u64 = 5_000;
/// Target: CPU per message at [`TARGET_RATE`].
const TARGET_CPU_US: f64 = 2.0;
/// Target: p99 alert latency at [`TARGET_RATE`].
const TARGET_P99_MS: f64 = 5.0;
/// The table's column titles, aligned with the rows [`print_table`] writes.
const TABLE_HEAD: &str = concat!(
    "rate target | actual msg/s | messages | CPU µs/msg | latency p50 / p99 / max (ms) ",
    "| alerts exp/recv | peak RSS"
);

/// What one run is told to do.
#[derive(Debug, Clone)]
struct Settings {
    rates: Vec<u64>,
    duration: Duration,
    hijack_every: Duration,
    binary: PathBuf,
    scratch: PathBuf,
}

/// A real frame split around its timestamp, so that it can be re-stamped cheaply.
struct Template {
    head: String,
    tail: Option<String>,
}

impl Template {
    fn new(line: &str) -> Template {
        const KEY: &str = "\"timestamp\":";
        let Some(at) = line.find(KEY).map(|i| i + KEY.len()) else {
            return Template {
                head: line.to_string(),
                tail: None,
            };
        };
        let rest = &line[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        Template {
            head: line[..at].to_string(),
            tail: Some(rest[end..].to_string()),
        }
    }

    fn stamped(&self, now: &str) -> String {
        match &self.tail {
            Some(tail) => {
                let mut line = String::with_capacity(self.head.len() + now.len() + tail.len());
                line.push_str(&self.head);
                line.push_str(now);
                line.push_str(tail);
                line
            }
            None => self.head.clone(),
        }
    }
}

/// One injected hijack.
struct Injected {
    prefix: String,
    /// When its second frame had been written to the socket.
    sent: Instant,
}

/// What the streaming phase did.
struct Streamed {
    messages: u64,
    seconds: f64,
    hijacks: Vec<Injected>,
    /// This process's CPU (the server) over the streaming phase.
    server_cpu: Duration,
}

/// The figures of one rate.
struct Outcome {
    rate: u64,
    actual_rate: f64,
    messages: u64,
    cpu: Duration,
    latencies_ms: Vec<f64>,
    expected: usize,
    received: usize,
    peak_rss_kib: Option<u64>,
    server_cpu: Duration,
    notes: Vec<String>,
}

impl Outcome {
    fn cpu_us_per_msg(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.messages.max(1) as f64
    }

    fn latency(&self, quantile: f64) -> Option<f64> {
        percentile(&self.latencies_ms, quantile)
    }
}

fn main() {
    let data = match std::env::var_os("BGPWATCH_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    };
    let file = data.join(DATA_FILE);
    if !file.is_file() {
        println!(
            "SKIPPED: {} absent (set BGPWATCH_DATA to the real data)",
            file.display()
        );
        return;
    }
    let templates: Vec<Template> = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(Template::new)
        .collect();
    assert!(!templates.is_empty(), "{} has no frames", file.display());
    let scratch = std::env::temp_dir().join(format!("bgpwatch-live-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("creating the scratch directory");
    let settings = Settings {
        rates: env_list("BENCH_LIVE_RATES", &DEFAULT_RATES),
        duration: Duration::from_secs_f64(env_number("BENCH_LIVE_SECS", DEFAULT_SECS)),
        hijack_every: Duration::from_millis(env_number("BENCH_LIVE_HIJACK_MS", DEFAULT_HIJACK_MS)),
        binary: PathBuf::from(env!("CARGO_BIN_EXE_bgpwatch")),
        scratch: scratch.clone(),
    };
    println!(
        "bgpwatch live benchmark: {} real frames from {} (looped), {} s per rate, a hijack pair every {} ms, min_peers 2",
        templates.len(),
        file.display(),
        settings.duration.as_secs_f64(),
        settings.hijack_every.as_millis()
    );
    // The server is single-threaded so that it takes at most one core from the child.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building the tokio runtime");
    let mut outcomes = Vec::new();
    for &rate in &settings.rates {
        match runtime.block_on(run_rate(&settings, &templates, rate)) {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => {
                println!("!!!!!!!! {rate} msg/s: the run failed: {e}");
                std::process::exit(1);
            }
        }
    }
    print_table(&outcomes);
    let complete = check_alerts(&outcomes);
    print_targets(&outcomes);
    let _ = std::fs::remove_dir_all(&scratch);
    if !complete {
        std::process::exit(1);
    }
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Err(_) => default,
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
    }
}

fn env_list(name: &str, default: &[u64]) -> Vec<u64> {
    match std::env::var(name) {
        Err(_) => default.to_vec(),
        Ok(text) => text
            .split(',')
            .map(|t| match t.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    panic!("{name}={text:?}: give comma-separated rates in msg/s, like 5000,50000")
                }
            })
            .collect(),
    }
}

/// The `i`th watched prefix: 10.0.0.0/24, 10.0.1.0/24, ...
fn watched_prefix(i: usize) -> String {
    format!("10.{}.{}.0/24", (i >> 8) & 0xff, i & 0xff)
}

/// One full run at `rate` msg/s against a fresh child.
async fn run_rate(
    settings: &Settings,
    templates: &[Template],
    rate: u64,
) -> Result<Outcome, String> {
    let dir = settings.scratch.join(format!("rate-{rate}"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let hijacks_planned =
        (settings.duration.as_secs_f64() / settings.hijack_every.as_secs_f64()).ceil() as usize;
    let watched = MIN_WATCHED.max(hijacks_planned + 16).min(1 << 16);
    let watchlist = dir.join("watchlist.yaml");
    let mut yaml = String::from("prefixes:\n");
    for i in 0..watched {
        let _ = writeln!(yaml, "  {}: {{ origins: [{OWNER_AS}] }}", watched_prefix(i));
    }
    write_file(&watchlist, &yaml)?;

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
    let toml = format!(
        "watchlist = [\"{}\"]\nstate = \"{}\"\n[http]\nlisten = \"{http}\"\n[detect]\nmin_peers = 2\n\
         [[sources]]\ntype = \"ris-live\"\nurl = \"ws://{ws_addr}/v1/ws/?client=bench\"\nmode = \"firehose\"\nstall_after = \"60s\"\n\
         [[sinks]]\ntype = \"jsonl\"\npath = \"{}\"\n",
        watchlist.display(),
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
        fifo: fifo.clone(),
        log: log.clone(),
    };
    let pid = child.child.id();

    // Wait for the websocket session and the subscriptions (RIS_PEER_STATE comes last).
    let stream = child.accept(&listener).await?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let ws = tokio_tungstenite::accept_async(stream)
        .await
        .map_err(|e| format!("websocket handshake: {e}"))?;
    let (mut ws_tx, mut ws_rx) = ws.split();
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

    let cpu_before = proc_cpu(pid).ok_or("cannot read the child's /proc stat")?;
    let streamed = stream_frames(&mut ws_tx, templates, rate, settings, watched).await?;

    // Wait for every `open` of an injected prefix (or the drain limit).
    let mut lines: Vec<(Instant, String)> = Vec::new();
    let mut opened: HashMap<String, Instant> = HashMap::new();
    let wanted: HashMap<&str, ()> = streamed
        .hijacks
        .iter()
        .map(|h| (h.prefix.as_str(), ()))
        .collect();
    let drain_end = Instant::now() + DRAIN_LIMIT;
    while opened.len() < wanted.len() && Instant::now() < drain_end && child.alive() {
        while let Ok((at, line)) = arrivals.try_recv() {
            if let Some(prefix) = open_prefix(&line) {
                if wanted.contains_key(prefix.as_str()) {
                    opened.entry(prefix).or_insert(at);
                }
            }
            lines.push((at, line));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let cpu_after = proc_cpu(pid).ok_or("the child exited during the run")?;
    let peak_rss_kib = vm_hwm_kib(pid);
    let metrics = http_get(&http, "/metrics").unwrap_or_default();

    child.terminate();
    let _ = ws_tx.close().await;
    let client_messages = client_messages.await.unwrap_or(0);
    let _ = reader.join();
    for (at, line) in arrivals.try_iter() {
        if let Some(prefix) = open_prefix(&line) {
            if wanted.contains_key(prefix.as_str()) {
                opened.entry(prefix).or_insert(at);
            }
        }
        lines.push((at, line));
    }

    let mut latencies_ms: Vec<f64> = streamed
        .hijacks
        .iter()
        .filter_map(|h| {
            opened
                .get(&h.prefix)
                .map(|at| at.saturating_duration_since(h.sent).as_secs_f64() * 1e3)
        })
        .collect();
    latencies_ms.sort_by(f64::total_cmp);

    let mut notes = vec![format!(
        "{subscriptions} subscriptions, {client_messages} later client messages, {watched} watched prefixes, server CPU {:.2} µs/msg",
        streamed.server_cpu.as_secs_f64() * 1e6 / streamed.messages.max(1) as f64
    )];
    let others: Vec<&str> = lines
        .iter()
        .map(|(_, l)| l.as_str())
        .filter(|l| open_prefix(l).is_none_or(|p| !wanted.contains_key(p.as_str())))
        .collect();
    if !others.is_empty() {
        notes.push(format!(
            "{} other alert lines, first: {}",
            others.len(),
            others[0]
        ));
    }
    let dropped = metric_sum(&metrics, "bgpwatch_dropped_updates_total");
    if dropped > 0.0 {
        notes.push(format!(
            "the child DROPPED {dropped} updates (bgpwatch_dropped_updates_total)"
        ));
    }
    let count = metric_sum(&metrics, "bgpwatch_detection_latency_seconds_count");
    if count > 0.0 {
        let sum = metric_sum(&metrics, "bgpwatch_detection_latency_seconds_sum");
        notes.push(format!(
            "child's own detection_latency_seconds (receipt to alert event, before the sink): mean {:.3} ms over {count} events",
            sum / count * 1e3
        ));
    }
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    let log_lines = log_text.lines().count();
    if log_lines > 0 {
        notes.push(format!(
            "child logged {log_lines} lines, first: {}",
            log_text.lines().next().unwrap_or_default()
        ));
    }
    Ok(Outcome {
        rate,
        actual_rate: streamed.messages as f64 / streamed.seconds.max(1e-9),
        messages: streamed.messages,
        cpu: cpu_after.saturating_sub(cpu_before),
        latencies_ms,
        expected: streamed.hijacks.len(),
        received: opened.len(),
        peak_rss_kib,
        server_cpu: streamed.server_cpu,
        notes,
    })
}

type WsSink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    Message,
>;

/// Streams the looped real frames at `rate` for the configured time, with hijack pairs.
async fn stream_frames(
    ws: &mut WsSink,
    templates: &[Template],
    rate: u64,
    settings: &Settings,
    watched: usize,
) -> Result<Streamed, String> {
    let send_error = |e| format!("sending to the child: {e}");
    let depth = (rate as f64 * BUCKET_DEPTH.as_secs_f64()).max(2.0);
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker.tick().await;
    let own_before = own_cpu();
    let start = tokio::time::Instant::now();
    let end = start + settings.duration;
    let mut last = start;
    let mut next_hijack = start + settings.hijack_every;
    let mut tokens = 0.0f64;
    let mut messages = 0u64;
    let mut next_line = 0usize;
    let mut hijacks = Vec::new();
    loop {
        ticker.tick().await;
        let now = tokio::time::Instant::now();
        if now >= end {
            break;
        }
        tokens = (tokens + rate as f64 * (now - last).as_secs_f64()).min(depth);
        last = now;
        let stamp = unix_now();
        if now >= next_hijack && hijacks.len() < watched {
            let prefix = watched_prefix(hijacks.len());
            for (peer, asn) in HIJACK_PEERS {
                ws.feed(Message::text(hijack_frame(&stamp, peer, asn, &prefix)))
                    .await
                    .map_err(send_error)?;
            }
            ws.flush().await.map_err(send_error)?;
            hijacks.push(Injected {
                prefix,
                sent: Instant::now(),
            });
            messages += 2;
            tokens -= 2.0;
            while next_hijack <= now {
                next_hijack += settings.hijack_every;
            }
        }
        if tokens >= 1.0 {
            let n = tokens.floor();
            for _ in 0..n as u64 {
                let line = templates[next_line].stamped(&stamp);
                next_line = (next_line + 1) % templates.len();
                ws.feed(Message::text(line)).await.map_err(send_error)?;
            }
            ws.flush().await.map_err(send_error)?;
            tokens -= n;
            messages += n as u64;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(Streamed {
        messages,
        seconds,
        hijacks,
        server_cpu: own_cpu().saturating_sub(own_before),
    })
}

/// A RIS Live UPDATE frame announcing `prefix` from [`HIJACKER_AS`] through `peer`.
fn hijack_frame(stamp: &str, peer: &str, asn: u32, prefix: &str) -> String {
    format!(
        concat!(
            r#"{{"type":"ris_message","data":{{"timestamp":{stamp},"peer":"{peer}","peer_asn":"{asn}","#,
            r#""id":"{peer}-{stamp}-bench","host":"rrc00","type":"UPDATE","path":[{asn},174,{hijacker}],"#,
            r#""origin":"igp","announcements":[{{"next_hop":"{peer}","prefixes":["{prefix}"]}}]}}}}"#
        ),
        stamp = stamp,
        peer = peer,
        asn = asn,
        hijacker = HIJACKER_AS,
        prefix = prefix
    )
}

/// Now as RIS Live writes it: UNIX seconds with two decimals.
fn unix_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:02}", now.as_secs(), now.subsec_millis() / 10)
}

/// The prefix of an `open` origin-hijack line, if it is one.
fn open_prefix(line: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value["event"] != "open" || value["kind"] != "origin-hijack" {
        return None;
    }
    value["prefix"].as_str().map(str::to_string)
}

/// Reads the alert pipe line by line, timestamping each line as it arrives.
fn read_lines(fifo: &Path, out: mpsc::Sender<(Instant, String)>) {
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
struct Guard {
    child: Child,
    fifo: PathBuf,
    log: PathBuf,
}

impl Guard {
    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn log_tail(&self) -> String {
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
    fn terminate(&mut self) {
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

/// User + system time of process `pid` (all its threads).
fn proc_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu(&stat)
}

/// User + system time of this process's threads.
fn own_cpu() -> Duration {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| stat_cpu(&s))
        .unwrap_or_default()
}

/// utime + stime (fields 14 and 15) of a `/proc/*/stat` line.
fn stat_cpu(stat: &str) -> Option<Duration> {
    // After the parenthesised command name: field 3 (state) onwards; utime is field 14.
    let rest = &stat[stat.rfind(')')? + 2..];
    let ticks: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    Some(Duration::from_millis(
        (ticks.first()? + ticks.get(1)?) * 1000 / USER_HZ,
    ))
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// `GET path` over HTTP/1.0; the body.
fn http_get(address: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

/// The sum of every sample of metric `name` (all label sets) in a Prometheus text page.
fn metric_sum(page: &str, name: &str) -> f64 {
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

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], quantile: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn print_table(outcomes: &[Outcome]) {
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    let rss =
        |kib: Option<u64>| kib.map_or("-".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!();
    println!("{TABLE_HEAD}");
    println!("{}", "-".repeat(TABLE_HEAD.chars().count()));
    for o in outcomes {
        let latency = format!(
            "{} / {} / {}",
            ms(o.latency(0.50)),
            ms(o.latency(0.99)),
            ms(o.latency(1.0))
        );
        println!(
            "{:>11} | {:>12.0} | {:>8} | {:>10.2} | {:>28} | {:>15} | {:>9}",
            format!("{} msg/s", o.rate),
            o.actual_rate,
            o.messages,
            o.cpu_us_per_msg(),
            latency,
            format!("{}/{}", o.expected, o.received),
            rss(o.peak_rss_kib),
        );
    }
    println!();
    for o in outcomes {
        println!(
            "{} msg/s: child CPU {:.2} s (10 ms ticks: ±{:.2} µs/msg); server CPU {:.2} s, not counted",
            o.rate,
            o.cpu.as_secs_f64(),
            0.01e6 / o.messages.max(1) as f64,
            o.server_cpu.as_secs_f64()
        );
        for note in &o.notes {
            println!("  {note}");
        }
        if o.actual_rate < 0.95 * o.rate as f64 {
            println!(
                "  note: the server kept only {:.0} % of the target rate",
                100.0 * o.actual_rate / o.rate as f64
            );
        }
    }
}

/// Every injected hijack must open exactly one alert; a mismatch is shouted.
fn check_alerts(outcomes: &[Outcome]) -> bool {
    let mut complete = true;
    for o in outcomes {
        if o.expected != o.received {
            complete = false;
            println!(
                "!!!!!!!! ALERT MISMATCH at {} msg/s: {} hijacks injected, {} open alerts received !!!!!!!!",
                o.rate, o.expected, o.received
            );
        }
    }
    complete
}

fn print_targets(outcomes: &[Outcome]) {
    println!();
    let verdict = |holds: bool| if holds { "HOLDS" } else { "MISSED" };
    match outcomes.iter().find(|o| o.rate == TARGET_RATE) {
        Some(o) => {
            let cpu = o.cpu_us_per_msg();
            println!(
                "target <= {TARGET_CPU_US} µs CPU per message at {TARGET_RATE} msg/s: {} ({cpu:.2} µs)",
                verdict(cpu <= TARGET_CPU_US)
            );
            match o.latency(0.99) {
                Some(p99) => println!(
                    "target p99 alert latency <= {TARGET_P99_MS} ms at {TARGET_RATE} msg/s: {} ({p99:.2} ms)",
                    verdict(p99 <= TARGET_P99_MS && o.received == o.expected)
                ),
                None => println!(
                    "target p99 alert latency <= {TARGET_P99_MS} ms at {TARGET_RATE} msg/s: MISSED (no alert arrived)"
                ),
            }
        }
        None => println!("targets are stated at {TARGET_RATE} msg/s, which this run did not measure (BENCH_LIVE_RATES)"),
    }
    println!(
        "reference, BGPalerter (measured by the issue author on this kind of machine, not by this bench): \
         66-80 µs CPU per message, alert latency p50 128 ms / p99 203 ms"
    );
}
