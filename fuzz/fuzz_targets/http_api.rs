#![no_main]
//! `bgpwatch_fuzz::http_api` under libFuzzer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bgpwatch_fuzz::http_api::run(data));
