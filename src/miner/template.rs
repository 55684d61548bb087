//! The block template: the next block on a chain's active tip that the miner searches
//! nonces for.

use crate::chain::block::Block;
use crate::chain::hash::Hash256;
use crate::chain::header::BlockHeader;
use crate::chain::merkle::merkle_root;
use crate::chain::tree::Chain;
use crate::chain::tx::{AccountId, Coinbase, Transaction, Transfer};

/// A block on `chain`'s active tip paying `miner`: time `max(now, mtp + 1)`, the
/// required bits, a coinbase of reward plus the fees of `transfers` (in the given
/// order; the caller makes them valid and small enough), merkle root set, nonce 0.
pub fn block_template(
    chain: &Chain,
    miner: AccountId,
    transfers: Vec<Transfer>,
    now: u64,
    extra_nonce: u64,
) -> Block {
    let parent = chain.tip();
    let height = chain.height() + 1;
    let mtp = chain.median_time_past(&parent).expect("tip is known");
    let time = now.min(u32::MAX as u64).max(mtp as u64 + 1) as u32;
    let fees = transfers
        .iter()
        .fold(0u64, |acc, t| acc.saturating_add(t.fee));
    let mut txs = Vec::with_capacity(transfers.len() + 1);
    txs.push(Transaction::Coinbase(Coinbase {
        height,
        recipient: miner,
        amount: chain.params().block_reward.saturating_add(fees),
        extra_nonce,
    }));
    txs.extend(transfers.into_iter().map(Transaction::Transfer));
    let ids: Vec<Hash256> = txs.iter().map(|t| t.txid()).collect();
    Block {
        header: BlockHeader {
            version: 1,
            prev: parent,
            merkle_root: merkle_root(&ids).0,
            time,
            bits: chain.next_bits(&parent).expect("tip is known"),
            nonce: 0,
        },
        txs,
    }
}
