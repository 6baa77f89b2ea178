#![no_main]
//! `bgpwatch_fuzz::config_toml` under libFuzzer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bgpwatch_fuzz::config_toml::run(data));
