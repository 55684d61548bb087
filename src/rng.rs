//! A small seeded random number generator (splitmix64) for protocol choices.
//!
//! The tracker's peer lists, the node's handshake nonces, peer choice and jitter, and
//! every random stream of the simulator come from here, so a seed reproduces a run
//! exactly. Not for keys (those come from the operating system).

/// splitmix64: 64 bits of state, passes BigCrush, good enough to pick peer subsets.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), by multiply-shift (bias below 2^-32 for the sizes
    /// used here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// An index in `0..n` (`n > 0`), as [`SplitMix64::below`].
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// `k` distinct indices out of `0..n` (all of them, shuffled, if `k >= n`), by
    /// Floyd's algorithm: O(k^2) time, O(k) memory, independent of `n`.
    pub fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let k = k.min(n);
        let mut out: Vec<usize> = Vec::with_capacity(k);
        for j in n - k..n {
            let t = self.index(j + 1);
            if out.contains(&t) {
                out.push(j);
            } else {
                out.push(t);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_distinct_and_in_range() {
        let mut r = SplitMix64::new(7);
        for n in [0usize, 1, 2, 5, 64, 65, 1000] {
            for k in [0usize, 1, 3, 64] {
                let s = r.sample(n, k);
                assert_eq!(s.len(), k.min(n));
                assert!(s.iter().all(|&i| i < n));
                let mut d = s.clone();
                d.sort_unstable();
                d.dedup();
                assert_eq!(d.len(), s.len());
            }
        }
    }

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (SplitMix64::new(42), SplitMix64::new(42));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(SplitMix64::new(1).next_u64(), SplitMix64::new(2).next_u64());
    }
}
