//! What the bench binaries share: the data directory, environment knobs, `/proc` readings and
//! the machine-readable results file that `benches/suite.sh` turns into one table.

#![allow(dead_code)] // each bench uses a different subset

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Clock ticks per second in `/proc/*/stat` (`USER_HZ`, fixed by the Linux ABI).
pub const USER_HZ: u64 = 100;
/// Runs per measurement when `BENCH_RUNS` is unset.
pub const DEFAULT_RUNS: usize = 3;

/// The real data: `BGPWATCH_DATA`, or `../shared/data` next to the repository.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("BGPWATCH_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    }
}

/// `BENCH_RUNS` (at least 1), default [`DEFAULT_RUNS`].
pub fn runs() -> usize {
    match std::env::var("BENCH_RUNS") {
        Err(_) => DEFAULT_RUNS,
        Ok(text) => match text.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => panic!("BENCH_RUNS={text:?}: give a whole number of runs, at least 1"),
        },
    }
}

pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Err(_) => default,
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
    }
}

pub fn env_list(name: &str, default: &[u64]) -> Vec<u64> {
    match std::env::var(name) {
        Err(_) => default.to_vec(),
        Ok(text) => text
            .split(',')
            .map(|t| match t.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => panic!("{name}={text:?}: give comma-separated numbers, like 5000,50000"),
            })
            .collect(),
    }
}

/// Appends `key<TAB>value` to the file named by `BENCH_RESULTS` (when set), for
/// `benches/suite.sh`. Keys are dotted names like `replay.rrc00.parser.rate`.
pub fn record(key: &str, value: f64) {
    let Some(path) = std::env::var_os("BENCH_RESULTS") else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open BENCH_RESULTS {path:?}: {e}"));
    writeln!(file, "{key}\t{value}").expect("writing BENCH_RESULTS");
}

/// User + system time of process `pid` (all its threads).
pub fn proc_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_fields(&stat, 0).map(|t| ticks(t[0] + t[1]))
}

/// User time and system time of process `pid` (all its threads), apart.
pub fn proc_cpu_split(pid: u32) -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_fields(&stat, 0).map(|t| (ticks(t[0]), ticks(t[1])))
}

/// Times the threads of process `pid` went to sleep waiting and were woken
/// (`voluntary_ctxt_switches`, summed over `/proc/<pid>/task/*/status`; threads that ended
/// are not counted).
pub fn proc_wakeups(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut sum = 0;
    for task in tasks.flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        sum += status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(sum)
}

/// User + system time of this process's threads.
pub fn own_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    stat_fields(&stat, 0).map_or(Duration::ZERO, |t| ticks(t[0] + t[1]))
}

/// User + system time of this process's waited-for children.
pub fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    stat_fields(&stat, 2).map_or(Duration::ZERO, |t| ticks(t[0] + t[1]))
}

fn ticks(n: u64) -> Duration {
    Duration::from_millis(n * 1000 / USER_HZ)
}

/// Two numbers of a `/proc/*/stat` line from field 14 (utime) + `skip`: utime and stime
/// (`skip` 0) or cutime and cstime (`skip` 2).
fn stat_fields(stat: &str, skip: usize) -> Option<[u64; 2]> {
    // After the parenthesised command name: field 3 (state) onwards; utime is field 14.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11 + skip).map(str::parse);
    Some([fields.next()?.ok()?, fields.next()?.ok()?])
}

/// Peak resident set size of process `pid` (`VmHWM`), KiB.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmHWM:")
}

/// Resident set size of process `pid` now (`VmRSS`), KiB.
pub fn vm_rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `KiB` as MiB text, `-` when unknown.
pub fn mib(kib: Option<u64>) -> String {
    kib.map_or("-".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}
