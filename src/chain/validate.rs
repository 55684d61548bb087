//! The consensus checks, cheapest first, as pure functions.
//!
//! - [`check_block_stateless`]: what a block must satisfy on its own.
//! - [`check_header_contextual`]: what a header must satisfy given its parent.
//! - [`check_transfer_stateless`], [`check_transfer_signature`]: the transfer rules that
//!   need no state; the stateful ones (sequence, balance) are applied by
//!   [`super::state::Ledger::apply_block`] in the order documented there.

use super::block::{Block, MAX_BLOCK_BYTES};
use super::error::{BlockError, TxError};
use super::hash::{Hash256, HashSet256, KeyedState};
use super::header::{BlockHeader, HashedHeader};
use super::keys::{parse_sender, verify_transfer, verify_transfer_with_key};
use super::merkle::merkle_root;
use super::params::NetworkParams;
use super::pow::check_pow_hashed;
use super::tx::AccountId;
use super::tx::{Transaction, Transfer};
use secp256k1::PublicKey;
use std::collections::HashMap;

/// Checks a block on its own, in this order: encoded size at most
/// [`MAX_BLOCK_BYTES`], at least one transaction, the first is a coinbase, no other is,
/// the merkle root matches, the tree is not mutated, no two transactions share an id.
///
/// # Errors
/// The first failing rule.
pub fn check_block_stateless(block: &Block) -> Result<(), BlockError> {
    let size = block.encoded_len();
    if size > MAX_BLOCK_BYTES {
        return Err(BlockError::Oversized { size });
    }
    let first = block.txs.first().ok_or(BlockError::NoTransactions)?;
    if !matches!(first, Transaction::Coinbase(_)) {
        return Err(BlockError::MissingCoinbase);
    }
    if block.txs[1..]
        .iter()
        .any(|t| matches!(t, Transaction::Coinbase(_)))
    {
        return Err(BlockError::ExtraCoinbase);
    }
    let ids: Vec<Hash256> = block.txs.iter().map(|t| t.txid()).collect();
    let (root, mutated) = merkle_root(&ids);
    if root != block.header.merkle_root {
        return Err(BlockError::BadMerkleRoot);
    }
    if mutated {
        return Err(BlockError::MutatedMerkle);
    }
    let mut seen = HashSet256::with_capacity_and_hasher(ids.len(), KeyedState::default());
    if !ids.iter().all(|id| seen.insert(*id)) {
        return Err(BlockError::DuplicateTx);
    }
    Ok(())
}

/// True if the transactions are the ones the header commits to (root matches and the
/// tree is not mutated). Only then can a failure of the body be blamed on the header.
pub fn body_matches_header(block: &Block) -> bool {
    let ids: Vec<Hash256> = block.txs.iter().map(|t| t.txid()).collect();
    let (root, mutated) = merkle_root(&ids);
    root == block.header.merkle_root && !mutated
}

/// What a header's checks need to know about its parent and the receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderContext {
    /// Bits the difficulty rule requires at this height.
    pub expected_bits: u32,
    /// Median time past of the parent and its predecessors (`mtp_window` blocks).
    pub mtp: u32,
    /// The receiver's clock, Unix seconds.
    pub now: u64,
}

/// Checks a header against its context, in this order: bits equal the required bits,
/// time after the median time past, proof of work (valid target within the network
/// limit, hash at most the target), time at most `now + max_future_drift_secs`.
///
/// # Errors
/// The first failing rule; [`BlockError::TimeTooNew`] is the only temporary one.
pub fn check_header_contextual(
    header: &BlockHeader,
    ctx: &HeaderContext,
    params: &NetworkParams,
) -> Result<(), BlockError> {
    check_hashed_header_contextual(&HashedHeader::new(*header), ctx, params)
}

/// [`check_header_contextual`] for a header whose hash is already known.
///
/// # Errors
/// As [`check_header_contextual`].
pub fn check_hashed_header_contextual(
    hashed: &HashedHeader,
    ctx: &HeaderContext,
    params: &NetworkParams,
) -> Result<(), BlockError> {
    let header = hashed.header();
    if header.bits != ctx.expected_bits {
        return Err(BlockError::BadBits {
            expected: ctx.expected_bits,
            got: header.bits,
        });
    }
    if header.time <= ctx.mtp {
        return Err(BlockError::TimeTooOld {
            time: header.time,
            mtp: ctx.mtp,
        });
    }
    check_pow_hashed(hashed, params.pow_limit_bits)?;
    let max = ctx.now.saturating_add(params.max_future_drift_secs as u64);
    if header.time as u64 > max {
        return Err(BlockError::TimeTooNew {
            time: header.time,
            max,
        });
    }
    Ok(())
}

/// The transfer rules that need no state, in order: amount at least 1, `amount + fee`
/// fits in a `u64`, recipient prefix 0x02/0x03, sender differs from recipient.
/// Returns `amount + fee`.
///
/// # Errors
/// The first failing rule.
pub fn check_transfer_stateless(t: &Transfer) -> Result<u64, TxError> {
    if t.amount == 0 {
        return Err(TxError::ZeroAmount);
    }
    let total = t.amount.checked_add(t.fee).ok_or(TxError::AmountOverflow)?;
    if !t.recipient.has_valid_prefix() {
        return Err(TxError::BadRecipient);
    }
    if t.sender == t.recipient {
        return Err(TxError::SelfTransfer);
    }
    Ok(total)
}

/// Verifies the signature for the network whose id (genesis hash) is `network_id`.
///
/// # Errors
/// [`TxError::Signature`].
pub fn check_transfer_signature(t: &Transfer, network_id: &Hash256) -> Result<(), TxError> {
    verify_transfer(t, network_id).map_err(TxError::Signature)
}

/// Parsed sender keys of one block, so each sender's key is decompressed once however
/// many transfers it makes. Holds at most one entry per transfer checked, so it is
/// bounded by the block's size.
#[derive(Debug, Default)]
pub struct SenderKeys {
    keys: HashMap<AccountId, PublicKey>,
}

impl SenderKeys {
    /// An empty cache.
    pub fn new() -> SenderKeys {
        SenderKeys::default()
    }

    /// The key of account `id`, parsed once and then remembered.
    ///
    /// # Errors
    /// [`SignatureError::BadPublicKey`](super::keys::SignatureError::BadPublicKey)
    /// (nothing is remembered then).
    pub fn parse(&mut self, id: &AccountId) -> Result<PublicKey, super::keys::SignatureError> {
        if let Some(pk) = self.keys.get(id) {
            return Ok(*pk);
        }
        let pk = parse_sender(id)?;
        self.keys.insert(*id, pk);
        Ok(pk)
    }
}

/// [`check_transfer_signature`] parsing the sender's key through `cache`: same result,
/// same errors, in the same order.
///
/// # Errors
/// [`TxError::Signature`].
pub fn check_transfer_signature_cached(
    t: &Transfer,
    network_id: &Hash256,
    cache: &mut SenderKeys,
) -> Result<(), TxError> {
    let pk = cache.parse(&t.sender).map_err(TxError::Signature)?;
    verify_transfer_with_key(t, &pk, network_id).map_err(TxError::Signature)
}

/// How a ledger applies transfers: the network id to verify signatures against (cached
/// by the caller, since computing it hashes the genesis block), and whether to verify
/// them at all (false only for blocks that were already fully validated once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxContext {
    /// The genesis hash signatures commit to.
    pub network_id: Hash256,
    /// Verify signatures.
    pub verify_signatures: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::keys::{account_of, secret_from_bytes, sign_transfer, SignatureError};

    #[test]
    fn cached_signature_check_agrees_with_the_plain_one() {
        let net = Hash256([4; 32]);
        let sk = secret_from_bytes([5; 32]).unwrap();
        let mut cache = SenderKeys::new();
        let mut signed = Vec::new();
        for sequence in 0..3 {
            let mut t = Transfer {
                sender: account_of(&sk),
                recipient: AccountId([2; 33]),
                amount: 7,
                fee: 1,
                sequence,
                signature: [0; 64],
            };
            sign_transfer(&mut t, &sk, &net);
            signed.push(t);
        }
        let mut forged = signed[1];
        forged.amount += 1;
        let mut bad_key = signed[0];
        bad_key.sender.0[0] = 0x05;
        let mut cases = signed.clone();
        cases.extend([forged, bad_key, signed[2]]);
        for t in &cases {
            assert_eq!(
                check_transfer_signature_cached(t, &net, &mut cache),
                check_transfer_signature(t, &net)
            );
        }
        assert_eq!(
            check_transfer_signature_cached(&forged, &net, &mut cache),
            Err(TxError::Signature(SignatureError::Mismatch))
        );
        assert_eq!(
            check_transfer_signature_cached(&bad_key, &net, &mut cache),
            Err(TxError::Signature(SignatureError::BadPublicKey))
        );
        // The bad key was never cached; the good one was parsed once.
        assert_eq!(cache.keys.len(), 1);
    }
}
