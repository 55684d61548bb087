//! The miner: midstate hashing equals plain SHA-256d, solved blocks meet their target,
//! the nonce range rolls over to a new extra nonce (or time), and mining is deterministic.

use cheesechain::chain::hash::Hash256;
use cheesechain::chain::merkle::merkle_root;
use cheesechain::chain::target::{expand_compact, hash_meets_target};
use cheesechain::chain::{
    AccountId, Block, BlockHeader, Coinbase, NetworkParams, Transaction, Transfer,
};
use cheesechain::miner::hasher::HeaderHasher;
use cheesechain::miner::Miner;
use proptest::prelude::*;

fn coinbase(height: u32, extra_nonce: u64) -> Transaction {
    Transaction::Coinbase(Coinbase {
        height,
        recipient: AccountId([2; 33]),
        amount: 50,
        extra_nonce,
    })
}

fn transfer(seq: u64) -> Transaction {
    Transaction::Transfer(Transfer {
        sender: AccountId([3; 33]),
        recipient: AccountId([2; 33]),
        amount: 1,
        fee: 1,
        sequence: seq,
        signature: [7; 64],
    })
}

fn template(bits: u32, txs: Vec<Transaction>) -> Block {
    let genesis = NetworkParams::regtest().genesis_block();
    Block {
        header: BlockHeader {
            version: 1,
            prev: genesis.hash(),
            merkle_root: Hash256::ZERO,
            time: genesis.header.time + 1,
            bits,
            nonce: 0,
        },
        txs,
    }
}

fn root(txs: &[Transaction]) -> Hash256 {
    merkle_root(&txs.iter().map(Transaction::txid).collect::<Vec<_>>()).0
}

fn assert_valid_pow(b: &Block) {
    let target = expand_compact(b.header.bits).unwrap();
    assert!(
        hash_meets_target(&b.hash(), &target),
        "hash {} above target",
        b.hash()
    );
    assert_eq!(b.header.merkle_root, root(&b.txs));
}

proptest! {
    #[test]
    fn midstate_hash_equals_sha256d(
        version in any::<u32>(), prev in any::<[u8; 32]>(), mr in any::<[u8; 32]>(),
        time in any::<u32>(), bits in any::<u32>(), nonce in any::<u32>(),
    ) {
        let h = BlockHeader { version, prev: Hash256(prev), merkle_root: Hash256(mr), time, bits, nonce };
        let mut hasher = HeaderHasher::new(&h);
        prop_assert_eq!(hasher.hash(nonce), Hash256::sha256d(&h.to_bytes()));
        // The same hasher serves other nonces too.
        let other = BlockHeader { nonce: nonce.wrapping_add(1), ..h };
        prop_assert_eq!(hasher.hash(other.nonce), other.hash());
    }

    #[test]
    fn scan_finds_exactly_the_first_nonce_meeting_the_target(
        mr in any::<[u8; 32]>(), start in any::<u32>(), exp in 0x1fu32..=0x20,
    ) {
        let bits = (exp << 24) | 0x007f_ffff;
        let h = BlockHeader { version: 1, prev: Hash256::ZERO, merkle_root: Hash256(mr), time: 9, bits, nonce: 0 };
        let target = expand_compact(bits).unwrap();
        let mut hasher = HeaderHasher::new(&h);
        let (found, done) = hasher.scan(start, 2000, &target);
        // Reference: plain SHA-256d over each nonce in turn.
        let mut want = None;
        let mut tried = 0u32;
        for i in 0..2000u64 {
            let n = u64::from(start) + i;
            if n > u64::from(u32::MAX) { break; }
            tried += 1;
            let hh = BlockHeader { nonce: n as u32, ..h };
            if hash_meets_target(&hh.hash(), &target) { want = Some(n as u32); break; }
        }
        prop_assert_eq!(found, want);
        prop_assert_eq!(done, tried);
    }
}

#[test]
fn top_word_ties_are_decided_by_the_full_comparison() {
    // Targets whose top 4 bytes equal the hash's: the scan must compare the rest.
    let h = BlockHeader {
        version: 1,
        prev: Hash256::ZERO,
        merkle_root: Hash256([5; 32]),
        time: 1,
        bits: 0x207fffff,
        nonce: 77,
    };
    let hash = h.hash();
    let mut hasher = HeaderHasher::new(&h);
    assert_eq!(hasher.scan(77, 1, &hash.0), (Some(77), 1), "equal meets");
    // Raise / lower the least significant non-extreme byte below the top word.
    let i = (0..28)
        .find(|&i| hash.0[i] != 0 && hash.0[i] != 255)
        .unwrap();
    let mut above = hash.0;
    above[i] += 1;
    let mut below = hash.0;
    below[i] -= 1;
    assert_eq!(hasher.scan(77, 1, &above), (Some(77), 1));
    assert_eq!(hasher.scan(77, 1, &below), (None, 1));
}

#[test]
fn regtest_mines_a_chain_of_valid_blocks() {
    let params = NetworkParams::regtest();
    let mut prev = params.genesis_block();
    for height in 1..=20u32 {
        let mut t = template(
            params.genesis_bits,
            vec![coinbase(height, 0), transfer(u64::from(height))],
        );
        t.header.prev = prev.hash();
        let mut m = Miner::new(t);
        let b = m
            .work(1000)
            .expect("regtest solves about every second hash");
        assert_valid_pow(&b);
        assert_eq!(b.header.prev, prev.hash());
        assert!(m.hashes_done() >= 1 && m.hashes_done() <= 1000);
        assert_eq!(m.template().header.merkle_root, b.header.merkle_root);
        prev = b;
    }
}

#[test]
fn mining_is_deterministic_and_budgets_add_up() {
    let bits = 0x1f00ffff; // about one in 2^16 hashes
    let t = template(bits, vec![coinbase(1, 0)]);
    let mut a = Miner::new(t.clone());
    let whole = loop {
        if let Some(b) = a.work(5000) {
            break b;
        }
        assert!(a.hashes_done() < 5_000_000, "should solve well before this");
    };
    // Same template, tiny budgets: same block, same hash count.
    let mut b = Miner::new(t);
    let mut calls = 0u64;
    let pieces = loop {
        calls += 1;
        if let Some(b) = b.work(7) {
            break b;
        }
    };
    assert_eq!(whole, pieces);
    assert_eq!(a.hashes_done(), b.hashes_done());
    assert_eq!(b.hashes_done(), u64::from(whole.header.nonce) + 1);
    assert!(calls * 7 >= b.hashes_done());
    assert_valid_pow(&whole);
}

#[test]
fn work_continues_after_a_solution_with_the_next_nonce() {
    let t = template(0x207fffff, vec![coinbase(1, 0)]);
    let mut m = Miner::new(t);
    let first = m.work(100).unwrap();
    let second = m.work(100).unwrap();
    assert!(second.header.nonce > first.header.nonce);
    assert_valid_pow(&second);
    assert_eq!(m.next_nonce(), u64::from(second.header.nonce) + 1);
}

#[test]
fn exhausted_nonce_range_rolls_the_coinbase_extra_nonce() {
    // The hardest valid target: nothing is ever found, so this is pure exhaustion logic.
    let bits = 0x0300_0001;
    let txs = vec![coinbase(3, 41), transfer(1)];
    let t = template(bits, txs.clone());
    let mut m = Miner::with_start_nonce(t, u32::MAX - 9);
    assert_eq!(m.work(10), None);
    assert_eq!(m.hashes_done(), 10);
    assert_eq!(m.next_nonce(), 1 << 32);
    // Untouched until the next call needs a fresh range.
    assert_eq!(m.template().txs, txs);
    assert_eq!(m.work(5), None);
    assert_eq!(m.hashes_done(), 15);
    assert_eq!(m.next_nonce(), 5);
    let rolled = m.template();
    assert_eq!(rolled.txs[0], coinbase(3, 42));
    assert_eq!(rolled.txs[1], txs[1]);
    assert_eq!(rolled.header.merkle_root, root(&rolled.txs));
    assert_ne!(rolled.header.merkle_root, root(&txs));
    assert_eq!(rolled.header.time, template(bits, vec![]).header.time);
}

#[test]
fn roll_happens_inside_one_budget_and_the_block_found_is_consistent() {
    // Regtest difficulty, starting at the very last nonces: one budget spans the end of
    // the range, and whatever is found is valid for the (possibly rolled) template.
    let t = template(0x207fffff, vec![coinbase(5, 0)]);
    let mut found_after_roll = false;
    for start in [u32::MAX, u32::MAX - 1, u32::MAX - 2, u32::MAX - 3] {
        let mut m = Miner::with_start_nonce(t.clone(), start);
        let mut got = None;
        for _ in 0..100 {
            got = m.work(1000);
            if let Some(ref blk) = got {
                if blk.txs[0] != t.txs[0] {
                    found_after_roll = true;
                    assert_eq!(blk.txs[0], coinbase(5, 1));
                    break;
                }
            }
        }
        assert_valid_pow(&got.expect("regtest finds blocks"));
    }
    assert!(
        found_after_roll,
        "a search must cross into the rolled range"
    );
}

#[test]
fn without_a_coinbase_the_time_rolls() {
    let bits = 0x0300_0001;
    let t = template(bits, vec![transfer(9)]);
    let time = t.header.time;
    let mut m = Miner::with_start_nonce(t, u32::MAX);
    assert_eq!(m.work(3), None);
    assert_eq!(m.hashes_done(), 3);
    assert_eq!(m.template().header.time, time + 1);
    assert_eq!(m.template().txs, vec![transfer(9)]);
    assert_eq!(m.next_nonce(), 2);
}

#[test]
fn invalid_bits_never_solve_and_hash_nothing() {
    let t = template(0x0480_0000, vec![coinbase(1, 0)]);
    let mut m = Miner::new(t);
    assert_eq!(m.work(1000), None);
    assert_eq!(m.hashes_done(), 0);
}

#[test]
fn new_replaces_a_wrong_merkle_root() {
    let mut t = template(0x207fffff, vec![coinbase(1, 0), transfer(2), transfer(3)]);
    t.header.merkle_root = Hash256([9; 32]);
    let m = Miner::new(t.clone());
    assert_eq!(m.template().header.merkle_root, root(&t.txs));
}
