//! The header index: finding an entry by hash, and walks through the tree (ancestors,
//! children, the active chain).

use super::{Chain, Entry, Idx, NONE};
use crate::chain::hash::Hash256;

impl Chain {
    /// The ancestor of `hash` at `height` (`hash` itself at its own height).
    pub fn ancestor(&self, hash: &Hash256, height: u32) -> Option<Hash256> {
        let mut e = self.entry(hash)?;
        loop {
            if e.height < height {
                return None;
            }
            if e.height == height {
                return Some(e.hash);
            }
            if self.on_active(e) {
                return self.hash_at(height);
            }
            // Above `height`, so not genesis: the parent exists.
            e = &self.entries[e.parent as usize];
        }
    }

    /// The other children of `hash`'s parent (its siblings), in the order their headers
    /// arrived; at most `max`.
    pub fn siblings(&self, hash: &Hash256, max: usize) -> Vec<Hash256> {
        let Some(e) = self.entry(hash) else {
            return Vec::new();
        };
        if e.parent == NONE {
            return Vec::new();
        }
        self.children(e.parent)
            .map(|c| self.entries[c as usize].hash)
            .filter(|h| h != hash)
            .take(max)
            .collect()
    }

    /// The index of `hash`'s entry.
    pub(super) fn find(&self, hash: &Hash256) -> Option<Idx> {
        self.index.get(hash).copied()
    }

    /// The entry of `hash`, if known.
    pub(super) fn entry(&self, hash: &Hash256) -> Option<&Entry> {
        self.find(hash).map(|i| &self.entries[i as usize])
    }

    /// The index of a hash known to be stored.
    pub(super) fn idx(&self, hash: &Hash256) -> Idx {
        self.find(hash).expect("the hash is known")
    }

    /// The children of entry `i`, in the order their headers arrived.
    pub(super) fn children(&self, i: Idx) -> impl Iterator<Item = Idx> + '_ {
        let first = self.entries[i as usize].first_child;
        std::iter::successors((first != NONE).then_some(first), |&c| {
            let next = self.entries[c as usize].next_sibling;
            (next != NONE).then_some(next)
        })
    }

    /// True if the entry is on the active chain.
    pub(super) fn on_active(&self, e: &Entry) -> bool {
        self.active.get(e.height as usize) == Some(&e.hash)
    }
}
