//! The mempool: valid transfers waiting for a block, checked against the active tip
//! plus the sender's earlier pending transfers.

use super::block::Block;
use super::error::TxError;
use super::hash::Hash256;
use super::hash::HashSet256;
use super::sigcache::SigCache;
use super::tree::Chain;
use super::tx::{AccountId, Transaction, Transfer, TRANSFER_LEN};
use super::validate::{check_transfer_signature, check_transfer_stateless};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// Pending transfers, bounded by a transfer count.
#[derive(Clone, Debug)]
pub struct Mempool {
    max_txs: usize,
    txs: BTreeMap<Hash256, Transfer>,
    /// Per sender: sequence -> txid, always `next_sequence .. next_sequence + n`.
    by_sender: BTreeMap<AccountId, BTreeMap<u64, Hash256>>,
    /// Txids whose signature verified (the txid commits to every field).
    sig_ok: HashSet256,
}

/// The id of a transfer as a transaction.
pub fn transfer_txid(t: &Transfer) -> Hash256 {
    Transaction::Transfer(*t).txid()
}

impl Mempool {
    /// An empty pool holding at most `max_txs` transfers.
    pub fn new(max_txs: usize) -> Mempool {
        Mempool {
            max_txs,
            txs: BTreeMap::new(),
            by_sender: BTreeMap::new(),
            sig_ok: HashSet256::default(),
        }
    }

    /// Validates `t` against the chain's tip and the sender's pending transfers, and
    /// adds it. Order: already pending, pool full, stateless rules, conflicting
    /// sequence, sequence (`next_sequence + pending count`), balance (covers all the
    /// sender's pending transfers plus this one; incoming pending coins do not count),
    /// recipient overflow, signature.
    ///
    /// # Errors
    /// The first failing rule as a [`TxError`].
    pub fn add(&mut self, t: Transfer, chain: &Chain) -> Result<Hash256, TxError> {
        self.add_with(t, chain, None)
    }

    /// [`Mempool::add`] verifying the signature through `sigs`, which remembers it, so
    /// the block that confirms the transfer need not verify it again. Same result as
    /// without the cache.
    ///
    /// # Errors
    /// As [`Mempool::add`].
    pub fn add_with(
        &mut self,
        t: Transfer,
        chain: &Chain,
        sigs: Option<&mut SigCache>,
    ) -> Result<Hash256, TxError> {
        let txid = transfer_txid(&t);
        if self.txs.contains_key(&txid) {
            return Err(TxError::AlreadyInPool);
        }
        if self.txs.len() >= self.max_txs {
            return Err(TxError::MempoolFull);
        }
        let total = check_transfer_stateless(&t)?;
        let pending = self.by_sender.get(&t.sender);
        if pending.is_some_and(|p| p.contains_key(&t.sequence)) {
            return Err(TxError::ConflictingSequence);
        }
        let count = pending.map_or(0, |p| p.len() as u64);
        let expected = chain.next_sequence(&t.sender).saturating_add(count);
        if t.sequence != expected {
            return Err(TxError::BadSequence {
                expected,
                got: t.sequence,
            });
        }
        let committed = pending
            .into_iter()
            .flat_map(|p| p.values())
            .fold(0u64, |acc, id| {
                let p = &self.txs[id];
                acc.saturating_add(p.amount.saturating_add(p.fee))
            });
        let balance = chain.balance(&t.sender);
        let needed = committed.saturating_add(total);
        if balance < needed {
            return Err(TxError::InsufficientBalance { balance, needed });
        }
        if chain.balance(&t.recipient).checked_add(t.amount).is_none() {
            return Err(TxError::RecipientOverflow);
        }
        if !self.sig_ok.contains(&txid) {
            match sigs {
                Some(c) => c.verify_and_store(&t, &chain.network_id())?,
                None => check_transfer_signature(&t, &chain.network_id())?,
            }
        }
        self.sig_ok.insert(txid);
        self.txs.insert(txid, t);
        self.by_sender
            .entry(t.sender)
            .or_default()
            .insert(t.sequence, txid);
        Ok(txid)
    }

    /// True if the transfer is pending.
    pub fn contains(&self, txid: &Hash256) -> bool {
        self.txs.contains_key(txid)
    }

    /// A pending transfer.
    pub fn get(&self, txid: &Hash256) -> Option<&Transfer> {
        self.txs.get(txid)
    }

    /// How many transfers of `sender` are pending here (their sequences follow the
    /// chain's next sequence for that account).
    pub fn pending_count(&self, sender: &AccountId) -> u64 {
        self.by_sender.get(sender).map_or(0, |q| q.len() as u64)
    }

    /// Number of pending transfers.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// True if nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// The pending txids in ascending order.
    pub fn txids(&self) -> Vec<Hash256> {
        self.txs.keys().copied().collect()
    }

    /// Transfers for a block, at most `max_bytes` of encoded transfers: each sender's in
    /// sequence order; among senders the highest fee next (ties: smaller txid). Valid
    /// on the tip the pool was last checked against.
    pub fn select(&self, max_bytes: usize) -> Vec<Transfer> {
        let max = max_bytes / TRANSFER_LEN;
        let mut queues: BTreeMap<AccountId, Vec<Hash256>> = self
            .by_sender
            .iter()
            .map(|(s, q)| (*s, q.values().rev().copied().collect()))
            .collect();
        let mut heap = BinaryHeap::new();
        for q in queues.values_mut() {
            if let Some(id) = q.pop() {
                heap.push((self.txs[&id].fee, Reverse(id)));
            }
        }
        let mut out = Vec::new();
        while out.len() < max {
            let Some((_, Reverse(id))) = heap.pop() else {
                break;
            };
            let t = self.txs[&id];
            out.push(t);
            if let Some(next) = queues.get_mut(&t.sender).and_then(|q| q.pop()) {
                heap.push((self.txs[&next].fee, Reverse(next)));
            }
        }
        out
    }

    /// Call after `block` became the new tip: drops what it confirmed and anything no
    /// longer valid.
    pub fn block_connected(&mut self, _block: &Block, chain: &Chain) {
        self.revalidate(&[], chain);
    }

    /// Call after any other tip change: the transfers of the `disconnected` blocks come
    /// back, and everything is checked again against the new tip.
    pub fn reorganized(&mut self, disconnected: &[Block], chain: &Chain) {
        self.revalidate(disconnected, chain);
    }

    /// Rebuilds the pool from scratch: pending transfers plus those of `returned`
    /// blocks, sorted by (sender, sequence, txid), re-added one by one; the ones that
    /// fail are dropped.
    fn revalidate(&mut self, returned: &[Block], chain: &Chain) {
        let mut all: Vec<(AccountId, u64, Hash256, Transfer)> = self
            .txs
            .iter()
            .map(|(id, t)| (t.sender, t.sequence, *id, *t))
            .collect();
        for b in returned {
            for t in b.txs.iter().filter_map(|t| t.as_transfer()) {
                all.push((t.sender, t.sequence, transfer_txid(t), *t));
            }
        }
        all.sort_by_key(|a| (a.0, a.1, a.2));
        all.dedup_by(|a, b| a.2 == b.2);
        let old_sigs = std::mem::take(&mut self.sig_ok);
        self.txs.clear();
        self.by_sender.clear();
        for (_, _, id, t) in all {
            if old_sigs.contains(&id) {
                self.sig_ok.insert(id);
            }
            let _ = self.add(t, chain);
        }
        let txs = &self.txs;
        self.sig_ok.retain(|id| txs.contains_key(id));
    }
}
