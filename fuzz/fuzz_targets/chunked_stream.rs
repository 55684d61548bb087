//! A stream of frames split at fuzzer-chosen points decodes exactly like the whole
//! stream. The harness builds frames with correct magic, version and checksum from the
//! fuzzer's (type, payload) pairs, then optionally corrupts one byte, so the fuzzer
//! reaches payload decoding instead of stopping at the checksum.
//!
//! Input layout: `n_cuts u8`, `n_cuts` x `u16` cut positions, `corrupt u16`
//! (0 = none, else byte index + 1), then frames as `type u8, len u8, payload[len]`.
#![no_main]

#[path = "../checks/chunked_stream.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
