//! Replay throughput on real MRT files, measured side by side in one run (DESIGN.md section 10):
//!
//! * `bare parser`: bgpkit-parser counting elems, nothing else (the parse-only limit);
//! * `bgpwatch lib`: [`bgpwatch::replay::replay`] with a 1,000-prefix Pakistan watchlist and a
//!   JSON-lines sink writing to a file;
//! * `bgpwatch cli`: the `bgpwatch replay` binary, process start, watchlist load and output included;
//! * `bgpdump -m`: Debian's independent MRT reader, output to /dev/null.
//!
//! `cargo bench --bench replay`. Each figure is the best of `BENCH_RUNS` runs (default 3); the
//! tools take turns within each round, so a busy neighbour slows them alike. `BGPWATCH_DATA`
//! points at the real data (default `../shared/data`); absent files and tools are skipped with a
//! printed note. CPU time comes from `/proc/self/stat` (this process's threads for in-process
//! runs, waited-for children for subprocesses; 10 ms resolution); peak RSS is the child's `VmHWM`,
//! polled while it runs. Exits with 1 when the tools disagree on the update count.

use bgpkit_parser::BgpkitParser;
use bgpwatch::engine::EngineSettings;
use bgpwatch::replay::{replay, ReplayOptions};
use bgpwatch::sink::{JsonlSink, OutputFormat, Sink};
use bgpwatch::watchlist::Watchlist;
use flate2::read::MultiGzDecoder;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The MRT files measured, relative to the data directory.
const FILES: [&str; 2] = [
    "mrt/edge-cases/updates.et-header.2015.gz",
    "mrt/ris/rrc00.updates.20190101.0000.gz",
];
/// Prefix -> origin table (pyasn IPASN text) the watchlist is drawn from.
const IPASN_TABLE: &str = "mrt/ipasn/ipasn_20140513.dat.gz";
/// APNIC delegations: which ASNs belong to [`COUNTRY`].
const APNIC_DELEGATIONS: &str = "rir/delegated-apnic-latest.20260213.txt.gz";
/// Country whose address space is watched.
const COUNTRY: &str = "PK";
/// Watched prefixes: the first ones of the IPASN table with a [`COUNTRY`] origin.
const WATCHLIST_PREFIXES: usize = 1_000;
/// Runs per tool when `BENCH_RUNS` is unset.
const DEFAULT_RUNS: usize = 3;
/// The goal: replay keeps at least this share of the bare parser's rate.
const TARGET_SHARE: f64 = 0.70;
/// Clock ticks per second in `/proc/*/stat` (`USER_HZ`, fixed by the Linux ABI).
const USER_HZ: u64 = 100;
/// How often the `VmHWM` of a running child is read.
const RSS_POLL: Duration = Duration::from_millis(2);
/// The table's column titles, aligned with the rows [`print_table`] writes.
const TABLE_HEAD: &str = concat!(
    "file                                       | tool         |   updates | seconds | updates/s ",
    "| vs parser | vs bgpdump | cpu s |  peak RSS"
);
/// `bgpwatch replay` exit code for damaged input: the run completed and its counts stand.
const EXIT_DAMAGED_INPUT: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    BareParser,
    Library,
    Cli,
    Bgpdump,
}

impl Tool {
    fn label(self) -> &'static str {
        match self {
            Tool::BareParser => "bare parser",
            Tool::Library => "bgpwatch lib",
            Tool::Cli => "bgpwatch cli",
            Tool::Bgpdump => "bgpdump -m",
        }
    }

    /// What the tool's update count is.
    fn counted(self) -> &'static str {
        match self {
            Tool::BareParser => "bgpkit elems",
            Tool::Library => "bgpwatch lib announcements+withdrawals",
            Tool::Cli => "bgpwatch cli announcements+withdrawals",
            Tool::Bgpdump => "bgpdump A/B/W lines",
        }
    }
}

/// One run, or the best of several (fastest wall, least CPU, highest RSS seen).
#[derive(Debug, Clone, Copy)]
struct Sample {
    updates: u64,
    wall: Duration,
    cpu: Duration,
    peak_rss_kib: Option<u64>,
}

impl Sample {
    fn rate(&self) -> f64 {
        self.updates as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    fn keep_best(&mut self, other: Sample) {
        self.wall = self.wall.min(other.wall);
        self.cpu = self.cpu.min(other.cpu);
        self.peak_rss_kib = self.peak_rss_kib.max(other.peak_rss_kib);
    }
}

type Runner<'a> = Box<dyn FnMut() -> Result<Sample, String> + 'a>;

/// What bgpwatch runs need: the watchlist (loaded and as a file) and the binary.
struct Bgpwatch {
    list: Arc<Watchlist>,
    list_file: PathBuf,
    binary: PathBuf,
    scratch: PathBuf,
}

fn main() {
    let data = match std::env::var_os("BGPWATCH_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    };
    let runs = runs();
    let scratch = std::env::temp_dir().join(format!("bgpwatch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("creating the scratch directory");
    println!(
        "bgpwatch replay benchmark: data {}, best of {runs} runs",
        data.display()
    );
    let bgpwatch = prepare_bgpwatch(&data, &scratch);
    let bgpdump = program_on_path("bgpdump");
    if bgpdump.is_none() {
        println!("SKIPPED: bgpdump is not installed (apt-get install bgpdump)");
    }
    let mut verdicts = Vec::new();
    let mut agree = true;
    for relative in FILES {
        let file = data.join(relative);
        if !file.is_file() {
            println!("SKIPPED: {relative} absent");
            continue;
        }
        let best = bench_file(&file, runs, bgpwatch.as_ref(), bgpdump.as_deref())
            .unwrap_or_else(|e| panic!("{relative}: {e}"));
        print_table(relative, &best);
        agree &= check_counts(relative, &best);
        verdicts.push(verdict(relative, &best));
    }
    println!();
    verdicts.iter().for_each(|line| println!("{line}"));
    let _ = std::fs::remove_dir_all(&scratch);
    if !agree {
        std::process::exit(1);
    }
}

fn runs() -> usize {
    match std::env::var("BENCH_RUNS") {
        Err(_) => DEFAULT_RUNS,
        Ok(text) => match text.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => panic!("BENCH_RUNS={text:?}: give a whole number of runs, at least 1"),
        },
    }
}

/// Every available tool on `file`, `runs` rounds, each tool's best kept.
fn bench_file(
    file: &Path,
    runs: usize,
    bgpwatch: Option<&Bgpwatch>,
    bgpdump: Option<&Path>,
) -> Result<Vec<(Tool, Sample)>, String> {
    let mut tools: Vec<(Tool, Runner)> = vec![(Tool::BareParser, Box::new(|| bare_parse(file)))];
    if let Some(bgpwatch) = bgpwatch {
        tools.push((Tool::Library, Box::new(|| bgpwatch.library(file))));
        tools.push((Tool::Cli, Box::new(|| bgpwatch.cli(file))));
    }
    if let Some(bgpdump) = bgpdump {
        let lines = bgpdump_lines(bgpdump, file)?;
        tools.push((
            Tool::Bgpdump,
            Box::new(move || bgpdump_run(bgpdump, file, lines)),
        ));
    }
    let mut best: Vec<(Tool, Sample)> = Vec::new();
    for round in 0..runs {
        for (i, (tool, runner)) in tools.iter_mut().enumerate() {
            let sample = runner().map_err(|e| format!("{}: {e}", tool.label()))?;
            match best.get_mut(i) {
                None => best.push((*tool, sample)),
                Some((_, b)) if b.updates != sample.updates => {
                    let (label, was, now) = (tool.label(), b.updates, sample.updates);
                    return Err(format!("{label} counted {was}, then {now} in run {round}"));
                }
                Some((_, b)) => b.keep_best(sample),
            }
        }
    }
    Ok(best)
}

/// Wall and own CPU time (all threads) of `work`, which returns the update count.
fn in_process(work: impl FnOnce() -> Result<u64, String>) -> Result<Sample, String> {
    let before = cpu_times();
    let started = Instant::now();
    let updates = work()?;
    let wall = started.elapsed();
    let cpu = cpu_times().own.saturating_sub(before.own);
    Ok(Sample {
        updates,
        wall,
        cpu,
        peak_rss_kib: None,
    })
}

/// (a) bgpkit-parser alone: decompress, parse, count elems.
fn bare_parse(file: &Path) -> Result<Sample, String> {
    in_process(|| {
        let input = File::open(file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
        let parser = BgpkitParser::from_reader(MultiGzDecoder::new(BufReader::new(input)));
        Ok(parser.into_iter().map(std::hint::black_box).count() as u64)
    })
}

impl Bgpwatch {
    /// (b) The library's replay, alerts to a fresh file.
    fn library(&self, file: &Path) -> Result<Sample, String> {
        let sink_file = self.scratch.join("lib-alerts.jsonl");
        let _ = std::fs::remove_file(&sink_file);
        let options = ReplayOptions {
            inputs: vec![file.to_path_buf()],
            format: None,
            engine: EngineSettings::default(),
            progress: false,
        };
        in_process(|| {
            let sink =
                JsonlSink::file(&sink_file, OutputFormat::Jsonl).map_err(|e| e.to_string())?;
            let report = replay(self.list.clone(), &options, &mut Sink::Jsonl(sink))
                .map_err(|e| e.to_string())?;
            if let Some(first) = report.errors.first() {
                println!("note: {} input errors, first: {first}", report.errors.len());
            }
            Ok(report.stats.announcements + report.stats.withdrawals)
        })
    }

    /// (c) The `bgpwatch replay` binary, alerts to a file; counts from `--summary-json`.
    fn cli(&self, file: &Path) -> Result<Sample, String> {
        let summary = self.scratch.join("cli-summary.json");
        let stderr = self.scratch.join("cli-stderr.txt");
        let _ = std::fs::remove_file(&summary);
        let mut command = Command::new(&self.binary);
        command
            .args(["replay", "--no-progress", "--watchlist"])
            .arg(&self.list_file);
        command.arg("--summary-json").arg(&summary).arg(file);
        command
            .stdout(create(&self.scratch.join("cli-alerts.jsonl"))?)
            .stderr(create(&stderr)?);
        let (sample, status) = run_child(command)?;
        if !(status.success() || status.code() == Some(EXIT_DAMAGED_INPUT)) {
            let stderr = std::fs::read_to_string(&stderr).unwrap_or_default();
            return Err(format!("exited with {status}: {stderr}"));
        }
        let text = std::fs::read_to_string(&summary).map_err(|e| format!("no summary: {e}"))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("bad summary: {e}"))?;
        let field = |name: &str| json[name].as_u64().ok_or(format!("no `{name}` in {text}"));
        let updates = field("announcements")? + field("withdrawals")?;
        Ok(Sample { updates, ..sample })
    }
}

/// (d) `bgpdump -m`, output discarded; `lines` is its untimed [`bgpdump_lines`] count.
fn bgpdump_run(bgpdump: &Path, file: &Path, lines: u64) -> Result<Sample, String> {
    let mut command = Command::new(bgpdump);
    command
        .arg("-m")
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (sample, status) = run_child(command)?;
    if !status.success() {
        return Err(format!("exited with {status}"));
    }
    Ok(Sample {
        updates: lines,
        ..sample
    })
}

/// A/B/W lines of `bgpdump -m` (one per announced or withdrawn prefix).
fn bgpdump_lines(bgpdump: &Path, file: &Path) -> Result<u64, String> {
    let output = Command::new(bgpdump)
        .arg("-m")
        .arg(file)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run bgpdump: {e}"))?;
    let is_update =
        |line: &&[u8]| matches!(line.split(|&b| b == b'|').nth(2), Some(b"A" | b"B" | b"W"));
    Ok(output
        .stdout
        .split(|&b| b == b'\n')
        .filter(is_update)
        .count() as u64)
}

/// Runs a child to completion: wall time, children's CPU time and the child's peak RSS.
fn run_child(mut command: Command) -> Result<(Sample, ExitStatus), String> {
    let before = cpu_times();
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {command:?}: {e}"))?;
    let pid = child.id();
    let exited = AtomicBool::new(false);
    let (status, wall, peak_rss_kib) = std::thread::scope(|scope| {
        let poller = scope.spawn(|| {
            let mut peak = None;
            while !exited.load(Ordering::Relaxed) {
                peak = peak.max(vm_hwm_kib(pid));
                std::thread::sleep(RSS_POLL);
            }
            peak
        });
        let status = child.wait();
        let wall = started.elapsed();
        exited.store(true, Ordering::Relaxed);
        (
            status,
            wall,
            poller.join().expect("the RSS poller panicked"),
        )
    });
    let status = status.map_err(|e| format!("waiting for {command:?}: {e}"))?;
    let cpu = cpu_times().children.saturating_sub(before.children);
    Ok((
        Sample {
            updates: 0,
            wall,
            cpu,
            peak_rss_kib,
        },
        status,
    ))
}

struct CpuTimes {
    /// User + system time of this process's threads.
    own: Duration,
    /// User + system time of waited-for children.
    children: Duration,
}

fn cpu_times() -> CpuTimes {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("reading /proc/self/stat");
    // After the parenthesised command name: field 3 (state) onwards; utime is field 14.
    let rest = &stat[stat.rfind(')').expect("a /proc stat line") + 2..];
    let ticks: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .flat_map(str::parse)
        .collect();
    let time = |n: u64| Duration::from_millis(n * 1000 / USER_HZ);
    CpuTimes {
        own: time(ticks[0] + ticks[1]),
        children: time(ticks[2] + ticks[3]),
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn create(path: &Path) -> Result<File, String> {
    File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
}

fn program_on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The watchlist and the binary, or `None` (printed) when the watchlist's data is absent.
fn prepare_bgpwatch(data: &Path, scratch: &Path) -> Option<Bgpwatch> {
    let present = |relative: &str| {
        let path = data.join(relative);
        path.is_file().then_some(path).or_else(|| {
            println!("SKIPPED: {relative} absent (bgpwatch runs need it for the watchlist)");
            None
        })
    };
    let (ipasn, apnic) = (present(IPASN_TABLE)?, present(APNIC_DELEGATIONS)?);
    let list_file = scratch.join("watchlist.yaml");
    std::fs::write(&list_file, watchlist_yaml(&ipasn, &apnic)).expect("writing the watchlist");
    let list = Watchlist::load(std::slice::from_ref(&list_file))
        .unwrap_or_else(|e| panic!("the generated watchlist does not load: {e}"));
    println!(
        "watchlist: {} {COUNTRY}-origin prefixes from {IPASN_TABLE}",
        list.len()
    );
    Some(Bgpwatch {
        list: Arc::new(list),
        list_file,
        binary: bgpwatch_binary(),
        scratch: scratch.to_path_buf(),
    })
}

/// The first [`WATCHLIST_PREFIXES`] prefixes of the IPASN table whose origin is a [`COUNTRY`]
/// ASN, in the watchlist format.
fn watchlist_yaml(ipasn: &Path, apnic: &Path) -> String {
    let country_asns = country_asns(apnic);
    let entries = gzip_lines(ipasn)
        .filter(|line| !line.starts_with(';'))
        .filter_map(|line| {
            let (prefix, origin) = line.split_once('\t')?;
            let origin: u32 = origin.trim().parse().ok()?;
            country_asns
                .contains(&origin)
                .then(|| format!("  {prefix}: {{ origins: [{origin}] }}\n"))
        })
        .take(WATCHLIST_PREFIXES);
    std::iter::once("prefixes:\n".to_string())
        .chain(entries)
        .collect()
}

/// ASNs an RIR exchange-format file delegates to [`COUNTRY`] (`apnic|PK|asn|17557|1|...`).
fn country_asns(path: &Path) -> HashSet<u32> {
    let mut asns = HashSet::new();
    for line in gzip_lines(path) {
        let fields: Vec<&str> = line.split('|').collect();
        if fields.len() < 5 || fields[1] != COUNTRY || fields[2] != "asn" {
            continue;
        }
        if let (Ok(first), Ok(count)) = (fields[3].parse::<u32>(), fields[4].parse::<u32>()) {
            asns.extend((0..count).map(|i| first + i));
        }
    }
    asns
}

fn gzip_lines(path: &Path) -> impl Iterator<Item = String> {
    let file = File::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    BufReader::new(MultiGzDecoder::new(BufReader::new(file)))
        .lines()
        .map_while(Result::ok)
}

/// The `bgpwatch` binary cargo built for this bench; `cargo build --release` if it is gone.
fn bgpwatch_binary() -> PathBuf {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_bgpwatch"));
    if !binary.is_file() {
        println!("{} is missing: cargo build --release", binary.display());
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "--bin", "bgpwatch"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("running cargo build");
        assert!(
            status.success() && binary.is_file(),
            "cargo build --release failed"
        );
    }
    binary
}

fn rate_of(best: &[(Tool, Sample)], wanted: Tool) -> Option<f64> {
    best.iter()
        .find(|(tool, _)| *tool == wanted)
        .map(|(_, s)| s.rate())
}

fn print_table(file: &str, best: &[(Tool, Sample)]) {
    let ratio =
        |base: Option<f64>, rate: f64| base.map_or("-".into(), |b| format!("{:.2}x", rate / b));
    let rss =
        |kib: Option<u64>| kib.map_or("-".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    let (parser, bgpdump) = (
        rate_of(best, Tool::BareParser),
        rate_of(best, Tool::Bgpdump),
    );
    println!();
    println!("{TABLE_HEAD}");
    println!("{}", "-".repeat(TABLE_HEAD.len()));
    for (tool, s) in best {
        println!(
            "{:<42} | {:<12} | {:>9} | {:>7.3} | {:>9.0} | {:>9} | {:>10} | {:>5.2} | {:>9}",
            file,
            tool.label(),
            s.updates,
            s.wall.as_secs_f64(),
            s.rate(),
            ratio(parser, s.rate()),
            ratio(bgpdump, s.rate()),
            s.cpu.as_secs_f64(),
            rss(s.peak_rss_kib),
        );
    }
}

/// Every reader must see the same announced + withdrawn prefixes; a mismatch is shouted.
fn check_counts(file: &str, best: &[(Tool, Sample)]) -> bool {
    let listed: Vec<String> = best
        .iter()
        .map(|(t, s)| format!("{} {}", t.counted(), s.updates))
        .collect();
    let agree = best.windows(2).all(|w| w[0].1.updates == w[1].1.updates);
    if agree {
        println!("counts agree: {}", listed.join(", "));
    } else {
        println!(
            "!!!!!!!! COUNT MISMATCH on {file}: {} !!!!!!!!",
            listed.join(", ")
        );
    }
    agree
}

fn verdict(file: &str, best: &[(Tool, Sample)]) -> String {
    let target = format!(
        "target replay >= {:.0} % of the bare-parser rate",
        100.0 * TARGET_SHARE
    );
    let (Some(parser), Some(lib)) = (
        rate_of(best, Tool::BareParser),
        rate_of(best, Tool::Library),
    ) else {
        return format!("{file}: {target}: NOT CHECKED (bgpwatch was not run)");
    };
    let holds = if lib / parser >= TARGET_SHARE {
        "HOLDS"
    } else {
        "MISSED"
    };
    let cli = rate_of(best, Tool::Cli).map_or(String::new(), |c| {
        format!(", cli {:.0} %", 100.0 * c / parser)
    });
    format!(
        "{file}: {target}: {holds} (lib {:.0} %{cli})",
        100.0 * lib / parser
    )
}
