//! Arbitrary bytes into a `FrameDecoder`: no panic, memory bounded by the limit, and a
//! poisoned decoder keeps returning the same error.
#![no_main]

#[path = "../checks/frame_decoder.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
