//! Arbitrary bytes into a `FrameDecoder`: no panic, memory bounded by the limit, and a
//! poisoned decoder keeps returning the same error.
//!
//! Shared by the fuzz target of the same name and `tests/wire_fuzz_regressions.rs`
//! (both include this file), so a pinned crash input runs exactly this check.

use cheesechain::wire::{
    FrameDecoder, FRAME_HEADER_LEN, MAX_PAYLOAD_LEN, MAX_RETAINED_BUFFER, MAX_TRACKER_PAYLOAD_LEN,
};

const MAGIC: [u8; 4] = [0xc4, 0xee, 0x5e, 0xff];

/// The check: panics on any violated property.
pub fn check(data: &[u8]) {
    let Some((&mode, mut input)) = data.split_first() else {
        return;
    };
    let max = if mode & 1 == 0 {
        MAX_TRACKER_PAYLOAD_LEN
    } else {
        MAX_PAYLOAD_LEN
    };
    let mut d = FrameDecoder::new(MAGIC, max);
    loop {
        let before = input.len();
        match d.decode(&mut input) {
            Ok(Some(_)) => assert!(input.len() < before, "a frame consumes bytes"),
            Ok(None) => {
                assert!(input.is_empty(), "Ok(None) only when input is exhausted");
                break;
            }
            Err(e) => {
                let mut rest = input;
                assert_eq!(d.decode(&mut rest), Err(e), "poisoned decoder");
                assert_eq!(rest.len(), input.len(), "poisoned decoder consumes nothing");
                break;
            }
        }
        assert!(d.buffered() <= FRAME_HEADER_LEN + max);
        assert!(d.capacity() <= max.max(MAX_RETAINED_BUFFER));
    }
    assert!(d.buffered() <= FRAME_HEADER_LEN + max);
    // Capacity never runs ahead of the bytes that arrived (geometric growth: at most 2x).
    assert!(d.capacity() <= (2 * d.buffered()).max(MAX_RETAINED_BUFFER));
}
