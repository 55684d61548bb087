//! Writes the consensus test vectors in `spec/vectors/chain/` deterministically (fixed
//! keys, fixed times, no clock): `cargo run --release --example gen_chain_vectors`.
//! `tests/consensus_vectors.rs` checks every line of the output against the code.

#[path = "../tests/support/consensus.rs"]
mod consensus_util;

use cheesechain::chain::hash::hex;
use cheesechain::chain::mempool::transfer_txid;
use cheesechain::chain::pow::{retarget, work_of};
use cheesechain::chain::tree::Chain;
use cheesechain::chain::u256::U256;
use cheesechain::chain::{Block, NetworkParams, Transaction, Transfer};
use cheesechain::miner::BlockTemplate;
use consensus_util::*;
use std::fmt::Write as _;

/// Seconds between the blocks of the vector chain.
const SPACING: u32 = 60;
/// Height of the valid vector chain.
const HEIGHT: u32 = 24;

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vectors/chain").into());
    std::fs::create_dir_all(&dir)?;
    std::fs::write(format!("{dir}/networks.txt"), networks())?;
    std::fs::write(format!("{dir}/pow.txt"), pow())?;
    let (valid, chain) = valid_chain();
    std::fs::write(format!("{dir}/valid_chain.txt"), valid)?;
    std::fs::write(format!("{dir}/invalid_blocks.txt"), invalid_blocks(&chain))?;
    Ok(())
}

fn networks() -> String {
    let mut s = String::from(
        "# Genesis blocks of the networks (see spec/consensus.md).\n\
         # network: <name> <genesis hash, display order> <genesis block hex, wire encoding>\n",
    );
    for p in [
        NetworkParams::main(),
        NetworkParams::devnet(10),
        NetworkParams::devnet(5),
        NetworkParams::testnet(),
        NetworkParams::regtest(),
    ] {
        let g = p.genesis_block();
        writeln!(s, "network: {} {} {}", p.name, g.hash(), hex(&g.to_bytes())).unwrap();
    }
    s
}

fn be_hex(v: &U256) -> String {
    let mut b = v.to_le_bytes();
    b.reverse();
    hex(&b)
}

fn pow() -> String {
    let mut s = String::from(
        "# Compact targets, work and retarget arithmetic (see spec/consensus.md).\n\
         # compact: <bits, 8 hex> <target as 64 hex digits big-endian, or `invalid`> <work, hex>\n\
         # retarget: <old bits> <actual timespan, signed decimal> <expected timespan> <clamp> <limit, 64 hex big-endian> <new bits>\n\
         # to_compact: <value, 64 hex big-endian> <bits>\n",
    );
    for bits in [
        0x1d00ffffu32,
        0x1b04864c,
        0x207fffff,
        0x2000ffff,
        0x1f00ffff,
        0x1d200000,
        0x03123456,
        0x02123456,
        0x01003456,
        0x04923456,
        0x00000000,
        0x20000000,
        0x21010000,
        0x22000001,
        0xff123456,
    ] {
        match U256::from_compact(bits) {
            Some(t) => writeln!(
                s,
                "compact: {bits:08x} {} {}",
                be_hex(&t),
                work_of(bits).to_hex()
            ),
            None => writeln!(s, "compact: {bits:08x} invalid 0"),
        }
        .unwrap();
    }
    let btc_limit = U256::MAX >> 32;
    let two_weeks = 14 * 24 * 3600;
    let regtest_limit = U256::from_compact(0x207fffff).unwrap();
    for (old, actual, expected, clamp, limit) in [
        (
            0x1d00ffffu32,
            1262152739i64 - 1261130161,
            two_weeks,
            4u32,
            btc_limit,
        ),
        (0x1d00ffff, 1233061996 - 1231006505, two_weeks, 4, btc_limit),
        (0x1c05a3f4, 1279297671 - 1279008237, two_weeks, 4, btc_limit),
        (0x1c387f6f, 1269211443 - 1263163443, two_weeks, 4, btc_limit),
        (0x2000ffff, 300, 4, 4, regtest_limit),
        (0x2003fffc, 1, 4, 4, regtest_limit),
        (0x2003fffc, -50, 4, 4, regtest_limit),
        (0x207fffff, 1000, 300, 4, regtest_limit),
        (0x1e00ffff, 250, 300, 4, regtest_limit),
    ] {
        let new = retarget(old, actual, expected, clamp, limit);
        writeln!(
            s,
            "retarget: {old:08x} {actual} {expected} {clamp} {} {new:08x}",
            be_hex(&limit)
        )
        .unwrap();
    }
    for v in [
        U256::from_u64(0x80),
        U256::from_u64(0x1234_5678),
        U256::MAX,
        U256::MAX >> 32,
    ] {
        writeln!(s, "to_compact: {} {:08x}", be_hex(&v), v.to_compact()).unwrap();
    }
    s
}

fn time_at(p: &NetworkParams, h: u32) -> u64 {
    p.genesis_time as u64 + (SPACING * h) as u64
}

/// The clock used for every vector.
fn now(p: &NetworkParams) -> u64 {
    time_at(p, 1000)
}

/// Transfers scripted per height: (sender key, recipient key, amount, fee).
fn script(h: u32) -> Vec<(u8, u8, u64, u64)> {
    match h {
        7 => vec![(1, 4, 1_000_000_000, 1000)],
        9 => vec![(1, 2, 5_000, 10), (2, 3, 7_000, 20), (1, 3, 6_000, 0)],
        12 => vec![(4, 1, 300_000_000, 500)],
        15 => vec![
            (3, 4, 42, 1),
            (4, 2, 99, 2),
            (3, 1, 1, 0),
            (2, 4, 123_456_789, 7),
        ],
        18 => vec![(4, 3, 1, 1)],
        21 => vec![(1, 4, 2, 3), (1, 4, 4, 5), (1, 4, 6, 7)],
        24 => vec![(2, 1, 77, 77)],
        _ => vec![],
    }
}

fn valid_chain() -> (String, Chain) {
    let p = NetworkParams::regtest();
    let net = p.network_id();
    let mut c = Chain::new(p.clone());
    let mut s = String::new();
    writeln!(
        s,
        "# A valid regtest chain (see spec/consensus.md). Lines, in order:\n\
         # network: <name> <genesis hash>\n\
         # now: <clock, Unix seconds, used to accept every block>\n\
         # key: <n> <secret key hex> <account hex>      (secret = 32 bytes of n)\n\
         # transfer: <tx hex> <txid> <signing digest hex>  (every transfer, before its block)\n\
         # block: <height> <hash> <block hex>\n\
         # account: <account hex> <balance> <next sequence>  (state after the last block,\n\
         #   every account with a stored entry, sorted by account bytes)\n\
         # tip: <height> <hash> <supply>\n\
         network: {} {}\n\
         now: {}",
        p.name,
        net,
        now(&p)
    )
    .unwrap();
    for n in 1..=4u8 {
        writeln!(s, "key: {n} {} {}", hex(&[n; 32]), key(n).1).unwrap();
    }
    for h in 1..=HEIGHT {
        let mut seqs = std::collections::HashMap::new();
        let txs: Vec<Transfer> = script(h)
            .into_iter()
            .map(|(from, to, amount, fee)| {
                let (sk, id) = key(from);
                let seq = seqs.entry(from).or_insert(c.next_sequence(&id));
                let t = transfer(&sk, key(to).1, amount, fee, *seq, &net);
                *seq += 1;
                t
            })
            .collect();
        for t in &txs {
            let tx = Transaction::Transfer(*t);
            writeln!(
                s,
                "transfer: {} {} {}",
                hex(&tx.to_bytes()),
                transfer_txid(t),
                hex(&t.signing_digest(&net))
            )
            .unwrap();
        }
        let miner = key((h % 3 + 1) as u8).1;
        let mut b = c.block_template(miner, txs, time_at(&p, h), h as u64);
        mine(&mut b, p.pow_limit_bits);
        writeln!(s, "block: {h} {} {}", b.hash(), hex(&b.to_bytes())).unwrap();
        c.accept_block(b, now(&p)).expect("scripted block is valid");
    }
    for (id, a) in c.ledger().accounts() {
        writeln!(s, "account: {id} {} {}", a.balance, a.next_sequence).unwrap();
    }
    writeln!(
        s,
        "tip: {} {} {}",
        c.height(),
        c.tip(),
        c.ledger().total_supply()
    )
    .unwrap();
    (s, c)
}

/// A block on the active block at `parent_height`, built by `f` from a valid child.
fn case(
    s: &mut String,
    c: &Chain,
    name: &str,
    parent_height: u32,
    error: &str,
    f: impl FnOnce(&mut Block, &Chain),
) {
    let p = c.params().clone();
    let parent = c.hash_at(parent_height).unwrap();
    let miner = key(5).1;
    let mut b = build(
        &p,
        parent,
        parent_height + 1,
        c.next_bits(&parent).unwrap(),
        c.header(&parent).unwrap().time + 1,
        miner,
        &[],
        1_000 + parent_height as u64,
        0,
    );
    f(&mut b, c);
    writeln!(
        s,
        "case: {parent_height} {error} {} {name}",
        hex(&b.to_bytes())
    )
    .unwrap();
}

/// Replaces the transactions after the coinbase, fixes coinbase amount, root and pow.
fn with_transfers(b: &mut Block, c: &Chain, txs: Vec<Transfer>) {
    let fees = txs.iter().fold(0u64, |a, t| a.wrapping_add(t.fee));
    if let Transaction::Coinbase(cb) = &mut b.txs[0] {
        cb.amount = c.params().block_reward.wrapping_add(fees);
    }
    b.txs.truncate(1);
    b.txs.extend(txs.into_iter().map(Transaction::Transfer));
    remine(b, c);
}

fn remine(b: &mut Block, c: &Chain) {
    fix_root(b);
    b.header.nonce = 0;
    mine(b, c.params().pow_limit_bits);
}

fn invalid_blocks(c: &Chain) -> String {
    let p = c.params().clone();
    let net = c.network_id();
    let top = c.height();
    let (sk1, a1) = key(1);
    let a2 = key(2).1;
    let seq1 = c.next_sequence(&a1);
    let mut s = String::new();
    writeln!(
        s,
        "# Invalid blocks (see spec/consensus.md). Each case is applied to the chain of\n\
         # valid_chain.txt (all its blocks accepted, clock `now` from that file), on top of\n\
         # the active block at <parent height>, and must fail with <error>:\n\
         # case: <parent height> <error name> <block hex> <description, rest of the line>"
    )
    .unwrap();
    case(
        &mut s,
        c,
        "merkle root does not match",
        top,
        "bad_merkle_root",
        |b, c| {
            b.header.merkle_root.0[0] ^= 1;
            mine(b, c.params().pow_limit_bits);
        },
    );
    case(
        &mut s,
        c,
        "duplicated last transfer",
        top,
        "mutated_merkle",
        |b, c| {
            let t1 = transfer(&sk1, a2, 1, 0, seq1, &net);
            let t2 = transfer(&sk1, a2, 2, 0, seq1 + 1, &net);
            with_transfers(b, c, vec![t1, t2]);
            b.txs.push(b.txs[2]);
        },
    );
    case(
        &mut s,
        c,
        "same transfer twice",
        top,
        "duplicate_tx",
        |b, c| {
            let t1 = transfer(&sk1, a2, 1, 0, seq1, &net);
            let t2 = transfer(&sk1, a2, 2, 0, seq1 + 1, &net);
            with_transfers(b, c, vec![t1, t2, t1]);
        },
    );
    case(&mut s, c, "hash above target", top, "bad_pow", |b, c| {
        unmine(b, c.params().pow_limit_bits);
    });
    case(
        &mut s,
        c,
        "bits not the required value",
        top,
        "bad_bits",
        |b, c| {
            b.header.bits = 0x207ffffe;
            mine(b, c.params().pow_limit_bits);
        },
    );
    case(&mut s, c, "bits on a fork", 20, "bad_bits", |b, c| {
        b.header.bits = 0x2000ffff;
        mine(b, c.params().pow_limit_bits);
    });
    case(
        &mut s,
        c,
        "time equal to median time past",
        top,
        "time_too_old",
        |b, c| {
            b.header.time = c.median_time_past(&c.tip()).unwrap();
            remine(b, c);
        },
    );
    case(
        &mut s,
        c,
        "time too old on a fork",
        12,
        "time_too_old",
        |b, c| {
            let parent = c.hash_at(12).unwrap();
            b.header.time = c.median_time_past(&parent).unwrap() - 1;
            remine(b, c);
        },
    );
    case(
        &mut s,
        c,
        "time beyond the drift",
        top,
        "time_too_new",
        |b, c| {
            b.header.time = (now(c.params()) + c.params().max_future_drift_secs as u64 + 1) as u32;
            remine(b, c);
        },
    );
    case(
        &mut s,
        c,
        "no transactions",
        top,
        "no_transactions",
        |b, c| {
            b.txs.clear();
            remine(b, c);
        },
    );
    case(
        &mut s,
        c,
        "first transaction is a transfer",
        top,
        "missing_coinbase",
        |b, c| {
            let t = transfer(&sk1, a2, 1, 0, seq1, &net);
            b.txs = vec![Transaction::Transfer(t)];
            remine(b, c);
        },
    );
    case(&mut s, c, "two coinbases", top, "extra_coinbase", |b, c| {
        let mut cb2 = b.txs[0];
        if let Transaction::Coinbase(cb) = &mut cb2 {
            cb.extra_nonce += 1;
        }
        b.txs.push(cb2);
        remine(b, c);
    });
    case(
        &mut s,
        c,
        "coinbase pays one too much",
        top,
        "bad_coinbase_amount",
        |b, c| {
            if let Transaction::Coinbase(cb) = &mut b.txs[0] {
                cb.amount += 1;
            }
            remine(b, c);
        },
    );
    case(
        &mut s,
        c,
        "coinbase ignores the fee",
        top,
        "bad_coinbase_amount",
        |b, c| {
            with_transfers(b, c, vec![transfer(&sk1, a2, 1, 5, seq1, &net)]);
            if let Transaction::Coinbase(cb) = &mut b.txs[0] {
                cb.amount -= 5;
            }
            remine(b, c);
        },
    );
    case(
        &mut s,
        c,
        "coinbase height wrong",
        top,
        "bad_coinbase_height",
        |b, c| {
            if let Transaction::Coinbase(cb) = &mut b.txs[0] {
                cb.height += 1;
            }
            remine(b, c);
        },
    );
    case(&mut s, c, "fees overflow", top, "fee_overflow", |b, c| {
        let half = u64::MAX / 2 + 1;
        with_transfers(
            b,
            c,
            vec![
                raw_transfer(a1, a2, 1, half, seq1),
                raw_transfer(a1, a2, 1, half, seq1 + 1),
            ],
        );
    });
    case(&mut s, c, "zero amount", top, "zero_amount", |b, c| {
        with_transfers(b, c, vec![transfer(&sk1, a2, 0, 1, seq1, &net)]);
    });
    case(
        &mut s,
        c,
        "amount plus fee overflows",
        top,
        "amount_overflow",
        |b, c| {
            with_transfers(b, c, vec![transfer(&sk1, a2, u64::MAX, 1, seq1, &net)]);
        },
    );
    case(
        &mut s,
        c,
        "recipient prefix 0x04",
        top,
        "bad_recipient",
        |b, c| {
            let mut to = a2;
            to.0[0] = 0x04;
            with_transfers(b, c, vec![transfer(&sk1, to, 1, 0, seq1, &net)]);
        },
    );
    case(
        &mut s,
        c,
        "transfer to self",
        top,
        "self_transfer",
        |b, c| {
            with_transfers(b, c, vec![transfer(&sk1, a1, 1, 0, seq1, &net)]);
        },
    );
    case(
        &mut s,
        c,
        "sequence replayed",
        top,
        "bad_sequence",
        |b, c| {
            with_transfers(b, c, vec![transfer(&sk1, a2, 1, 0, seq1 - 1, &net)]);
        },
    );
    case(
        &mut s,
        c,
        "sequence skipped",
        top,
        "bad_sequence",
        |b, c| {
            with_transfers(b, c, vec![transfer(&sk1, a2, 1, 0, seq1 + 1, &net)]);
        },
    );
    case(
        &mut s,
        c,
        "more than the balance",
        top,
        "insufficient_balance",
        |b, c| {
            let bal = c.balance(&a1);
            with_transfers(b, c, vec![transfer(&sk1, a2, bal, 1, seq1, &net)]);
        },
    );
    case(
        &mut s,
        c,
        "second transfer exceeds what the first left",
        top,
        "insufficient_balance",
        |b, c| {
            let bal = c.balance(&a1);
            with_transfers(
                b,
                c,
                vec![
                    transfer(&sk1, a2, bal - 10, 0, seq1, &net),
                    transfer(&sk1, a2, 11, 0, seq1 + 1, &net),
                ],
            );
        },
    );
    case(
        &mut s,
        c,
        "signature over other fields",
        top,
        "bad_signature",
        |b, c| {
            let mut t = transfer(&sk1, a2, 1, 0, seq1, &net);
            t.amount = 2;
            with_transfers(b, c, vec![t]);
        },
    );
    case(
        &mut s,
        c,
        "signed for another network",
        top,
        "bad_signature",
        |b, c| {
            let other = NetworkParams::main().network_id();
            with_transfers(b, c, vec![transfer(&sk1, a2, 1, 0, seq1, &other)]);
        },
    );
    case(
        &mut s,
        c,
        "high-S signature",
        top,
        "high_s_signature",
        |b, c| {
            let mut t = transfer(&sk1, a2, 1, 0, seq1, &net);
            let neg = negate_s(&t.signature[32..]);
            t.signature[32..].copy_from_slice(&neg);
            with_transfers(b, c, vec![t]);
        },
    );
    case(
        &mut s,
        c,
        "r not below the curve order",
        top,
        "malformed_signature",
        |b, c| {
            let mut t = transfer(&sk1, a2, 1, 0, seq1, &net);
            t.signature[..32].copy_from_slice(&[0xff; 32]);
            with_transfers(b, c, vec![t]);
        },
    );
    let _ = p;
    s
}
