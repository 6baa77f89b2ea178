//! Shared test helpers: where the real data lives, how a missing file or tool skips (loudly)
//! or fails (under `BGPWATCH_REQUIRE_LAB=1`), and running the `bgpwatch` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `BGPWATCH_DATA`, default `../shared/data` beside the repository.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("BGPWATCH_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    }
}

/// True when missing lab components or data must fail the test instead of skipping it.
pub fn lab_required() -> bool {
    std::env::var("BGPWATCH_REQUIRE_LAB").is_ok_and(|v| v == "1")
}

/// Skips (returns `None`, printing why) or panics under `BGPWATCH_REQUIRE_LAB=1`.
pub fn missing<T>(what: &str) -> Option<T> {
    if lab_required() {
        panic!("BGPWATCH_REQUIRE_LAB=1 but {what}");
    }
    eprintln!("SKIPPED: {what} (set BGPWATCH_DATA, install the tool, or see README)");
    None
}

/// The real data file `relative` (to the data dir), or a loud skip.
pub fn data_file(relative: &str) -> Option<PathBuf> {
    let path = data_dir().join(relative);
    if path.is_file() {
        Some(path)
    } else {
        missing(&format!("real data file {} is absent", path.display()))
    }
}

/// The program `name` on PATH, or a loud skip.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    found.or_else(|| missing(&format!("`{name}` is not installed")))
}

/// The built `bgpwatch` binary.
pub fn bgpwatch() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bgpwatch"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command.env("BGPWATCH_LOG", "error");
    // Compiled watchlists go to the tests' own directory, not to $HOME/.cache.
    command.env(
        "BGPWATCH_CACHE_DIR",
        std::env::temp_dir()
            .join("bgpwatch-tests")
            .join("watchlist-cache"),
    );
    command
}

/// A fresh scratch directory for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("bgpwatch-tests")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating scratch dir");
    dir
}

/// Runs `bgpwatch replay` with `args` and returns the process output.
pub fn replay(args: &[&str]) -> Output {
    bgpwatch()
        .arg("replay")
        .arg("--no-progress")
        .args(args)
        .output()
        .expect("running bgpwatch")
}

/// Alert events (parsed JSON lines) from stdout.
pub fn events(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

/// The `--summary-json` document written to `path`.
pub fn summary(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("reading summary");
    serde_json::from_str(&text).expect("summary is JSON")
}

/// xorshift64*: deterministic noise without a dependency.
pub struct Noise(u64);

impl Noise {
    /// A generator; `seed` must not be 0.
    pub fn new(seed: u64) -> Noise {
        Noise(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `len` bytes of noise from `seed` (the top byte of each draw).
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut noise = Noise::new(seed);
    (0..len).map(|_| (noise.next() >> 56) as u8).collect()
}
