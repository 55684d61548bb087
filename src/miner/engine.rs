//! Which hashing engine the miner runs: the SIMD engines the CPU supports, the fastest
//! by default, overridable by name (`peer --miner-engine`, `peer --benchmark`).
//!
//! Every engine gives the same answer for a scan (the first winning nonce in nonce
//! order and the number of nonces tried), so the choice never changes behaviour, only
//! speed. The default order is by speed measured on the development machine (AMD EPYC
//! Zen 4 with AVX-512 and SHA-NI, one thread; README benchmark section): AVX-512 16-way,
//! then SHA-NI 4-way, then AVX2 8-way, then scalar.

use super::avx2::Avx2;
use super::avx512::Avx512;
use super::hasher::{scan_limits, HeaderHasher};
use super::sha256d::{self, Prepared};
use super::shani::ShaNi;
use crate::chain::target::hash_meets_target;
use std::sync::atomic::{AtomicU8, Ordering};

/// A SHA-256d engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// 16 lanes in AVX-512 registers, with the per-template precompute and early reject.
    Avx512,
    /// 4 interleaved lanes on the SHA extensions.
    ShaNi,
    /// 8 lanes in AVX2 registers, with the per-template precompute and early reject.
    Avx2,
    /// One lane in general registers, with the per-template precompute and early reject;
    /// runs on any CPU.
    Scalar,
}

/// The override set by [`Engine::select`]: 0 = none, else index + 1 into [`Engine::ALL`].
static SELECTED: AtomicU8 = AtomicU8::new(0);

impl Engine {
    /// Every engine, fastest first (as measured on the development machine).
    pub const ALL: [Engine; 4] = [Engine::Avx512, Engine::ShaNi, Engine::Avx2, Engine::Scalar];

    /// The engine's name, as `--miner-engine` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Avx512 => "avx512",
            Engine::ShaNi => "sha-ni",
            Engine::Avx2 => "avx2",
            Engine::Scalar => "scalar",
        }
    }

    /// The engine called `name`, if any.
    pub fn from_name(name: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.name() == name)
    }

    /// Whether this CPU can run the engine.
    pub fn available(self) -> bool {
        match self {
            Engine::Avx512 => Avx512::detect().is_some(),
            Engine::ShaNi => ShaNi::detect().is_some(),
            Engine::Avx2 => Avx2::detect().is_some(),
            Engine::Scalar => true,
        }
    }

    /// The fastest engine this CPU can run.
    pub fn fastest() -> Engine {
        Engine::ALL
            .into_iter()
            .find(|e| e.available())
            .unwrap_or(Engine::Scalar)
    }

    /// The engine miners use: the one given to [`Engine::select`], else the fastest.
    pub fn selected() -> Engine {
        match SELECTED.load(Ordering::Relaxed) {
            0 => Engine::fastest(),
            i => Engine::ALL[usize::from(i - 1)],
        }
    }

    /// Makes every miner of this process use `self`.
    ///
    /// # Errors
    /// The CPU cannot run it (the selection is unchanged).
    pub fn select(self) -> Result<(), String> {
        if !self.available() {
            return Err(format!(
                "miner engine {} is not supported by this CPU",
                self.name()
            ));
        }
        let i = Engine::ALL.iter().position(|e| *e == self).unwrap_or(0);
        SELECTED.store(i as u8 + 1, Ordering::Relaxed);
        Ok(())
    }

    /// `HeaderHasher::scan` with this engine; an engine the CPU lacks falls back to
    /// the scalar one (same answer).
    pub fn scan(
        self,
        hasher: &mut HeaderHasher,
        start: u32,
        count: u32,
        target: &[u8; 32],
    ) -> (Option<u32>, u32) {
        let (count, top) = scan_limits(start, count, target);
        let p: Prepared = *hasher.prepared();
        // A lane that passed the top-word filter: the exact comparison on its full hash.
        let mut exact = |nonce: u32| hash_meets_target(&hasher.hash(nonce), target);
        match self {
            Engine::Avx512 => {
                if let Some(e) = Avx512::detect() {
                    return e.scan(&p, start, count, top, &mut exact);
                }
            }
            Engine::ShaNi => {
                if let Some(ni) = ShaNi::detect() {
                    return ni.scan(&p.midstate, &tail_of(&p), start, count, target);
                }
            }
            Engine::Avx2 => {
                if let Some(e) = Avx2::detect() {
                    return e.scan(&p, start, count, top, &mut exact);
                }
            }
            Engine::Scalar => {}
        }
        sha256d::scan::<u32>(&p, start, count, top, &mut exact)
    }
}

/// Header bytes 64..76 as little-endian words with a zero nonce word, from the
/// precompute's big-endian message words.
fn tail_of(p: &Prepared) -> [u32; 4] {
    [
        p.w[0].swap_bytes(),
        p.w[1].swap_bytes(),
        p.w[2].swap_bytes(),
        0,
    ]
}
