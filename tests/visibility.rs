//! Visibility, withdrawal and mass-withdrawal on real withdrawal-heavy data, with watchlists built
//! from what the files announce. Ground truth comes from Debian `bgpdump -m`'s lines, replayed by
//! a few lines of independent bookkeeping here: who carries each prefix when.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

/// Seconds a visibility condition must hold (the default `visibility_for`).
const PERSIST: i64 = 120;
/// Visibility is evaluated every 10 s of data time: allowed slack on deadlines.
const EVALUATION_SLACK: i64 = 10;

/// One `bgpdump -m` announcement or withdrawal.
struct Line {
    time: i64,
    kind: char,
    peer: String,
    prefix: String,
    origin: Option<String>,
}

fn bgpdump_lines(files: &[&Path]) -> Option<Vec<Line>> {
    let bgpdump = support::tool("bgpdump")?;
    let mut lines = Vec::new();
    for file in files {
        let out = Command::new(&bgpdump).arg("-m").arg(file).output().unwrap();
        for l in String::from_utf8_lossy(&out.stdout).lines() {
            let f: Vec<&str> = l.split('|').collect();
            if f.len() < 6 || !(f[2] == "A" || f[2] == "W") || f[5].contains(':') {
                continue;
            }
            let origin = (f[2] == "A")
                .then(|| f[6].split_whitespace().last().map(String::from))
                .flatten();
            lines.push(Line {
                time: f[1].parse().unwrap(),
                kind: f[2].chars().next().unwrap(),
                peer: f[3].into(),
                prefix: f[5].into(),
                origin,
            });
        }
    }
    Some(lines)
}

/// A watchlist of every IPv4 prefix announced by at least `min_peers` peers with one origin.
fn watchlist_from(
    lines: &[Line],
    min_peers: usize,
    dir: &Path,
) -> (std::path::PathBuf, BTreeSet<String>) {
    let mut peers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut origins: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.kind == 'A') {
        if let Some(o) = l
            .origin
            .as_deref()
            .filter(|o| o.chars().all(|c| c.is_ascii_digit()))
        {
            peers.entry(&l.prefix).or_default().insert(&l.peer);
            origins.entry(&l.prefix).or_default().insert(o);
        }
    }
    let mut yaml = String::from("groups:\n  g: { severity: critical }\nprefixes:\n");
    let mut watched = BTreeSet::new();
    for (prefix, set) in &peers {
        if set.len() >= min_peers && origins[prefix].len() == 1 {
            yaml += &format!(
                "  {prefix}: {{ origins: [{}], group: g }}\n",
                origins[prefix].iter().next().unwrap()
            );
            watched.insert(prefix.to_string());
        }
    }
    let path = dir.join("watchlist.yaml");
    std::fs::write(&path, yaml).unwrap();
    (path, watched)
}

/// A prefix's history: (time, peers carrying it from then on), and the peers that ever did.
type History = (Vec<(i64, usize)>, BTreeSet<String>);

/// Per prefix, the times at which the number of peers carrying it changed, and the peers that
/// ever carried it.
fn carriers(lines: &[Line]) -> HashMap<String, History> {
    let mut now: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut out: HashMap<String, History> = HashMap::new();
    for l in lines {
        let set = now.entry(&l.prefix).or_default();
        if l.kind == 'A' {
            set.insert(&l.peer);
        } else {
            set.remove(l.peer.as_str());
        }
        let entry = out.entry(l.prefix.clone()).or_default();
        entry.0.push((l.time, set.len()));
        if l.kind == 'A' {
            entry.1.insert(l.peer.clone());
        }
    }
    out
}

fn carried_at(history: &[(i64, usize)], t: i64) -> usize {
    history
        .iter()
        .take_while(|(time, _)| *time <= t)
        .last()
        .map_or(0, |(_, n)| *n)
}

fn replay(name: &str, toml: &str, files: &[&Path]) -> (Vec<Value>, Value) {
    let dir = support::scratch(name);
    let config = dir.join("bgpwatch.toml");
    std::fs::write(&config, toml).unwrap();
    let summary = dir.join("summary.json");
    let mut args = vec![
        "--config".to_string(),
        config.display().to_string(),
        "--summary-json".into(),
        summary.display().to_string(),
    ];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = support::replay(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (support::events(&output), support::summary(&summary))
}

fn unix(time: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(time.as_str().unwrap())
        .unwrap()
        .timestamp()
}

#[test]
fn withdrawals_fire_where_routes_really_vanish_and_resolve_when_they_return() {
    let (Some(a), Some(b)) = (
        support::data_file("mrt/ris/rrc15.updates.20100227.1600.gz"),
        support::data_file("mrt/ris/rrc15.updates.20100227.1610.gz"),
    ) else {
        return;
    };
    let Some(lines) = bgpdump_lines(&[&a, &b]) else {
        return;
    };
    let dir = support::scratch("visibility_rrc15");
    // rrc15 had five main peers in 2010: judge prefixes three or more of them carried.
    let (watchlist, watched) = watchlist_from(&lines, 3, &dir);
    let toml = format!(
        "watchlist = \"{}\"\n[detect]\nmin_baseline = 3\n",
        watchlist.display()
    );
    let (events, summary) = replay("visibility_rrc15_replay", &toml, &[&a, &b]);
    let history = carriers(&lines);
    let end = lines.iter().map(|l| l.time).max().unwrap();

    // Real 2010 paths through AS3549 (Global Crossing, then a tier-1) are tier-1 peering, not
    // leaks: the built-in tier-1 list must know it.
    assert!(
        !events.iter().any(|e| e["kind"] == "route-leak"),
        "no route leak in ordinary 2010 paths"
    );
    let opened: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "withdrawal" && e["event"] != "resolved")
        .collect();
    assert!(!opened.is_empty(), "routes do vanish in this file");
    for e in &opened {
        let prefix = e["prefix"].as_str().unwrap();
        let (h, ever) = &history[prefix];
        let t = unix(&e["time"]);
        // The truth at the alert, and for the 2 min before it: at most a tenth of the peers.
        for s in [t - PERSIST + EVALUATION_SLACK, t] {
            assert!(
                carried_at(h, s) * 10 <= ever.len(),
                "{prefix} carried by {} of {} at {s}: {e}",
                carried_at(h, s),
                ever.len()
            );
        }
        assert_eq!(e["severity"], "critical");
        assert!(e["summary"].as_str().unwrap().contains("withdrawn"), "{e}");
    }
    // Every watched prefix that vanished for good, early enough to be judged, was reported.
    let reported: BTreeSet<&str> = opened
        .iter()
        .map(|e| e["prefix"].as_str().unwrap())
        .collect();
    for prefix in &watched {
        let (h, ever) = &history[prefix.as_str()];
        let (gone_at, n) = *h.last().unwrap();
        if n == 0 && ever.len() >= 3 && end - gone_at >= PERSIST + EVALUATION_SLACK {
            assert!(
                reported.contains(prefix.as_str()),
                "{prefix} vanished at {gone_at} and was not reported"
            );
        }
    }
    // Withdrawals that ended within the file resolved, 2 min after visibility came back.
    for r in events.iter().filter(|e| e["event"] == "resolved") {
        let prefix = r["prefix"].as_str().unwrap();
        let (h, ever) = &history[prefix];
        assert!(
            carried_at(h, unix(&r["time"])) * 10 >= ever.len() * 8,
            "{r}"
        );
    }
    assert_eq!(
        summary["alerts"].as_u64().unwrap() as usize,
        events.iter().filter(|e| e["event"] == "open").count()
    );
}

#[test]
fn one_peer_withdrawing_everything_is_no_visibility_event() {
    let Some(file) = support::data_file("mrt/ris/updates.20020722.2238.gz") else {
        return;
    };
    let Some(lines) = bgpdump_lines(&[&file]) else {
        return;
    };
    // 72 % withdrawals, most from one peer (193.203.0.81) dropping its routes.
    let by_one = lines
        .iter()
        .filter(|l| l.kind == 'W' && l.peer == "193.203.0.81")
        .count();
    assert!(by_one > 1500, "{by_one}");
    let dir = support::scratch("visibility_2002");
    let (watchlist, _) = watchlist_from(&lines, 2, &dir);
    let toml = format!(
        "watchlist = \"{}\"\n[detect]\nmin_baseline = 2\nwarmup = \"1m\"\n",
        watchlist.display()
    );
    let (events, _) = replay("visibility_2002_replay", &toml, &[&file]);
    let history = carriers(&lines);
    for e in events.iter().filter(|e| e["event"] == "open") {
        let prefix = e["prefix"].as_str().unwrap();
        let (h, ever) = &history[prefix];
        let t = unix(&e["time"]);
        assert!(
            carried_at(h, t) * 2 < ever.len(),
            "alert where most peers still carry {prefix}: {e}"
        );
    }
}
