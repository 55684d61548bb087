//! Geography: regions with a latency matrix, per-region upload and download bandwidth
//! and node shares, and the built-in scenarios taken from SimBlock's tables.
//!
//! A link between two nodes gets its one-way latency from the pair of regions (drawn
//! once per link, see [`Regions::sample_latency`]); a message's transfer time is its
//! size over the smaller of the sender's upload and the receiver's download bandwidth
//! (SimBlock's per-connection bandwidth, `Network.getBandwidth`), and each node
//! uploads one message at a time, as with a single bandwidth.

use super::math::{exp, ln};
use super::model::unit;
use super::time::SimDuration;
use crate::rng::SplitMix64;
use std::time::Duration;

/// Where the numbers of the built-in scenarios come from.
pub const SIMBLOCK_SOURCE: &str = "dsg-titech/simblock, \
     simulator/src/main/java/simblock/settings/NetworkConfiguration.java, \
     commit 5fc7f9f71745e4f689799a317c8438fe41304c01 (file last changed in 6a52865)";

/// How a link's latency varies around the matrix's mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Jitter {
    /// Exactly the mean.
    None,
    /// SimBlock's `Network.getLatency`: Pareto with scale `mean - 5` ms and shape
    /// `0.2 * mean`, whose mean is the matrix's mean (means of 5 ms or less are taken
    /// as they are).
    Pareto,
}

/// A set of regions: names, node shares, a latency matrix and bandwidths.
#[derive(Clone, Debug, PartialEq)]
pub struct Regions {
    /// The name shown in reports, e.g. `bitcoin-2015`.
    pub name: String,
    /// Region names.
    pub names: Vec<String>,
    /// Share of the nodes in each region (positive weights).
    pub shares: Vec<f64>,
    /// `latency_ms[a][b]`: mean one-way latency from region `a` to `b`, ms.
    pub latency_ms: Vec<Vec<f64>>,
    /// Upload bandwidth of a node in each region, bits per second.
    pub upload_bps: Vec<u64>,
    /// Download bandwidth of a node in each region, bits per second.
    pub download_bps: Vec<u64>,
    /// How latencies vary around the mean.
    pub jitter: Jitter,
}

/// The six regions of SimBlock's tables, in their order.
const SIX: [&str; 6] = ["NA", "EU", "SA", "AP", "JP", "AU"];

/// SimBlock's `LATENCY_2015` (ms).
const LATENCY_2015: [[f64; 6]; 6] = [
    [36.0, 119.0, 255.0, 310.0, 154.0, 208.0],
    [119.0, 12.0, 221.0, 242.0, 266.0, 350.0],
    [255.0, 221.0, 137.0, 347.0, 256.0, 269.0],
    [310.0, 242.0, 347.0, 99.0, 172.0, 278.0],
    [154.0, 266.0, 256.0, 172.0, 9.0, 163.0],
    [208.0, 350.0, 269.0, 278.0, 163.0, 22.0],
];

/// SimBlock's `LATENCY_2019` (ms).
const LATENCY_2019: [[f64; 6]; 6] = [
    [32.0, 124.0, 184.0, 198.0, 151.0, 189.0],
    [124.0, 11.0, 227.0, 237.0, 252.0, 294.0],
    [184.0, 227.0, 88.0, 325.0, 301.0, 322.0],
    [198.0, 237.0, 325.0, 85.0, 58.0, 198.0],
    [151.0, 252.0, 301.0, 58.0, 12.0, 126.0],
    [189.0, 294.0, 322.0, 198.0, 126.0, 16.0],
];

/// SimBlock's `DOWNLOAD_BANDWIDTH_2015` and `UPLOAD_BANDWIDTH_2015` (bit/s; the
/// tables' seventh, "inter-regional" entry is never read by SimBlock and not here).
const DOWN_2015: [u64; 6] = [
    25_000_000, 24_000_000, 6_500_000, 10_000_000, 17_500_000, 14_000_000,
];
const UP_2015: [u64; 6] = [
    4_700_000, 8_100_000, 1_800_000, 5_300_000, 3_400_000, 5_200_000,
];
/// SimBlock's `DOWNLOAD_BANDWIDTH_2019` and `UPLOAD_BANDWIDTH_2019` (bit/s).
const DOWN_2019: [u64; 6] = [
    52_000_000, 40_000_000, 18_000_000, 22_800_000, 22_800_000, 29_900_000,
];
const UP_2019: [u64; 6] = [
    19_200_000, 20_700_000, 5_800_000, 15_700_000, 10_200_000, 11_300_000,
];
/// SimBlock's `REGION_DISTRIBUTION_BITCOIN_2015` and `_2019`.
const SHARES_2015: [f64; 6] = [0.3869, 0.5159, 0.0113, 0.0574, 0.0119, 0.0166];
const SHARES_2019: [f64; 6] = [0.3316, 0.4998, 0.0090, 0.1177, 0.0224, 0.0195];

/// SimBlock's `DEGREE_DISTRIBUTION_BITCOIN_2015`: the cumulative distribution of a
/// node's outbound links (entry `k` is P(outbound <= k + 1)), after Miller et al.,
/// "Discovering Bitcoin's public topology and influential nodes", 2015.
pub const DEGREES_BITCOIN_2015: [f64; 20] = [
    0.025, 0.050, 0.075, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.85, 0.90, 0.95, 0.97,
    0.97, 0.98, 0.99, 0.995, 1.0,
];

/// SimBlock's `BLOCK_SIZE` (bytes) and `INTERVAL` (600 s) of its Bitcoin setting.
pub const BITCOIN_BLOCK_BYTES: u64 = 535_000;

/// A built-in scenario: regions plus the block interval and block size that go with
/// them.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The regions.
    pub regions: Regions,
    /// Mean time between blocks.
    pub block_interval: Duration,
    /// Size blocks are billed at on the links, bytes.
    pub block_size: u64,
    /// Cumulative distribution of outbound links per node (see
    /// [`DEGREES_BITCOIN_2015`]).
    pub degrees: &'static [f64],
}

/// The names [`Scenario::named`] knows.
pub const SCENARIOS: &[&str] = &["bitcoin-2015", "bitcoin-2019"];

impl Scenario {
    /// A built-in scenario by name (see [`SCENARIOS`]), `None` if unknown.
    pub fn named(name: &str) -> Option<Scenario> {
        let (lat, down, up, shares) = match name {
            "bitcoin-2015" => (&LATENCY_2015, &DOWN_2015, &UP_2015, &SHARES_2015),
            "bitcoin-2019" => (&LATENCY_2019, &DOWN_2019, &UP_2019, &SHARES_2019),
            _ => return None,
        };
        Some(Scenario {
            regions: Regions {
                name: name.to_string(),
                names: SIX.iter().map(|s| s.to_string()).collect(),
                shares: shares.to_vec(),
                latency_ms: lat.iter().map(|r| r.to_vec()).collect(),
                upload_bps: up.to_vec(),
                download_bps: down.to_vec(),
                jitter: Jitter::Pareto,
            },
            block_interval: Duration::from_secs(600),
            block_size: BITCOIN_BLOCK_BYTES,
            degrees: &DEGREES_BITCOIN_2015,
        })
    }
}

impl Regions {
    /// Checks the tables: at least one region, every table the same length, a square
    /// latency matrix of finite non-negative means, positive bandwidths and shares.
    ///
    /// # Errors
    /// One line saying what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let k = self.names.len();
        if k == 0 || k > 256 {
            return Err("regions: need 1 to 256 regions".into());
        }
        if self.shares.len() != k
            || self.upload_bps.len() != k
            || self.download_bps.len() != k
            || self.latency_ms.len() != k
            || self.latency_ms.iter().any(|r| r.len() != k)
        {
            return Err("regions: every table needs one entry per region".into());
        }
        if self.shares.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return Err("regions: node shares must be positive".into());
        }
        if self
            .upload_bps
            .iter()
            .chain(&self.download_bps)
            .any(|b| *b == 0)
        {
            return Err("regions: bandwidths must be positive".into());
        }
        if self
            .latency_ms
            .iter()
            .flatten()
            .any(|l| !l.is_finite() || *l < 0.0 || *l > 1e7)
        {
            return Err("regions: latencies must be in [0, 1e7] ms".into());
        }
        Ok(())
    }

    /// The region of each of `nodes` nodes: region `r` gets its share of the nodes
    /// (rounded so the counts add up: region boundaries at the rounded cumulative
    /// shares), then the list is shuffled from `rng`.
    pub fn assign(&self, nodes: usize, rng: &mut SplitMix64) -> Vec<u8> {
        let total: f64 = self.shares.iter().sum();
        let mut out = Vec::with_capacity(nodes);
        let mut acc = 0.0;
        for (r, s) in self.shares.iter().enumerate() {
            acc += s / total;
            let end = if r + 1 == self.shares.len() {
                nodes
            } else {
                ((nodes as f64 * acc).round() as usize).min(nodes)
            };
            while out.len() < end {
                out.push(r as u8);
            }
        }
        for i in (1..out.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            out.swap(i, j);
        }
        out
    }

    /// One link's one-way latency from region `a` to region `b`, drawn from `rng`.
    pub fn sample_latency(&self, a: u8, b: u8, rng: &mut SplitMix64) -> SimDuration {
        let mean = self.latency_ms[a as usize][b as usize];
        let ms = match self.jitter {
            Jitter::Pareto if mean > 5.0 => {
                let (scale, shape) = (mean - 5.0, 0.2 * mean);
                let u = 1.0 - unit(rng); // (0, 1]
                scale * exp(-ln(u) / shape)
            }
            _ => mean,
        };
        SimDuration((ms * 1000.0).round().clamp(0.0, 1e13) as u64)
    }

    /// A latency almost every link stays below, ms: the largest 99.9th percentile over
    /// the region pairs (the simulator scales the nodes' timeouts to it).
    pub fn high_ms(&self) -> f64 {
        self.latency_ms
            .iter()
            .flatten()
            .map(|&mean| match self.jitter {
                Jitter::Pareto if mean > 5.0 => (mean - 5.0) * exp(-ln(0.001) / (0.2 * mean)),
                _ => mean,
            })
            .fold(0.0, f64::max)
    }

    /// Bits per second of a transfer from a node in region `from` to one in `to`: the
    /// smaller of the sender's upload and the receiver's download bandwidth.
    pub fn rate_bps(&self, from: u8, to: u8) -> u64 {
        self.upload_bps[from as usize].min(self.download_bps[to as usize])
    }

    /// The slowest transfer rate between any two regions, bits per second.
    pub fn min_rate_bps(&self) -> u64 {
        let up = self.upload_bps.iter().min().copied().unwrap_or(1);
        let down = self.download_bps.iter().min().copied().unwrap_or(1);
        up.min(down).max(1)
    }
}

/// Outbound link counts for `nodes` nodes from a cumulative distribution (entry `k` is
/// P(count <= k + 1)), as SimBlock draws them: counts laid out by the rounded
/// cumulative shares, then shuffled from `rng`.
pub fn draw_degrees(cum: &[f64], nodes: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let mut out = Vec::with_capacity(nodes);
    for (k, c) in cum.iter().enumerate() {
        let end = ((nodes as f64 * c).round() as usize).min(nodes);
        while out.len() < end {
            out.push(k + 1);
        }
    }
    while out.len() < nodes {
        out.push(cum.len().max(1));
    }
    for i in (1..out.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        out.swap(i, j);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_are_valid_and_sourced() {
        for name in SCENARIOS {
            let s = Scenario::named(name).expect("known");
            s.regions.validate().expect("valid");
            assert_eq!(s.regions.names.len(), 6);
        }
        assert!(Scenario::named("bitcoin-1999").is_none());
        let s = Scenario::named("bitcoin-2015").unwrap();
        assert_eq!(s.regions.rate_bps(2, 0), 1_800_000);
        assert_eq!(s.regions.rate_bps(0, 2), 4_700_000);
        assert_eq!(s.regions.min_rate_bps(), 1_800_000);
    }

    #[test]
    fn pareto_latency_has_the_matrix_mean() {
        let s = Scenario::named("bitcoin-2015").unwrap().regions;
        let mut rng = SplitMix64::new(9);
        for (a, b) in [(0u8, 0u8), (0, 1), (4, 4), (1, 5)] {
            let n = 200_000;
            let sum: u64 = (0..n).map(|_| s.sample_latency(a, b, &mut rng).us()).sum();
            let mean = sum as f64 / n as f64 / 1000.0;
            let want = s.latency_ms[a as usize][b as usize];
            // Heavy tail at small means (shape 1.8 for 9 ms): a loose bound there.
            assert!(
                (mean - want).abs() < 0.05 * want + 0.5,
                "{a}->{b}: {mean} vs {want}"
            );
            let min = (0..1000)
                .map(|_| s.sample_latency(a, b, &mut rng).us())
                .min();
            assert!(min.unwrap() as f64 >= (want - 5.0) * 1000.0 - 1.0);
        }
        assert!(
            s.high_ms() > 350.0 && s.high_ms() < 1000.0,
            "{}",
            s.high_ms()
        );
    }

    #[test]
    fn assignment_follows_the_shares() {
        let s = Scenario::named("bitcoin-2019").unwrap().regions;
        let mut rng = SplitMix64::new(1);
        let a = s.assign(10_000, &mut rng);
        assert_eq!(a.len(), 10_000);
        for (r, share) in s.shares.iter().enumerate() {
            let got = a.iter().filter(|&&x| x as usize == r).count() as f64 / 1e4;
            assert!(
                (got - share).abs() <= 1e-4 + 1e-9,
                "region {r}: {got} vs {share}"
            );
        }
        let d = draw_degrees(&DEGREES_BITCOIN_2015, 1000, &mut rng);
        assert_eq!(d.iter().filter(|&&k| k == 1).count(), 25);
        assert!(d.iter().all(|&k| (1..=20).contains(&k)));
        let mean = d.iter().sum::<usize>() as f64 / 1000.0;
        assert!((mean - 8.645).abs() < 0.05, "{mean}");
    }
}
