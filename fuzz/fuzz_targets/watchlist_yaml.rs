#![no_main]
//! `bgpwatch_fuzz::watchlist_yaml` under libFuzzer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bgpwatch_fuzz::watchlist_yaml::run(data));
