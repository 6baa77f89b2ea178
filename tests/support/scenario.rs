//! Scenario tests written as RIS Live JSON lines, replayed through the real CLI, their output
//! compared with a golden file in `tests/golden/` (regenerate with `UPDATE_GOLDEN=1`).
//! Include with `#[path = "support/scenario.rs"] mod scenario;` next to `mod support;`.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Output;

/// 2026-01-01T07:00:00Z, the start of every scenario.
pub const T0: f64 = 1_767_250_800.0;

/// A vantage point: RIS collector, peer address, peer AS.
#[derive(Clone, Copy, Debug)]
pub struct Vp(pub &'static str, pub &'static str, pub u32);

fn data(vp: Vp, t: f64) -> serde_json::Map<String, Value> {
    let v = json!({"timestamp": T0 + t, "peer": vp.1, "peer_asn": vp.2.to_string(), "host": format!("{}.ripe.net", vp.0)});
    v.as_object().cloned().unwrap()
}

/// `vp` announces `prefix` with `path` (JSON: numbers, an AS_SET as a nested list) at `T0 + t`.
pub fn announce(vp: Vp, t: f64, prefix: &str, path: Value) -> String {
    let mut d = data(vp, t);
    d.insert("type".into(), json!("UPDATE"));
    d.insert("path".into(), path);
    d.insert(
        "announcements".into(),
        json!([{"next_hop": vp.1, "prefixes": [prefix]}]),
    );
    json!({"type": "ris_message", "data": d}).to_string()
}

/// `vp` withdraws `prefix` at `T0 + t`.
pub fn withdraw(vp: Vp, t: f64, prefix: &str) -> String {
    let mut d = data(vp, t);
    d.insert("type".into(), json!("UPDATE"));
    d.insert("withdrawals".into(), json!([prefix]));
    json!({"type": "ris_message", "data": d}).to_string()
}

/// `vp`'s session goes down (RIS_PEER_STATE) at `T0 + t`.
pub fn peer_down(vp: Vp, t: f64) -> String {
    let mut d = data(vp, t);
    d.insert("type".into(), json!("RIS_PEER_STATE"));
    d.insert("state".into(), json!("down"));
    json!({"type": "ris_message", "data": d}).to_string()
}

/// Writes `lines` to a scratch file and replays it with `args` before the input.
pub fn replay_lines(name: &str, lines: &[String], args: &[&str]) -> Output {
    let dir = crate::support::scratch(name);
    let input = dir.join(format!("{name}.jsonl"));
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let mut all: Vec<&str> = args.to_vec();
    let input_arg = input.to_str().unwrap().to_string();
    all.push(&input_arg);
    crate::support::replay(&all)
}

/// Replays `lines` with `args`, expects exit 0, checks the golden file `name`; the events.
pub fn run(name: &str, lines: &[String], args: &[&str]) -> Vec<Value> {
    let output = replay_lines(name, lines, args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    check_golden(name, &output.stdout);
    crate::support::events(&output)
}

/// Compares `stdout` with `tests/golden/<name>.jsonl` (or writes it under `UPDATE_GOLDEN`).
pub fn check_golden(name: &str, stdout: &[u8]) {
    let golden: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.jsonl"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, stdout).unwrap();
        return;
    }
    let expected = std::fs::read(&golden).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create)",
            golden.display()
        )
    });
    assert_eq!(
        String::from_utf8_lossy(stdout),
        String::from_utf8_lossy(&expected),
        "output differs from {}",
        golden.display()
    );
}

/// `(event, kind)` of every event, in order.
pub fn kinds(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_string(),
                e["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `("open", "route-leak")` as owned strings, to compare with [`kinds`].
pub fn pair(event: &str, kind: &str) -> (String, String) {
    (event.to_string(), kind.to_string())
}
