#![no_main]
//! `bgpwatch_fuzz::bmp_stream` under libFuzzer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bgpwatch_fuzz::bmp_stream::run(data));
