//! Model-based tests: random block trees in random arrival order against a naive
//! fork-choice model, and random forks with transfers against a replayed ledger.

mod support;

use cheesechain::chain::error::BlockError;
use cheesechain::chain::mempool::Mempool;
use cheesechain::chain::orphans::OrphanPool;
use cheesechain::chain::state::Ledger;
use cheesechain::chain::tree::Chain;
use cheesechain::chain::{Block, Hash256, NetworkParams, Transfer};
use cheesechain::miner::block_template;
use proptest::prelude::*;
use std::collections::HashMap;
use support::consensus::*;

struct Gen {
    block: Block,
    parent: Option<usize>,
    height: u32,
    bad: bool,
}

/// Builds a tree: block i's parent is chosen among genesis (None) and blocks < i.
fn tree(spec: &[(prop::sample::Index, bool)]) -> Vec<Gen> {
    let p = NetworkParams::regtest();
    let genesis = p.genesis_block();
    let mut out: Vec<Gen> = Vec::new();
    for (i, (pick, bad)) in spec.iter().enumerate() {
        let choice = pick.index(out.len() + 1);
        let (parent, prev, height, time) = if choice == 0 {
            (None, genesis.hash(), 1, genesis.header.time + 1)
        } else {
            let g = &out[choice - 1];
            (
                Some(choice - 1),
                g.block.hash(),
                g.height + 1,
                g.block.header.time + 1,
            )
        };
        let block = build(
            &p,
            prev,
            height,
            p.genesis_bits,
            time,
            key(1).1,
            &[],
            i as u64,
            if *bad { 1 } else { 0 },
        );
        out.push(Gen {
            block,
            parent,
            height,
            bad: *bad,
        });
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// After every arrival the chain's tip is the model's: the most-work block whose
    /// ancestry is all valid and delivered, ties to the earliest delivered.
    #[test]
    fn fork_choice_matches_naive_model(
        spec in prop::collection::vec((any::<prop::sample::Index>(), prop::bool::weighted(0.15)), 1..40),
        order_keys in prop::collection::vec(any::<u32>(), 40),
    ) {
        let gens = tree(&spec);
        let index: HashMap<Hash256, usize> = gens.iter().enumerate().map(|(i, g)| (g.block.hash(), i)).collect();
        let mut order: Vec<usize> = (0..gens.len()).collect();
        order.sort_by_key(|&i| (order_keys[i], i));
        let mut chain = Chain::new(NetworkParams::regtest());
        let genesis = chain.tip();
        let mut orphans = OrphanPool::new(100 << 20, 100 << 20);
        let mut delivered: Vec<usize> = Vec::new();
        let valid = |i: usize| {
            let mut x = Some(i);
            while let Some(j) = x {
                if gens[j].bad { return false; }
                x = gens[j].parent;
            }
            true
        };
        for &i in &order {
            let mut queue = vec![gens[i].block.clone()];
            while let Some(b) = queue.pop() {
                let h = b.hash();
                match chain.accept_block(b.clone(), NOW) {
                    Err(BlockError::UnknownParent) => { orphans.insert(b, 0); continue; }
                    Ok(_) | Err(BlockError::BadCoinbaseAmount { .. }) | Err(BlockError::InvalidAncestor) => {}
                    Err(e) => panic!("unexpected {e}"),
                }
                delivered.push(index[&h]);
                let mut kids = orphans.take_children(&h);
                kids.reverse();
                queue.extend(kids.into_iter().map(|(b, _)| b));
                // The model.
                let best = delivered.iter().enumerate()
                    .filter(|(_, &j)| valid(j))
                    .max_by_key(|(pos, &j)| (gens[j].height, std::cmp::Reverse(*pos)))
                    .map(|(_, &j)| gens[j].block.hash())
                    .unwrap_or(genesis);
                prop_assert_eq!(chain.tip(), best);
                prop_assert_eq!(chain.ledger().total_supply(), chain.height() as u128 * chain.params().block_reward as u128);
            }
        }
        // Only descendants of rejected headers can stay orphaned.
        for (i, g) in gens.iter().enumerate() {
            if orphans.contains(&g.block.hash()) {
                prop_assert!(!valid(i));
            }
        }
        for (i, g) in gens.iter().enumerate() {
            if g.bad && chain.contains(&g.block.hash()) && chain.is_active(&g.block.hash()) {
                prop_assert!(false, "invalid block {} is active", i);
            }
        }
    }

    /// Random forks carrying random transfers between four keys: after every block the
    /// chain's ledger equals a replay of its active chain, supply is reward x height,
    /// and the mempool (fed every disconnected block) only holds transfers that form a
    /// valid block on the tip.
    #[test]
    fn reorgs_keep_ledger_equal_to_replay(
        steps in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec((0usize..4, 0usize..4, 1u64..1000, 0u64..5), 0..4)), 1..25),
    ) {
        let p = NetworkParams::regtest();
        let keys: Vec<_> = (1..=4).map(key).collect();
        let net = p.network_id();
        let mut chain = Chain::new(p.clone());
        let mut mempool = Mempool::new(1000);
        // Each generated block with the ledger after it (its own branch).
        let mut genesis_ledger = Ledger::new();
        genesis_ledger.apply_genesis(&p.genesis_block());
        let mut known: Vec<(Hash256, u32, u32, Ledger)> = vec![(chain.tip(), 0, p.genesis_time, genesis_ledger)];
        for (n, (pick, txs)) in steps.iter().enumerate() {
            let (prev, ph, pt, ledger) = known[pick.index(known.len())].clone();
            let mut l = ledger.clone();
            let mut transfers: Vec<Transfer> = Vec::new();
            let mut scratch = ledger.clone();
            for &(from, to, amount, fee) in txs {
                if from == to { continue; }
                let (sk, id) = &keys[from];
                let bal = scratch.balance(id);
                if bal < amount + fee { continue; }
                let t = transfer(sk, keys[to].1, amount, fee, scratch.next_sequence(id), &net);
                // Track the sender's spend in the scratch ledger via a one-tx block.
                let probe = build(&p, prev, ph + 1, p.genesis_bits, pt + 1, key(200).1, &[t], 0, 0);
                if scratch.apply_block(&probe, ph + 1, &p).is_ok() { transfers.push(t); }
            }
            let miner = keys[n % 4].1;
            let block = build(&p, prev, ph + 1, p.genesis_bits, pt + 1, miner, &transfers, n as u64, 0);
            l.apply_block(&block, ph + 1, &p).expect("generated block is valid on its branch");
            known.push((block.hash(), ph + 1, pt + 1, l));
            // Offer the transfers to the mempool too (they may or may not fit the tip).
            for t in &transfers { let _ = mempool.add(*t, &chain); }
            let out = chain.accept_block(block, NOW).expect("valid");
            mempool.reorganized(&out.disconnected, &chain);

            let mut replay = Ledger::new();
            replay.apply_genesis(&p.genesis_block());
            for h in 1..=chain.height() {
                let b = chain.block(&chain.hash_at(h).unwrap()).unwrap();
                replay.apply_block(b, h, &p).expect("active chain replays");
            }
            prop_assert_eq!(chain.ledger(), &replay);
            prop_assert_eq!(chain.ledger().total_supply(), chain.height() as u128 * p.block_reward as u128);
            let tip_entry = known.iter().find(|k| k.0 == chain.tip()).unwrap();
            prop_assert_eq!(&tip_entry.3, chain.ledger());
            let mut probe = chain.ledger().clone();
            let sel = mempool.select(1_000_000);
            prop_assert_eq!(sel.len(), mempool.len());
            let tmpl = block_template(&chain, keys[0].1, sel, NOW, 0);
            prop_assert!(probe.apply_block(&tmpl, chain.height() + 1, &p).is_ok());
        }
    }
}
