#![no_main]
//! `bgpwatch_fuzz::bgpalerter_import` under libFuzzer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bgpwatch_fuzz::bgpalerter_import::run(data));
