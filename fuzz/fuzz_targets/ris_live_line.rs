#![no_main]
//! `bgpwatch_fuzz::ris_live_line` under libFuzzer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bgpwatch_fuzz::ris_live_line::run(data));
