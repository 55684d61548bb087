//! Compact targets ("bits") and the proof-of-work comparison.
//!
//! A target is a 256-bit unsigned integer; a header meets it when its hash, read as a
//! little-endian integer, is at most the target.

use super::hash::Hash256;

/// Expands compact `bits` to a 256-bit target as 32 little-endian bytes.
///
/// `bits` is `exponent (1 byte) | mantissa (3 bytes)`; the target is
/// `mantissa * 256^(exponent - 3)`. Returns `None` when the encoding is not valid for a
/// target: the mantissa's sign bit (0x00800000) set, a zero target, or a value that
/// does not fit in 256 bits.
pub fn expand_compact(bits: u32) -> Option<[u8; 32]> {
    let exponent = (bits >> 24) as usize;
    let mantissa = bits & 0x007f_ffff;
    if bits & 0x0080_0000 != 0 || mantissa == 0 {
        return None;
    }
    let m = mantissa.to_le_bytes(); // m[0..3] significant
    let mut out = [0u8; 32];
    for (i, &byte) in m.iter().take(3).enumerate() {
        // byte i of the mantissa lands at position exponent - 3 + i.
        let pos = exponent as isize - 3 + i as isize;
        if byte == 0 {
            continue;
        }
        if pos < 0 {
            // Shifted out to the right: only allowed if it is zero, else lost precision
            // would make two encodings mean the same target; Bitcoin drops these bits.
            continue;
        }
        if pos >= 32 {
            return None;
        }
        out[pos as usize] = byte;
    }
    if out.iter().all(|&b| b == 0) {
        return None;
    }
    Some(out)
}

/// True if `hash`, as a little-endian integer, is at most `target`.
pub fn hash_meets_target(hash: &Hash256, target: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        if hash.0[i] != target[i] {
            return hash.0[i] < target[i];
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_bitcoin_difficulty_one() {
        let t = expand_compact(0x1d00ffff).unwrap();
        // 0x00000000ffff0000...0000 big-endian: bytes 26,27 (LE) are 0xff.
        let mut want = [0u8; 32];
        want[26] = 0xff;
        want[27] = 0xff;
        assert_eq!(t, want);
    }

    #[test]
    fn rejects_negative_zero_and_overflowing_encodings() {
        assert_eq!(expand_compact(0x0480_0000), None);
        assert_eq!(expand_compact(0x2000_0000), None);
        assert_eq!(expand_compact(0x2301_0000), None);
        assert!(expand_compact(0x207f_ffff).is_some());
    }

    #[test]
    fn comparison_reads_hash_little_endian() {
        let t = expand_compact(0x1d00ffff).unwrap();
        let bitcoin_genesis =
            Hash256::from_hex("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
                .unwrap();
        assert!(hash_meets_target(&bitcoin_genesis, &t));
        let mut over = t;
        over[27] = 0;
        over[28] = 1;
        assert!(!hash_meets_target(&Hash256(over), &t));
    }
}
