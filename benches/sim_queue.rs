//! Benchmark of the simulator's event queue in a hold pattern, as the engine uses it.
//!
//! A queue is filled with N events (N = 10 000 and 200 000), then each operation pops
//! the earliest event and pushes it back at its time plus a random delay: 70 % uniform
//! in 20 000-200 000 µs, 20 % exactly 0, 10 % uniform up to 3 600 s. Each measured run
//! starts from the same filled queue and does N operations; one operation is a pop and
//! a push. The payload is 112 bytes, like the engine's `Ev`.
//!
//! The previous design (a `BinaryHeap` of (time, seq, slot) keys plus a slot vector,
//! copied here as the baseline) and the current [`EventQueue`] run the same operation
//! sequence in the same process: a short custom run prints both rates in ops/s and
//! their ratio (and checks both produce the same output order), then criterion
//! measures each.

mod common;

use cheesechain::rng::SplitMix64;
use cheesechain::sim::queue::EventQueue;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Instant;

const SIZES: [usize; 2] = [10_000, 200_000];

/// Stand-in for the engine's `Ev`; word 0 identifies the event.
struct Payload([u64; 14]);

/// The queue operations the hold loop needs, for both designs.
trait Queue: Sized {
    fn create() -> Self;
    fn push(&mut self, time_us: u64, ev: Payload);
    fn pop(&mut self) -> Option<(u64, Payload)>;
}

impl Queue for EventQueue<Payload> {
    fn create() -> Self {
        EventQueue::new()
    }
    fn push(&mut self, time_us: u64, ev: Payload) {
        EventQueue::push(self, time_us, ev)
    }
    fn pop(&mut self) -> Option<(u64, Payload)> {
        EventQueue::pop(self)
    }
}

/// The queue as it was before the radix heap: a binary heap of (time, seq, slot) keys
/// and a reused slot vector of payloads.
struct HeapQueue<E> {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    seq: u64,
}

impl Queue for HeapQueue<Payload> {
    fn create() -> Self {
        HeapQueue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            seq: 0,
        }
    }
    fn push(&mut self, time_us: u64, ev: Payload) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(ev);
                s
            }
            None => {
                self.slots.push(Some(ev));
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Reverse((time_us, self.seq, slot)));
        self.seq += 1;
    }
    fn pop(&mut self) -> Option<(u64, Payload)> {
        let Reverse((t, _, slot)) = self.heap.pop()?;
        let ev = self.slots[slot as usize]
            .take()
            .expect("a queued slot holds an event");
        self.free.push(slot);
        Some((t, ev))
    }
}

/// A scheduling delay in µs from the simulator-like mix.
fn delay(rng: &mut SplitMix64) -> u64 {
    match rng.next_u64() % 10 {
        0..=6 => 20_000 + rng.next_u64() % 180_001,
        7 | 8 => 0,
        _ => rng.next_u64() % 3_600_000_001,
    }
}

/// The initial event times and the delays of the measured operations.
struct Workload {
    fill: Vec<u64>,
    delays: Vec<u64>,
}

fn workload(n: usize) -> Workload {
    let mut rng = SplitMix64::new(0x5eed ^ n as u64);
    Workload {
        fill: (0..n).map(|_| delay(&mut rng)).collect(),
        delays: (0..n).map(|_| delay(&mut rng)).collect(),
    }
}

fn filled<Q: Queue>(w: &Workload) -> Q {
    let mut q = Q::create();
    for (i, &t) in w.fill.iter().enumerate() {
        q.push(t, Payload([i as u64; 14]));
    }
    q
}

/// The hold loop; returns a digest of the popped (time, event) sequence.
fn hold<Q: Queue>(q: &mut Q, delays: &[u64]) -> u64 {
    let mut digest = 0u64;
    for &d in delays {
        let (t, ev) = q.pop().expect("the queue is kept full");
        digest = digest.wrapping_mul(0x100_0000_01b3) ^ t ^ (ev.0[0] << 40);
        q.push(t + d, ev);
    }
    digest
}

/// Seconds taken by one hold run from a freshly filled queue, and the digest.
fn timed_run<Q: Queue>(w: &Workload) -> (f64, u64) {
    let mut q: Q = filled(w);
    let t0 = Instant::now();
    let digest = black_box(hold(&mut q, &w.delays));
    let secs = t0.elapsed().as_secs_f64();
    drop(q);
    (secs, digest)
}

/// Both designs on the same workloads, interleaved, best of several runs each.
fn hold_ratio() {
    for n in SIZES {
        let w = workload(n);
        let reps = (2_000_000 / n).clamp(5, 100);
        let (mut old, mut new) = (f64::MAX, f64::MAX);
        let (_, want) = timed_run::<HeapQueue<Payload>>(&w);
        for _ in 0..reps {
            let (s, d) = timed_run::<HeapQueue<Payload>>(&w);
            assert_eq!(d, want, "the baseline is deterministic");
            old = old.min(s);
            let (s, d) = timed_run::<EventQueue<Payload>>(&w);
            assert_eq!(d, want, "the radix heap pops the same sequence as the heap");
            new = new.min(s);
        }
        let (old, new) = (n as f64 / old, n as f64 / new);
        println!(
            "sim_queue hold N={n}: BinaryHeap {:.2} Mops/s, radix heap {:.2} Mops/s, \
             ratio {:.2} (best of {reps}, one op = pop + push)",
            old / 1e6,
            new / 1e6,
            new / old
        );
    }
}

fn bench_hold(c: &mut Criterion) {
    hold_ratio();
    let mut g = c.benchmark_group("sim_queue_hold");
    for n in SIZES {
        let w = workload(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("binary_heap", n), &w, |b, w| {
            b.iter_batched(
                || filled::<HeapQueue<Payload>>(w),
                |mut q| {
                    black_box(hold(&mut q, &w.delays));
                    // Returned, so the queue is dropped outside the timed routine.
                    q
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_with_input(BenchmarkId::new("radix_heap", n), &w, |b, w| {
            b.iter_batched(
                || filled::<EventQueue<Payload>>(w),
                |mut q| {
                    black_box(hold(&mut q, &w.delays));
                    q
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = bench_hold
}
criterion_main!(benches);
