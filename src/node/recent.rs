//! The last few accepted headers with their hash and height, found by a short key.
//!
//! Every peer announces each new block, so a node sees the same header many times;
//! finding it here skips hashing it and the tree look-ups. The search reads a small
//! array of 64-bit keys (two cache lines) and compares a whole header only where a key
//! matches; a key collision costs one extra comparison, never a wrong answer.

use crate::chain::{BlockHeader, Hash256};

/// A bounded list of recent headers, oldest first.
#[derive(Debug, Default)]
pub struct RecentHeaders {
    keys: Vec<u64>,
    entries: Vec<(BlockHeader, Hash256, u32)>,
    /// Once full, the index of the oldest entry (overwritten next).
    next: usize,
}

fn key(h: &BlockHeader) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&h.merkle_root.0[..8]);
    u64::from_le_bytes(w) ^ (u64::from(h.nonce) << 32) ^ u64::from(h.time)
}

impl RecentHeaders {
    /// The hash and height of `h` if it is among the remembered headers.
    pub fn find(&self, h: &BlockHeader) -> Option<(Hash256, u32)> {
        let k = key(h);
        self.keys
            .iter()
            .zip(&self.entries)
            .find(|(&x, (e, _, _))| x == k && e == h)
            .map(|(_, &(_, hash, height))| (hash, height))
    }

    /// Remembers `h` with its hash and height, forgetting the oldest entry beyond `cap`.
    pub fn push(&mut self, h: BlockHeader, hash: Hash256, height: u32, cap: usize) {
        if self.keys.len() < cap {
            self.keys.push(key(&h));
            self.entries.push((h, hash, height));
            return;
        }
        if cap == 0 {
            return;
        }
        self.keys[self.next] = key(&h);
        self.entries[self.next] = (h, hash, height);
        self.next = (self.next + 1) % cap;
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.entries.clear();
        self.next = 0;
    }

    /// How many headers are remembered.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True if none is.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(i: u32) -> BlockHeader {
        BlockHeader {
            version: 1,
            prev: Hash256([i as u8; 32]),
            merkle_root: Hash256([7; 32]),
            time: 1000,
            bits: 0x207f_ffff,
            nonce: i,
        }
    }

    #[test]
    fn finds_the_remembered_and_forgets_the_oldest() {
        let mut r = RecentHeaders::default();
        for i in 0..5 {
            r.push(header(i), Hash256([i as u8 + 100; 32]), i, 3);
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.find(&header(0)), None);
        assert_eq!(r.find(&header(1)), None);
        for i in 2..5 {
            assert_eq!(r.find(&header(i)), Some((Hash256([i as u8 + 100; 32]), i)));
        }
        r.clear();
        assert!(r.is_empty());
        assert_eq!(r.find(&header(4)), None);
    }

    #[test]
    fn a_key_collision_compares_the_whole_header() {
        let mut r = RecentHeaders::default();
        let a = header(1);
        // Same key (merkle root, nonce and time are equal), different parent.
        let mut b = a;
        b.prev = Hash256([9; 32]);
        assert_eq!(key(&a), key(&b));
        r.push(a, Hash256([1; 32]), 1, 4);
        assert_eq!(r.find(&b), None);
        r.push(b, Hash256([2; 32]), 2, 4);
        assert_eq!(r.find(&a), Some((Hash256([1; 32]), 1)));
        assert_eq!(r.find(&b), Some((Hash256([2; 32]), 2)));
    }
}
