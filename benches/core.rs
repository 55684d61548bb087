//! Benchmarks of the hot paths: mining hash rate, block decoding, (later) validation.
//!
//! Besides the criterion groups, a short custom run prints the miner's hash rate next
//! to a plain `compress256`-twice loop and the bare SHA-NI 4-way hasher (when the CPU
//! has it) measured in the same process, and their ratios.

use cheesechain::chain::{
    AccountId, Block, BlockHeader, Coinbase, Hash256, NetworkParams, Transaction, Transfer,
};
use cheesechain::miner::hasher::{digest_pad_block, write_digest, SHA256_IV};
use cheesechain::miner::shani::{ShaNi, LANES};
use cheesechain::miner::Miner;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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

// Validation benchmark: to be added here (a `bench_validate` group registered in
// `criterion_group!` below) once the consensus validation code lands.

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_mining, bench_decode
}
criterion_main!(benches);
