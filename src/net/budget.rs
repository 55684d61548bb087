//! The mining budget: how many nonces the next mining slice may try, sized from what the
//! last slice tried and how long it took. Pure: the reactor measures, this only decides.

use std::time::Duration;

/// Smallest mining budget per slice.
pub(crate) const MIN_MINING_BUDGET: u32 = 16;
/// Largest mining budget per slice.
pub(crate) const MAX_MINING_BUDGET: u32 = 1 << 26;
/// Mining budget before the first measurement.
pub(crate) const INITIAL_MINING_BUDGET: u32 = 1024;

/// The next nonce batch size after a slice given `budget` nonces tried `tried` of them
/// in `elapsed`, aiming at slices of `target`.
///
/// The ideal batch is the measured rate times `target` (both durations count as at least
/// one nanosecond, so zero elapsed time is fine). It may at most double the budget, and at
/// most halve it; a short slice (`tried < budget`: a block was found early, and processing
/// it took time too) may grow the budget but never shrink it. The result always lies in
/// `MIN_MINING_BUDGET..=MAX_MINING_BUDGET`, except that `tried == 0` (nothing measured)
/// returns `budget` unchanged. The rate is computed in `u128` with a saturating product,
/// so no `tried` and no `target` (up to `Duration::MAX`) can overflow it.
pub(crate) fn next_budget(budget: u32, tried: u64, elapsed: Duration, target: Duration) -> u32 {
    if tried == 0 {
        return budget;
    }
    // Size the next budget from the measured rate (nonces actually hashed over
    // the time taken). A short slice (block found early) also spent time on
    // processing the block, so it may grow the budget but never shrink it.
    let target = target.as_nanos().max(1);
    let took = elapsed.as_nanos().max(1);
    let ideal = u128::from(tried).saturating_mul(target) / took;
    let floor = if tried < u64::from(budget) {
        budget
    } else {
        budget / 2
    };
    let next = ideal
        .clamp(u128::from(floor), u128::from(budget) * 2)
        .clamp(u128::from(MIN_MINING_BUDGET), u128::from(MAX_MINING_BUDGET));
    next as u32
}

/// The current mining budget, adapted after each slice by [`next_budget`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MiningBudget {
    budget: u32,
}

impl MiningBudget {
    /// Starts at [`INITIAL_MINING_BUDGET`].
    pub(crate) const fn new() -> MiningBudget {
        MiningBudget {
            budget: INITIAL_MINING_BUDGET,
        }
    }

    /// Nonces the next slice may try.
    pub(crate) fn get(&self) -> u32 {
        self.budget
    }

    /// Adapts the budget to a slice that tried `tried` nonces in `elapsed`, aiming at
    /// `target` per slice.
    pub(crate) fn record(&mut self, tried: u64, elapsed: Duration, target: Duration) {
        self.budget = next_budget(self.budget, tried, elapsed, target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn steady_rate_keeps_the_budget() {
        // 1024 nonces in exactly the target time: stay.
        assert_eq!(next_budget(1024, 1024, MS, MS), 1024);
    }

    #[test]
    fn a_fast_slice_grows_the_budget_at_most_twofold() {
        // Full budget done in a tenth of the target: the ideal is 10x, capped at 2x.
        assert_eq!(next_budget(1024, 1024, MS / 10, MS), 2048);
        // Done in 80 % of the target: grow to the measured ideal.
        assert_eq!(next_budget(1000, 1000, MS * 8 / 10, MS), 1250);
    }

    #[test]
    fn an_overrun_shrinks_the_budget_at_most_by_half() {
        // Full budget took ten times the target: ideal 1/10, floored at 1/2.
        assert_eq!(next_budget(1024, 1024, MS * 10, MS), 512);
        // Took 1.25x the target: shrink to the measured ideal.
        assert_eq!(next_budget(1000, 1000, MS * 5 / 4, MS), 800);
    }

    #[test]
    fn a_short_slice_never_shrinks_the_budget() {
        // A block found after 100 of 1024 nonces, then slow block processing.
        assert_eq!(next_budget(1024, 100, MS * 50, MS), 1024);
        // A short but fast slice may still grow it.
        assert_eq!(next_budget(1024, 1000, MS / 4, MS), 2048);
    }

    #[test]
    fn zero_elapsed_time_counts_as_one_nanosecond() {
        assert_eq!(next_budget(1024, 1024, Duration::ZERO, MS), 2048);
        assert_eq!(
            next_budget(
                MAX_MINING_BUDGET,
                u64::from(MAX_MINING_BUDGET),
                Duration::ZERO,
                MS
            ),
            MAX_MINING_BUDGET
        );
        // A zero target is also taken as one nanosecond, and shrinks at most by half.
        assert_eq!(next_budget(1024, 1024, MS, Duration::ZERO), 512);
    }

    #[test]
    fn nothing_tried_leaves_the_budget_alone() {
        assert_eq!(next_budget(1024, 0, MS, MS), 1024);
        assert_eq!(next_budget(1024, 0, Duration::ZERO, MS), 1024);
    }

    #[test]
    fn stays_within_bounds_and_never_zero() {
        assert_eq!(
            next_budget(MIN_MINING_BUDGET, 16, MS * 1000, MS),
            MIN_MINING_BUDGET
        );
        assert_eq!(
            next_budget(0, 1, Duration::from_secs(60), MS),
            MIN_MINING_BUDGET
        );
        assert_eq!(
            next_budget(1, 1, Duration::from_secs(60), MS),
            MIN_MINING_BUDGET
        );
        assert_eq!(
            next_budget(
                MAX_MINING_BUDGET,
                u64::MAX,
                Duration::from_nanos(1),
                Duration::from_nanos(u64::MAX)
            ),
            MAX_MINING_BUDGET
        );
        // A slice target beyond u64::MAX nanoseconds: the product saturates.
        assert_eq!(
            next_budget(1024, u64::MAX, Duration::from_nanos(1), Duration::MAX),
            2048
        );
        assert_eq!(next_budget(1024, 1024, Duration::MAX, Duration::MAX), 1024);
        // A sweep over budgets, counts and times: always in bounds.
        let times = [0, 1, 999, 1_000_000, 1_000_000_000, u64::MAX];
        for budget in [
            0,
            1,
            16,
            17,
            1024,
            MAX_MINING_BUDGET / 2 + 1,
            MAX_MINING_BUDGET,
        ] {
            for tried in [1, 15, 16, 1024, u64::from(budget).max(1), u64::MAX] {
                for &e in &times {
                    for &t in &times {
                        let next = next_budget(
                            budget,
                            tried,
                            Duration::from_nanos(e),
                            Duration::from_nanos(t),
                        );
                        assert!(
                            (MIN_MINING_BUDGET..=MAX_MINING_BUDGET).contains(&next),
                            "budget {budget} tried {tried} elapsed {e} target {t}: {next}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn converges_to_the_target_rate() {
        // A miner hashing 5 M nonces/s, aiming at 1 ms slices: 5000 per slice.
        let mut b = MiningBudget::new();
        assert_eq!(b.get(), INITIAL_MINING_BUDGET);
        for _ in 0..20 {
            let tried = u64::from(b.get());
            b.record(tried, Duration::from_nanos(tried * 200), MS);
        }
        assert_eq!(b.get(), 5000);
    }
}
