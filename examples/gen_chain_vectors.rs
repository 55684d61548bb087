//! Writes the consensus test vectors in `spec/vectors/chain/` deterministically (fixed
//! keys, fixed times, no clock): `cargo run --release --example gen_chain_vectors`.
//! `tests/consensus_vectors.rs` checks every line of the output against the code.

#[path = "../tests/support/consensus.rs"]
mod consensus_util;

use cheesechain::chain::hash::hex;
use cheesechain::chain::mempool::transfer_txid;
use cheesechain::chain::pow::{check_pow, is_retarget_height, retarget, retarget_first, work_of};
use cheesechain::chain::tree::Chain;
use cheesechain::chain::u256::U256;
use cheesechain::chain::{
    AccountId, Block, BlockHeader, Hash256, NetworkParams, Transaction, Transfer,
};
use cheesechain::miner::{block_template, Miner};
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
    std::fs::write(
        format!("{dir}/block_sequences.txt"),
        block_sequences(&chain),
    )?;
    std::fs::write(format!("{dir}/overflow_chain.txt"), overflow_chain())?;
    std::fs::write(format!("{dir}/retarget_chain.txt"), retarget_chain())?;
    Ok(())
}

fn networks() -> String {
    let mut s = String::from(
        "# Genesis blocks of the networks (see spec/consensus.md §12).\n\
         # network: <name> <genesis hash> <genesis block hex>\n\
         # Byte order: <genesis hash> (also the network id) is in display order, its 32\n\
         #   bytes reversed (spec/consensus.md §1); <genesis block hex> is the block's\n\
         #   consensus encoding in wire order, first byte first.\n",
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
        "# Compact targets, work, the proof-of-work check and retarget arithmetic\n\
         # (see spec/consensus.md §3-§5).\n\
         # compact: <bits> <target, or `invalid`> <work>\n\
         # retarget: <old bits> <actual timespan> <expected timespan> <clamp> <limit> <new bits>\n\
         # to_compact: <value> <bits>\n\
         # pow_check: <header hex> <header hash> <pow_limit_bits> <result: ok, or the error name>\n\
         #   (the stand-alone check of §4: valid target within the limit, then hash at most\n\
         #   the target; no context, so `bits` is not compared with a required value)\n\
         # Byte order: <bits>, <old bits>, <new bits> and <pow_limit_bits> are u32 numbers as\n\
         #   8 hex digits, most significant first (on the wire a u32 is little-endian);\n\
         #   <target>, <limit> and <value> are 256-bit numbers as 64 hex digits, most\n\
         #   significant first (the reverse of their 32-byte little-endian layout);\n\
         #   <work> is a number in hex, most significant first, without leading zeros;\n\
         #   timespans and <clamp> are decimal; <header hex> is the 80-byte header in wire\n\
         #   order; <header hash> is in display order (bytes reversed, §1), so it reads\n\
         #   as the number compared with the target.\n",
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
    // Bitcoin's genesis header: its proof of work against difficulty 1.
    let btc = BlockHeader {
        version: 1,
        prev: Hash256::ZERO,
        merkle_root: Hash256::from_hex(
            "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
        )
        .unwrap(),
        time: 1231006505,
        bits: 0x1d00ffff,
        nonce: 2083236893,
    };
    let with_bits = |bits| BlockHeader { bits, ..btc };
    let with_nonce = |nonce| BlockHeader { nonce, ..btc };
    for (h, limit) in [
        (btc, 0x1d00ffffu32),
        (btc, 0x1f00ffff),
        (with_nonce(0), 0x1d00ffff),
        (btc, 0x1c00ffff),
        (with_bits(0x1d80ffff), 0x207fffff),
        (with_bits(0x1d000000), 0x207fffff),
        (with_bits(0x00000000), 0x207fffff),
        (with_bits(0x2100ffff), 0x207fffff),
    ] {
        let result = match check_pow(&h, limit) {
            Ok(()) => "ok",
            Err(e) => e.name(),
        };
        writeln!(
            s,
            "pow_check: {} {} {limit:08x} {result}",
            hex(&h.to_bytes()),
            h.hash()
        )
        .unwrap();
    }
    s
}

/// Mines `b` with the real miner (fast enough for devnet targets): nonce search from
/// 0, merkle root recomputed, `extra_nonce` rolled only if the range runs out.
fn mine_fast(b: Block) -> Block {
    let mut m = Miner::new(b);
    loop {
        if let Some(found) = m.work(1 << 22) {
            return found;
        }
    }
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
         # Byte order: <genesis hash>, <hash> (block hashes) and <txid> are in display\n\
         #   order, their 32 bytes reversed (spec/consensus.md §1), as hashes are shown;\n\
         #   <signing digest hex> is the 32-byte digest in wire order, exactly the bytes\n\
         #   given to ECDSA as the message (§9); <tx hex>, <block hex>, <secret key hex>\n\
         #   (as in a key file) and <account hex> (the 33-byte compressed key as it\n\
         #   appears in a transaction) are byte strings in wire order, first byte first.\n\
         #   Heights, clock, balances, sequences and supply are decimal.\n\
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
        let mut b = block_template(&c, miner, txs, time_at(&p, h), h as u64);
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
         # case: <parent height> <error name> <block hex> <description, rest of the line>\n\
         # Byte order: <block hex> is the block's consensus encoding in wire order, first\n\
         #   byte first; <parent height> is decimal."
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
    case(&mut s, c, "r is zero", top, "bad_signature", |b, c| {
        let mut t = transfer(&sk1, a2, 1, 0, seq1, &net);
        t.signature[..32].copy_from_slice(&[0; 32]);
        with_transfers(b, c, vec![t]);
    });
    case(&mut s, c, "s is zero", top, "bad_signature", |b, c| {
        let mut t = transfer(&sk1, a2, 1, 0, seq1, &net);
        t.signature[32..].copy_from_slice(&[0; 32]);
        with_transfers(b, c, vec![t]);
    });
    case(
        &mut s,
        c,
        "s equal to the curve order",
        top,
        "malformed_signature",
        |b, c| {
            let mut t = transfer(&sk1, a2, 1, 0, seq1, &net);
            t.signature[32..].copy_from_slice(&negate_s(&[0; 32]));
            with_transfers(b, c, vec![t]);
        },
    );
    case(
        &mut s,
        c,
        "sender not a curve point (x above the field prime), funded earlier in the block",
        top,
        "bad_sender_key",
        |b, c| {
            let off_curve = AccountId({
                let mut k = [0xff; 33];
                k[0] = 0x02;
                k
            });
            with_transfers(
                b,
                c,
                vec![
                    transfer(&sk1, off_curve, 10, 0, seq1, &net),
                    raw_transfer(off_curve, a2, 1, 0, 0),
                ],
            );
        },
    );
    // Bits that encode no valid target, or one above the limit, differ from the
    // required bits, which are checked first: bad_bits, never invalid_target. Such a
    // header cannot meet its proof of work either; the nonce is left at 0.
    case(
        &mut s,
        c,
        "bits with the sign bit set",
        top,
        "bad_bits",
        |b, _| {
            b.header.bits = 0x20ffffff;
            b.header.nonce = 0;
        },
    );
    case(
        &mut s,
        c,
        "bits above the network limit",
        top,
        "bad_bits",
        |b, _| {
            b.header.bits = 0x2100ffff;
            b.header.nonce = 0;
        },
    );
    let _ = p;
    s
}

/// A valid child of the active block at `parent_height` (miner key 5), changed by `f`.
fn child(c: &Chain, parent_height: u32, extra: u64, f: impl FnOnce(&mut Block)) -> Block {
    let parent = c.hash_at(parent_height).unwrap();
    child_of(c, parent, parent_height + 1, extra, f)
}

/// A valid child of `parent` at `height` (miner key 5), changed by `f`.
fn child_of(
    c: &Chain,
    parent: Hash256,
    height: u32,
    extra: u64,
    f: impl FnOnce(&mut Block),
) -> Block {
    let p = c.params();
    let time = c
        .header(&parent)
        .map_or(c.params().genesis_time, |h| h.time)
        + 1;
    let mut b = build(
        p,
        parent,
        height,
        p.genesis_bits,
        time,
        key(5).1,
        &[],
        extra,
        0,
    );
    f(&mut b);
    b
}

fn block_sequences(c: &Chain) -> String {
    let p = c.params().clone();
    let net = c.network_id();
    let top = c.height();
    let now = now(&p);
    let (sk1, a1) = key(1);
    let a2 = key(2).1;
    let seq1 = c.next_sequence(&a1);
    let mut s = String::from(
        "# Block sequences (see spec/consensus.md §10, §11). Each sequence starts again from\n\
         # the chain of valid_chain.txt (all its blocks accepted) and applies its steps in\n\
         # order, each with its own clock. A step must give <result>: `ok` (accepted, and\n\
         # the block is the new active tip) or an error name (and then the active tip and\n\
         # the account state are unchanged).\n\
         # sequence: <description, rest of the line>\n\
         # step: <clock, Unix seconds> <result> <block hex>\n\
         # Byte order: <block hex> is the block's consensus encoding in wire order, first\n\
         #   byte first; the clock is decimal.\n",
    );
    let mut seq = |name: &str, steps: &[(u64, &str, &Block)]| {
        writeln!(s, "sequence: {name}").unwrap();
        for (t, result, b) in steps {
            writeln!(s, "step: {t} {result} {}", hex(&b.to_bytes())).unwrap();
        }
    };
    let good = child(c, top, 2_000, |_| {});

    let orphan = child(c, top, 2_001, |b| {
        b.header.prev = Hash256::sha256d(b"no such block");
        mine(b, p.pow_limit_bits);
    });
    seq("parent unknown", &[(now, "unknown_parent", &orphan)]);

    let bad_height = child(c, top, 2_002, |b| {
        if let Transaction::Coinbase(cb) = &mut b.txs[0] {
            cb.height += 1;
        }
        remine(b, c);
    });
    seq(
        "a block found invalid is refused as known invalid when sent again; a valid rival \
         is still accepted",
        &[
            (now, "bad_coinbase_height", &bad_height),
            (now, "known_invalid", &bad_height),
            (now, "ok", &good),
        ],
    );
    let orphan_of_bad = child_of(c, bad_height.hash(), top + 2, 2_003, |_| {});
    seq(
        "a child of a block found invalid",
        &[
            (now, "bad_coinbase_height", &bad_height),
            (now, "invalid_ancestor", &orphan_of_bad),
        ],
    );

    let two = child(c, top, 2_004, |b| {
        with_transfers(
            b,
            c,
            vec![
                transfer(&sk1, a2, 1, 0, seq1, &net),
                transfer(&sk1, a2, 2, 0, seq1 + 1, &net),
            ],
        );
    });
    let mut mutated = two.clone();
    mutated.txs.push(mutated.txs[2]);
    let mut wrong_body = two.clone();
    wrong_body.txs.truncate(2);
    seq(
        "a body not matching its header does not condemn the header: the right body is \
         accepted after a mutated one and after a wrong one",
        &[
            (now, "mutated_merkle", &mutated),
            (now, "bad_merkle_root", &wrong_body),
            (now, "ok", &two),
        ],
    );

    let drift = p.max_future_drift_secs as u64;
    let early = child(c, top, 2_005, |b| {
        b.header.time = (now + drift + 1) as u32;
        remine(b, c);
    });
    seq(
        "a block too far in the future is accepted once the clock reaches it",
        &[(now, "time_too_new", &early), (now + 1, "ok", &early)],
    );
    s
}

/// Regtest's parameters with the largest block reward, so balances can overflow.
fn overflow_params() -> NetworkParams {
    NetworkParams {
        name: "regtest-max-reward".into(),
        block_reward: u64::MAX,
        ..NetworkParams::regtest()
    }
}

/// The `params:` line of a network.
fn params_line(p: &NetworkParams) -> String {
    format!(
        "params: {} {} {:08x} {:08x} {} {} {} {} {} {} {}",
        p.name,
        hex(&p.magic),
        p.pow_limit_bits,
        p.genesis_bits,
        p.genesis_time,
        p.target_spacing_secs,
        p.retarget_interval,
        p.retarget_clamp,
        p.mtp_window,
        p.max_future_drift_secs,
        p.block_reward
    )
}

/// `account:` lines and the `tip:` line of a chain.
fn chain_end(s: &mut String, c: &Chain) {
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
}

fn overflow_chain() -> String {
    let p = overflow_params();
    let net = p.network_id();
    let mut c = Chain::new(p.clone());
    let mut s = String::new();
    writeln!(
        s,
        "# Balance overflows (see spec/consensus.md §10 steps 5, 7.7 and 8). No listed\n\
         # network lets a balance reach 2^64 (its total supply is h * 5e9 after h blocks),\n\
         # so these vectors use a network defined only here: regtest's parameters with\n\
         # block_reward = 2^64 - 1, under its own name, hence its own genesis block\n\
         # (spec/consensus.md §12). Blocks 1 and 2 pay the whole reward to keys 1 and 2.\n\
         # Lines, in order:\n\
         # params: <name> <magic> <pow_limit_bits> <genesis_bits> <genesis_time>\n\
         #   <target_spacing_secs> <retarget_interval> <retarget_clamp> <mtp_window>\n\
         #   <max_future_drift_secs> <block_reward>   (the fields of encode(params), §12)\n\
         # network: <name> <genesis hash>\n\
         # now: <clock, Unix seconds, used for every block and case>\n\
         # key: <n> <secret key hex> <account hex>      (secret = 32 bytes of n)\n\
         # block: <height> <hash> <block hex>\n\
         # account: <account hex> <balance> <next sequence>\n\
         # tip: <height> <hash> <supply>\n\
         # case: <parent height> <error name> <block hex> <description>  (as in\n\
         #   invalid_blocks.txt, applied to this chain)\n\
         # Byte order: <magic> is the 4 bytes in frame order; <pow_limit_bits> and\n\
         #   <genesis_bits> are u32 numbers as 8 hex digits, most significant first; the\n\
         #   other parameters, heights, balances and supply are decimal; <genesis hash>\n\
         #   and <hash> are in display order (32 bytes reversed, §1); <secret key hex>,\n\
         #   <account hex> and <block hex> are byte strings in wire order.\n\
         {}\n\
         network: {} {}\n\
         now: {}",
        params_line(&p),
        p.name,
        net,
        now(&p)
    )
    .unwrap();
    for n in 1..=3u8 {
        writeln!(s, "key: {n} {} {}", hex(&[n; 32]), key(n).1).unwrap();
    }
    for h in 1..=2u32 {
        let mut b = block_template(&c, key(h as u8).1, vec![], time_at(&p, h), h as u64);
        mine(&mut b, p.pow_limit_bits);
        writeln!(s, "block: {h} {} {}", b.hash(), hex(&b.to_bytes())).unwrap();
        c.accept_block(b, now(&p)).expect("scripted block is valid");
    }
    chain_end(&mut s, &c);
    let top = c.height();
    let (sk1, a1) = key(1);
    let (a2, a3) = (key(2).1, key(3).1);
    case(
        &mut s,
        &c,
        "coinbase to an account holding 2^64 - 1",
        top,
        "coinbase_overflow",
        |b, c| {
            if let Transaction::Coinbase(cb) = &mut b.txs[0] {
                cb.recipient = a1;
            }
            remine(b, c);
        },
    );
    case(
        &mut s,
        &c,
        "transfer of 1 to an account holding 2^64 - 1",
        top,
        "recipient_overflow",
        |b, c| {
            with_transfers(b, c, vec![transfer(&sk1, a2, 1, 0, 0, &net)]);
        },
    );
    case(
        &mut s,
        &c,
        "a fee of 1 on top of the largest reward",
        top,
        "fee_overflow",
        |b, c| {
            with_transfers(b, c, vec![transfer(&sk1, a3, 1, 1, 0, &net)]);
        },
    );
    s
}

/// Seconds after the parent's time of the block at `height` in the retarget chain:
/// three periods whose timespans (spec/consensus.md §5) are above the clamp (target
/// x4), twice the expected one (x2) and half of it (x1/2, with Bitcoin's window it
/// would be x2/5).
fn retarget_step(h: u32) -> u32 {
    match h {
        1..=9 => 5,
        10..=19 => 2,
        20..=29 => h.is_multiple_of(2) as u32,
        _ => 1,
    }
}

fn retarget_chain() -> String {
    let p = NetworkParams::devnet(1);
    let mut c = Chain::new(p.clone());
    let now = p.genesis_time as u64 + 1000;
    let n = p.retarget_interval;
    let mut s = String::new();
    writeln!(
        s,
        "# A devnet-1s chain crossing three difficulty retargets (see spec/consensus.md §5):\n\
         # retarget_interval {n}, target_spacing_secs {}, so the expected timespan is {} s\n\
         # (the first window starts at block 1, not genesis: 8 intervals, 8 s); the timespans of the three periods are clamped (target x4), twice the expected\n\
         # (x2) and half of it (x1/2). Coinbase-only blocks. Lines, in order:\n\
         # network: <name> <genesis hash>\n\
         # now: <clock, Unix seconds, used for every block and case>\n\
         # retarget: <height> <first height: height-1-N, or 1 if that is below 1>\n\
         #   <time of block first height> <time of block height-1>\n\
         #   <parent bits> <required bits>   (before the block at each retarget height;\n\
         #   N = retarget_interval; expected timespan (height-1-first) * spacing)\n\
         # block: <height> <hash> <block hex>\n\
         # account: <account hex> <balance> <next sequence>\n\
         # tip: <height> <hash> <supply>\n\
         # work: <cumulative work of the tip, genesis included>\n\
         # case: <parent height> <error name> <block hex> <description>  (as in\n\
         #   invalid_blocks.txt, applied to this chain)\n\
         # Byte order: <genesis hash> and <hash> are in display order (32 bytes reversed,\n\
         #   §1); <block hex> and <account hex> are byte strings in wire order; bits are\n\
         #   u32 numbers as 8 hex digits, most significant first; <work> is a number in\n\
         #   hex, most significant first, without leading zeros; times, heights, balances\n\
         #   and supply are decimal.\n\
         network: {} {}\n\
         now: {now}",
        p.target_spacing_secs,
        n * p.target_spacing_secs,
        p.name,
        p.network_id(),
    )
    .unwrap();
    let mut time = p.genesis_time;
    for h in 1..=31u32 {
        time += retarget_step(h);
        let parent = c.tip();
        if is_retarget_height(&p, h) {
            let first_height = retarget_first(&p, h).unwrap();
            let first = c.hash_at(first_height).unwrap();
            writeln!(
                s,
                "retarget: {h} {first_height} {} {} {:08x} {:08x}",
                c.header(&first).unwrap().time,
                c.header(&parent).unwrap().time,
                c.header(&parent).unwrap().bits,
                c.next_bits(&parent).unwrap()
            )
            .unwrap();
        }
        let miner = key((h % 3 + 1) as u8).1;
        let b = mine_fast(block_template(&c, miner, vec![], time as u64, h as u64));
        assert_eq!(b.header.time, time);
        writeln!(s, "block: {h} {} {}", b.hash(), hex(&b.to_bytes())).unwrap();
        c.accept_block(b, now).expect("scripted block is valid");
    }
    chain_end(&mut s, &c);
    writeln!(s, "work: {}", c.tip_work().to_hex()).unwrap();
    // Wrong bits at the third retarget (height 30, parent 29), each mined so that only
    // the bits are wrong.
    let parent = c.hash_at(29).unwrap();
    let ph = *c.header(&parent).unwrap();
    let limit = U256::from_compact(p.pow_limit_bits).unwrap();
    let expected = (n * p.target_spacing_secs) as u64;
    let bitcoin_window = retarget(
        ph.bits,
        ph.time as i64 - c.header(&c.hash_at(30 - n).unwrap()).unwrap().time as i64,
        expected,
        p.retarget_clamp,
        limit,
    );
    assert_ne!(bitcoin_window, c.next_bits(&parent).unwrap());
    for (bits, name) in [
        (ph.bits, "the parent's bits at a retarget height"),
        (
            bitcoin_window,
            "bits from Bitcoin's window (height-N to height-1)",
        ),
    ] {
        let mut b = block_template(&c, key(5).1, vec![], ph.time as u64 + 1, 3_000);
        b.header.prev = parent;
        b.header.bits = bits;
        if let Transaction::Coinbase(cb) = &mut b.txs[0] {
            cb.height = 30;
        }
        let b = mine_fast(b);
        assert_eq!(
            c.clone().accept_block(b.clone(), now).unwrap_err().name(),
            "bad_bits"
        );
        writeln!(s, "case: 29 bad_bits {} {name}", hex(&b.to_bytes())).unwrap();
    }
    s
}
