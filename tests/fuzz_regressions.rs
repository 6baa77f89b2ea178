//! Inputs the fuzz targets found or that stand for what they cover (`fuzz/regressions/<target>/`),
//! fed through the very functions the fuzz targets call (`fuzz/src/*.rs`, included here), so a
//! crash once found stays fixed under plain `cargo test`. Each function panics when bgpwatch
//! misbehaves (a panic inside it, a 5xx for a malformed request, an import that does not load);
//! see `fuzz/src/lib.rs`. A file's name says what it holds; `fuzz/README.md` lists the finds.

#[path = "../fuzz/src/collect.rs"]
mod collect;
#[path = "../fuzz/src/detection.rs"]
mod detection;

#[path = "../fuzz/src/bgpalerter_import.rs"]
mod bgpalerter_import;
#[path = "../fuzz/src/bmp_stream.rs"]
mod bmp_stream;
#[path = "../fuzz/src/config_toml.rs"]
mod config_toml;
#[path = "../fuzz/src/http_api.rs"]
mod http_api;
#[path = "../fuzz/src/mrt_file.rs"]
mod mrt_file;
#[path = "../fuzz/src/ris_live_line.rs"]
mod ris_live_line;
#[path = "../fuzz/src/watchlist_yaml.rs"]
mod watchlist_yaml;

use std::path::{Path, PathBuf};

/// The regression inputs of one target, sorted; a target without any is a mistake.
fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    files
}

/// Runs every input of `target` through `run`; names the file that fails.
fn replay(target: &str, run: fn(&[u8])) {
    for path in inputs(target) {
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{} fails again", path.display());
    }
}

#[test]
fn ris_live_frames_that_once_failed_decode_or_are_refused_cleanly() {
    replay("ris_live_line", ris_live_line::run);
}

#[test]
fn bmp_streams_that_once_failed_decode_or_are_refused_cleanly() {
    replay("bmp_stream", bmp_stream::run);
}

#[test]
fn mrt_files_that_once_failed_replay_or_are_refused_cleanly() {
    replay("mrt_file", mrt_file::run);
}

#[test]
fn watchlists_that_once_failed_load_or_are_refused_cleanly() {
    replay("watchlist_yaml", watchlist_yaml::run);
}

#[test]
fn bgpalerter_files_that_once_failed_import_into_loadable_watchlists_or_are_refused() {
    replay("bgpalerter_import", bgpalerter_import::run);
}

#[test]
fn configs_that_once_failed_validate_or_are_refused_cleanly() {
    replay("config_toml", config_toml::run);
}

#[test]
fn http_requests_that_once_failed_get_an_answer_below_500() {
    replay("http_api", http_api::run);
}

// What the fuzzers found, pinned as behaviour (the inputs above only prove there is no panic).

#[test]
fn a_duration_beyond_a_year_is_refused_naming_the_key_instead_of_panicking() {
    use bgpwatch::config::{Config, ConfigError, MAX_DURATION_SECS};
    for (key, value) in [
        ("resolve_after", "9223372036854775807"),
        ("resolve_after", "\"99999999999999999h\""),
        ("visibility_for", "\"5124095576030432h\""),
        ("resolve_after", &(MAX_DURATION_SECS + 1).to_string()),
    ] {
        let text = format!("[detect]\n{key} = {value}\n");
        match Config::parse(&text, Path::new("bgpwatch.toml")) {
            Err(ConfigError::Invalid {
                key: named,
                problem,
                ..
            }) => {
                assert_eq!(named, format!("detect.{key}"));
                assert!(problem.contains("longer than a year"), "{problem}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    let year = format!("[detect]\nresolve_after = {MAX_DURATION_SECS}\n");
    assert!(Config::parse(&year, Path::new("bgpwatch.toml")).is_ok());
}

#[test]
fn a_ris_live_message_dated_after_the_year_9999_is_malformed_not_a_route() {
    use bgpwatch::source::ris_live::{LineError, RisLiveDecoder, LATEST_TIMESTAMP_SECS};
    let frame = |t: f64| {
        format!(
            r#"{{"type":"ris_message","data":{{"timestamp":{t:.1},"peer":"192.0.2.1","peer_asn":"64500","host":"rrc00","type":"UPDATE","path":[64500,64666],"announcements":[{{"next_hop":"192.0.2.1","prefixes":["203.0.113.0/24"]}}]}}}}"#
        )
    };
    for (t, accepted) in [
        (LATEST_TIMESTAMP_SECS, true),
        (LATEST_TIMESTAMP_SECS + 1.0, false),
        (8_210_266_876_799.0, false),
        (-1.0, false),
    ] {
        let mut out = collect::Collected::default();
        let mut outcome = None;
        out.run(Path::new("ris-live"), |ctx| {
            outcome = Some(RisLiveDecoder::default().decode_line(&frame(t), ctx));
        });
        match outcome.unwrap() {
            Ok(true) if accepted => assert_eq!(out.items.len(), 1),
            Err(LineError::Malformed(reason)) if !accepted => {
                assert!(reason.contains("between 1970 and 9999"), "{reason}");
                assert!(out.items.is_empty());
            }
            other => panic!("timestamp {t}: {other:?}"),
        }
    }
}
