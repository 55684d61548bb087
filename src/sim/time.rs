//! Virtual time: the simulator's clock, in microseconds.

use crate::service::Time;
use std::ops::{Add, Sub};
use std::time::Duration;

/// An instant of virtual time, in microseconds since the Unix epoch (the nodes see it
/// truncated to whole milliseconds, as a [`Time`]). Configured durations are
/// [`Duration`]s; the engine's own (link latency, convergence time) are
/// [`SimDuration`]s, 8 bytes in the per-link structs.
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

/// A span of virtual time in whole microseconds: the simulator's duration, exact for
/// every [`Duration`] of whole microseconds and half the size of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(pub u64);

impl SimDuration {
    /// Whole microseconds.
    pub fn us(self) -> u64 {
        self.0
    }

    /// Whole milliseconds, rounded down.
    pub fn ms(self) -> u64 {
        self.0 / 1000
    }
}

impl From<Duration> for SimDuration {
    /// Whole microseconds of `d` (rounded down, saturating).
    fn from(d: Duration) -> SimDuration {
        SimDuration(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;

    /// `d` later.
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0 + d.0)
    }
}

impl Add<Duration> for SimTime {
    type Output = SimTime;

    /// `d` later (whole microseconds of `d`), saturating.
    fn add(self, d: Duration) -> SimTime {
        SimTime(self.0.saturating_add(SimDuration::from(d).0))
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
