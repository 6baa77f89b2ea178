//! Replay throughput on real MRT files, measured side by side in one run (DESIGN.md section 10,
//! issue 8):
//!
//! * `bare parser`: bgpkit-parser counting elems, nothing else (the parse-only limit), in this
//!   process;
//! * `bgpwatch 1 core`: the `bgpwatch replay` binary with the full Pakistan watchlist
//!   (`prefixes/pk.yaml`) under `taskset -c 0`: process start, watchlist load and output
//!   included; the watchlist comes from its compiled copy (src/watchlist/cache.rs), written by
//!   an untimed warm-up run, as on every run after the first with an unchanged file;
//! * `bgpwatch`: the same on every core;
//! * `1 core, no cache`: one core with the copy turned off (`BGPWATCH_CACHE_DIR=off`): the
//!   559 KB YAML parsed by libyaml, as on a first run or after an edit;
//! * `bgpdump -m`: Debian's independent MRT reader, output to /dev/null.
//!
//! * instructions: the same `bgpwatch replay` under callgrind (all threads), when valgrind is
//!   installed and `BENCH_CALLGRIND` is not `0`: the stable figure for spotting a regression on
//!   a shared machine (`benches/baseline.tsv` holds the counts measured when the targets were
//!   met; `benches/suite.sh` prints the change).
//!
//! `cargo bench --bench replay`. Each figure is the best of `BENCH_RUNS` runs (default 3); the
//! tools take turns within each round, so a busy neighbour slows them alike. `BGPWATCH_DATA`
//! points at the real data (default `../shared/data`); absent files and tools are skipped with a
//! printed note; `BENCH_RESULTS` names a file the figures are appended to (for
//! `benches/suite.sh`). CPU time comes from `/proc/self/stat` (10 ms resolution); peak RSS is
//! the child's `VmHWM`, polled while it runs. Exits with 1 when the tools disagree on the update
//! count.

#[path = "../common/mod.rs"]
mod common;
mod tools;

use common::{data_dir, mib, record, runs};
use std::path::{Path, PathBuf};
use tools::{Cache, Runner, Sample, Tool};

/// The MRT files measured, relative to the data directory, with their short names.
const FILES: [(&str, &str); 2] = [
    ("et-header", "mrt/edge-cases/updates.et-header.2015.gz"),
    ("rrc00", "mrt/ris/rrc00.updates.20190101.0000.gz"),
];
/// The watchlist, relative to the repository.
const WATCHLIST: &str = "prefixes/pk.yaml";
/// The table's column titles, aligned with the rows [`print_table`] writes.
const TABLE_HEAD: &str = concat!(
    "file                                       | tool            |   updates | seconds | updates/s ",
    "| vs parser | vs bgpdump | cpu s |  peak RSS"
);

fn main() {
    let data = data_dir();
    let runs = runs();
    let scratch = std::env::temp_dir().join(format!("bgpwatch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("creating the scratch directory");
    let watchlist = Path::new(env!("CARGO_MANIFEST_DIR")).join(WATCHLIST);
    println!(
        "bgpwatch replay benchmark: data {}, watchlist {WATCHLIST}, best of {runs} runs",
        data.display()
    );
    let bgpwatch = tools::Bgpwatch {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_bgpwatch")),
        watchlist,
        scratch: scratch.clone(),
    };
    let bgpdump = program_on_path("bgpdump");
    if bgpdump.is_none() {
        println!("SKIPPED: bgpdump is not installed (apt-get install bgpdump)");
    }
    let taskset = program_on_path("taskset");
    if taskset.is_none() {
        println!("SKIPPED: one-core runs: taskset is not installed (util-linux)");
    }
    let valgrind = match std::env::var("BENCH_CALLGRIND").as_deref() {
        Ok("0") => None,
        _ => program_on_path("valgrind"),
    };
    if valgrind.is_none() {
        println!("SKIPPED: instruction counts (valgrind absent or BENCH_CALLGRIND=0)");
    }
    let mut agree = true;
    for (name, relative) in FILES {
        let path = data.join(relative);
        let file = path.as_path();
        if !file.is_file() {
            println!("SKIPPED: {relative} absent");
            continue;
        }
        bgpwatch
            .cli(file, None, Cache::Warm)
            .unwrap_or_else(|e| panic!("{relative}: warm-up run: {e}"));
        let mut tools: Vec<(Tool, Runner)> =
            vec![(Tool::BareParser, Box::new(|| tools::bare_parse(file)))];
        if let Some(taskset) = &taskset {
            tools.push((
                Tool::OneCore,
                Box::new(|| bgpwatch.cli(file, Some(taskset), Cache::Warm)),
            ));
        }
        tools.push((
            Tool::AllCores,
            Box::new(|| bgpwatch.cli(file, None, Cache::Warm)),
        ));
        if let Some(taskset) = &taskset {
            tools.push((
                Tool::OneCoreParsed,
                Box::new(|| bgpwatch.cli(file, Some(taskset), Cache::Off)),
            ));
        }
        if let Some(bgpdump) = &bgpdump {
            let lines = tools::bgpdump_lines(bgpdump, file)
                .unwrap_or_else(|e| panic!("{relative}: bgpdump: {e}"));
            tools.push((
                Tool::Bgpdump,
                Box::new(move || tools::bgpdump_run(bgpdump, file, lines)),
            ));
        }
        let best = tools::best_of(tools, runs).unwrap_or_else(|e| panic!("{relative}: {e}"));
        print_table(relative, &best);
        record_file(name, &best);
        if let Some(valgrind) = &valgrind {
            let count = bgpwatch
                .instructions(valgrind, file)
                .unwrap_or_else(|e| panic!("{relative}: {e}"));
            println!("bgpwatch replay instructions (callgrind, all threads): {count}");
            record(&format!("replay.{name}.instructions"), count as f64);
        }
        agree &= check_counts(relative, &best);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if !agree {
        std::process::exit(1);
    }
}

fn program_on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn rate_of(best: &[(Tool, Sample)], wanted: Tool) -> Option<f64> {
    best.iter()
        .find(|(tool, _)| *tool == wanted)
        .map(|(_, s)| s.rate())
}

fn print_table(file: &str, best: &[(Tool, Sample)]) {
    let ratio =
        |base: Option<f64>, rate: f64| base.map_or("-".into(), |b| format!("{:.2}x", rate / b));
    let (parser, bgpdump) = (
        rate_of(best, Tool::BareParser),
        rate_of(best, Tool::Bgpdump),
    );
    println!();
    println!("{TABLE_HEAD}");
    println!("{}", "-".repeat(TABLE_HEAD.len()));
    for (tool, s) in best {
        println!(
            "{:<42} | {:<15} | {:>9} | {:>7.3} | {:>9.0} | {:>9} | {:>10} | {:>5.2} | {:>9}",
            file,
            tool.label(),
            s.updates,
            s.wall.as_secs_f64(),
            s.rate(),
            ratio(parser, s.rate()),
            ratio(bgpdump, s.rate()),
            s.cpu.as_secs_f64(),
            mib(s.peak_rss_kib),
        );
    }
}

/// `replay.<file>.<tool>.{rate,cpu_s,rss_kib,updates}` to `BENCH_RESULTS`.
fn record_file(name: &str, best: &[(Tool, Sample)]) {
    for (tool, s) in best {
        let key = |what: &str| format!("replay.{name}.{}.{what}", tool.key());
        record(&key("rate"), s.rate());
        record(&key("cpu_s"), s.cpu.as_secs_f64());
        record(&key("updates"), s.updates as f64);
        if let Some(kib) = s.peak_rss_kib {
            record(&key("rss_kib"), kib as f64);
        }
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
