//! Blocks whose parent is not known yet, held until it arrives. Bounded: the oldest
//! is evicted when full.

use super::block::Block;
use super::hash::Hash256;
use super::hash::HashMap256;
use std::collections::BTreeMap;

/// A bounded pool of orphan blocks.
#[derive(Clone, Debug)]
pub struct OrphanPool {
    max_blocks: usize,
    blocks: HashMap256<(u64, Block)>,
    by_parent: HashMap256<Vec<Hash256>>,
    /// Arrival order -> hash, for eviction.
    order: BTreeMap<u64, Hash256>,
    next: u64,
}

impl OrphanPool {
    /// An empty pool of at most `max_blocks` blocks (each at most `MAX_BLOCK_BYTES`).
    pub fn new(max_blocks: usize) -> OrphanPool {
        OrphanPool {
            max_blocks,
            blocks: HashMap256::default(),
            by_parent: HashMap256::default(),
            order: BTreeMap::new(),
            next: 0,
        }
    }

    /// Adds a block; false if it was already there (or the pool holds nothing). Evicts
    /// the oldest orphans beyond the bound.
    pub fn insert(&mut self, block: Block) -> bool {
        let hash = block.hash();
        if self.max_blocks == 0 || self.blocks.contains_key(&hash) {
            return false;
        }
        while self.blocks.len() >= self.max_blocks {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.remove(&oldest);
        }
        let seq = self.next;
        self.next += 1;
        self.by_parent
            .entry(block.header.prev)
            .or_default()
            .push(hash);
        self.order.insert(seq, hash);
        self.blocks.insert(hash, (seq, block));
        true
    }

    /// Removes and returns a block.
    pub fn remove(&mut self, hash: &Hash256) -> Option<Block> {
        let (seq, block) = self.blocks.remove(hash)?;
        self.order.remove(&seq);
        if let Some(v) = self.by_parent.get_mut(&block.header.prev) {
            v.retain(|h| h != hash);
            if v.is_empty() {
                self.by_parent.remove(&block.header.prev);
            }
        }
        Some(block)
    }

    /// Removes and returns the orphans whose parent is `parent`, oldest first.
    pub fn take_children(&mut self, parent: &Hash256) -> Vec<Block> {
        let ids = self.by_parent.remove(parent).unwrap_or_default();
        ids.iter().filter_map(|h| self.remove(h)).collect()
    }

    /// True if the block is held.
    pub fn contains(&self, hash: &Hash256) -> bool {
        self.blocks.contains_key(hash)
    }

    /// Number of blocks held.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The missing block to ask for so that `hash` can connect: follows parents while
    /// they are in the pool and returns the first parent that is not. `None` if `hash`
    /// is not held.
    pub fn root_of(&self, hash: &Hash256) -> Option<Hash256> {
        let mut x = self.blocks.get(hash)?.1.header.prev;
        // Bounded by the pool size, so a cycle (impossible with SHA-256d) cannot hang.
        for _ in 0..=self.blocks.len() {
            match self.blocks.get(&x) {
                Some((_, b)) => x = b.header.prev,
                None => return Some(x),
            }
        }
        Some(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::header::BlockHeader;

    fn block(prev: Hash256, n: u32) -> Block {
        Block {
            header: BlockHeader {
                version: 1,
                prev,
                merkle_root: Hash256::ZERO,
                time: n,
                bits: 0x207fffff,
                nonce: n,
            },
            txs: vec![],
        }
    }

    #[test]
    fn children_roots_and_eviction() {
        let mut p = OrphanPool::new(3);
        let root = Hash256([9; 32]);
        let a = block(root, 1);
        let b = block(a.hash(), 2);
        let c = block(a.hash(), 3);
        assert!(p.insert(a.clone()));
        assert!(!p.insert(a.clone()));
        assert!(p.insert(b.clone()));
        assert!(p.insert(c.clone()));
        assert_eq!(p.root_of(&c.hash()), Some(root));
        assert_eq!(p.root_of(&root), None);
        // Full: a fourth evicts the oldest (a).
        let d = block(Hash256([7; 32]), 4);
        assert!(p.insert(d.clone()));
        assert_eq!(p.len(), 3);
        assert!(!p.contains(&a.hash()));
        assert_eq!(p.root_of(&b.hash()), Some(a.hash()));
        assert_eq!(p.take_children(&a.hash()), vec![b, c]);
        assert_eq!(p.len(), 1);
        assert!(p.take_children(&a.hash()).is_empty());
        assert_eq!(p.remove(&d.hash()), Some(d));
        assert!(p.is_empty());
        assert!(!OrphanPool::new(0).insert(block(root, 5)));
    }
}
