//! A stream of frames split at fuzzer-chosen points decodes exactly like the whole
//! stream. The harness builds frames with correct magic, version and checksum from the
//! fuzzer's (type, payload) pairs, then optionally corrupts one byte, so the fuzzer
//! reaches payload decoding instead of stopping at the checksum.
//!
//! Input layout: `n_cuts u8`, `n_cuts` x `u16` cut positions, `corrupt u16`
//! (0 = none, else byte index + 1), then frames as `type u8, len u8, payload[len]`.
//!
//! Shared by the fuzz target of the same name and `tests/wire_fuzz_regressions.rs`
//! (both include this file), so a pinned crash input runs exactly this check.

use cheesechain::wire::{
    decode_all, decode_split, encode_raw_frame, MAX_PAYLOAD_LEN, PROTOCOL_VERSION,
};

const MAGIC: [u8; 4] = [0xc4, 0xee, 0x5e, 0xff];

/// The check: panics on any violated property.
pub fn check(data: &[u8]) {
    let Some((&n_cuts, mut rest)) = data.split_first() else {
        return;
    };
    let mut cuts = Vec::new();
    for _ in 0..n_cuts {
        let [a, b, tail @ ..] = rest else { return };
        cuts.push(usize::from(u16::from_le_bytes([*a, *b])));
        rest = tail;
    }
    let [c0, c1, frames @ ..] = rest else { return };
    let mut rest: &[u8] = frames;
    let corrupt = usize::from(u16::from_le_bytes([*c0, *c1]));

    let mut stream = Vec::new();
    while let [t, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (payload, tail) = tail.split_at(len);
        encode_raw_frame(
            MAGIC,
            PROTOCOL_VERSION,
            u16::from(*t & 0x1f),
            payload,
            &mut stream,
        );
        rest = tail;
    }
    if corrupt != 0 && !stream.is_empty() {
        let i = (corrupt - 1) % stream.len();
        stream[i] ^= 0x5a;
    }
    let whole = decode_all(MAGIC, MAX_PAYLOAD_LEN, &stream);
    assert_eq!(decode_split(MAGIC, MAX_PAYLOAD_LEN, &stream, &cuts), whole);
}
