//! `Message::decode_payload` on an arbitrary type and payload: no panic, and anything
//! that decodes re-encodes to exactly the input (canonical encoding).
//!
//! Shared by the fuzz target of the same name and `tests/wire_fuzz_regressions.rs`
//! (both include this file), so a pinned crash input runs exactly this check.

use cheesechain::wire::Message;

/// The check: panics on any violated property.
pub fn check(data: &[u8]) {
    let [a, b, payload @ ..] = data else {
        return;
    };
    // Mostly the defined range (0x00..=0x3f) so the fuzzer spends its time there; a set
    // high bit of `a` selects the full 16-bit type space.
    let msg_type = if a & 0x80 == 0 {
        u16::from(*b & 0x3f)
    } else {
        u16::from_le_bytes([*b, *a & 0x7f])
    };
    match Message::decode_payload(msg_type, payload) {
        Ok(Some(m)) => {
            assert_eq!(m.msg_type(), msg_type);
            let mut out = Vec::new();
            m.encode_payload(&mut out);
            assert_eq!(out, payload, "decode then encode must give the input back");
            let _ = m.name();
        }
        Ok(None) => assert!(cheesechain::wire::message_name(msg_type).is_none()),
        Err(e) => assert!(!e.to_string().is_empty(), "an error says what is wrong"),
    }
}
