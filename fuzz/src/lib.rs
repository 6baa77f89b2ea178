//! What each fuzz target does with one input, as a plain function: `fuzz_targets/*.rs` hand
//! libFuzzer's bytes to these, and the main crate's `tests/fuzz_regressions.rs` feeds the
//! files of `fuzz/regressions/<target>/` to the same functions (so a crash once found stays
//! fixed under plain `cargo test`).
//!
//! Each function panics only when bgpwatch does something wrong: a panic inside bgpwatch, or a
//! broken promise checked here (a 5xx for a malformed request, an imported watchlist that does
//! not load, a watched prefix that does not find itself). Inputs bgpwatch refuses with a typed
//! error are fine: that is the point.

pub mod bgpalerter_import;
pub mod bmp_stream;
pub mod config_toml;
pub mod http_api;
pub mod mrt_file;
pub mod ris_live_line;
pub mod watchlist_yaml;

mod collect;
mod detection;
