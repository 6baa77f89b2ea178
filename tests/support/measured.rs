//! Running `bgpwatch` as a child whose peak memory is measured (`VmHWM` of `/proc/PID/status`,
//! the kernel's high-water mark of the process's own memory), and the checks every
//! hostile-input test makes of a finished run (no panic, memory under a bound).
//!
//! `wait4(2)`'s `ru_maxrss` is not used: it keeps the high-water mark of the memory the child
//! shared with the test process before `exec`, so it reports the test process's own peak.
//! Include it beside `support` (`#[path = "support/measured.rs"] mod measured;`).
#![allow(dead_code)]

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A child that ends within this time may end before its memory is read once.
const SHORT_LIVED: Duration = Duration::from_millis(50);

/// What a finished child did.
#[derive(Debug)]
pub struct Measured {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Peak resident set size, KiB: the last `VmHWM` read, every millisecond until the exit (a
    /// peak in the very last millisecond could be missed; memory that matters takes longer to
    /// fill than that).
    pub peak_rss_kib: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
}

impl Measured {
    /// Alert events (JSON lines) it printed.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
            .collect()
    }

    /// Panics unless it ended by itself (no signal), without a panic message, and with a peak
    /// RSS under `bound_kib`. `case` names the input in the failure message.
    pub fn assert_sane(&self, case: &str, bound_kib: u64) {
        assert!(
            self.signal.is_none(),
            "{case}: killed by signal {:?} (stack overflow or abort?)\n{}",
            self.signal,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "{case}: panicked\n{}",
            self.stderr
        );
        // A child gone before the first reading lived a millisecond or two: too short to
        // fill memory that matters (touching 64 MiB alone takes longer).
        assert!(
            self.peak_rss_kib > 0 || self.elapsed < SHORT_LIVED,
            "{case}: no memory reading in {:?}",
            self.elapsed
        );
        assert!(
            self.peak_rss_kib < bound_kib,
            "{case}: peak RSS {} KiB, bound {bound_kib} KiB",
            self.peak_rss_kib
        );
    }
}

/// Runs `command` to its end (killed after `limit`), stdout and stderr through files in `dir`.
pub fn run(mut command: Command, dir: &Path, limit: Duration) -> Measured {
    let out = dir.join("measured.stdout");
    let err = dir.join("measured.stderr");
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("starting bgpwatch");
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        peak = peak.max(peak_kib(pid));
        if let Some(status) = child.try_wait().expect("waiting for bgpwatch") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "still running after {limit:?}; stderr:\n{}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    Measured {
        code: status.code(),
        signal: status.signal(),
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
        peak_rss_kib: peak,
        elapsed: started.elapsed(),
    }
}

/// A `/proc/PID/status` field in KiB (`VmHWM`, `VmRSS`); 0 when the process is gone.
pub fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Peak RSS so far of a running process, KiB.
pub fn peak_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM")
}

/// Current RSS of a running process, KiB.
pub fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS")
}
