#![no_main]
//! `bgpwatch_fuzz::mrt_file` under libFuzzer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bgpwatch_fuzz::mrt_file::run(data));
