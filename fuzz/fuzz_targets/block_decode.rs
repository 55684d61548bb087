//! Consensus decoders on arbitrary bytes: `Block::from_bytes` and
//! `Transaction::from_bytes` never panic, accepted input re-encodes to itself, and the
//! merkle root of a decoded block's txids is computable.
#![no_main]

use cheesechain::chain::merkle::merkle_root;
use cheesechain::chain::{Block, Transaction};
use libfuzzer_sys::fuzz_target;

fn do_test(data: &[u8]) {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(b) = Block::from_bytes(bytes) {
            assert_eq!(b.to_bytes(), bytes, "block re-encodes to its input");
            assert_eq!(b.encoded_len(), bytes.len());
            let ids: Vec<_> = b.txs.iter().map(Transaction::txid).collect();
            let (root, _mutated) = merkle_root(&ids);
            if ids.len() == 1 {
                assert_eq!(root, ids[0]);
            }
            let _ = b.hash();
        }
    } else if let Ok(t) = Transaction::from_bytes(bytes) {
        assert_eq!(t.to_bytes(), bytes, "transaction re-encodes to its input");
        assert_eq!(t.encoded_len(), bytes.len());
    }
}

fuzz_target!(|data: &[u8]| do_test(data));
