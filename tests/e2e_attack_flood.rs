//! Header and orphan floods against a real `peer` process on `regtest` (easy proof of
//! work), from attacker connections on 127.0.0.2 (spec: peer protocol §5.3, §5.5):
//!
//! - **Header flood**: headers with valid proof of work on branches forking at genesis,
//!   as fast as the attacker can make them, bodies never sent; each cut connection is
//!   reopened with a new branch. The victim's resident memory may grow by at most
//!   16 MB and the flooder must be cut with a logged reason.
//! - **Orphan flood**: 260 blocks of about 1 MB with random parents on one connection,
//!   either without valid proof of work (the sender is banned at once) or with it and
//!   valid bodies (kept within the orphan pool's byte budget).
//!
//! `CHEESE_FLOOD_SECS` sets the header flood's length (default 15 s; the issue's
//! figure is 60 s). `CHEESE_ATTACK_PEER_BIN=/path/to/peer` runs the same attacks
//! against another build. The figures are printed either way.

mod support;

use cheesechain::chain::{
    AccountId, Block, BlockHeader, Coinbase, Hash256, NetworkParams, Transaction, Transfer,
};
use cheesechain::wire::Message;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::attacker::{rss_kb, Wire};
use support::consensus::{fix_root, key, mine, transfer, unmine};
use support::process::{peer_of, serial, wait_for, Proc};

const ATTACKER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

fn params() -> NetworkParams {
    NetworkParams::by_name("regtest").unwrap()
}

fn victim(dir: &std::path::Path) -> Proc {
    let bin = std::env::var("CHEESE_ATTACK_PEER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_peer").to_string());
    peer_of(&bin, dir, "none", "regtest", &["--no-mine"])
}

/// `n` headers with valid proof of work chaining onto `prev` at height `height + 1`
/// and on, each `time` one second after the last; `branch` makes the branch unique.
fn headers(
    prev: &mut (Hash256, u32),
    n: usize,
    branch: u64,
    genesis_time: u32,
) -> Vec<BlockHeader> {
    let p = params();
    let mut root = [0u8; 32];
    root[..8].copy_from_slice(&branch.to_le_bytes());
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut b = Block {
            header: BlockHeader {
                version: 1,
                prev: prev.0,
                merkle_root: Hash256(root),
                time: genesis_time + prev.1 + 1,
                bits: p.pow_limit_bits,
                nonce: 0,
            },
            txs: vec![],
        };
        mine(&mut b, p.pow_limit_bits);
        *prev = (b.header.hash(), prev.1 + 1);
        out.push(b.header);
    }
    out
}

/// What a header flood did.
struct Flood {
    secs: f64,
    sent: u64,
    connections: u64,
    rss_before_kb: u64,
    rss_peak_kb: u64,
    rss_after_kb: u64,
}

/// Floods `v` with headers from [`ATTACKER`] for `secs` seconds, reopening each
/// connection the victim cuts with a new branch from genesis.
fn header_flood(v: &Proc, secs: u64) -> Flood {
    let p = params();
    let to: SocketAddr = v.addr.parse().unwrap();
    let pid = v.child.id();
    let genesis = p.genesis_block().header;
    let rss_before_kb = rss_kb(pid).unwrap();
    let mut rss_peak_kb = rss_before_kb;
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let (mut sent, mut connections, mut branch) = (0u64, 0u64, 0u64);
    while Instant::now() < end {
        let Ok(mut w) = Wire::handshake(ATTACKER, to, &p, 0xf100d + connections) else {
            continue;
        };
        connections += 1;
        branch += 1;
        let mut prev = (genesis.hash(), 0u32);
        while Instant::now() < end {
            let batch = headers(&mut prev, 2000, branch, genesis.time);
            if w.send(&Message::Headers { headers: batch }).is_err()
                || w.read_some(Duration::ZERO).is_err()
            {
                break;
            }
            sent += 2000;
            rss_peak_kb = rss_peak_kb.max(rss_kb(pid).unwrap_or(0));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let rss_after_kb = rss_kb(pid).unwrap();
    Flood {
        secs,
        sent,
        connections,
        rss_before_kb,
        rss_peak_kb: rss_peak_kb.max(rss_after_kb),
        rss_after_kb,
    }
}

#[test]
fn a_header_flood_on_branches_from_genesis_stays_within_16_mb_and_is_cut() {
    let _g = serial();
    let secs = std::env::var("CHEESE_FLOOD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let tmp = tempfile::tempdir().unwrap();
    let v = victim(tmp.path());
    let f = header_flood(&v, secs);
    let log = v.log();
    let cut: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("peer 127.0.0.2:") && l.contains("disconnected:"))
        .collect();
    let grown = f.rss_after_kb.saturating_sub(f.rss_before_kb);
    eprintln!(
        "header flood {:.1} s: {} headers on {} connections ({:.0}/s); victim VmRSS {} -> {} kB (peak {} kB, +{} kB); {} cuts logged, first: {:?}",
        f.secs,
        f.sent,
        f.connections,
        f.sent as f64 / f.secs,
        f.rss_before_kb,
        f.rss_after_kb,
        f.rss_peak_kb,
        grown,
        cut.len(),
        cut.first()
    );
    assert!(f.sent > 100_000, "the flood barely ran: {} headers", f.sent);
    assert!(
        f.rss_peak_kb.saturating_sub(f.rss_before_kb) <= 16 * 1024,
        "resident memory grew by {} kB",
        f.rss_peak_kb - f.rss_before_kb
    );
    assert!(!cut.is_empty(), "the flooder was never cut:\n{log}");
}

/// A block of about 1 MB on a random parent: a coinbase and `transfers`, then mined
/// (`pow`) or made to miss its target.
fn big_orphan(n: u64, transfers: &[Transfer], pow: bool) -> Block {
    let p = params();
    let mut parent = [0u8; 32];
    parent[..8].copy_from_slice(&(n ^ 0x5eed_0bad).to_le_bytes());
    parent[31] = 0x77;
    let mut txs = vec![Transaction::Coinbase(Coinbase {
        height: 5,
        recipient: key(9).1,
        amount: p.block_reward,
        extra_nonce: n,
    })];
    txs.extend(transfers.iter().copied().map(Transaction::Transfer));
    let mut b = Block {
        header: BlockHeader {
            version: 1,
            prev: Hash256(parent),
            merkle_root: Hash256::ZERO,
            time: p.genesis_time + 100,
            bits: p.pow_limit_bits,
            nonce: 0,
        },
        txs,
    };
    fix_root(&mut b);
    if pow {
        mine(&mut b, p.pow_limit_bits);
    } else {
        unmine(&mut b, p.pow_limit_bits);
    }
    b
}

/// Signed transfers filling a block to just under 1 MB (shared by every orphan).
fn filler() -> Vec<Transfer> {
    let (sk, _) = key(1);
    let to: AccountId = key(2).1;
    let net = params().network_id();
    let n =
        (cheesechain::chain::block::MAX_BLOCK_BYTES - 2_000) / cheesechain::chain::tx::TRANSFER_LEN;
    (0..n as u64)
        .map(|i| transfer(&sk, to, 1 + i, 1, i, &net))
        .collect()
}

/// Sends 260 orphans of about 1 MB on one connection; returns (sent, victim VmRSS
/// before, after in kB, cut).
fn orphan_flood(v: &Proc, pow: bool) -> (usize, u64, u64, bool) {
    let p = params();
    let to: SocketAddr = v.addr.parse().unwrap();
    let pid = v.child.id();
    let fill = filler();
    let before = rss_kb(pid).unwrap();
    let mut w = Wire::handshake(ATTACKER, to, &p, 0x0bad).unwrap();
    let mut sent = 0;
    for n in 0..260u64 {
        let b = big_orphan(n, &fill, pow);
        assert!(b.encoded_len() <= cheesechain::chain::block::MAX_BLOCK_BYTES);
        if w.send(&Message::Block(Arc::new(b))).is_err() || w.read_some(Duration::ZERO).is_err() {
            break;
        }
        sent += 1;
    }
    let cut = w.closed_within(if pow { 2 } else { 30 });
    (sent, before, rss_kb(pid).unwrap(), cut)
}

#[test]
fn an_orphan_flood_without_proof_of_work_is_banned_at_once() {
    let _g = serial();
    let tmp = tempfile::tempdir().unwrap();
    let v = victim(tmp.path());
    let (sent, before, after, cut) = orphan_flood(&v, false);
    // The victim logs the ban just after it closes the socket: the attacker may see the
    // cut first, so wait for the line rather than read the log once.
    wait_for(10, "'banning 127.0.0.2:' in the victim's log", || {
        v.log().contains("banning 127.0.0.2:").then_some(())
    });
    let log = v.log();
    eprintln!(
        "orphan flood, no proof of work: {sent} of 260 blocks sent before the cut; victim VmRSS {before} -> {after} kB (+{} kB); cut {cut}",
        after.saturating_sub(before)
    );
    assert!(cut, "the sender was not cut:\n{log}");
    assert!(
        log.contains("invalid orphan block"),
        "no reason logged:\n{log}"
    );
    assert!(after.saturating_sub(before) <= 32 * 1024);
}

#[test]
fn an_orphan_flood_with_proof_of_work_stays_within_the_pool_budget() {
    let _g = serial();
    let tmp = tempfile::tempdir().unwrap();
    let v = victim(tmp.path());
    let (sent, before, after, _) = orphan_flood(&v, true);
    eprintln!(
        "orphan flood, valid proof of work and bodies: {sent} of 260 blocks sent; victim VmRSS {before} -> {after} kB (+{} kB)",
        after.saturating_sub(before)
    );
    assert_eq!(sent, 260);
    assert!(
        after.saturating_sub(before) <= 32 * 1024,
        "resident memory grew by {} kB",
        after - before
    );
}
