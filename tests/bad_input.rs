//! Bad input never panics: each gets a clear message naming what and where, everything intact is
//! still processed, and the exit code says so (2 usage/config, 3 damaged input).

mod support;

use std::process::Output;

const WATCHLIST: &str = "fixtures/scenarios/watchlist.yaml";
const EXIT_CONFIG: i32 = 2;
const EXIT_DAMAGED: i32 = 3;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_truncated_bz2_rib_still_alerts_from_its_intact_records_and_exits_3() {
    let Some(rib) = support::data_file("mrt/routeviews/rib.20140523.0600_firstMB.bz2") else {
        return;
    };
    let dir = support::scratch("truncated_bz2");
    // 1.0.4.0/24 is originated by AS56203 at 32 peers in that RIB; claim it belongs to AS64500.
    let watchlist = dir.join("w.yaml");
    std::fs::write(
        &watchlist,
        "prefixes:\n  1.0.4.0/24: { origins: [64500] }\n",
    )
    .unwrap();
    let output = support::replay(&[
        "--watchlist",
        watchlist.to_str().unwrap(),
        rib.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(EXIT_DAMAGED),
        "{}",
        stderr(&output)
    );
    let err = stderr(&output);
    assert!(
        err.contains("rib.20140523.0600_firstMB.bz2") && err.contains("at byte"),
        "{err}"
    );
    let events = support::events(&output);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "origin-hijack");
    assert_eq!(events[0]["offender"], 56203);
    assert_eq!(
        events[0]["peers"], 32,
        "one open with every RIB peer of that instant, not a burst"
    );
}

#[test]
fn the_malformed_historic_rib_is_read_without_panic() {
    let Some(rib) = support::data_file("mrt/edge-cases/rrc00.bview.20000111.0032.gz") else {
        return;
    };
    let dir = support::scratch("historic_rib");
    let summary = dir.join("s.json");
    let output = support::replay(&[
        "--watchlist",
        WATCHLIST,
        "--summary-json",
        summary.to_str().unwrap(),
        rib.to_str().unwrap(),
    ]);
    assert!(
        matches!(output.status.code(), Some(0 | EXIT_DAMAGED)),
        "{}",
        stderr(&output)
    );
    // bgpdump gives up after one entry; the records are four bytes short and are recovered.
    assert_eq!(support::summary(&summary)["announcements"], 452_018);
}

#[test]
fn a_line_that_is_not_json_is_reported_with_its_line_number_and_the_rest_is_used() {
    let Some(file) = support::data_file("ris-live/libbgpstream.ris-live-stream.json") else {
        return;
    };
    let dir = support::scratch("non_json_line");
    let summary = dir.join("s.json");
    let output = support::replay(&[
        "--watchlist",
        WATCHLIST,
        "--summary-json",
        summary.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(EXIT_DAMAGED));
    let err = stderr(&output);
    assert!(
        err.contains("libbgpstream.ris-live-stream.json") && err.contains("(line 7)"),
        "{err}"
    );
    let s = support::summary(&summary);
    assert_eq!(s["records"], 7);
    assert_eq!(s["announcements"], 1, "the UPDATE on line 1");
    assert_eq!(s["peer_events"], 1, "RIS_PEER_STATE down on line 2");
    assert_eq!(s["errors"], 1);
}

#[test]
fn empty_files_directories_missing_files_and_random_bytes_are_named_and_skipped() {
    let dir = support::scratch("bad_files");
    let empty = dir.join("empty.mrt");
    std::fs::write(&empty, b"").unwrap();
    let random = dir.join("random.bin");
    let bytes: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&random, &bytes).unwrap();
    let good = dir.join("good.jsonl");
    std::fs::write(
        &good,
        r#"{"timestamp":1767250800,"peer":"198.18.0.1","peer_asn":"3356","host":"rrc00","type":"UPDATE","path":[3356,64666],"announcements":[{"next_hop":"198.18.0.1","prefixes":["198.51.100.0/24"]}]}"#,
    )
    .unwrap();
    let missing = dir.join("does-not-exist.gz");
    let summary = dir.join("s.json");
    let output = support::replay(&[
        "--watchlist",
        WATCHLIST,
        "--min-peers",
        "1",
        "--summary-json",
        summary.to_str().unwrap(),
        empty.to_str().unwrap(),
        dir.to_str().unwrap(),
        random.to_str().unwrap(),
        missing.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(EXIT_DAMAGED));
    let err = stderr(&output);
    assert!(err.contains("empty.mrt: is empty"), "{err}");
    assert!(err.contains("is a directory"), "{err}");
    assert!(
        err.contains("random.bin: not MRT, RIS Live JSON or BMP"),
        "{err}"
    );
    assert!(err.contains("does-not-exist.gz: cannot open"), "{err}");
    let events = support::events(&output);
    assert_eq!(
        events.len(),
        1,
        "the good file after the bad ones is still replayed"
    );
    assert_eq!(support::summary(&summary)["errors"], 4);
}

#[test]
fn random_bytes_forced_through_every_decoder_never_panic() {
    let dir = support::scratch("forced_formats");
    let random = dir.join("random.bin");
    let mut bytes: Vec<u8> = (0u32..65_536)
        .map(|i| (i.wrapping_mul(2_246_822_519) >> 11) as u8)
        .collect();
    bytes[0] = 3; // a BMP version byte, then garbage lengths
    std::fs::write(&random, &bytes).unwrap();
    for format in ["mrt", "bmp", "ris-live"] {
        let output = support::replay(&[
            "--watchlist",
            WATCHLIST,
            "--input-format",
            format,
            random.to_str().unwrap(),
        ]);
        assert_eq!(
            output.status.code(),
            Some(EXIT_DAMAGED),
            "{format}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("random.bin"),
            "{format}: {}",
            stderr(&output)
        );
    }
}

fn check_watchlist(name: &str, yaml: &str, expected: &[&str]) {
    let dir = support::scratch(name);
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, yaml).unwrap();
    let output = support::bgpwatch()
        .args(["check-config", "--watchlist", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(EXIT_CONFIG), "{name}");
    let err = stderr(&output);
    assert!(
        err.contains(&format!("{name}.yaml")),
        "{name}: message must name the file: {err}"
    );
    for needle in expected {
        assert!(
            err.contains(needle),
            "{name}: expected `{needle}` in: {err}"
        );
    }
}

#[test]
fn watchlist_errors_name_the_file_the_entry_and_the_fix() {
    check_watchlist(
        "bad_prefix",
        "prefixes:\n  10.0.0.0/33: { origins: [1] }\n",
        &["10.0.0.0/33", "address/length"],
    );
    check_watchlist(
        "host_bits",
        "prefixes:\n  10.0.0.1/8: { origins: [1] }\n",
        &["10.0.0.1/8", "10.0.0.0/8"],
    );
    check_watchlist(
        "bad_asn",
        "prefixes:\n  10.0.0.0/8: { origins: [ASX] }\n",
        &["ASX", "AS17557"],
    );
    check_watchlist(
        "negative_asn",
        "prefixes:\n  10.0.0.0/8: { origins: [-5] }\n",
        &["negative"],
    );
    check_watchlist(
        "missing_origins",
        "prefixes:\n  10.0.0.0/8: { description: x }\n",
        &["10.0.0.0/8", "origins: []"],
    );
    check_watchlist(
        "unknown_key",
        "prefixes:\n  10.0.0.0/8: { origins: [1], orgins: [2] }\n",
        &["orgins", "line"],
    );
    check_watchlist(
        "undefined_group",
        "prefixes:\n  10.0.0.0/8: { origins: [1], group: gov }\n",
        &["gov", "groups:"],
    );
    check_watchlist(
        "bad_max_length",
        "prefixes:\n  10.0.0.0/8: { origins: [1], max_length: 7 }\n",
        &["max_length 7"],
    );
    check_watchlist("not_yaml", "prefixes: [unclosed\n", &["line"]);
}

#[test]
fn the_same_prefix_in_two_watchlist_files_is_refused() {
    let dir = support::scratch("duplicate_prefix");
    let (a, b) = (dir.join("a.yaml"), dir.join("b.yaml"));
    std::fs::write(&a, "prefixes:\n  10.0.0.0/8: { origins: [1] }\n").unwrap();
    std::fs::write(&b, "prefixes:\n  10.0.0.0/8: { origins: [2] }\n").unwrap();
    let output = support::bgpwatch()
        .args([
            "check-config",
            "--watchlist",
            a.to_str().unwrap(),
            "--watchlist",
            b.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(EXIT_CONFIG));
    let err = stderr(&output);
    assert!(
        err.contains("a.yaml") && err.contains("b.yaml") && err.contains("10.0.0.0/8"),
        "{err}"
    );
}

#[test]
fn a_bad_config_file_is_refused_with_the_key_at_fault() {
    let dir = support::scratch("bad_config");
    for (name, toml, needle) in [
        (
            "unknown",
            "watchlist = \"fixtures/scenarios/watchlist.yaml\"\n[detect]\nmin_peer = 3\n",
            "min_peer",
        ),
        (
            "zero_peers",
            "[detect]\nmin_peers = 0\n",
            "detect.min_peers",
        ),
        ("zero_queue", "[detect]\nqueue = 0\n", "detect.queue"),
        (
            "bad_listen",
            "[http]\nlisten = \"localhost\"\n",
            "http.listen",
        ),
        (
            "bad_source",
            "[[sources]]\ntype = \"carrier-pigeon\"\n",
            "carrier-pigeon",
        ),
        (
            "bad_duration",
            "[detect]\nresolve_after = \"5 fortnights\"\n",
            "detect.resolve_after",
        ),
        (
            "two_webhooks_one_name",
            "[[sinks]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/a\"\n\
             [[sinks]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/b\"\n",
            "sinks[1].name",
        ),
        (
            "alertmanager_api_path",
            "[[sinks]]\ntype = \"alertmanager\"\nurl = \"http://127.0.0.1:9093/api/v2/alerts\"\n",
            "sinks[0].url",
        ),
        (
            "pagerduty_key_over_http",
            "[[sinks]]\ntype = \"pagerduty\"\nrouting_key = \"k\"\nurl = \"http://pd.example/v2\"\n",
            "sinks[0].url",
        ),
        (
            "syslog_without_port",
            "[[sinks]]\ntype = \"syslog\"\naddress = \"logs.example\"\n",
            "sinks[0].address",
        ),
        (
            "unknown_sink_key",
            "[[sinks]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/a\"\nretries = 3\n",
            "retries",
        ),
    ] {
        let file = dir.join(format!("{name}.toml"));
        std::fs::write(&file, toml).unwrap();
        let output = support::bgpwatch()
            .args(["check-config", "--config", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(EXIT_CONFIG), "{name}");
        let err = stderr(&output);
        assert!(
            err.contains(&format!("{name}.toml")) && err.contains(needle),
            "{name}: {err}"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let output = support::bgpwatch().args(["replay"]).output().unwrap();
    assert_eq!(output.status.code(), Some(EXIT_CONFIG));
    let output = support::bgpwatch()
        .args(["replay", "--frobnicate", "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(EXIT_CONFIG));
}
