//! Acceptance experiment 4: the network splits into two halves that both mine; each
//! half confirms a transfer of its own. When the partition heals every node converges
//! on the heavier half's chain, the heavier half's transfer stays confirmed and the
//! lighter half's transfer goes back into the mempools of the nodes that had it.

use cheesechain::chain::keys::{account_of, secret_from_bytes, sign_transfer};
use cheesechain::chain::{Hash256, Transfer};
use cheesechain::sim::{Latency, Partition, Sim, SimConfig, Topology};
use std::time::Duration;

const NODES: usize = 12;
const START: Duration = Duration::from_secs(600);
const HEAL: Duration = Duration::from_secs(1800);
const MS: Duration = Duration::from_millis(1);

fn config(seed: u64) -> SimConfig {
    let mut cfg = SimConfig::new(seed, NODES, 4);
    cfg.topology = Topology::Mesh;
    cfg.latency = Latency::Uniform(50.0, 150.0);
    cfg.block_interval = Duration::from_secs(60);
    cfg.blocks = 60;
    cfg.partition = Some(Partition {
        start: START,
        heal: HEAL,
    });
    cfg
}

/// Signs a small transfer from the richest miner of `side` at one of its nodes.
fn inject(sim: &mut Sim, side: usize, tag: u8) -> Option<(Hash256, usize)> {
    let (j, node) = sim
        .miner_nodes()
        .iter()
        .enumerate()
        .filter(|(_, &i)| sim.side_of(i) == side)
        .map(|(j, &i)| (j, i))
        .max_by_key(|&(j, i)| {
            let key = sim.miner_key(j).unwrap();
            sim.node(i).unwrap().chain().balance(&account_of(key))
        })?;
    let sk = *sim.miner_key(j).unwrap();
    let chain = sim.node(node).unwrap().chain();
    let sender = account_of(&sk);
    if chain.balance(&sender) < 1_000_000 {
        return None;
    }
    let mut t = Transfer {
        sender,
        recipient: account_of(&secret_from_bytes([tag; 32]).unwrap()),
        amount: 1_000,
        fee: 10,
        sequence: chain.next_sequence(&sender),
        signature: [0; 64],
    };
    let id = chain.network_id();
    sign_transfer(&mut t, &sk, &id);
    let txid = sim.submit_transfer(node, t).unwrap().ok()?;
    Some((txid, node))
}

fn contains_tx(sim: &Sim, node: usize, txid: &Hash256) -> bool {
    sim.node(node).unwrap().mempool().contains(txid)
}

/// Runs one seed; returns false if the seed does not set the scene (a half without a
/// funded miner, a half that mined nothing, or equal work at the heal).
fn scenario(seed: u64) -> bool {
    let mut sim = Sim::new(config(seed)).unwrap();
    sim.run_until(START + MS).unwrap();
    let Some((tx0, _)) = inject(&mut sim, 0, 0x51) else {
        return false;
    };
    let Some((tx1, _)) = inject(&mut sim, 1, 0x52) else {
        return false;
    };
    let txs = [tx0, tx1];
    let h0 = sim.node(0).unwrap().chain().height();
    sim.run_until(HEAL - MS).unwrap();
    let rep = [0, NODES - 1];
    let work: Vec<_> = rep
        .iter()
        .map(|&i| sim.node(i).unwrap().chain().tip_work())
        .collect();
    let heights: Vec<u32> = rep
        .iter()
        .map(|&i| sim.node(i).unwrap().chain().height())
        .collect();
    if work[0] == work[1] || heights.iter().any(|&h| h <= h0 + 1) {
        return false;
    }
    // Both transfers are confirmed in their own half, nowhere else.
    for (side, tag) in [(0usize, 0x51u8), (1, 0x52)] {
        let to = account_of(&secret_from_bytes([tag; 32]).unwrap());
        for i in 0..NODES {
            let balance = sim.node(i).unwrap().chain().balance(&to);
            let expected = if sim.side_of(i) == side { 1_000 } else { 0 };
            assert_eq!(
                balance, expected,
                "seed {seed}: half {side}'s transfer at node {i}"
            );
            assert!(!contains_tx(&sim, i, &txs[side]) || sim.side_of(i) != side);
        }
    }
    let heavy = if work[0] > work[1] { 0 } else { 1 };
    let light = 1 - heavy;
    let heavy_tip = sim.node(rep[heavy]).unwrap().chain().tip();
    eprintln!(
        "seed {seed}: heights at heal {heights:?} (fork at {h0}); heavier half {heavy}, tip {heavy_tip}"
    );
    // Heal with the miners paused, so the outcome is the reorganisation alone.
    sim.set_mining(false);
    sim.run_until(HEAL + Duration::from_secs(60)).unwrap();
    for i in 0..NODES {
        let n = sim.node(i).unwrap();
        assert_eq!(
            n.chain().tip(),
            heavy_tip,
            "seed {seed}: node {i} did not converge"
        );
        if sim.side_of(i) == light {
            assert!(
                contains_tx(&sim, i, &txs[light]),
                "seed {seed}: light-half transfer not back in node {i}'s mempool"
            );
        }
        assert!(!contains_tx(&sim, i, &txs[heavy]));
    }
    sim.set_mining(true);
    let r = sim.finish().unwrap();
    eprint!("{}", r.text());
    assert!(r.totals.converge_after_heal_ms.is_some());
    assert!(
        r.reorgs.iter().any(|&(d, _)| d >= 2),
        "a multi-block reorganisation happened"
    );
    true
}

#[test]
fn halves_mine_apart_then_converge_on_the_heavier_chain() {
    let seed = (1..30)
        .find(|&s| scenario(s))
        .expect("some seed sets the scene");
    eprintln!("used seed {seed}");
}
