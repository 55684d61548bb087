//! Helpers shared by the consensus tests and the chain vector generator:
//! deterministic keys, signed transfers, block building and a trivial nonce loop.
#![allow(dead_code)]

use cheesechain::chain::keys::{account_of, secret_from_bytes, sign_transfer};
use cheesechain::chain::merkle::merkle_root;
use cheesechain::chain::pow::check_pow;
use cheesechain::chain::{
    AccountId, Block, BlockHeader, Coinbase, Hash256, NetworkParams, Transaction, Transfer,
};
use secp256k1::SecretKey;

/// A far-future clock, so no test block is "too new".
pub const NOW: u64 = 4_000_000_000;

/// Secret key number `n` (1..=255): 32 bytes of `n`.
pub fn key(n: u8) -> (SecretKey, AccountId) {
    let sk = secret_from_bytes([n; 32]).expect("small constant keys are valid");
    let id = account_of(&sk);
    (sk, id)
}

/// A signed transfer.
pub fn transfer(
    sk: &SecretKey,
    to: AccountId,
    amount: u64,
    fee: u64,
    sequence: u64,
    net: &Hash256,
) -> Transfer {
    let mut t = Transfer {
        sender: account_of(sk),
        recipient: to,
        amount,
        fee,
        sequence,
        signature: [0; 64],
    };
    sign_transfer(&mut t, sk, net);
    t
}

/// An unsigned transfer (signature all zero) for rules checked before the signature.
pub fn raw_transfer(from: AccountId, to: AccountId, amount: u64, fee: u64, seq: u64) -> Transfer {
    Transfer {
        sender: from,
        recipient: to,
        amount,
        fee,
        sequence: seq,
        signature: [0; 64],
    }
}

/// Sets the merkle root from the transactions.
pub fn fix_root(b: &mut Block) {
    let ids: Vec<Hash256> = b.txs.iter().map(|t| t.txid()).collect();
    b.header.merkle_root = merkle_root(&ids).0;
}

/// Increments the nonce until the header meets its own target (regtest: ~2 tries).
pub fn mine(b: &mut Block, pow_limit_bits: u32) {
    while check_pow(&b.header, pow_limit_bits).is_err() {
        b.header.nonce = b.header.nonce.wrapping_add(1);
    }
}

/// Finds a nonce whose hash does NOT meet the target.
pub fn unmine(b: &mut Block, pow_limit_bits: u32) {
    while check_pow(&b.header, pow_limit_bits).is_ok() {
        b.header.nonce = b.header.nonce.wrapping_add(1);
    }
}

/// `block_reward + sum of fees`, or `None` when the sum does not fit in u64: consensus
/// rule 5 (spec/consensus.md, `fee_overflow`), checked in the same order (the fee sum
/// first, then the reward added).
pub fn coinbase_amount(params: &NetworkParams, transfers: &[Transfer]) -> Option<u64> {
    transfers
        .iter()
        .try_fold(0u64, |sum, t| sum.checked_add(t.fee))
        .and_then(|fees| params.block_reward.checked_add(fees))
}

/// A block on `prev` at `height`: a coinbase to `miner` of `reward + fees +
/// amount_delta` (delta only for invalid blocks), root set, mined.
///
/// When the fees overflow (`coinbase_amount` is `None`) no coinbase amount is valid and
/// the block is one that rule 5 rejects as `fee_overflow` before the amount is compared;
/// it then carries the sum wrapped modulo 2^64, so the bytes of such blocks in the
/// generated vectors do not depend on the build profile.
#[allow(clippy::too_many_arguments)]
pub fn build(
    params: &NetworkParams,
    prev: Hash256,
    height: u32,
    bits: u32,
    time: u32,
    miner: AccountId,
    transfers: &[Transfer],
    extra_nonce: u64,
    amount_delta: i64,
) -> Block {
    let amount = coinbase_amount(params, transfers)
        .unwrap_or_else(|| {
            transfers
                .iter()
                .fold(params.block_reward, |sum, t| sum.wrapping_add(t.fee))
        })
        .wrapping_add_signed(amount_delta);
    let mut txs = vec![Transaction::Coinbase(Coinbase {
        height,
        recipient: miner,
        amount,
        extra_nonce,
    })];
    txs.extend(transfers.iter().copied().map(Transaction::Transfer));
    let mut b = Block {
        header: BlockHeader {
            version: 1,
            prev,
            merkle_root: Hash256::ZERO,
            time,
            bits,
            nonce: 0,
        },
        txs,
    };
    fix_root(&mut b);
    mine(&mut b, params.pow_limit_bits);
    b
}

/// n - s for a 32-byte big-endian s (secp256k1 group order n).
pub fn negate_s(s: &[u8]) -> [u8; 32] {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = N[i] as i16 - s[i] as i16 - borrow;
        out[i] = d.rem_euclid(256) as u8;
        borrow = (d < 0) as i16;
    }
    out
}

/// Any header with nonce 0 (the miner tests scan nonces from there).
pub fn header_strategy() -> impl proptest::strategy::Strategy<Value = BlockHeader> {
    use proptest::prelude::*;
    (
        any::<u32>(),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(version, prev, root, time, bits)| BlockHeader {
            version,
            prev: Hash256(prev),
            merkle_root: Hash256(root),
            time,
            bits,
            nonce: 0,
        })
}
