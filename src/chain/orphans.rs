//! Blocks whose parent is not known yet, held until it arrives. Bounded in bytes, in
//! total and per sender: a sender over its share loses its own oldest orphan first,
//! a full pool loses its oldest.

use super::block::Block;
use super::hash::Hash256;
use super::hash::HashMap256;
use super::tx::Transaction;
use std::collections::{BTreeMap, BTreeSet};

/// Default byte budget of the whole pool (32 MiB).
pub const ORPHAN_MAX_BYTES: usize = 32 << 20;
/// Default byte budget of the orphans of one sender (8 MiB).
pub const ORPHAN_PEER_BYTES: usize = 8 << 20;

/// Who sent an orphan: a connection id, or [`LOCAL`] for none.
pub type Sender = u64;
/// The sender key of an orphan that came from no connection.
pub const LOCAL: Sender = u64::MAX;

/// The bytes an orphan is charged: what its block occupies in memory (the block, its
/// transaction vector and a fixed overhead for the pool's own entries), which is at
/// least its encoded size.
pub fn orphan_cost(block: &Block) -> usize {
    std::mem::size_of::<Block>() + block.txs.capacity() * std::mem::size_of::<Transaction>() + 256
}

#[derive(Clone, Debug)]
struct Held {
    seq: u64,
    from: Sender,
    cost: usize,
    block: Block,
}

/// A pool of orphan blocks bounded in bytes.
#[derive(Clone, Debug)]
pub struct OrphanPool {
    max_bytes: usize,
    peer_bytes: usize,
    bytes: usize,
    blocks: HashMap256<Held>,
    by_parent: HashMap256<Vec<Hash256>>,
    /// Arrival order -> hash, for eviction.
    order: BTreeMap<u64, Hash256>,
    /// (sender, arrival) of every orphan, for the per-sender eviction.
    by_sender: BTreeSet<(Sender, u64)>,
    sender_bytes: BTreeMap<Sender, usize>,
    next: u64,
}

impl OrphanPool {
    /// An empty pool of at most `max_bytes` (see [`orphan_cost`]), at most
    /// `peer_bytes` of them from one sender.
    pub fn new(max_bytes: usize, peer_bytes: usize) -> OrphanPool {
        OrphanPool {
            max_bytes,
            peer_bytes: peer_bytes.min(max_bytes),
            bytes: 0,
            blocks: HashMap256::default(),
            by_parent: HashMap256::default(),
            order: BTreeMap::new(),
            by_sender: BTreeSet::new(),
            sender_bytes: BTreeMap::new(),
            next: 0,
        }
    }

    /// Adds a block sent by `from`; false if it was already there or alone exceeds the
    /// sender's share. Evicts `from`'s oldest orphans beyond its share, then the
    /// pool's oldest beyond the total.
    pub fn insert(&mut self, block: Block, from: Sender) -> bool {
        let hash = block.hash();
        let cost = orphan_cost(&block);
        if cost > self.peer_bytes || self.blocks.contains_key(&hash) {
            return false;
        }
        while self.sender_bytes.get(&from).copied().unwrap_or(0) + cost > self.peer_bytes {
            let Some(&(_, seq)) = self.by_sender.range((from, 0)..=(from, u64::MAX)).next() else {
                break;
            };
            let oldest = self.order[&seq];
            self.remove(&oldest);
        }
        while self.bytes + cost > self.max_bytes {
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
        self.by_sender.insert((from, seq));
        *self.sender_bytes.entry(from).or_default() += cost;
        self.bytes += cost;
        self.blocks.insert(
            hash,
            Held {
                seq,
                from,
                cost,
                block,
            },
        );
        true
    }

    /// Removes and returns a block with its sender.
    pub fn remove(&mut self, hash: &Hash256) -> Option<(Block, Sender)> {
        let held = self.blocks.remove(hash)?;
        let block = held.block;
        self.order.remove(&held.seq);
        self.by_sender.remove(&(held.from, held.seq));
        if let Some(b) = self.sender_bytes.get_mut(&held.from) {
            *b -= held.cost;
            if *b == 0 {
                self.sender_bytes.remove(&held.from);
            }
        }
        self.bytes -= held.cost;
        if let Some(v) = self.by_parent.get_mut(&block.header.prev) {
            v.retain(|h| h != hash);
            if v.is_empty() {
                self.by_parent.remove(&block.header.prev);
            }
        }
        Some((block, held.from))
    }

    /// Removes and returns the orphans whose parent is `parent`, oldest first, each
    /// with its sender.
    pub fn take_children(&mut self, parent: &Hash256) -> Vec<(Block, Sender)> {
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

    /// Bytes held (the sum of [`orphan_cost`]), never above the pool's budget.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Bytes held from one sender, never above its share.
    pub fn bytes_from(&self, from: Sender) -> usize {
        self.sender_bytes.get(&from).copied().unwrap_or(0)
    }

    /// The missing block to ask for so that `hash` can connect: follows parents while
    /// they are in the pool and returns the first parent that is not. `None` if `hash`
    /// is not held.
    pub fn root_of(&self, hash: &Hash256) -> Option<Hash256> {
        let mut x = self.blocks.get(hash)?.block.header.prev;
        // Bounded by the pool size, so a cycle (impossible with SHA-256d) cannot hang.
        for _ in 0..=self.blocks.len() {
            match self.blocks.get(&x) {
                Some(h) => x = h.block.header.prev,
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

    fn unit() -> usize {
        orphan_cost(&block(Hash256::ZERO, 0))
    }

    #[test]
    fn children_roots_and_eviction() {
        let mut p = OrphanPool::new(3 * unit(), 3 * unit());
        let root = Hash256([9; 32]);
        let a = block(root, 1);
        let b = block(a.hash(), 2);
        let c = block(a.hash(), 3);
        assert!(p.insert(a.clone(), 1));
        assert!(!p.insert(a.clone(), 1));
        assert!(p.insert(b.clone(), 1));
        assert!(p.insert(c.clone(), 2));
        assert_eq!(p.root_of(&c.hash()), Some(root));
        assert_eq!(p.root_of(&root), None);
        // Full: a fourth evicts the oldest (a).
        let d = block(Hash256([7; 32]), 4);
        assert!(p.insert(d.clone(), 3));
        assert_eq!(p.len(), 3);
        assert_eq!(p.bytes(), 3 * unit());
        assert!(!p.contains(&a.hash()));
        assert_eq!(p.root_of(&b.hash()), Some(a.hash()));
        assert_eq!(p.take_children(&a.hash()), vec![(b, 1), (c, 2)]);
        assert_eq!(p.len(), 1);
        assert!(p.take_children(&a.hash()).is_empty());
        assert_eq!(p.remove(&d.hash()), Some((d, 3)));
        assert!(p.is_empty());
        assert_eq!(p.bytes(), 0);
        assert!(!OrphanPool::new(0, 0).insert(block(root, 5), 1));
    }

    #[test]
    fn a_sender_over_its_share_loses_its_own_oldest_first() {
        let mut p = OrphanPool::new(10 * unit(), 2 * unit());
        let honest = block(Hash256([1; 32]), 100);
        assert!(p.insert(honest.clone(), 7));
        for n in 0..50 {
            assert!(p.insert(block(Hash256([2; 32]), n), 9));
            assert!(p.bytes_from(9) <= 2 * unit());
            assert!(p.bytes() <= 10 * unit());
        }
        // The flooder kept only its two newest; the other sender's orphan survived.
        assert!(p.contains(&honest.hash()));
        assert_eq!(p.len(), 3);
        assert!(p.contains(&block(Hash256([2; 32]), 49).hash()));
        assert!(p.contains(&block(Hash256([2; 32]), 48).hash()));
        assert!(!p.contains(&block(Hash256([2; 32]), 47).hash()));
    }

    #[test]
    fn many_senders_stay_within_the_total() {
        let mut p = OrphanPool::new(5 * unit(), 2 * unit());
        for n in 0..40u32 {
            assert!(p.insert(block(Hash256([3; 32]), n), u64::from(n % 8)));
            assert!(p.bytes() <= 5 * unit());
            for s in 0..8 {
                assert!(p.bytes_from(s) <= 2 * unit());
            }
        }
        assert_eq!(p.len(), 5);
        // Oldest evicted: the five newest remain.
        for n in 35..40u32 {
            assert!(p.contains(&block(Hash256([3; 32]), n).hash()));
        }
    }
}
