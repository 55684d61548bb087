//! The network model's random parts: latency distributions and a seeded sampler.
//!
//! Every transcendental function here comes from [`super::math`], not the platform's
//! libm, so the same seed gives the same samples on every machine.

use super::math::{cos, exp, ln};
use super::time::SimDuration;
use crate::rng::SplitMix64;
use std::fmt;
use std::str::FromStr;

/// One-way latency of a link, sampled once when the link opens (both directions use the
/// same value, so delivery on a link stays in order).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Latency {
    /// Exactly this many milliseconds.
    Fixed(f64),
    /// Uniform between the two bounds, in milliseconds.
    Uniform(f64, f64),
    /// Lognormal with the given median and mean, in milliseconds (mean >= median).
    LogNormal {
        /// Median.
        median: f64,
        /// Mean.
        mean: f64,
    },
}

/// Why a latency specification does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatencyParseError(pub String);

impl fmt::Display for LatencyParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad latency {:?}: expected fixed:MS, uniform:LO:HI or lognormal:MEDIAN:MEAN",
            self.0
        )
    }
}

impl std::error::Error for LatencyParseError {}

impl FromStr for Latency {
    type Err = LatencyParseError;

    fn from_str(s: &str) -> Result<Latency, LatencyParseError> {
        let err = || LatencyParseError(s.to_string());
        let parts: Vec<&str> = s.split(':').collect();
        let nums: Vec<f64> = parts[1..]
            .iter()
            .map(|p| p.parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| err())?;
        if nums.iter().any(|x| !x.is_finite() || *x < 0.0) {
            return Err(err());
        }
        match (parts[0], nums.as_slice()) {
            ("fixed", [d]) => Ok(Latency::Fixed(*d)),
            ("uniform", [lo, hi]) if lo <= hi => Ok(Latency::Uniform(*lo, *hi)),
            ("lognormal", [median, mean]) if median <= mean && *median > 0.0 => {
                Ok(Latency::LogNormal {
                    median: *median,
                    mean: *mean,
                })
            }
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Latency::Fixed(d) => write!(f, "fixed:{d}"),
            Latency::Uniform(lo, hi) => write!(f, "uniform:{lo}:{hi}"),
            Latency::LogNormal { median, mean } => write!(f, "lognormal:{median}:{mean}"),
        }
    }
}

impl Latency {
    /// A sample, rounded to whole microseconds.
    pub fn sample(&self, rng: &mut SplitMix64) -> SimDuration {
        let ms = match *self {
            Latency::Fixed(d) => d,
            Latency::Uniform(lo, hi) => lo + (hi - lo) * unit(rng),
            Latency::LogNormal { median, mean } => {
                let sigma = (2.0 * ln(mean / median)).max(0.0).sqrt();
                median * exp(sigma * normal(rng))
            }
        };
        SimDuration((ms * 1000.0).round().clamp(0.0, 1e15) as u64)
    }

    /// A latency almost every link stays below, in milliseconds (the 99.9th percentile
    /// for the lognormal): the simulator scales the nodes' protocol timeouts to it.
    pub fn high_ms(&self) -> f64 {
        match *self {
            Latency::Fixed(d) => d,
            Latency::Uniform(_, hi) => hi,
            Latency::LogNormal { median, mean } => {
                let sigma = (2.0 * ln(mean / median)).max(0.0).sqrt();
                median * exp(3.09 * sigma)
            }
        }
    }
}

/// A uniform sample in [0, 1).
pub fn unit(rng: &mut SplitMix64) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal sample (Box-Muller).
pub fn normal(rng: &mut SplitMix64) -> f64 {
    let u1 = 1.0 - unit(rng); // (0, 1]
    let u2 = unit(rng);
    (-2.0 * ln(u1)).sqrt() * cos(2.0 * std::f64::consts::PI * u2)
}

/// An exponential sample with the given mean.
pub fn exponential(rng: &mut SplitMix64, mean: f64) -> f64 {
    -mean * ln(1.0 - unit(rng))
}

/// A seed for stream `stream` derived from the run's seed, so each random stream is
/// independent of how much the others are used.
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut r = SplitMix64::new(seed ^ stream.wrapping_mul(0xd134_2543_de82_ef95));
    r.next_u64();
    r.next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_samples_in_range() {
        let mut rng = SplitMix64::new(7);
        assert_eq!("fixed:30".parse::<Latency>().unwrap(), Latency::Fixed(30.0));
        let u: Latency = "uniform:20:200".parse().unwrap();
        for _ in 0..1000 {
            let s = u.sample(&mut rng).us();
            assert!((20_000..=200_000).contains(&s));
        }
        let l: Latency = "lognormal:50:80".parse().unwrap();
        let mut v: Vec<u64> = (0..20_001).map(|_| l.sample(&mut rng).us()).collect();
        v.sort_unstable();
        let median = v[10_000] as f64 / 1000.0;
        let mean = v.iter().sum::<u64>() as f64 / v.len() as f64 / 1000.0;
        assert!((median - 50.0).abs() < 3.0, "median {median}");
        assert!((mean - 80.0).abs() < 8.0, "mean {mean}");
        assert!("uniform:5:1".parse::<Latency>().is_err());
        assert!("lognormal:50:10".parse::<Latency>().is_err());
        assert!("bogus".parse::<Latency>().is_err());
    }

    #[test]
    fn exponential_has_the_requested_mean() {
        let mut rng = SplitMix64::new(3);
        let n = 100_000;
        let m = (0..n).map(|_| exponential(&mut rng, 600.0)).sum::<f64>() / n as f64;
        assert!((m - 600.0).abs() < 10.0, "{m}");
        assert_ne!(derive_seed(1, 1), derive_seed(1, 2));
        assert_ne!(derive_seed(1, 1), derive_seed(2, 1));
    }
}
