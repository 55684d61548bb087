//! `Message::decode_payload` on an arbitrary type and payload: no panic, and anything
//! that decodes re-encodes to exactly the input (canonical encoding).
#![no_main]

#[path = "../checks/message_roundtrip.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
