//! The 32-byte hash type and double SHA-256.

use sha2::{Digest, Sha256};
use std::fmt;

/// A 32-byte hash in its natural (wire) byte order.
///
/// As a number (for proof of work) the bytes are read little-endian: byte 31 is the most
/// significant. For people it is shown like Bitcoin does, as hex of the bytes in reverse
/// order, so a hash that meets a hard target starts with zeros.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash256(pub [u8; 32]);

impl Hash256 {
    /// The all-zero hash: the "previous block" of the genesis block.
    pub const ZERO: Hash256 = Hash256([0u8; 32]);

    /// SHA-256 applied twice.
    pub fn sha256d(data: &[u8]) -> Hash256 {
        let first = Sha256::digest(data);
        Hash256(Sha256::digest(first).into())
    }

    /// Single SHA-256.
    pub fn sha256(data: &[u8]) -> Hash256 {
        Hash256(Sha256::digest(data).into())
    }

    /// Hex in display order (reversed bytes).
    pub fn to_hex(&self) -> String {
        let mut rev = self.0;
        rev.reverse();
        hex(&rev)
    }

    /// Parses display-order hex (64 characters).
    pub fn from_hex(s: &str) -> Option<Hash256> {
        let bytes = unhex(s)?;
        let mut a: [u8; 32] = bytes.try_into().ok()?;
        a.reverse();
        Some(Hash256(a))
    }

    /// The first `n` display hex digits, for status lines and logs.
    pub fn short(&self) -> String {
        let mut s = self.to_hex();
        s.truncate(16);
        s
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

/// Lowercase hex of bytes in the given order.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Parses hex (either case, no prefix, whitespace not allowed) into bytes.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    fn nib(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    s.chunks(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256d_of_empty_matches_known_value() {
        // SHA256(SHA256("")) is a well-known constant.
        assert_eq!(
            hex(&Hash256::sha256d(b"").0),
            "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"
        );
    }

    #[test]
    fn hex_round_trips_in_display_order() {
        let h = Hash256::sha256d(b"raclette");
        assert_eq!(Hash256::from_hex(&h.to_hex()), Some(h));
        assert_eq!(unhex("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
    }
}
