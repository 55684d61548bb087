//! Consensus decoders and validation on arbitrary bytes: `Block::from_bytes` and
//! `Transaction::from_bytes` never panic, accepted input re-encodes to itself, and a
//! decoded block goes through full validation on a fresh regtest chain (optionally
//! re-parented onto genesis with the right bits, so the fuzzer reaches the coinbase,
//! transfer and signature rules) without panicking or breaking the supply invariant.
//!
//! Shared by the fuzz target of the same name and `tests/wire_fuzz_regressions.rs`
//! (both include this file), so a pinned crash input runs exactly this check.

use cheesechain::chain::merkle::merkle_root;
use cheesechain::chain::tree::Chain;
use cheesechain::chain::validate::{
    check_block_stateless, check_transfer_signature, check_transfer_stateless,
};
use cheesechain::chain::{Block, NetworkParams, Transaction};
use std::sync::OnceLock;

fn fresh_chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(|| Chain::new(NetworkParams::regtest()))
}

/// The check: panics on any violated property.
pub fn check(data: &[u8]) {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(mut b) = Block::from_bytes(bytes) {
            assert_eq!(b.to_bytes(), bytes, "block re-encodes to its input");
            assert_eq!(b.encoded_len(), bytes.len());
            let ids: Vec<_> = b.txs.iter().map(Transaction::txid).collect();
            let (root, _mutated) = merkle_root(&ids);
            if ids.len() == 1 {
                assert_eq!(root, ids[0]);
            }
            let _ = check_block_stateless(&b);
            let mut chain = fresh_chain().clone();
            let params = chain.params().clone();
            if mode & 2 != 0 {
                b.header.prev = chain.tip();
                b.header.bits = params.genesis_bits;
                b.header.time = params.genesis_time + 1;
                if mode & 4 != 0 {
                    b.header.merkle_root = root;
                }
            }
            let now = params.genesis_time as u64 + 3600;
            if chain.accept_block(b, now).is_ok() {
                let supply = chain.ledger().total_supply();
                assert_eq!(
                    supply,
                    params.block_reward as u128 * chain.height() as u128,
                    "coins created out of thin air"
                );
            }
        }
    } else if let Ok(t) = Transaction::from_bytes(bytes) {
        assert_eq!(t.to_bytes(), bytes, "transaction re-encodes to its input");
        assert_eq!(t.encoded_len(), bytes.len());
        if let Transaction::Transfer(tr) = t {
            if check_transfer_stateless(&tr).is_ok() {
                let _ = check_transfer_signature(&tr, &fresh_chain().network_id());
            }
        }
    }
}
