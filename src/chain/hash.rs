//! The 32-byte hash type and double SHA-256.

use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::OnceLock;

/// A 32-byte hash in its natural (wire) byte order.
///
/// As a number (for proof of work) the bytes are read little-endian: byte 31 is the most
/// significant. For people it is shown like Bitcoin does, as hex of the bytes in reverse
/// order, so a hash that meets a hard target starts with zeros.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Hash256(pub [u8; 32]);

impl Hash for Hash256 {
    /// The 32 bytes in one write (no length prefix), which [`KeyedHasher`] folds in two
    /// independent multiplications.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(&self.0);
    }
}

/// A map keyed by hashes, with the fast keyed hasher.
pub type HashMap256<V> = HashMap<Hash256, V, KeyedState>;
/// A set of hashes, with the fast keyed hasher.
pub type HashSet256 = HashSet<Hash256, KeyedState>;

/// The per-process random keys of [`KeyedHasher`], drawn once from the standard
/// library's randomly seeded SipHash (no extra dependency).
fn process_keys() -> [u64; 5] {
    static KEYS: OnceLock<[u64; 5]> = OnceLock::new();
    *KEYS.get_or_init(|| {
        let rs = std::collections::hash_map::RandomState::new();
        std::array::from_fn(|i| rs.hash_one(0x6368_6565_7365_0000u64 + i as u64))
    })
}

/// The 64x64 -> 128-bit product, high and low halves XORed together.
#[inline(always)]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// Builds [`KeyedHasher`]s that share this process's random keys.
///
/// For maps whose keys an attacker may choose (txids can be ground): the input is
/// folded word by word with secret keys through 128-bit multiplications, so without
/// the keys an attacker cannot aim at colliding buckets, unlike taking bytes of the
/// key directly. Much cheaper than SipHash for 32-byte keys. Never iterate a map built
/// with it where the order could change an output: the order differs per process.
#[derive(Clone, Copy, Debug)]
pub struct KeyedState {
    keys: [u64; 5],
}

impl Default for KeyedState {
    fn default() -> KeyedState {
        KeyedState {
            keys: process_keys(),
        }
    }
}

impl BuildHasher for KeyedState {
    type Hasher = KeyedHasher;

    fn build_hasher(&self) -> KeyedHasher {
        KeyedHasher {
            keys: self.keys,
            acc: self.keys[4],
        }
    }
}

/// The hasher of [`KeyedState`] (folded-multiply, keyed per process).
#[derive(Clone, Debug)]
pub struct KeyedHasher {
    keys: [u64; 5],
    acc: u64,
}

#[inline(always)]
fn word(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    u64::from_le_bytes(w)
}

impl Hasher for KeyedHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let k = &self.keys;
        if bytes.len() == 32 {
            let (a, b, c, d) = (
                word(&bytes[0..]),
                word(&bytes[8..]),
                word(&bytes[16..]),
                word(&bytes[24..]),
            );
            self.acc = folded_multiply(self.acc ^ a ^ k[0], b ^ k[1])
                ^ folded_multiply(c ^ k[2], d ^ k[3]);
            return;
        }
        let mut chunks = bytes.chunks_exact(16);
        for c in &mut chunks {
            self.acc = folded_multiply(self.acc ^ word(c) ^ k[0], word(&c[8..]) ^ k[1]);
        }
        let rest = chunks.remainder();
        let mut tail = [0u8; 16];
        tail[..rest.len()].copy_from_slice(rest);
        self.acc = folded_multiply(
            self.acc ^ word(&tail) ^ k[2],
            word(&tail[8..]) ^ k[3] ^ rest.len() as u64,
        );
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.acc = folded_multiply(self.acc ^ n ^ self.keys[0], self.keys[1]);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        folded_multiply(self.acc ^ self.keys[2], self.keys[4] | 1)
    }
}

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
    fn keyed_hasher_is_a_function_of_the_bytes_and_spreads_them() {
        let st = KeyedState::default();
        let a = Hash256::sha256d(b"gruyere");
        let mut b = a;
        assert_eq!(st.hash_one(a), st.hash_one(b));
        // One flipped bit anywhere changes the hash.
        for i in 0..32 {
            b.0[i] ^= 1;
            assert_ne!(st.hash_one(a), st.hash_one(b), "byte {i}");
            b.0[i] ^= 1;
        }
        // Keys differing only in their low 8 bytes (a ground txid) still spread over
        // buckets: 4096 of them fill most of 4096 low-12-bit buckets.
        let mut buckets = std::collections::BTreeSet::new();
        for n in 0u64..4096 {
            let mut h = Hash256::ZERO;
            h.0[24..].copy_from_slice(&n.to_le_bytes());
            buckets.insert(st.hash_one(h) & 0xfff);
        }
        assert!(buckets.len() > 2000, "{}", buckets.len());
        // Other lengths and integers go through the general path.
        assert_ne!(st.hash_one([1u8; 17]), st.hash_one([1u8; 16]));
        assert_ne!(st.hash_one(1u64), st.hash_one(2u64));
        let mut m: HashMap256<u32> = HashMap256::default();
        m.insert(a, 7);
        assert_eq!(m.get(&a), Some(&7));
        assert_eq!(m.get(&Hash256::ZERO), None);
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
