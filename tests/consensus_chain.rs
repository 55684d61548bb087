//! Block tree behaviour: mining, every block error, reorgs, ties, headers-first sync,
//! locators and the retarget rule on a live chain.

mod support;

use cheesechain::chain::block::MAX_BLOCK_BYTES;
use cheesechain::chain::error::{BlockError, TxError};
use cheesechain::chain::keys::SignatureError;
use cheesechain::chain::tree::{BlockStatus, Chain, HeaderOutcome};
use cheesechain::chain::tx::TRANSFER_LEN;
use cheesechain::chain::u256::U256;
use cheesechain::chain::{AccountId, Block, Coinbase, Hash256, NetworkParams, Transaction};
use cheesechain::miner::block_template;
use support::consensus::*;

fn regtest() -> Chain {
    Chain::new(NetworkParams::regtest())
}

/// Mines a block on the tip with `block_template` and accepts it.
fn mine_tip(
    chain: &mut Chain,
    miner: AccountId,
    transfers: Vec<cheesechain::chain::Transfer>,
) -> Block {
    let mut b = block_template(
        chain,
        miner,
        transfers,
        NOW - 1_000_000 + chain.height() as u64,
        0,
    );
    mine(&mut b, chain.params().pow_limit_bits);
    let out = chain
        .accept_block(b.clone(), NOW)
        .expect("template block is valid");
    assert!(out.tip_changed);
    assert_eq!(out.connected, vec![b.hash()]);
    b
}

/// A child of `parent` (any branch) with the given transfers and coinbase delta.
fn child(
    chain: &Chain,
    parent: Hash256,
    miner: AccountId,
    txs: &[cheesechain::chain::Transfer],
    extra: u64,
    delta: i64,
) -> Block {
    let h = chain.height_of(&parent).unwrap() + 1;
    let time = chain
        .median_time_past(&parent)
        .unwrap()
        .max(chain.header(&parent).unwrap().time)
        + 1;
    build(
        chain.params(),
        parent,
        h,
        chain.next_bits(&parent).unwrap(),
        time,
        miner,
        txs,
        extra,
        delta,
    )
}

#[test]
fn genesis_state() {
    let c = regtest();
    let p = NetworkParams::regtest();
    assert_eq!(c.height(), 0);
    assert_eq!(c.tip(), p.network_id());
    assert_eq!(c.network_id(), p.network_id());
    assert_eq!(c.hash_at(0), Some(c.tip()));
    assert_eq!(c.ledger().total_supply(), 0);
    assert_eq!(c.tip_work(), U256::from_u64(2));
    assert_eq!(c.best_header(), (c.tip(), 0));
    assert!(c.missing_blocks(10).is_empty());
    assert_eq!(c.locator(), vec![c.tip()]);
    assert_eq!(c.status(&c.tip()), Some(BlockStatus::Valid));
}

#[test]
fn mining_pays_rewards_and_fees() {
    let mut c = regtest();
    let (ska, a) = key(1);
    let (_, b) = key(2);
    for _ in 0..3 {
        mine_tip(&mut c, a, vec![]);
    }
    let r = c.params().block_reward;
    assert_eq!(c.balance(&a), 3 * r);
    let net = c.network_id();
    let t0 = transfer(&ska, b, 100, 7, 0, &net);
    let t1 = transfer(&ska, b, 200, 3, 1, &net);
    mine_tip(&mut c, b, vec![t0, t1]);
    assert_eq!(c.balance(&a), 3 * r - 310);
    assert_eq!(c.balance(&b), r + 310);
    assert_eq!(c.next_sequence(&a), 2);
    assert_eq!(c.ledger().total_supply(), 4 * r as u128);
    assert_eq!(c.height(), 4);
    // Resending a known block is benign.
    let tip = c.block(&c.tip()).unwrap().clone();
    let out = c.accept_block(tip.clone(), NOW).unwrap();
    assert!(out.already_had && !out.tip_changed);
    assert_eq!(
        c.accept_header(tip.header, NOW),
        Ok(HeaderOutcome::AlreadyKnown)
    );
}

fn assert_rejected(c: &mut Chain, b: Block, want: &str) {
    let e = c.accept_block(b, NOW).unwrap_err();
    assert_eq!(e.name(), want, "{e}");
    assert!(!e.to_string().is_empty());
}

#[test]
fn every_header_and_structure_error() {
    let mut c = regtest();
    let (_, a) = key(1);
    mine_tip(&mut c, a, vec![]);
    let p = c.params().clone();
    let tip = c.tip();
    let base = child(&c, tip, a, &[], 0, 0);

    let mut orphan = base.clone();
    orphan.header.prev = Hash256([7; 32]);
    mine(&mut orphan, p.pow_limit_bits);
    assert_rejected(&mut c, orphan, "unknown_parent");

    let mut bits = base.clone();
    bits.header.bits = 0x207ffffe;
    mine(&mut bits, p.pow_limit_bits);
    assert_rejected(&mut c, bits, "bad_bits");

    let mut pow = base.clone();
    unmine(&mut pow, p.pow_limit_bits);
    assert_rejected(&mut c, pow, "bad_pow");

    let mut old = base.clone();
    old.header.time = c.median_time_past(&tip).unwrap();
    mine(&mut old, p.pow_limit_bits);
    assert_rejected(&mut c, old, "time_too_old");

    // Too new is temporary: the same block is accepted once the clock catches up.
    let mut new = base.clone();
    new.header.time = (NOW - 500) as u32;
    mine(&mut new, p.pow_limit_bits);
    let e = c.accept_block(new.clone(), NOW - 500 - 7201).unwrap_err();
    assert!(matches!(e, BlockError::TimeTooNew { .. }) && !e.is_permanent());
    assert!(!c.contains(&new.hash()));
    assert!(c.accept_block(new, NOW - 500 - 7200).unwrap().tip_changed);

    // Refused headers take no memory.
    let known = c.header_count();
    let mut lost = child(&c, c.tip(), a, &[], 77, 0);
    lost.header.prev = Hash256([8; 32]);
    assert_eq!(
        c.accept_header(lost.header, NOW),
        Err(BlockError::UnknownParent)
    );
    lost.header.prev = c.tip();
    unmine(&mut lost, p.pow_limit_bits);
    assert_eq!(
        c.accept_header(lost.header, NOW),
        Err(BlockError::BadProofOfWork)
    );
    assert_eq!(c.header_count(), known);

    let tip = c.tip();
    let base = child(&c, tip, a, &[], 0, 0);
    let cb = base.txs[0];
    let t = Transaction::Transfer(raw_transfer(a, key(2).1, 1, 0, 0));
    let with = |txs: Vec<Transaction>, root_fix: bool| {
        let mut b = base.clone();
        b.txs = txs;
        if root_fix {
            fix_root(&mut b);
        }
        mine(&mut b, p.pow_limit_bits);
        b
    };
    assert_rejected(&mut c, with(vec![], true), "no_transactions");
    assert_rejected(&mut c, with(vec![t, cb], true), "missing_coinbase");
    assert_rejected(&mut c, with(vec![cb, cb], true), "extra_coinbase");
    let mut bad_root = with(vec![cb], false);
    bad_root.header.merkle_root = Hash256([1; 32]);
    mine(&mut bad_root, p.pow_limit_bits);
    assert_rejected(&mut c, bad_root.clone(), "bad_merkle_root");
    // The header of a body that does not match it is not blamed.
    assert!(!c.is_invalid(&bad_root.hash()));
    let t2 = Transaction::Transfer(raw_transfer(a, key(3).1, 2, 0, 1));
    let three = with(vec![cb, t, t2], true);
    let mut mutated = three.clone();
    mutated.txs.push(t2);
    assert_rejected(&mut c, mutated, "mutated_merkle");
    assert!(!c.is_invalid(&three.hash()));
    assert_rejected(&mut c, with(vec![cb, t, t2, t], true), "duplicate_tx");

    let big = with(
        std::iter::once(cb)
            .chain(
                (0..MAX_BLOCK_BYTES / TRANSFER_LEN)
                    .map(|i| Transaction::Transfer(raw_transfer(a, key(2).1, 1 + i as u64, 0, 0))),
            )
            .collect(),
        true,
    );
    assert!(big.encoded_len() > MAX_BLOCK_BYTES);
    let big_hash = big.hash();
    assert_rejected(&mut c, big, "oversized");
    // The body matched its header, so the block is invalid for good, with its children.
    assert!(c.is_invalid(&big_hash));
    let again = c.block(&tip).is_some();
    assert!(again);
    let mut kid = child(&c, tip, a, &[], 5, 0);
    kid.header.prev = big_hash;
    kid.txs[0] = Transaction::Coinbase(Coinbase {
        height: 3,
        ..match kid.txs[0] {
            Transaction::Coinbase(c) => c,
            _ => unreachable!(),
        }
    });
    fix_root(&mut kid);
    mine(&mut kid, p.pow_limit_bits);
    assert_rejected(&mut c, kid, "invalid_ancestor");
    let e = c.accept_header(with(vec![], true).header, NOW).unwrap_err();
    assert_eq!(e, BlockError::KnownInvalid);
}

#[test]
fn every_contextual_error_and_atomicity() {
    let mut c = regtest();
    let (ska, a) = key(1);
    let (_, b) = key(2);
    mine_tip(&mut c, a, vec![]);
    mine_tip(&mut c, a, vec![]);
    let net = c.network_id();
    let tip = c.tip();
    let before = c.ledger().clone();
    let r = c.params().block_reward;
    let check = |c: &mut Chain, txs: &[cheesechain::chain::Transfer], delta: i64, want: &str| {
        let blk = child(c, tip, b, txs, 0, delta);
        let h = blk.hash();
        assert_rejected(c, blk.clone(), want);
        assert!(c.is_invalid(&h), "{want} marks the block invalid");
        assert_rejected(c, blk, "known_invalid");
        assert_eq!(c.tip(), tip);
        assert_eq!(c.ledger(), &before);
    };
    check(&mut c, &[], 1, "bad_coinbase_amount");
    check(&mut c, &[], -1, "bad_coinbase_amount");
    let mut wrong_h = child(&c, tip, b, &[], 0, 0);
    if let Transaction::Coinbase(cb) = &mut wrong_h.txs[0] {
        cb.height = 99;
    }
    fix_root(&mut wrong_h);
    mine(&mut wrong_h, c.params().pow_limit_bits);
    assert_rejected(&mut c, wrong_h, "bad_coinbase_height");
    let half = u64::MAX / 2 + 1;
    check(
        &mut c,
        &[
            raw_transfer(a, b, 1, half, 0),
            raw_transfer(a, b, 1, half, 1),
        ],
        0,
        "fee_overflow",
    );
    check(
        &mut c,
        &[raw_transfer(a, b, 1, u64::MAX - r + 1, 0)],
        0,
        "fee_overflow",
    );
    check(&mut c, &[raw_transfer(a, b, 0, 0, 0)], 0, "zero_amount");
    check(
        &mut c,
        &[raw_transfer(a, b, u64::MAX, 1, 0)],
        0,
        "amount_overflow",
    );
    let mut bad_to = b;
    bad_to.0[0] = 0x04;
    check(
        &mut c,
        &[raw_transfer(a, bad_to, 1, 0, 0)],
        0,
        "bad_recipient",
    );
    check(&mut c, &[raw_transfer(a, a, 1, 0, 0)], 0, "self_transfer");
    check(
        &mut c,
        &[transfer(&ska, b, 1, 0, 1, &net)],
        0,
        "bad_sequence",
    );
    check(
        &mut c,
        &[transfer(&ska, b, 2 * r, 1, 0, &net)],
        0,
        "insufficient_balance",
    );
    // The second of two transfers from one sender sees the first's effect.
    check(
        &mut c,
        &[
            transfer(&ska, b, r, 0, 0, &net),
            transfer(&ska, b, r, 1, 1, &net),
        ],
        0,
        "insufficient_balance",
    );
    check(
        &mut c,
        &[transfer(&ska, b, 1, 0, 0, &Hash256([9; 32]))],
        0,
        "bad_signature",
    );
    let mut malformed = transfer(&ska, b, 1, 0, 0, &net);
    malformed.signature = [0xff; 64];
    check(&mut c, &[malformed], 0, "malformed_signature");
    let mut high = transfer(&ska, b, 1, 0, 0, &net);
    let neg = negate_s(&high.signature[32..]);
    high.signature[32..].copy_from_slice(&neg);
    check(&mut c, &[high], 0, "high_s_signature");
    // Sequential transfers of one sender within a block are fine.
    let ok = child(
        &c,
        tip,
        b,
        &[
            transfer(&ska, b, 5, 1, 0, &net),
            transfer(&ska, b, 6, 1, 1, &net),
        ],
        0,
        0,
    );
    assert!(c.accept_block(ok, NOW).unwrap().tip_changed);
    assert_eq!(c.next_sequence(&a), 2);
    assert_eq!(c.balance(&b), r + 2 + 11);
}

#[test]
fn overflow_errors_with_a_huge_reward() {
    let mut p = NetworkParams::regtest();
    p.block_reward = u64::MAX;
    let mut c = Chain::new(p);
    let (ska, a) = key(1);
    let (_, b) = key(2);
    mine_tip(&mut c, a, vec![]);
    mine_tip(&mut c, b, vec![]);
    let tip = c.tip();
    let blk = child(&c, tip, a, &[], 0, 0);
    assert_rejected(&mut c, blk, "coinbase_overflow");
    let net = c.network_id();
    let blk = child(&c, tip, key(3).1, &[transfer(&ska, b, 1, 0, 0, &net)], 0, 0);
    assert_rejected(&mut c, blk, "recipient_overflow");
    // A sender key that is not a curve point, funded by a coinbase (which has no
    // recipient check).
    let bogus = AccountId([0x05; 33]);
    let mut p2 = NetworkParams::regtest();
    p2.block_reward = 100;
    let mut c2 = Chain::new(p2);
    mine_tip(&mut c2, bogus, vec![]);
    let tip = c2.tip();
    let blk = child(&c2, tip, a, &[raw_transfer(bogus, a, 1, 0, 0)], 0, 0);
    let e = c2.accept_block(blk, NOW).unwrap_err();
    assert_eq!(
        e,
        BlockError::Transfer {
            index: 1,
            error: TxError::Signature(SignatureError::BadPublicKey)
        }
    );
    assert_eq!(e.name(), "bad_sender_key");
}

#[test]
fn longer_fork_reorganizes_and_ties_keep_the_tip() {
    let mut c = regtest();
    let (_, a) = key(1);
    let (_, b) = key(2);
    let g = c.tip();
    let a1 = mine_tip(&mut c, a, vec![]);
    let a2 = mine_tip(&mut c, a, vec![]);
    // Equal-work rival: no switch.
    let b1 = child(&c, g, b, &[], 1, 0);
    let out = c.accept_block(b1.clone(), NOW).unwrap();
    assert!(!out.tip_changed);
    let b2 = child(&c, b1.hash(), b, &[], 1, 0);
    let out = c.accept_block(b2.clone(), NOW).unwrap();
    assert!(!out.tip_changed);
    assert_eq!(c.tip(), a2.hash());
    assert_eq!(c.status(&b2.hash()), Some(BlockStatus::HaveData));
    // One more: reorg of depth 2.
    let b3 = child(&c, b2.hash(), b, &[], 1, 0);
    let out = c.accept_block(b3.clone(), NOW).unwrap();
    assert!(out.tip_changed);
    assert_eq!(out.reorg_depth, 2);
    assert_eq!(out.disconnected, vec![a2.clone(), a1.clone()]);
    assert_eq!(out.connected, vec![b1.hash(), b2.hash(), b3.hash()]);
    assert_eq!(c.balance(&a), 0);
    assert_eq!(c.balance(&b), 3 * c.params().block_reward);
    assert_eq!(c.hash_at(1), Some(b1.hash()));
    // The fork choice forgets every block with less work than the tip.
    assert_eq!(c.candidate_count(), 1);
    // An invalid block on top of the old branch with more work: the chain tries it,
    // fails, and stays.
    let a3 = child(&c, a2.hash(), a, &[], 0, 0);
    assert!(!c.accept_block(a3.clone(), NOW).unwrap().tip_changed);
    assert_eq!(
        c.candidate_count(),
        2,
        "an equal-work rival stays a candidate"
    );
    let a4 = child(&c, a3.hash(), a, &[], 0, 1);
    let a4h = a4.hash();
    assert_eq!(
        c.accept_block(a4, NOW).unwrap_err().name(),
        "bad_coinbase_amount"
    );
    assert_eq!(c.tip(), b3.hash());
    assert_eq!(c.balance(&a), 0);
    assert!(c.is_invalid(&a4h));
    // A valid a4 wins.
    let a4 = child(&c, a3.hash(), a, &[], 9, 0);
    let out = c.accept_block(a4.clone(), NOW).unwrap();
    assert_eq!(out.reorg_depth, 3);
    assert_eq!(c.tip(), a4.hash());
    assert_eq!(c.balance(&a), 4 * c.params().block_reward);
    assert_eq!(c.candidate_count(), 1);
}

#[test]
fn descendant_found_invalid_while_parent_connects() {
    let mut c = regtest();
    let (_, a) = key(1);
    let g = c.tip();
    let x1 = child(&c, g, a, &[], 0, 0);
    c.accept_header(x1.header, NOW).unwrap();
    let x2 = child(&c, x1.hash(), a, &[], 0, 1); // invalid coinbase
                                                 // x2's data arrives first: stored, waiting for x1.
    let out = c.accept_block(x2.clone(), NOW).unwrap();
    assert!(!out.tip_changed);
    assert_eq!(c.missing_blocks(10), vec![x1.hash()]);
    let out = c.accept_block(x1.clone(), NOW).unwrap();
    assert!(out.tip_changed);
    assert_eq!(out.connected, vec![x1.hash()]);
    assert_eq!(out.invalidated.len(), 1);
    assert_eq!(out.invalidated[0].0, x2.hash());
    assert_eq!(
        out.linked,
        vec![x1.hash()],
        "an invalid block is not to be stored"
    );
    assert!(c.is_invalid(&x2.hash()));
    assert_eq!(c.best_header(), (x1.hash(), 1));
}

#[test]
fn headers_first_sync_and_locators() {
    let mut src = regtest();
    let (_, a) = key(1);
    for _ in 0..30 {
        mine_tip(&mut src, a, vec![]);
    }
    let mut dst = regtest();
    let headers = src.headers_after(&dst.locator(), &Hash256::ZERO, 2000);
    assert_eq!(headers.len(), 30);
    for h in &headers {
        assert_eq!(dst.accept_header(h, NOW), Ok(HeaderOutcome::New));
    }
    assert_eq!(dst.best_header(), (src.tip(), 30));
    assert_eq!(dst.height(), 0);
    let missing = dst.missing_blocks(5);
    assert_eq!(
        missing,
        (1..=5).map(|h| src.hash_at(h).unwrap()).collect::<Vec<_>>()
    );
    // Deliver in reverse order: nothing connects, and nothing counts as linked (to be
    // stored), until block 1 arrives.
    for h in (2..=30).rev() {
        let out = dst
            .accept_block(src.block(&src.hash_at(h).unwrap()).unwrap().clone(), NOW)
            .unwrap();
        assert!(!out.tip_changed);
        assert!(out.linked.is_empty(), "block {h} linked without its parent");
    }
    assert_eq!(dst.missing_blocks(100), vec![src.hash_at(1).unwrap()]);
    let out = dst
        .accept_block(src.block(&src.hash_at(1).unwrap()).unwrap().clone(), NOW)
        .unwrap();
    assert_eq!(out.connected.len(), 30);
    assert_eq!(
        out.linked,
        (1..=30)
            .map(|h| src.hash_at(h).unwrap())
            .collect::<Vec<_>>(),
        "linked parents first"
    );
    assert_eq!(dst.tip(), src.tip());
    assert_eq!(dst.ledger(), src.ledger());
    assert!(dst.missing_blocks(100).is_empty());

    // Locator: 10 one by one, then doubling, ending at genesis.
    let loc = src.locator();
    let heights: Vec<u32> = loc.iter().map(|h| src.height_of(h).unwrap()).collect();
    assert_eq!(
        heights,
        vec![30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 19, 15, 7, 0]
    );
    // headers_after: from the first locator hash on the active chain, up to stop or max.
    let stop = src.hash_at(12).unwrap();
    let hs = src.headers_after(&[Hash256([3; 32]), src.hash_at(10).unwrap()], &stop, 100);
    assert_eq!(
        hs.iter().map(|h| h.hash()).collect::<Vec<_>>(),
        vec![src.hash_at(11).unwrap(), stop]
    );
    assert_eq!(
        src.headers_after(&[src.hash_at(10).unwrap()], &Hash256::ZERO, 3)
            .len(),
        3
    );
    assert_eq!(src.headers_after(&[src.tip()], &Hash256::ZERO, 3).len(), 0);
    assert_eq!(src.ancestor(&src.tip(), 3), src.hash_at(3));
}

/// A regtest copy with retargeting every 4 blocks from a start 256 times harder than
/// the limit.
#[test]
fn retarget_moves_bits_by_the_clamp_limits() {
    let mut p = NetworkParams::regtest();
    p.retarget_interval = 4;
    p.genesis_bits = 0x2000ffff;
    let mut c = Chain::new(p.clone());
    let (_, a) = key(1);
    let g = p.genesis_time;
    let start = U256::from_compact(0x2000ffff).unwrap();
    let add = |c: &mut Chain, time: u32| {
        let tip = c.tip();
        let h = c.height() + 1;
        let bits = c.next_bits(&tip).unwrap();
        let b = build(&p, tip, h, bits, time, a, &[], 0, 0);
        c.accept_block(b, NOW).unwrap();
        bits
    };
    // Slow blocks (100 s apart, expected 1 s): at height 4 the target grows 4x, no more.
    for i in 1..=3 {
        assert_eq!(add(&mut c, g + 100 * i), 0x2000ffff);
    }
    let up = (start.checked_mul_u64(4).unwrap()).to_compact();
    assert_eq!(up, 0x2003fffc);
    assert_eq!(c.next_bits(&c.tip()), Some(up));
    // A block with the old bits is refused at the retarget height.
    let tip = c.tip();
    let stale = build(&p, tip, 4, 0x2000ffff, g + 301, a, &[], 0, 0);
    assert_eq!(c.accept_block(stale, NOW).unwrap_err().name(), "bad_bits");
    for _ in 4..=7 {
        assert_eq!(add(&mut c, g + 301), up);
    }
    // Blocks 4..7 took 1 s for an expected 4 s: clamp floor is 4/4 = 1, so / 4.
    let down = U256::from_compact(up)
        .unwrap()
        .mul_div_u64(1, 4)
        .unwrap()
        .to_compact();
    assert_eq!(c.next_bits(&c.tip()), Some(down));
    assert_eq!(add(&mut c, g + 302), down);
    let w = |bits| cheesechain::chain::pow::work_of(bits);
    let want = (0..5).fold(U256::ZERO, |acc, _| acc.saturating_add(w(0x2000ffff)));
    let want = (0..4).fold(want, |acc, _| acc.saturating_add(w(up)));
    assert_eq!(c.tip_work(), want);
    assert_eq!(w(0x2000ffff), U256::from_u64(256));
}

/// The median time past of a block by its definition: the median of the times of the
/// block and its ancestors, at most `mtp_window` of them.
fn mtp_by_definition(c: &Chain, hash: Hash256) -> u32 {
    let mut times = Vec::new();
    let mut x = hash;
    while times.len() < c.params().mtp_window as usize {
        let h = c.header(&x).unwrap();
        times.push(h.time);
        if c.height_of(&x) == Some(0) {
            break;
        }
        x = h.prev;
    }
    times.sort_unstable();
    times[times.len() / 2]
}

#[test]
fn median_time_past_on_and_off_the_active_chain() {
    let mut c = regtest();
    let (_, a) = key(1);
    let (_, b) = key(2);
    // Times that jump back and forth (each just above the median), so the median is
    // not simply the middle block.
    let add = |c: &mut Chain, parent: Hash256, miner, i: u32| {
        let h = c.height_of(&parent).unwrap() + 1;
        let mtp = c.median_time_past(&parent).unwrap();
        let time = mtp + 1 + (i * 7919) % 13 * 60;
        let blk = build(
            c.params(),
            parent,
            h,
            c.next_bits(&parent).unwrap(),
            time,
            miner,
            &[],
            i as u64,
            0,
        );
        c.accept_block(blk.clone(), NOW).unwrap();
        blk.hash()
    };
    let mut tip = c.tip();
    for i in 0..25 {
        tip = add(&mut c, tip, a, i);
    }
    // A heavier branch from height 15 takes over; the old blocks stay known.
    let mut side = c.hash_at(15).unwrap();
    for i in 100..112 {
        side = add(&mut c, side, b, i);
    }
    assert_eq!(c.tip(), side);
    let mut old = tip;
    for _ in 0..10 {
        assert!(!c.is_active(&old));
        assert_eq!(c.median_time_past(&old), Some(mtp_by_definition(&c, old)));
        old = c.header(&old).unwrap().prev;
    }
    for h in 0..=c.height() {
        let x = c.hash_at(h).unwrap();
        assert_eq!(
            c.median_time_past(&x),
            Some(mtp_by_definition(&c, x)),
            "height {h}"
        );
    }
    assert_eq!(c.median_time_past(&Hash256([9; 32])), None);
}
