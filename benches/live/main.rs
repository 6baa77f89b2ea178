//! The live path end to end (DESIGN.md section 10, issues 3 and 8): CPU per RIS Live message,
//! alert latency and memory of the release `bgpwatch run`, fed by a RIS-Live-compatible
//! websocket server in this process, in one run.
//!
//! For each target rate (default 5,000 and 50,000 msg/s) a fresh `bgpwatch run` child watches
//! the full Pakistan watchlist (`prefixes/pk.yaml`) plus generated 10.x.y.0/24 prefixes (origin
//! AS64500), with `min_peers = 2`, a `ris-live` source in firehose mode pointing at the server
//! here (which, like the firehose, does not filter), and a `jsonl` sink whose path is a named
//! pipe. The server streams the real RIS Live frames of `ris-live/morrowc-rislive.1k-msgs.jsonl`
//! (looped, timestamps rewritten to now) at the target rate for `BENCH_LIVE_SECS` seconds, paced
//! by a token bucket refilled on tokio's clock every millisecond, and every
//! `BENCH_LIVE_HIJACK_MS` ms injects a hijack: two frames from two distinct peers announcing a
//! watched prefix not hijacked before from AS64666.
//!
//! * latency: from the instant the second frame of a pair has been written to the socket to the
//!   arrival of that prefix's `open` line on the pipe (a thread blocked in `read` timestamps each
//!   line, so there is no polling delay);
//! * CPU µs per message: the child's utime + stime (`/proc/<pid>/stat`, 10 ms ticks) over a
//!   quiet phase of `BENCH_LIVE_QUIET_SECS` (default 5) streamed first, real frames only and no
//!   alert (websocket frame to alert book, the definition), divided by the frames sent;
//!   and over the hijack phase, from its first frame until every alert has arrived (that one
//!   includes recording 50 alerts a second in SQLite); the server's own CPU is in this process
//!   and excluded;
//! * peak RSS: the child's `VmHWM`.
//!
//! Then the firehose memory run ([`firehose`]): every prefix of a full table watched, the table
//! streamed twice.
//!
//! `cargo bench --bench live`. Environment: `BENCH_LIVE_RATES` (comma-separated msg/s, default
//! `5000,50000`), `BENCH_LIVE_SECS` (hijack phase, default 10), `BENCH_LIVE_QUIET_SECS`, `BENCH_LIVE_HIJACK_MS` (default 20),
//! `BENCH_FIREHOSE_RATE` (msg/s, default 50,000; 0 skips the firehose run), `BENCH_FIREHOSE_PASSES`
//! (default 3), `BENCH_BGPWATCH` (a
//! command run instead of the bench's `bgpwatch`, e.g. a wrapper under a profiler), `BGPWATCH_DATA`
//! (default `../shared/data`; the bench prints `SKIPPED:` when a file is absent), `BENCH_RESULTS`
//! (a file the figures are appended to, for `benches/suite.sh`). Exits with 1 when the alerts
//! received differ from the hijacks injected.

#[path = "../common/mod.rs"]
mod common;
mod firehose;
mod report;
mod session;
mod stream;

use common::{data_dir, env_list, env_number, proc_cpu, proc_cpu_split, proc_wakeups, vm_hwm_kib};
use report::{check_alerts, print_table, print_targets, record_outcomes, Outcome};
use session::{metric_sum, open_prefix, write_file, Session};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use stream::{stream_frames, Phase, Streamed, Template};

/// The real RIS Live frames streamed, relative to the data directory.
const DATA_FILE: &str = "ris-live/morrowc-rislive.1k-msgs.jsonl";
/// The Pakistan watchlist every rate run watches, relative to the repository.
const PK_WATCHLIST: &str = "prefixes/pk.yaml";
/// Target rates (msg/s) when `BENCH_LIVE_RATES` is unset.
const DEFAULT_RATES: [u64; 2] = [5_000, 50_000];
/// Streaming time per rate when `BENCH_LIVE_SECS` is unset.
const DEFAULT_SECS: f64 = 10.0;
/// Quiet streaming time per rate when `BENCH_LIVE_QUIET_SECS` is unset.
const DEFAULT_QUIET_SECS: f64 = 5.0;
/// Interval between injected hijacks when `BENCH_LIVE_HIJACK_MS` is unset.
const DEFAULT_HIJACK_MS: u64 = 20;
/// Watched prefixes at least (more when the run injects more hijacks).
const MIN_WATCHED: usize = 500;
/// The legitimate origin of every watched prefix.
const OWNER_AS: u32 = 64500;
/// The origin of every injected hijack.
pub const HIJACKER_AS: u32 = 64666;
/// The two vantage points (peer IP, peer AS) that carry each hijack.
pub const HIJACK_PEERS: [(&str, u32); 2] = [("198.18.0.1", 3356), ("198.18.0.2", 1299)];
/// How long after the last frame the alerts may still arrive.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// What one run is told to do.
#[derive(Debug, Clone)]
pub struct Settings {
    rates: Vec<u64>,
    duration: Duration,
    /// The quiet phase before the hijacks.
    quiet: Duration,
    hijack_every: Duration,
    binary: PathBuf,
    scratch: PathBuf,
}

fn main() {
    let data = data_dir();
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
        quiet: Duration::from_secs_f64(env_number("BENCH_LIVE_QUIET_SECS", DEFAULT_QUIET_SECS)),
        hijack_every: Duration::from_millis(env_number("BENCH_LIVE_HIJACK_MS", DEFAULT_HIJACK_MS)),
        // A wrapper (a profiler around the binary) may stand in for it.
        binary: std::env::var_os("BENCH_BGPWATCH").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_bgpwatch")),
            PathBuf::from,
        ),
        scratch: scratch.clone(),
    };
    println!(
        "bgpwatch live benchmark: {} real frames from {} (looped), {} s per rate, a hijack pair every {} ms, min_peers 2, watchlist {PK_WATCHLIST} + generated",
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
    record_outcomes(&outcomes);
    let complete = check_alerts(&outcomes);
    print_targets(&outcomes);
    let firehose_rate = env_number("BENCH_FIREHOSE_RATE", firehose::DEFAULT_RATE);
    if firehose_rate > 0 {
        if let Err(e) = runtime.block_on(firehose::run(&settings, &data, firehose_rate)) {
            println!("!!!!!!!! firehose run failed: {e}");
            std::process::exit(1);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if !complete {
        std::process::exit(1);
    }
}

/// The `i`th watched prefix: 10.0.0.0/24, 10.0.1.0/24, ...
pub fn watched_prefix(i: usize) -> String {
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
    let pk = Path::new(env!("CARGO_MANIFEST_DIR")).join(PK_WATCHLIST);
    let mut session = Session::start(settings, &dir, &[pk, watchlist]).await?;

    let pid = session.pid;
    // Quiet phase: real frames only, no alert (the CPU per message of the path to the book).
    let mut next_line = 0;
    let quiet = Phase {
        duration: settings.quiet,
        hijacks: 0,
    };
    let cpu_before = proc_cpu(pid).ok_or("cannot read the child's /proc stat")?;
    let split_before = proc_cpu_split(pid);
    let wakeups_before = proc_wakeups(pid);
    let calm = stream_frames(
        &mut session.ws_tx,
        templates,
        rate,
        settings,
        quiet,
        &mut next_line,
    )
    .await?;
    let cpu_quiet = proc_cpu(pid)
        .ok_or("the child exited during the run")?
        .saturating_sub(cpu_before);
    let quiet_note = quiet_breakdown(
        split_before.zip(proc_cpu_split(pid)),
        wakeups_before.zip(proc_wakeups(pid)),
        calm.messages,
    );
    let cpu_before = proc_cpu(pid).ok_or("cannot read the child's /proc stat")?;
    let phase = Phase {
        duration: settings.duration,
        hijacks: watched,
    };
    let streamed = stream_frames(
        &mut session.ws_tx,
        templates,
        rate,
        settings,
        phase,
        &mut next_line,
    )
    .await?;

    // Wait for every `open` of an injected prefix (or the drain limit).
    let mut lines: Vec<(Instant, String)> = Vec::new();
    let wanted: HashMap<&str, ()> = streamed
        .hijacks
        .iter()
        .map(|h| (h.prefix.as_str(), ()))
        .collect();
    let mut opened: HashMap<String, Instant> = HashMap::new();
    let mut take = |(at, line): (Instant, String), opened: &mut HashMap<String, Instant>| {
        if let Some(prefix) = open_prefix(&line).filter(|p| wanted.contains_key(p.as_str())) {
            opened.entry(prefix).or_insert(at);
        }
        lines.push((at, line));
    };
    let drain_end = Instant::now() + DRAIN_LIMIT;
    while opened.len() < wanted.len() && Instant::now() < drain_end && session.child.alive() {
        while let Ok(arrival) = session.arrivals.try_recv() {
            take(arrival, &mut opened);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let cpu_after = proc_cpu(pid).ok_or("the child exited during the run")?;
    let peak_rss_kib = vm_hwm_kib(pid);
    let metrics = session::http_get(&session.http, "/metrics").unwrap_or_default();
    let (subscriptions, log) = (session.subscriptions, session.log.clone());
    let (rest, client_messages) = session.finish().await;
    rest.into_iter()
        .for_each(|arrival| take(arrival, &mut opened));

    let mut notes = vec![format!(
        "{subscriptions} subscriptions, {client_messages} later client messages, {watched} generated watched prefixes, server CPU {:.2} µs/msg",
        streamed.server_cpu.as_secs_f64() * 1e6 / streamed.messages.max(1) as f64
    )];
    notes.extend(quiet_note);
    let others: Vec<&str> = lines
        .iter()
        .map(|(_, l)| l.as_str())
        .filter(|l| open_prefix(l).is_none_or(|p| !wanted.contains_key(p.as_str())))
        .collect();
    if let Some(first) = others.first() {
        notes.push(format!(
            "{} other alert lines, first: {first}",
            others.len()
        ));
    }
    notes.extend(child_notes(&metrics, &log));
    Ok(Outcome {
        rate,
        actual_rate: streamed.messages as f64 / streamed.seconds.max(1e-9),
        messages: streamed.messages,
        cpu: cpu_after.saturating_sub(cpu_before),
        quiet_messages: calm.messages,
        cpu_quiet,
        latencies_ms: latencies(&streamed, &opened),
        expected: streamed.hijacks.len(),
        received: opened.len(),
        peak_rss_kib,
        server_cpu: streamed.server_cpu,
        notes,
    })
}

/// Where the quiet phase's CPU went: user and system time per frame, and the child's wake-ups
/// (each one an `epoll_wait` return, a context switch and at least one `recv`: the fixed cost
/// that dominates at low rates, since the server writes every millisecond).
fn quiet_breakdown(
    cpu: Option<((Duration, Duration), (Duration, Duration))>,
    wakeups: Option<(u64, u64)>,
    frames: u64,
) -> Option<String> {
    let ((user0, system0), (user1, system1)) = cpu?;
    let (user, system) = (user1.saturating_sub(user0), system1.saturating_sub(system0));
    let wakeups = wakeups.map_or(0, |(before, after)| after.saturating_sub(before));
    let per_frame = |d: Duration| d.as_secs_f64() * 1e6 / frames.max(1) as f64;
    Some(format!(
        "quiet phase: user {:.2} + system {:.2} µs/msg; {wakeups} wake-ups (voluntary context switches), {:.1} frames and {:.1} µs CPU each",
        per_frame(user),
        per_frame(system),
        frames as f64 / wakeups.max(1) as f64,
        (user + system).as_secs_f64() * 1e6 / wakeups.max(1) as f64,
    ))
}

/// Milliseconds from each hijack's second frame to its `open` line, sorted.
fn latencies(streamed: &Streamed, opened: &HashMap<String, Instant>) -> Vec<f64> {
    let mut ms: Vec<f64> = streamed
        .hijacks
        .iter()
        .filter_map(|h| {
            opened
                .get(&h.prefix)
                .map(|at| at.saturating_duration_since(h.sent).as_secs_f64() * 1e3)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    ms
}

/// What the child's metrics and log say: drops, its own detection latency, log lines.
pub fn child_notes(metrics: &str, log: &Path) -> Vec<String> {
    let mut notes = Vec::new();
    let dropped = metric_sum(metrics, "bgpwatch_dropped_updates_total");
    if dropped > 0.0 {
        notes.push(format!(
            "the child DROPPED {dropped} updates (bgpwatch_dropped_updates_total)"
        ));
    }
    let count = metric_sum(metrics, "bgpwatch_detection_latency_seconds_count");
    if count > 0.0 {
        let sum = metric_sum(metrics, "bgpwatch_detection_latency_seconds_sum");
        notes.push(format!(
            "child's own detection_latency_seconds (receipt to alert event, before the sink): mean {:.3} ms over {count} events",
            sum / count * 1e3
        ));
    }
    let log_text = std::fs::read_to_string(log).unwrap_or_default();
    let log_lines = log_text.lines().count();
    if log_lines > 0 {
        notes.push(format!(
            "child logged {log_lines} lines, first: {}",
            log_text.lines().next().unwrap_or_default()
        ));
    }
    notes
}
