//! Virtual time: the simulator's clock, in microseconds.

use crate::service::Time;
use std::ops::{Add, Sub};

/// An instant of virtual time, in microseconds since the Unix epoch (the nodes see it
/// truncated to whole milliseconds, as a [`Time`]). Durations stay plain `u64`
/// microseconds, named `*_us`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

impl SimTime {
    /// Later than every event ("no timer pending").
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// The instant `ms` milliseconds after the epoch.
    pub fn from_ms(ms: u64) -> SimTime {
        SimTime(ms.saturating_mul(1000))
    }

    /// Whole milliseconds since the epoch.
    pub fn ms(self) -> u64 {
        self.0 / 1000
    }

    /// The nodes' view of this instant.
    pub fn to_time(self) -> Time {
        Time(self.ms())
    }

    /// Microseconds since `earlier`, 0 if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<u64> for SimTime {
    type Output = SimTime;

    /// `us` microseconds later.
    fn add(self, us: u64) -> SimTime {
        SimTime(self.0 + us)
    }
}

impl Sub for SimTime {
    type Output = u64;

    /// Microseconds from `earlier` to `self` (`self` must not be earlier).
    fn sub(self, earlier: SimTime) -> u64 {
        self.0 - earlier.0
    }
}
