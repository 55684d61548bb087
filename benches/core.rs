//! Benchmarks of the hot paths: mining hash rate, block decoding, block validation.
//!
//! Besides the criterion groups, short custom runs print the miner's hash rate next
//! to a plain `compress256`-twice loop and the bare SHA-NI 4-way hasher (when the CPU
//! has it), and the validation rate of a block of signed transfers next to raw
//! secp256k1 verification, each measured in the same process, with their ratios.

mod common;

use cheesechain::chain::keys::{account_of, secret_from_bytes, sign_transfer};
use cheesechain::chain::pow::check_pow;
use cheesechain::chain::sigcache::{SigCache, SIG_CACHE_MAX_ENTRIES};
use cheesechain::chain::tree::Chain;
use cheesechain::chain::{
    AccountId, Block, BlockHeader, Coinbase, Hash256, NetworkParams, Transaction, Transfer,
};
use cheesechain::miner::block_template;
use cheesechain::miner::hasher::{digest_pad_block, write_digest, SHA256_IV};
use cheesechain::miner::shani::{ShaNi, LANES};
use cheesechain::miner::Miner;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use secp256k1::{ecdsa, PublicKey};
use sha2::block_api::compress256;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Hardest valid compact target: nothing is ever found, so every nonce is hashed.
const IMPOSSIBLE_BITS: u32 = 0x0300_0001;
/// Nonces per `Miner::work` call in the measurements (a few milliseconds' worth).
const BATCH: u32 = 1 << 16;

fn template(bits: u32, transfers: usize) -> Block {
    let genesis = NetworkParams::regtest().genesis_block();
    let mut txs = vec![Transaction::Coinbase(Coinbase {
        height: 1,
        recipient: AccountId([2; 33]),
        amount: 50,
        extra_nonce: 0,
    })];
    for i in 0..transfers {
        txs.push(Transaction::Transfer(Transfer {
            sender: AccountId([3; 33]),
            recipient: AccountId([2; 33]),
            amount: 1 + i as u64,
            fee: 1,
            sequence: i as u64,
            signature: [i as u8; 64],
        }));
    }
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

/// The reference: SHA-256d of an 80-byte header from a midstate with prepared padding,
/// nothing else (no target check, no bookkeeping), the nonce and digest written with
/// 16-byte stores like the miner does. Returns a value that depends on every hash so
/// nothing is optimised away.
fn plain_compress_loop(midstate: &[u32; 8], start: u32, count: u32) -> u32 {
    let mut block = [0u8; 64];
    block[16] = 0x80;
    block[56..].copy_from_slice(&640u64.to_be_bytes());
    let mut pad = digest_pad_block();
    let mut acc = 0u32;
    const MASK: [u32; 4] = [0, 0, 0, u32::MAX];
    let tail: [u32; 4] = black_box([7, 8, 9, 0]);
    for nonce in start..start + count {
        let mut lane = [0u8; 16];
        for ((b, t), m) in lane.chunks_exact_mut(4).zip(tail).zip(MASK) {
            b.copy_from_slice(&(t | (nonce & m)).to_le_bytes());
        }
        block[..16].copy_from_slice(&lane);
        let mut s = *midstate;
        compress256(&mut s, std::slice::from_ref(&block));
        write_digest(&mut pad, &s);
        let mut s2 = SHA256_IV;
        compress256(&mut s2, std::slice::from_ref(&pad));
        acc ^= s2[7];
    }
    acc
}

/// The same loop written the obvious way, with 4-byte stores into the blocks: the
/// 16-byte loads inside `compress256` then miss store forwarding. For comparison only.
fn naive_compress_loop(midstate: &[u32; 8], start: u32, count: u32) -> u32 {
    let mut block = [0u8; 64];
    block[16] = 0x80;
    block[56..].copy_from_slice(&640u64.to_be_bytes());
    let mut pad = digest_pad_block();
    let mut acc = 0u32;
    for nonce in start..start + count {
        block[12..16].copy_from_slice(&nonce.to_le_bytes());
        let mut s = *midstate;
        compress256(&mut s, std::slice::from_ref(&block));
        for (i, w) in s.iter().enumerate() {
            pad[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
        }
        let mut s2 = SHA256_IV;
        compress256(&mut s2, std::slice::from_ref(&pad));
        acc ^= s2[7];
    }
    acc
}

/// The SHA-NI 4-way hasher alone: `BATCH` nonces, 4 at a time, no target check.
fn shani_loop(ni: ShaNi, midstate: &[u32; 8], start: u32, count: u32) -> u32 {
    let tail: [u32; 4] = black_box([7, 8, 9, 0]);
    let mut acc = 0u32;
    for i in (0..count).step_by(LANES) {
        for s in ni.hash4(midstate, &tail, start.wrapping_add(i)) {
            acc ^= s[7];
        }
    }
    acc
}

/// Runs `f` (which hashes `BATCH` nonces) for about `dur`; returns hashes per second.
fn rate(dur: Duration, mut f: impl FnMut()) -> f64 {
    let t0 = Instant::now();
    let mut n = 0u64;
    while t0.elapsed() < dur {
        f();
        n += u64::from(BATCH);
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

fn mining_ratio() {
    let dur = Duration::from_millis(1500);
    let ni = ShaNi::detect();
    let mut miner = Miner::new(template(IMPOSSIBLE_BITS, 10));
    let mut mid = SHA256_IV;
    let mut first = [0u8; 64];
    first.copy_from_slice(&miner.template().header.to_bytes()[..64]);
    compress256(&mut mid, &[first]);
    // Warm up, then measure each twice, interleaved, and keep the best.
    let _ = rate(Duration::from_millis(300), || {
        black_box(miner.work(BATCH));
    });
    let mut start = 0u32;
    let (mut best_m, mut best_p, mut best_n, mut best_s) = (0f64, 0f64, 0f64, 0f64);
    for _ in 0..2 {
        best_m = best_m.max(rate(dur, || {
            black_box(miner.work(BATCH));
        }));
        best_p = best_p.max(rate(dur, || {
            black_box(plain_compress_loop(&mid, start, BATCH));
            start = start.wrapping_add(BATCH) & 0x7fff_ffff;
        }));
        if let Some(ni) = ni {
            best_s = best_s.max(rate(dur, || {
                black_box(shani_loop(ni, &mid, start, BATCH));
                start = start.wrapping_add(BATCH) & 0x7fff_ffff;
            }));
        }
    }
    best_n = best_n.max(rate(dur, || {
        black_box(naive_compress_loop(&mid, start, BATCH));
        start = start.wrapping_add(BATCH) & 0x7fff_ffff;
    }));
    println!(
        "mining: miner {:.2} MH/s, compress256x2 {:.2} MH/s, ratio {:.3} \
         (compress256x2 with 4-byte stores: {:.2} MH/s)",
        best_m / 1e6,
        best_p / 1e6,
        best_m / best_p,
        best_n / 1e6
    );
    match ni {
        Some(_) => println!(
            "mining: SHA-NI 4-way {:.2} MH/s, /compress256x2 {:.3}, miner/SHA-NI 4-way {:.3}",
            best_s / 1e6,
            best_s / best_p,
            best_m / best_s
        ),
        None => println!("mining: no SHA-NI on this CPU; the miner uses compress256"),
    }
}

fn bench_mining(c: &mut Criterion) {
    mining_ratio();
    let mut g = c.benchmark_group("mining");
    g.throughput(Throughput::Elements(u64::from(BATCH)));
    let mut miner = Miner::new(template(IMPOSSIBLE_BITS, 10));
    g.bench_function("miner_work_64k", |b| {
        b.iter(|| black_box(miner.work(BATCH)))
    });
    let mut mid = SHA256_IV;
    let mut first = [0u8; 64];
    first.copy_from_slice(&miner.template().header.to_bytes()[..64]);
    compress256(&mut mid, &[first]);
    g.bench_function("compress256x2_64k", |b| {
        b.iter(|| black_box(plain_compress_loop(&mid, 0, BATCH)))
    });
    g.bench_function("compress256x2_4byte_stores_64k", |b| {
        b.iter(|| black_box(naive_compress_loop(&mid, 0, BATCH)))
    });
    if let Some(ni) = ShaNi::detect() {
        g.bench_function("shani_4way_64k", |b| {
            b.iter(|| black_box(shani_loop(ni, &mid, 0, BATCH)))
        });
    }
    g.finish();
}

fn bench_decode(c: &mut Criterion) {
    let block = template(0x207fffff, 1000);
    let bytes = block.to_bytes();
    let mut g = c.benchmark_group("block");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("decode_1000_transfers", |b| {
        b.iter(|| Block::from_bytes(black_box(&bytes)).unwrap())
    });
    g.finish();
}

/// Senders funded by one coinbase each before the measured block.
const SENDERS: u8 = 50;
/// Signed transfers in the measured block.
const BLOCK_TRANSFERS: usize = 1000;
/// A far-future clock: no block is "too new".
const NOW: u64 = 4_000_000_000;
/// Interleaved rounds of the validation-versus-verify comparison.
const VALIDATION_ROUNDS: usize = 15;

/// A chain with `SENDERS` funded accounts and, on its tip, a block of
/// `BLOCK_TRANSFERS` signed transfers (each sender's sequences in order) not yet
/// accepted.
struct ValidationFixture {
    chain: Chain,
    block: Block,
    network_id: Hash256,
}

/// Increments the nonce until the header meets its target (regtest: ~2 tries).
fn solve(b: &mut Block, pow_limit_bits: u32) {
    while check_pow(&b.header, pow_limit_bits).is_err() {
        b.header.nonce = b.header.nonce.wrapping_add(1);
    }
}

fn validation_fixture() -> ValidationFixture {
    let params = NetworkParams::regtest();
    let network_id = params.network_id();
    let mut chain = Chain::new(params.clone());
    let keys: Vec<_> = (1..=SENDERS)
        .map(|n| secret_from_bytes([n; 32]).expect("small constant keys are valid"))
        .collect();
    let mut time = u64::from(params.genesis_time);
    for (i, sk) in keys.iter().enumerate() {
        time += 1;
        let mut b = block_template(&chain, account_of(sk), Vec::new(), time, i as u64);
        solve(&mut b, params.pow_limit_bits);
        chain.accept_block(b, NOW).expect("funding block is valid");
    }
    let recipient = account_of(&secret_from_bytes([200; 32]).expect("valid key"));
    let per_sender = BLOCK_TRANSFERS / keys.len();
    let mut transfers = Vec::with_capacity(BLOCK_TRANSFERS);
    for sequence in 0..per_sender as u64 {
        for sk in &keys {
            let mut t = Transfer {
                sender: account_of(sk),
                recipient,
                amount: 1000 + sequence,
                fee: 10,
                sequence,
                signature: [0; 64],
            };
            sign_transfer(&mut t, sk, &network_id);
            transfers.push(t);
        }
    }
    let miner = account_of(&secret_from_bytes([201; 32]).expect("valid key"));
    let mut block = block_template(&chain, miner, transfers, time + 1, 0);
    solve(&mut block, params.pow_limit_bits);
    // The block must be valid, or the benchmark measures an early rejection.
    chain
        .clone()
        .accept_block(block.clone(), NOW)
        .expect("benchmark block is valid");
    ValidationFixture {
        chain,
        block,
        network_id,
    }
}

fn transfers_of(b: &Block) -> impl Iterator<Item = &Transfer> {
    b.txs.iter().filter_map(Transaction::as_transfer)
}

fn validation_ratio(fx: &ValidationFixture) {
    let transfers: Vec<&Transfer> = transfers_of(&fx.block).collect();
    let digests: Vec<[u8; 32]> = transfers
        .iter()
        .map(|t| t.signing_digest(&fx.network_id))
        .collect();
    let keys: Vec<PublicKey> = transfers
        .iter()
        .map(|t| PublicKey::from_slice(&t.sender.0).expect("valid key"))
        .collect();
    let sigs: Vec<ecdsa::Signature> = transfers
        .iter()
        .map(|t| ecdsa::Signature::from_compact(&t.signature).expect("valid signature"))
        .collect();
    let n = transfers.len();
    let validate = || {
        // Clone outside the timed part; drop the result and the clone after it.
        let mut chain = fx.chain.clone();
        let block = fx.block.clone();
        let t0 = Instant::now();
        let out = chain.accept_block(block, NOW);
        let el = t0.elapsed();
        assert!(out.expect("valid").tip_changed);
        black_box(&chain);
        el
    };
    let raw = || {
        let t0 = Instant::now();
        for ((sig, d), pk) in sigs.iter().zip(&digests).zip(&keys) {
            let msg = secp256k1::Message::from_digest(*d);
            black_box(ecdsa::verify(black_box(sig), msg, black_box(pk))).expect("verifies");
        }
        t0.elapsed()
    };
    let parsed = || {
        let t0 = Instant::now();
        for (t, d) in transfers.iter().zip(&digests) {
            let pk = PublicKey::from_slice(&black_box(t).sender.0).expect("valid key");
            let sig = ecdsa::Signature::from_compact(&t.signature).expect("valid signature");
            let msg = secp256k1::Message::from_digest(*d);
            black_box(ecdsa::verify(&sig, msg, &pk)).expect("verifies");
        }
        t0.elapsed()
    };
    // The signature cache as the node holds it: every transfer verified on entry to
    // the mempool ("seen"), or none of them ("unseen": each lookup misses).
    let mut warm = SigCache::with_random_salt(SIG_CACHE_MAX_ENTRIES);
    for t in &transfers {
        warm.verify_and_store(t, &fx.network_id).expect("verifies");
    }
    let cold = SigCache::with_random_salt(SIG_CACHE_MAX_ENTRIES);
    let validate_cached = |cache: &SigCache| {
        let mut chain = fx.chain.clone();
        let mut cache = cache.clone();
        let block = fx.block.clone();
        let t0 = Instant::now();
        let out = chain.accept_block_with(block, NOW, Some(&mut cache));
        let el = t0.elapsed();
        assert!(out.expect("valid").tip_changed);
        black_box((&chain, &cache));
        el
    };
    // The machine is shared: interleave the calls one by one (each handles the same
    // 1000 signatures) and keep the fastest call of each, the one least disturbed.
    let (mut v, mut r, mut p) = (validate(), raw(), parsed());
    let (mut seen, mut unseen) = (validate_cached(&warm), validate_cached(&cold));
    for _ in 0..VALIDATION_ROUNDS {
        v = v.min(validate());
        r = r.min(raw());
        p = p.min(parsed());
        seen = seen.min(validate_cached(&warm));
        unseen = unseen.min(validate_cached(&cold));
    }
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let (x, y, z) = (rate(v), rate(r), rate(p));
    println!(
        "validation {x:.0} tx/s, raw verify {y:.0}/s (with parsing {z:.0}/s), \
         ratio {:.3} and {:.3} ({n} transfers from {SENDERS} senders per block)",
        x / y,
        x / z
    );
    let (s, u) = (rate(seen), rate(unseen));
    println!(
        "validation with the signature cache: all {n} transfers seen before {s:.0} tx/s \
         = {:.2} x raw verify (goal >= 10); none seen {u:.0} tx/s = {:.3} x raw verify \
         (goal >= 0.9)",
        s / y,
        u / y
    );
}

fn bench_validate(c: &mut Criterion) {
    let fx = validation_fixture();
    validation_ratio(&fx);
    let mut g = c.benchmark_group("validate");
    g.throughput(Throughput::Elements(BLOCK_TRANSFERS as u64));
    g.bench_function("accept_block_1000_transfers", |b| {
        b.iter_batched(
            || (fx.chain.clone(), fx.block.clone()),
            |(mut chain, block)| {
                let out = chain.accept_block(block, NOW);
                // Returned, so the chain is dropped outside the timed routine.
                (chain, out)
            },
            BatchSize::PerIteration,
        )
    });
    let transfers: Vec<&Transfer> = transfers_of(&fx.block).collect();
    let digests: Vec<[u8; 32]> = transfers
        .iter()
        .map(|t| t.signing_digest(&fx.network_id))
        .collect();
    g.bench_function("secp256k1_verify_with_parsing_1000", |b| {
        b.iter(|| {
            for (t, d) in transfers.iter().zip(&digests) {
                let pk = PublicKey::from_slice(&t.sender.0).expect("valid key");
                let sig = ecdsa::Signature::from_compact(&t.signature).expect("valid");
                let msg = secp256k1::Message::from_digest(*d);
                black_box(ecdsa::verify(&sig, msg, &pk)).expect("verifies");
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = bench_mining, bench_decode, bench_validate
}
criterion_main!(benches);
