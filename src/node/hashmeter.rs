//! The node's own hash rate (`info`'s `hash_rate`), measured from the nonces the
//! driver reports tried in each mining slice and the time it reports them at.

use crate::service::{whole_ms, Time};
use std::time::Duration;

/// How long without a mining slice before the hash rate reads 0.
pub const HASH_RATE_IDLE: Duration = Duration::from_secs(2);
/// Length of one hash-rate window: the rate is measured over the current window and
/// the one before it.
pub const HASH_RATE_WINDOW: Duration = Duration::from_secs(1);

/// The node's own hash rate, from the nonces the driver reports tried at each `now`.
///
/// A report says "`n` nonces were tried, ending at `now`": the first report after an
/// idle spell only starts the clock (its nonces took an unknown time), every later one
/// counts. The rate is the nonces counted over the time covered by the current window
/// and the previous one (so it reads more than 0 from the second slice on and follows
/// changes within about two windows); it reads 0 after [`HASH_RATE_IDLE`] without a
/// report.
#[derive(Clone, Copy, Debug, Default)]
pub struct HashMeter {
    /// Start of the current window and nonces counted in it.
    start: Time,
    hashes: u64,
    /// The previous window: nonces and milliseconds covered.
    prev_hashes: u64,
    prev_ms: u64,
    /// Time of the last report, `None` before the first.
    last: Option<Time>,
}

impl HashMeter {
    /// `hashes` nonces were tried in a slice that ended at `now`.
    pub fn record(&mut self, hashes: u64, now: Time) {
        let idle = self
            .last
            .is_none_or(|l| now.since(l) > HASH_RATE_IDLE || now < l);
        if idle {
            *self = HashMeter {
                start: now,
                last: Some(now),
                ..HashMeter::default()
            };
            return;
        }
        self.last = Some(now);
        self.hashes = self.hashes.saturating_add(hashes);
        let ms = now.0.saturating_sub(self.start.0);
        if ms >= whole_ms(HASH_RATE_WINDOW) {
            self.prev_hashes = self.hashes;
            self.prev_ms = ms;
            self.start = now;
            self.hashes = 0;
        }
    }

    /// Hashes per second at `now`: 0 before two reports, and after [`HASH_RATE_IDLE`]
    /// without one.
    pub fn rate(&self, now: Time) -> u64 {
        let Some(last) = self.last else {
            return 0;
        };
        if now.since(last) > HASH_RATE_IDLE {
            return 0;
        }
        let ms = self.prev_ms + last.0.saturating_sub(self.start.0);
        let hashes = u128::from(self.prev_hashes) + u128::from(self.hashes);
        if ms == 0 {
            return 0;
        }
        u64::try_from(hashes * 1000 / u128::from(ms)).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_meter_reads_the_rate_from_the_second_report_on() {
        let mut m = HashMeter::default();
        assert_eq!(m.rate(Time(0)), 0);
        m.record(500, Time(1000));
        // The first report's nonces took an unknown time: nothing to measure yet.
        assert_eq!(m.rate(Time(1000)), 0);
        m.record(500, Time(1005));
        assert_eq!(m.rate(Time(1005)), 100_000);
        // Slices of 1000 nonces every 5 ms: 200 000 per second, across windows.
        for i in 2..=600 {
            m.record(1000, Time(1000 + 5 * i));
        }
        let r = m.rate(Time(4000));
        assert!((190_000..=210_000).contains(&r), "{r}");
    }

    #[test]
    fn hash_meter_reads_zero_when_idle_and_restarts() {
        let mut m = HashMeter::default();
        for i in 0..10 {
            m.record(100, Time(10 * i));
        }
        assert_eq!(m.rate(Time(90)), 10_000);
        assert_eq!(m.rate(Time(90) + HASH_RATE_IDLE), 10_000);
        assert_eq!(m.rate(Time(91) + HASH_RATE_IDLE), 0);
        // Back from idle: the old windows do not count.
        m.record(1, Time(10_000));
        assert_eq!(m.rate(Time(10_000)), 0);
        m.record(50, Time(10_010));
        assert_eq!(m.rate(Time(10_010)), 5_000);
        // A clock that steps back restarts the measurement instead of dividing by 0.
        m.record(50, Time(5));
        assert_eq!(m.rate(Time(5)), 0);
    }

    #[test]
    fn hash_meter_never_overflows() {
        let mut m = HashMeter::default();
        m.record(u64::MAX, Time(0));
        m.record(u64::MAX, Time(1));
        m.record(u64::MAX, Time(2));
        assert_eq!(m.rate(Time(2)), u64::MAX);
    }
}
