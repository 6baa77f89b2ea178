//! Inputs the fuzz targets found or that stand for what they cover (`fuzz/regressions/<target>/`),
//! fed through the very functions the fuzz targets call (`fuzz/src/*.rs`, included here), so a
//! crash once found stays fixed under plain `cargo test`. Each function panics when bgpwatch
//! misbehaves (a panic inside it, a 5xx for a malformed request, an import that does not load);
//! see `fuzz/src/lib.rs`. A file's name says what it holds; `fuzz/README.md` lists the finds.

#[path = "../fuzz/src/collect.rs"]
mod collect;

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
