//! The tools the replay bench runs, each returning one [`Sample`].

use crate::common::{children_cpu, own_cpu, vm_hwm_kib};
use bgpkit_parser::BgpkitParser;
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often the `VmHWM` of a running child is read.
const RSS_POLL: Duration = Duration::from_millis(2);
/// `bgpwatch replay` exit code for damaged input: the run completed and its counts stand.
const EXIT_DAMAGED_INPUT: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    BareParser,
    OneCore,
    AllCores,
    /// One core, the watchlist's compiled copy not used: YAML parsed as on a first run.
    OneCoreParsed,
    Bgpdump,
}

impl Tool {
    pub fn label(self) -> &'static str {
        match self {
            Tool::BareParser => "bare parser",
            Tool::OneCore => "bgpwatch 1 core",
            Tool::AllCores => "bgpwatch",
            Tool::OneCoreParsed => "1 core, parsed",
            Tool::Bgpdump => "bgpdump -m",
        }
    }

    /// The name in `BENCH_RESULTS` keys.
    pub fn key(self) -> &'static str {
        match self {
            Tool::BareParser => "parser",
            Tool::OneCore => "bgpwatch_1core",
            Tool::AllCores => "bgpwatch",
            Tool::OneCoreParsed => "bgpwatch_1core_parsed",
            Tool::Bgpdump => "bgpdump",
        }
    }

    /// What the tool's update count is.
    pub fn counted(self) -> &'static str {
        match self {
            Tool::BareParser => "bgpkit elems",
            Tool::OneCore | Tool::AllCores | Tool::OneCoreParsed => {
                "bgpwatch announcements+withdrawals"
            }
            Tool::Bgpdump => "bgpdump A/B/W lines",
        }
    }
}

/// One run, or the best of several (fastest wall, least CPU, highest RSS seen).
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub updates: u64,
    pub wall: Duration,
    pub cpu: Duration,
    pub peak_rss_kib: Option<u64>,
}

impl Sample {
    pub fn rate(&self) -> f64 {
        self.updates as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    fn keep_best(&mut self, other: Sample) {
        self.wall = self.wall.min(other.wall);
        self.cpu = self.cpu.min(other.cpu);
        self.peak_rss_kib = self.peak_rss_kib.max(other.peak_rss_kib);
    }
}

pub type Runner<'a> = Box<dyn FnMut() -> Result<Sample, String> + 'a>;

/// `runs` rounds of every tool in turn, each tool's best kept.
pub fn best_of(mut tools: Vec<(Tool, Runner)>, runs: usize) -> Result<Vec<(Tool, Sample)>, String> {
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

/// bgpkit-parser alone: decompress, parse, count elems.
pub fn bare_parse(file: &Path) -> Result<Sample, String> {
    let before = own_cpu();
    let started = Instant::now();
    let input = File::open(file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let parser = BgpkitParser::from_reader(MultiGzDecoder::new(BufReader::new(input)));
    let updates = parser.into_iter().map(std::hint::black_box).count() as u64;
    Ok(Sample {
        updates,
        wall: started.elapsed(),
        cpu: own_cpu().saturating_sub(before),
        peak_rss_kib: None,
    })
}

/// What `bgpwatch replay` runs need.
pub struct Bgpwatch {
    pub binary: PathBuf,
    pub watchlist: PathBuf,
    pub scratch: PathBuf,
}

/// Where `bgpwatch` keeps the watchlist's compiled copy (src/watchlist/cache.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// In the scratch directory, written by a warm-up run before the timed ones.
    Warm,
    /// Not used (`BGPWATCH_CACHE_DIR=off`): the YAML is parsed every run.
    Off,
}

impl Bgpwatch {
    /// The `bgpwatch replay` binary (under `taskset -c 0` when given), alerts to a file; counts
    /// from `--summary-json`.
    pub fn cli(
        &self,
        file: &Path,
        taskset: Option<&PathBuf>,
        cache: Cache,
    ) -> Result<Sample, String> {
        let summary = self.scratch.join("cli-summary.json");
        let stderr = self.scratch.join("cli-stderr.txt");
        let _ = std::fs::remove_file(&summary);
        let mut command = match taskset {
            Some(taskset) => {
                let mut c = Command::new(taskset);
                c.args(["-c", "0"]).arg(&self.binary);
                c
            }
            None => Command::new(&self.binary),
        };
        command
            .args(["replay", "--no-progress", "--watchlist"])
            .arg(&self.watchlist);
        command.arg("--summary-json").arg(&summary).arg(file);
        match cache {
            Cache::Warm => command.env("BGPWATCH_CACHE_DIR", self.scratch.join("cache")),
            Cache::Off => command.env("BGPWATCH_CACHE_DIR", "off"),
        };
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

impl Bgpwatch {
    /// Instructions `bgpwatch replay` executes on `file` (all threads), counted by callgrind:
    /// unlike wall time, stable to a fraction of a percent on a busy machine. The watchlist's
    /// compiled copy is warm, as in the timed runs.
    pub fn instructions(&self, valgrind: &Path, file: &Path) -> Result<u64, String> {
        let output = Command::new(valgrind)
            .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
            .arg(&self.binary)
            .args(["replay", "--no-progress", "--watchlist"])
            .arg(&self.watchlist)
            .arg(file)
            .env("BGPWATCH_CACHE_DIR", self.scratch.join("cache"))
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run valgrind: {e}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        stderr
            .lines()
            .find_map(|line| {
                let count = line.split("Collected :").nth(1)?;
                count.trim().replace(',', "").parse::<u64>().ok()
            })
            .ok_or_else(|| format!("no instruction count from callgrind: {stderr}"))
    }
}

/// `bgpdump -m`, output discarded; `lines` is its untimed [`bgpdump_lines`] count.
pub fn bgpdump_run(bgpdump: &Path, file: &Path, lines: u64) -> Result<Sample, String> {
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
pub fn bgpdump_lines(bgpdump: &Path, file: &Path) -> Result<u64, String> {
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
    let before = children_cpu();
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
    let cpu = children_cpu().saturating_sub(before);
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

fn create(path: &Path) -> Result<File, String> {
    File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
}
