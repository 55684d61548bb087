//! Which peers are known to have which blocks: one bounded table per node.
//!
//! A node must not announce a block to a peer that has it, and prefers downloading a
//! block from a peer that has it. Instead of one set per peer, the node keeps one
//! table from block hash to a bitmask of *peer slots*: announcing a new tip to every
//! peer reads one entry instead of one table per peer, and all peers announcing the
//! same block update the same entry. Each connected peer holds one of
//! [`PEER_SLOTS`] slots; a peer beyond that has no slot and keeps its own
//! [`KnownSet`](super::peer::KnownSet) instead.

use super::peer::{fingerprint, FingerprintRing, Peer, Prehashed};
use crate::chain::Hash256;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Most distinct block hashes a node remembers with the peers known to have them; the
/// oldest is forgotten first (forgetting only costs a redundant announcement).
pub const MAX_KNOWN_BLOCKS: usize = 4096;

/// Peers that share the node's table (one bit each); further peers keep their own set.
pub const PEER_SLOTS: usize = 64;

/// The table. Hashes are kept as the same keyed 64-bit fingerprints as
/// [`KnownSet`](super::peer::KnownSet), which peers cannot grind into collisions.
/// `order` lists the hashes oldest first, so the oldest is forgotten first.
#[derive(Debug)]
pub struct BlockKnowledge {
    masks: HashMap<u64, u64, BuildHasherDefault<Prehashed>>,
    order: FingerprintRing,
    /// Bit `s` set: slot `s` is free.
    free: u64,
}

impl Default for BlockKnowledge {
    fn default() -> BlockKnowledge {
        BlockKnowledge {
            masks: HashMap::default(),
            order: FingerprintRing::default(),
            free: u64::MAX,
        }
    }
}

impl BlockKnowledge {
    /// A free slot for a new peer, if any.
    pub fn take_slot(&mut self) -> Option<u8> {
        if self.free == 0 {
            return None;
        }
        let s = self.free.trailing_zeros() as u8;
        self.free &= !(1u64 << s);
        Some(s)
    }

    /// Frees slot `s` (its peer went away) and forgets everything recorded for it, so
    /// the next peer in that slot starts knowing nothing.
    pub fn release_slot(&mut self, s: u8) {
        let bit = 1u64 << s;
        if self.free & bit != 0 {
            return;
        }
        for m in self.masks.values_mut() {
            *m &= !bit;
        }
        self.free |= bit;
    }

    /// The slots known to have `h` (bit `s` for slot `s`).
    pub fn mask(&self, h: &Hash256) -> u64 {
        let f = fingerprint(h);
        if self.masks.is_empty() {
            return 0;
        }
        self.masks.get(&f).copied().unwrap_or(0)
    }

    /// True if the peer in slot `s` is known to have `h`.
    pub fn knows(&self, s: u8, h: &Hash256) -> bool {
        self.mask(h) & (1u64 << s) != 0
    }

    /// Records that the peer in slot `s` has `h`.
    pub fn insert(&mut self, s: u8, h: &Hash256) {
        let f = fingerprint(h);
        let bit = 1u64 << s;
        if let Some(m) = self.masks.get_mut(&f) {
            *m |= bit;
            return;
        }
        self.masks.insert(f, bit);
        if let Some(gone) = self.order.push(f, MAX_KNOWN_BLOCKS) {
            self.masks.remove(&gone);
        }
    }

    /// True if `p` is known to have `h` (through its slot, or its own set).
    pub fn peer_has(&self, p: &Peer, h: &Hash256) -> bool {
        let mask = if p.slot.is_some() { self.mask(h) } else { 0 };
        Self::peer_in(p, mask, h)
    }

    /// [`BlockKnowledge::peer_has`] given `mask = self.mask(h)`, looked up once when
    /// asking about many peers.
    pub fn peer_in(p: &Peer, mask: u64, h: &Hash256) -> bool {
        match p.slot {
            Some(s) => mask & (1u64 << s) != 0,
            None => p.known_blocks.contains(h),
        }
    }

    /// Records that `p` has `h`.
    pub fn record(&mut self, p: &mut Peer, h: &Hash256) {
        match p.slot {
            Some(s) => self.insert(s, h),
            None => p.known_blocks.insert(*h),
        }
    }

    /// How many block hashes are remembered.
    pub fn len(&self) -> usize {
        self.masks.len()
    }

    /// True if nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u32) -> Hash256 {
        Hash256::sha256(&i.to_le_bytes())
    }

    #[test]
    fn slots_record_per_peer_and_are_forgotten_on_release() {
        let mut k = BlockKnowledge::default();
        let a = k.take_slot().unwrap();
        let b = k.take_slot().unwrap();
        assert_ne!(a, b);
        k.insert(a, &h(1));
        k.insert(b, &h(1));
        k.insert(b, &h(2));
        assert!(k.knows(a, &h(1)) && k.knows(b, &h(1)) && k.knows(b, &h(2)));
        assert!(!k.knows(a, &h(2)) && !k.knows(a, &h(3)));
        assert_eq!(k.mask(&h(1)), (1 << a) | (1 << b));
        k.release_slot(a);
        let c = k.take_slot().unwrap();
        assert_eq!(c, a, "the lowest free slot is reused");
        assert!(!k.knows(c, &h(1)), "a reused slot starts knowing nothing");
        assert!(k.knows(b, &h(1)));
        // Older hashes keep their peers, and a released slot is cleared in all.
        for i in 2..20 {
            k.insert(b, &h(i));
        }
        k.insert(c, &h(19));
        assert_eq!(k.mask(&h(1)), 1 << b);
        assert_eq!(k.mask(&h(19)), (1 << b) | (1 << c));
        assert_eq!(k.len(), 19);
        k.release_slot(b);
        assert_eq!(k.mask(&h(1)), 0);
        assert_eq!(k.mask(&h(19)), 1 << c);
    }

    #[test]
    fn slots_run_out_after_peer_slots() {
        let mut k = BlockKnowledge::default();
        let slots: Vec<u8> = std::iter::from_fn(|| k.take_slot()).collect();
        assert_eq!(slots.len(), PEER_SLOTS);
        k.release_slot(17);
        assert_eq!(k.take_slot(), Some(17));
        assert_eq!(k.take_slot(), None);
    }

    #[test]
    fn the_oldest_hash_is_forgotten_beyond_the_bound() {
        let mut k = BlockKnowledge::default();
        let s = k.take_slot().unwrap();
        let n = MAX_KNOWN_BLOCKS as u32;
        for i in 0..n + 10 {
            k.insert(s, &h(i));
            k.insert(s, &h(i)); // a repeat changes nothing
        }
        assert_eq!(k.len(), MAX_KNOWN_BLOCKS);
        assert!(!k.knows(s, &h(0)) && !k.knows(s, &h(9)));
        assert!(k.knows(s, &h(10)) && k.knows(s, &h(n + 9)));
        // Another peer learning of a remembered hash does not evict anything.
        let t = k.take_slot().unwrap();
        k.insert(t, &h(10));
        assert!(k.knows(s, &h(10)) && k.knows(t, &h(10)) && k.knows(s, &h(11)));
    }
}
