//! Hostile operator files: watchlists (bgpwatch YAML and BGPalerter `prefixes.yml`) and config
//! TOML nested 100,000 deep, or expanding aliases exponentially ("billion laughs"). Each must be
//! refused with exit 2 and a message naming the file, never a stack overflow, in bounded memory
//! and time.

#[path = "support/measured.rs"]
mod measured;
mod support;

use std::time::Duration;

const EXIT_CONFIG: i32 = 2;
/// Peak RSS allowed while refusing one file (they peak near 45 MiB, the 100,000-level YAML
/// event list included).
const RSS_BOUND_KIB: u64 = 96 * 1024;
const DEPTH: usize = 100_000;
/// Flow nesting is refused before the YAML parser runs: libyaml took 110 s (debug build) to
/// reach the deserializer's recursion limit on 100,000 unclosed `{a: `.
const TOO_DEEP_LINE_2: &str = "nested deeper than 64 levels at line 2";
const TOO_DEEP_LINE_1: &str = "nested deeper than 64 levels at line 1";

/// Nine aliases each nine times the one before: 9^9 strings if expanded.
fn billion_laughs() -> String {
    let mut text =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
            .to_string();
    let names: Vec<char> = ('a'..='i').collect();
    for pair in names.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("{next}: &{next} [{refs}]\n"));
    }
    text
}

/// Runs `args` with `file` appended; checks the refusal.
fn refused(case: &str, args: &[&str], name: &str, text: &str, needle: &str) -> u64 {
    let dir = support::scratch(&format!("damaged_config_{case}"));
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let mut command = support::bgpwatch();
    command.args(args).arg(&file);
    let run = measured::run(command, &dir, Duration::from_secs(60));
    run.assert_sane(case, RSS_BOUND_KIB);
    assert_eq!(run.code, Some(EXIT_CONFIG), "{case}: {}", run.stderr);
    assert!(
        run.stderr.contains(name) && run.stderr.contains(needle),
        "{case}: expected the file name and `{needle}`: {}",
        &run.stderr[..run.stderr.len().min(2000)]
    );
    run.peak_rss_kib
}

#[test]
fn deep_and_exploding_yaml_watchlists_are_refused_not_a_stack_overflow() {
    let check = ["check-config", "--watchlist"];
    let import = ["watchlist", "import-bgpalerter"];
    let deep_seq = format!("prefixes:\n  10.0.0.0/8: {}\n", "[".repeat(DEPTH));
    let deep_map = format!("prefixes:\n  10.0.0.0/8: {}\n", "{a: ".repeat(DEPTH));
    let deep_block: String = std::iter::once("groups:\n".to_string())
        .chain((1..=5_000).map(|i| format!("{}g:\n", "  ".repeat(i))))
        .collect();
    let bgpalerter_seq = format!("203.0.113.0/24: {}\n", "[".repeat(DEPTH));
    let bgpalerter_map = format!("203.0.113.0/24: {}\n", "{a: ".repeat(DEPTH));
    let mut peaks = vec![
        refused(
            "deep_seq",
            &check,
            "deep_seq.yaml",
            &deep_seq,
            TOO_DEEP_LINE_2,
        ),
        refused(
            "deep_map",
            &check,
            "deep_map.yaml",
            &deep_map,
            TOO_DEEP_LINE_2,
        ),
        refused("deep_block", &check, "deep_block.yaml", &deep_block, "line"),
        refused(
            "laughs",
            &check,
            "laughs.yaml",
            &billion_laughs(),
            "laughs.yaml",
        ),
        refused(
            "ba_seq",
            &import,
            "ba_seq.yml",
            &bgpalerter_seq,
            TOO_DEEP_LINE_1,
        ),
        refused(
            "ba_map",
            &import,
            "ba_map.yml",
            &bgpalerter_map,
            TOO_DEEP_LINE_1,
        ),
        refused(
            "ba_laughs",
            &import,
            "ba_laughs.yml",
            &billion_laughs(),
            "repetition limit",
        ),
    ];
    let refused = peaks.len();
    peaks.retain(|&p| p > 0);
    peaks.sort();
    eprintln!(
        "hostile YAML: {refused} files refused, {} measured: peak RSS {}..{} KiB",
        peaks.len(),
        peaks[0],
        peaks[peaks.len() - 1]
    );
}

#[test]
fn a_deeply_nested_config_file_is_refused_not_a_stack_overflow() {
    let check = ["check-config", "--config"];
    let array = format!("watchlist = {}\n", "[".repeat(DEPTH));
    let table = format!("detect = {}\n", "{ a = ".repeat(DEPTH));
    refused("toml_array", &check, "deep_array.toml", &array, "recursion");
    refused("toml_table", &check, "deep_table.toml", &table, "recursion");
}
