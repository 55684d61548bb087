//! Mempool: admission rules, chained sequences, selection order, reorg returns.

mod support;

use cheesechain::chain::mempool::{transfer_txid, Mempool};
use cheesechain::chain::tree::Chain;
use cheesechain::chain::tx::TRANSFER_LEN;
use cheesechain::chain::{AccountId, Block, NetworkParams, Transfer};
use cheesechain::miner::block_template;
use support::consensus::*;

fn mine_tip(c: &mut Chain, miner: AccountId, txs: Vec<Transfer>, extra: u64) -> Block {
    let mut b = block_template(c, miner, txs, NOW - 1_000_000 + c.height() as u64, extra);
    mine(&mut b, c.params().pow_limit_bits);
    c.accept_block(b.clone(), NOW).unwrap();
    b
}

#[test]
fn admission_rules_and_chained_sequences() {
    let mut c = Chain::new(NetworkParams::regtest());
    let (ska, a) = key(1);
    let (skb, b) = key(2);
    mine_tip(&mut c, a, vec![], 0);
    let net = c.network_id();
    let r = c.params().block_reward;
    let mut m = Mempool::new(4);
    let t0 = transfer(&ska, b, 10, 1, 0, &net);
    let id0 = m.add(t0, &c).unwrap();
    assert_eq!(id0, transfer_txid(&t0));
    assert_eq!(m.add(t0, &c).unwrap_err().name(), "already_in_pool");
    // Same (sender, sequence), different content.
    let rival = transfer(&ska, b, 11, 1, 0, &net);
    assert_eq!(m.add(rival, &c).unwrap_err().name(), "conflicting_sequence");
    // A gap is refused, the next sequence accepted.
    assert_eq!(
        m.add(transfer(&ska, b, 1, 0, 2, &net), &c)
            .unwrap_err()
            .name(),
        "bad_sequence"
    );
    let t1 = transfer(&ska, b, 20, 2, 1, &net);
    m.add(t1, &c).unwrap();
    // Balance must cover every pending transfer of the sender.
    let too_much = transfer(&ska, b, r - 33 + 1, 0, 2, &net);
    assert_eq!(
        m.add(too_much, &c).unwrap_err().name(),
        "insufficient_balance"
    );
    // B has no coins on chain yet: incoming pending coins do not count.
    assert_eq!(
        m.add(transfer(&skb, a, 1, 0, 0, &net), &c)
            .unwrap_err()
            .name(),
        "insufficient_balance"
    );
    assert_eq!(
        m.add(transfer(&ska, a, 1, 0, 2, &net), &c)
            .unwrap_err()
            .name(),
        "self_transfer"
    );
    assert_eq!(
        m.add(transfer(&ska, b, 0, 0, 2, &net), &c)
            .unwrap_err()
            .name(),
        "zero_amount"
    );
    let mut forged = transfer(&ska, b, 5, 0, 2, &net);
    forged.amount = 6;
    assert_eq!(m.add(forged, &c).unwrap_err().name(), "bad_signature");
    m.add(transfer(&ska, b, 5, 0, 2, &net), &c).unwrap();
    m.add(transfer(&ska, b, 5, 9, 3, &net), &c).unwrap();
    assert_eq!(
        m.add(transfer(&ska, b, 5, 0, 4, &net), &c)
            .unwrap_err()
            .name(),
        "mempool_full"
    );
    assert_eq!(m.len(), 4);
    assert!(m.contains(&id0));
    assert_eq!(m.get(&id0), Some(&t0));
    let ids = m.txids();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    // Selection keeps sequence order even though a later transfer pays more.
    let sel = m.select(1_000_000);
    assert_eq!(
        sel.iter().map(|t| t.sequence).collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
    assert_eq!(m.select(2 * TRANSFER_LEN + 10).len(), 2);
    // Mine them: the pool empties.
    let blk = mine_tip(&mut c, b, sel, 0);
    m.block_connected(&blk, &c);
    assert!(m.is_empty());
    assert_eq!(c.next_sequence(&a), 4);
}

#[test]
fn selection_prefers_fees_across_senders() {
    let mut c = Chain::new(NetworkParams::regtest());
    let keys: Vec<_> = (1..=3).map(key).collect();
    for (_, id) in &keys {
        mine_tip(&mut c, *id, vec![], 0);
    }
    let net = c.network_id();
    let mut m = Mempool::new(100);
    let to = key(9).1;
    m.add(transfer(&keys[0].0, to, 1, 5, 0, &net), &c).unwrap();
    m.add(transfer(&keys[0].0, to, 1, 50, 1, &net), &c).unwrap();
    m.add(transfer(&keys[1].0, to, 1, 10, 0, &net), &c).unwrap();
    m.add(transfer(&keys[2].0, to, 1, 1, 0, &net), &c).unwrap();
    let fees: Vec<u64> = m.select(1_000_000).iter().map(|t| t.fee).collect();
    assert_eq!(fees, vec![10, 5, 50, 1]);
    let b = block_template(&c, key(8).1, m.select(1_000_000), NOW, 0);
    let mut b2 = b.clone();
    mine(&mut b2, c.params().pow_limit_bits);
    assert!(c.accept_block(b2, NOW).unwrap().tip_changed);
}

#[test]
fn reorg_returns_transfers_and_drops_invalid_ones() {
    let mut c = Chain::new(NetworkParams::regtest());
    let (ska, a) = key(1);
    let (_, b) = key(2);
    let g = mine_tip(&mut c, a, vec![], 0).hash();
    let net = c.network_id();
    let mut m = Mempool::new(100);
    let t0 = transfer(&ska, b, 10, 1, 0, &net);
    let t1 = transfer(&ska, b, 10, 1, 1, &net);
    m.add(t0, &c).unwrap();
    let blk = mine_tip(&mut c, b, vec![t0], 0);
    m.block_connected(&blk, &c);
    assert!(m.is_empty());
    m.add(t1, &c).unwrap();
    // A rival branch from height 1 with two empty blocks overtakes.
    let p = c.params().clone();
    let h1 = c.header(&g).unwrap().time;
    let r1 = build(&p, g, 2, 0x207fffff, h1 + 1, key(3).1, &[], 1, 0);
    let r2 = build(&p, r1.hash(), 3, 0x207fffff, h1 + 2, key(3).1, &[], 1, 0);
    c.accept_block(r1, NOW).unwrap();
    let out = c.accept_block(r2, NOW).unwrap();
    assert_eq!(out.reorg_depth, 1);
    m.reorganized(&out.disconnected, &c);
    // t0 is back and t1 still chains after it.
    assert_eq!(m.len(), 2);
    assert!(m.contains(&transfer_txid(&t0)) && m.contains(&transfer_txid(&t1)));
    // A conflicting t0' confirmed on the new branch evicts t0; t1 (sequence 1) now
    // follows t0' and stays.
    let t0x = transfer(&ska, key(4).1, 3, 0, 0, &net);
    let blk = mine_tip(&mut c, a, vec![t0x], 0);
    m.block_connected(&blk, &c);
    assert_eq!(m.txids(), vec![transfer_txid(&t1)]);
    // Spending everything on chain leaves t1 unaffordable: dropped.
    let all = c.balance(&a);
    let blk = mine_tip(&mut c, a, vec![transfer(&ska, b, all, 0, 1, &net)], 0);
    m.block_connected(&blk, &c);
    assert!(m.is_empty());
}
