//! What a simulation run measured, and its three renderings: a text summary,
//! hand-written JSON for scripts, and an SVG picture of the propagation CDFs.

use super::{SimConfig, SimDuration, Topology};
use crate::chain::Hash256;
use crate::json::json_str;
use crate::service::whole_ms;
use crate::wire::message_name;
use std::fmt::Write;

/// What the simulator recorded about one block.
#[derive(Clone, Debug)]
pub struct BlockRec {
    /// Its hash.
    pub hash: Hash256,
    /// Its parent's hash.
    pub parent: Hash256,
    /// The node that mined it.
    pub miner: u32,
    /// Its height (filled in at the end).
    pub height: u32,
    /// When it was mined, in virtual µs.
    pub mined_us: u64,
    /// Mined while counting (not in the tail that only resolves the last fork).
    pub counted: bool,
    /// Nodes that stored it.
    pub have: u32,
    /// Delay until half the nodes had it, µs.
    pub t50: Option<u64>,
    /// Delay until 90 % had it, µs.
    pub t90: Option<u64>,
    /// Delay until all had it, µs.
    pub t100: Option<u64>,
    /// Other miners that got it.
    pub miners_have: u32,
    /// Sum of their delays, µs.
    pub miner_delay_sum_us: u64,
    /// Sum of their delays weighted by their hash share, µs.
    pub share_delay_sum_us: f64,
}

/// Run-wide counters handed to [`Report::build`].
#[derive(Clone, Debug)]
pub struct Totals {
    /// Height of the final best chain.
    pub final_height: u32,
    /// Nodes that mine.
    pub miner_nodes: Vec<usize>,
    /// Reorganisations by depth (index = depth), over all nodes.
    pub reorg_hist: Vec<u64>,
    /// Events processed.
    pub events: u64,
    /// Messages sent.
    pub messages: u64,
    /// Bytes sent (frames).
    pub bytes: u64,
    /// (messages, bytes) by message type.
    pub msg_by_type: Vec<(u64, u64)>,
    /// Messages dropped by the loss model.
    pub lost_msgs: u64,
    /// Messages duplicated.
    pub dup_msgs: u64,
    /// Poisson finds discarded (miner down or syncing).
    pub lost_finds: u64,
    /// Blocks mined after the counted ones, until the nodes agreed.
    pub tail_blocks: u64,
    /// Tip changes checked against the invariants.
    pub invariant_checks: u64,
    /// Virtual time simulated, ms.
    pub virtual_ms: u64,
    /// Virtual time the miners ran, ms.
    pub mining_ms: u64,
    /// Time from the partition healing to all tips agreeing, ms.
    pub converge_after_heal_ms: Option<u64>,
    /// Wall-clock seconds the run took (reporting only; never affects the run).
    pub wall_secs: f64,
    /// SHA-256 over the sequence of processed events.
    pub digest: [u8; 32],
    /// The selfish miner's node and its share, if any.
    pub selfish: Option<(usize, f64)>,
    /// Honest blocks mined during a 1-vs-1 race, and those on the selfish branch.
    pub race_blocks: (u64, u64),
    /// The clock skew bound (`--clock-skew`), ms.
    pub clock_skew_ms: u64,
    /// Why writing the `--trace` file failed, if it did (the run itself is complete).
    pub trace_error: Option<String>,
    /// Headers and blocks the live nodes refused for now because their time was too
    /// far ahead of the node's clock (summed over nodes).
    pub time_too_new: u64,
}

/// What a run with a selfish miner measured.
#[derive(Clone, Debug)]
pub struct SelfishReport {
    /// α: the selfish miner's hash share.
    pub share: f64,
    /// Its share of the counted blocks in the final best chain.
    pub revenue_share: f64,
    /// Binomial standard error of `revenue_share` (as if blocks were independent).
    pub revenue_se: f64,
    /// Batch-means standard error of `revenue_share`: the best chain cut into
    /// [`REVENUE_BATCHES`] runs of consecutive heights, the spread of their revenue
    /// shares over the square root of their number. It counts the correlation between
    /// neighbouring blocks (a long private lead wins many blocks at once), which the
    /// binomial one ignores: at alpha = 0.4 the revenue varies from seed to seed about
    /// twice as much as the binomial s.e. says.
    pub revenue_se_batch: f64,
    /// Counted best-chain blocks (the sample size of `revenue_share`).
    pub best_blocks: u64,
    /// γ measured: of the honest blocks mined during a 1-vs-1 race, the share built on
    /// the selfish branch (NaN without races).
    pub gamma: f64,
    /// Honest blocks mined during races.
    pub race_blocks: u64,
    /// Eyal and Sirer's revenue at α and the measured γ.
    pub predicted: f64,
}

/// Batches of consecutive best-chain blocks for [`SelfishReport::revenue_se_batch`].
pub const REVENUE_BATCHES: usize = 20;

/// Batch-means standard error of the share of `ours` among `flags` (in chain order).
fn batch_se(flags: &[bool]) -> f64 {
    let k = REVENUE_BATCHES;
    if flags.len() < 2 * k {
        return f64::NAN;
    }
    let size = flags.len() / k;
    let means: Vec<f64> = flags
        .chunks_exact(size)
        .take(k)
        .map(|c| c.iter().filter(|x| **x).count() as f64 / size as f64)
        .collect();
    let mean = means.iter().sum::<f64>() / k as f64;
    let var = means.iter().map(|m| (m - mean) * (m - mean)).sum::<f64>() / (k - 1) as f64;
    (var / k as f64).sqrt()
}

/// Eyal and Sirer's (2014) relative revenue of a selfish pool with share `a` and
/// tie-share `g`.
pub fn eyal_sirer_revenue(a: f64, g: f64) -> f64 {
    let b = 1.0 - a;
    (a * b * b * (4.0 * a + g * (1.0 - 2.0 * a)) - a * a * a) / (1.0 - a * (1.0 + (2.0 - a) * a))
}

/// The result of a run. Times are in milliseconds.
#[derive(Clone, Debug)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Nodes.
    pub nodes: usize,
    /// Miners.
    pub miners: usize,
    /// Topology, as given on the command line.
    pub topology: String,
    /// Latency model, as given on the command line.
    pub latency: String,
    /// Mean block interval, ms.
    pub block_interval_ms: u64,
    /// Counted blocks mined.
    pub blocks: u64,
    /// Counted blocks not in the final best chain.
    pub stale: u64,
    /// `stale / blocks`.
    pub stale_rate: f64,
    /// Binomial standard error of the stale rate.
    pub stale_se: f64,
    /// `x`: the share-weighted mean delay of a block to the other miners over the
    /// block interval (averaged over best-chain blocks).
    pub x: f64,
    /// `x / (1 + x)`: the stale rate the measured delays predict.
    pub expected_stale_rate: f64,
    /// Mean (over best-chain blocks) of the mean delay to the other miners, ms.
    pub mean_miner_delay_ms: f64,
    /// Best-chain counted blocks.
    pub best_blocks: u64,
    /// Best-chain counted blocks that reached every node.
    pub best_blocks_reaching_all: u64,
    /// Counted blocks that reached every node.
    pub blocks_reaching_all: u64,
    /// p50 and p90 over blocks of the time until 50 % of nodes had a block.
    pub t50_ms: (f64, f64),
    /// p50 and p90 over blocks of the time until 90 % had it.
    pub t90_ms: (f64, f64),
    /// p50 and p90 over blocks of the time until all had it.
    pub t100_ms: (f64, f64),
    /// Sorted per-block times to 50 %, 90 %, 100 % (for the CDF picture).
    pub cdf_ms: [Vec<f64>; 3],
    /// Reorganisations by depth, summed over nodes: (depth, count).
    pub reorgs: Vec<(u32, u64)>,
    /// Messages per mined block.
    pub messages_per_block: f64,
    /// Bytes per mined block.
    pub bytes_per_block: f64,
    /// (name, messages, bytes) by type.
    pub by_type: Vec<(String, u64, u64)>,
    /// The selfish miner's results, if there was one.
    pub selfish: Option<SelfishReport>,
    /// Run-wide counters.
    pub totals: Totals,
}

/// The time axis of the CDF picture: a unit that keeps the tick labels short (ms, s,
/// min or h by the axis length), a round step (1, 2 or 5 times a power of ten of that
/// unit, at most 10 steps) and the axis end (a whole number of steps).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    /// The unit's name.
    pub unit: &'static str,
    /// Milliseconds per unit.
    pub unit_ms: f64,
    /// Milliseconds between ticks.
    pub step_ms: f64,
    /// The axis end, ms.
    pub end_ms: f64,
}

impl TimeAxis {
    /// The axis for data reaching `max_ms` (at least 1 ms).
    pub fn for_max(max_ms: f64) -> TimeAxis {
        let max_ms = if max_ms.is_finite() {
            max_ms.max(1.0)
        } else {
            1.0
        };
        let (unit, unit_ms) = match max_ms {
            m if m < 2_000.0 => ("ms", 1.0),
            m if m < 120_000.0 => ("s", 1_000.0),
            m if m < 7_200_000.0 => ("min", 60_000.0),
            _ => ("h", 3_600_000.0),
        };
        let max = max_ms / unit_ms;
        let mag = 10f64.powf((max / 10.0).log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|s| max / s <= 10.0)
            .unwrap_or(10.0 * mag);
        let steps = (max / step - 1e-9).ceil().max(1.0);
        TimeAxis {
            unit,
            unit_ms,
            step_ms: step * unit_ms,
            end_ms: steps * step * unit_ms,
        }
    }

    /// The ticks from 0 to the end: (position in ms, label in the unit).
    pub fn ticks(&self) -> Vec<(f64, String)> {
        let step = self.step_ms / self.unit_ms;
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10()).ceil() as usize
        };
        let n = (self.end_ms / self.step_ms).round() as usize;
        (0..=n)
            .map(|i| {
                let v = i as f64 * step;
                (v * self.unit_ms, format!("{v:.decimals$}"))
            })
            .collect()
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn json_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".into()
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Report {
    /// Builds the report from the block records; `in_best[i]` says whether block `i`
    /// is in the final best chain.
    pub fn build(cfg: &SimConfig, blocks: &[BlockRec], in_best: &[bool], totals: Totals) -> Report {
        let counted: Vec<(&BlockRec, bool)> = blocks
            .iter()
            .zip(in_best.iter().copied())
            .filter(|(b, _)| b.counted)
            .collect();
        let n = counted.len() as u64;
        let stale = counted.iter().filter(|(_, best)| !best).count() as u64;
        let stale_rate = if n > 0 { stale as f64 / n as f64 } else { 0.0 };
        let stale_se = if n > 0 {
            (stale_rate * (1.0 - stale_rate) / n as f64).sqrt()
        } else {
            0.0
        };
        let t = SimDuration::from(cfg.block_interval).us() as f64;
        let other_miners = totals.miner_nodes.len().saturating_sub(1) as u32;
        let best: Vec<&BlockRec> = counted
            .iter()
            .filter(|(_, b)| *b)
            .map(|(r, _)| *r)
            .collect();
        let full: Vec<&&BlockRec> = best
            .iter()
            .filter(|b| other_miners > 0 && b.miners_have >= other_miners)
            .collect();
        let (mut xs, mut ds) = (0.0, 0.0);
        for b in &full {
            xs += b.share_delay_sum_us / t;
            ds += b.miner_delay_sum_us as f64 / b.miners_have as f64 / 1000.0;
        }
        let k = full.len().max(1) as f64;
        let x = xs / k;
        let mean_miner_delay_ms = ds / k;
        let mut cdf: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for (b, _) in &counted {
            for (i, t) in [b.t50, b.t90, b.t100].into_iter().enumerate() {
                if let Some(us) = t {
                    cdf[i].push(us as f64 / 1000.0);
                }
            }
        }
        for c in &mut cdf {
            c.sort_by(f64::total_cmp);
        }
        let p = |c: &Vec<f64>| (percentile(c, 0.5), percentile(c, 0.9));
        let mined = blocks.len().max(1) as f64;
        let by_type = totals
            .msg_by_type
            .iter()
            .enumerate()
            .filter(|(_, (m, _))| *m > 0)
            .map(|(ty, (m, b))| {
                (
                    message_name(ty as u16).unwrap_or("unknown").to_string(),
                    *m,
                    *b,
                )
            })
            .collect();
        Report {
            seed: cfg.seed,
            nodes: cfg.nodes,
            miners: cfg.miner_shares.len(),
            topology: match cfg.topology {
                Topology::Mesh => "mesh".into(),
                Topology::Tracker { outbound } => format!("tracker (outbound {outbound})"),
                Topology::Graph { .. } if !cfg.degrees.is_empty() => {
                    "graph (outbound drawn per node)".into()
                }
                Topology::Graph { outbound } => format!("graph (outbound {outbound})"),
            },
            latency: match &cfg.regions {
                Some(r) => format!("regions {}", r.name),
                None => cfg.latency.to_string(),
            },
            block_interval_ms: whole_ms(cfg.block_interval),
            blocks: n,
            stale,
            stale_rate,
            stale_se,
            x,
            expected_stale_rate: x / (1.0 + x),
            mean_miner_delay_ms,
            best_blocks: best.len() as u64,
            best_blocks_reaching_all: best.iter().filter(|b| b.t100.is_some()).count() as u64,
            blocks_reaching_all: counted.iter().filter(|(b, _)| b.t100.is_some()).count() as u64,
            t50_ms: p(&cdf[0]),
            t90_ms: p(&cdf[1]),
            t100_ms: p(&cdf[2]),
            reorgs: totals
                .reorg_hist
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(d, c)| (d as u32, *c))
                .collect(),
            messages_per_block: totals.messages as f64 / mined,
            bytes_per_block: totals.bytes as f64 / mined,
            by_type,
            cdf_ms: cdf,
            selfish: totals.selfish.map(|(node, share)| {
                let nb = best.len() as u64;
                let ours = best.iter().filter(|b| b.miner as usize == node).count();
                let r = ours as f64 / (nb.max(1)) as f64;
                let mut chain: Vec<(u32, bool)> = best
                    .iter()
                    .map(|b| (b.height, b.miner as usize == node))
                    .collect();
                chain.sort_unstable();
                let flags: Vec<bool> = chain.into_iter().map(|(_, o)| o).collect();
                let (races, on) = totals.race_blocks;
                let gamma = if races > 0 {
                    on as f64 / races as f64
                } else {
                    f64::NAN
                };
                SelfishReport {
                    share,
                    revenue_share: r,
                    revenue_se: (r * (1.0 - r) / nb.max(1) as f64).sqrt(),
                    revenue_se_batch: batch_se(&flags),
                    best_blocks: nb,
                    gamma,
                    race_blocks: races,
                    predicted: eyal_sirer_revenue(share, if races > 0 { gamma } else { 0.0 }),
                }
            }),
            totals,
        }
    }

    /// Events processed per wall-clock second.
    pub fn events_per_sec(&self) -> f64 {
        self.totals.events as f64 / self.totals.wall_secs.max(1e-9)
    }

    /// The trace digest in hex.
    pub fn digest_hex(&self) -> String {
        hex(&self.totals.digest)
    }

    /// A human-readable summary.
    pub fn text(&self) -> String {
        let t = &self.totals;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "cheesechain sim: seed {}, {} nodes ({} miners), {}, latency {}, blocks every {} s",
            self.seed,
            self.nodes,
            self.miners,
            self.topology,
            self.latency,
            self.block_interval_ms as f64 / 1000.0
        );
        let _ = writeln!(
            s,
            "blocks: {} counted (+{} to settle), final height {}, {} finds lost (miner down or syncing)",
            self.blocks, t.tail_blocks, t.final_height, t.lost_finds
        );
        let _ = writeln!(
            s,
            "stale rate: {:.3} % ({} of {}, ±{:.3} % s.e.); predicted from measured delays x/(1+x) = {:.3} % (mean delay to other miners {:.1} ms)",
            100.0 * self.stale_rate,
            self.stale,
            self.blocks,
            100.0 * self.stale_se,
            100.0 * self.expected_stale_rate,
            self.mean_miner_delay_ms
        );
        let _ = writeln!(
            s,
            "propagation (p50 / p90 over blocks): 50 % of nodes {:.1} / {:.1} ms, 90 % {:.1} / {:.1} ms, 100 % {:.1} / {:.1} ms",
            self.t50_ms.0, self.t50_ms.1, self.t90_ms.0, self.t90_ms.1, self.t100_ms.0, self.t100_ms.1
        );
        let _ = writeln!(
            s,
            "reached every node: {} of {} best-chain blocks, {} of {} counted blocks",
            self.best_blocks_reaching_all, self.best_blocks, self.blocks_reaching_all, self.blocks
        );
        let reorgs: Vec<String> = self
            .reorgs
            .iter()
            .map(|(d, c)| format!("depth {d}: {c}"))
            .collect();
        let _ = writeln!(
            s,
            "reorganisations (all nodes): {}",
            if reorgs.is_empty() {
                "none".into()
            } else {
                reorgs.join(", ")
            }
        );
        let _ = writeln!(
            s,
            "traffic: {:.0} messages and {:.0} bytes per block ({} lost, {} duplicated)",
            self.messages_per_block, self.bytes_per_block, t.lost_msgs, t.dup_msgs
        );
        if t.clock_skew_ms > 0 || t.time_too_new > 0 {
            let _ = writeln!(
                s,
                "clock skew: each node within ±{} ms; {} headers or blocks refused for a time too far ahead (retried when announced again)",
                t.clock_skew_ms, t.time_too_new
            );
        }
        if let Some(c) = t.converge_after_heal_ms {
            let _ = writeln!(s, "partition healed: all tips agreed after {c} ms");
        }
        let _ = writeln!(
            s,
            "events: {} in {:.2} s wall = {:.0} events/s; {:.0} s virtual; {} tip changes checked",
            t.events,
            t.wall_secs,
            self.events_per_sec(),
            t.virtual_ms as f64 / 1000.0,
            t.invariant_checks
        );
        if let Some(x) = &self.selfish {
            let _ = writeln!(
                s,
                "selfish miner: share {:.4}, revenue share {:.4} (±{:.4} binomial, ±{:.4} batch-means s.e., {} blocks), gamma {:.3} ({} race blocks); Eyal-Sirer predicts {:.4}",
                x.share, x.revenue_share, x.revenue_se, x.revenue_se_batch, x.best_blocks, x.gamma, x.race_blocks, x.predicted
            );
        }
        let _ = writeln!(s, "trace digest: {}", self.digest_hex());
        s
    }

    /// The report as a JSON object (hand-written; keys are stable).
    pub fn json(&self) -> String {
        let t = &self.totals;
        let pair = |p: (f64, f64)| format!("[{}, {}]", json_num(p.0), json_num(p.1));
        let reorgs: Vec<String> = self
            .reorgs
            .iter()
            .map(|(d, c)| format!("{{\"depth\": {d}, \"count\": {c}}}"))
            .collect();
        let types: Vec<String> = self
            .by_type
            .iter()
            .map(|(n, m, b)| format!("{}: {{\"messages\": {m}, \"bytes\": {b}}}", json_str(n)))
            .collect();
        let fields = [
            ("seed", self.seed.to_string()),
            ("nodes", self.nodes.to_string()),
            ("miners", self.miners.to_string()),
            ("topology", json_str(&self.topology)),
            ("latency", json_str(&self.latency)),
            ("block_interval_ms", self.block_interval_ms.to_string()),
            ("blocks", self.blocks.to_string()),
            ("tail_blocks", t.tail_blocks.to_string()),
            ("final_height", t.final_height.to_string()),
            ("stale", self.stale.to_string()),
            ("stale_rate", json_num(self.stale_rate)),
            ("stale_rate_se", json_num(self.stale_se)),
            ("x", json_num(self.x)),
            ("expected_stale_rate", json_num(self.expected_stale_rate)),
            ("mean_miner_delay_ms", json_num(self.mean_miner_delay_ms)),
            ("best_blocks", self.best_blocks.to_string()),
            (
                "best_blocks_reaching_all",
                self.best_blocks_reaching_all.to_string(),
            ),
            ("blocks_reaching_all", self.blocks_reaching_all.to_string()),
            ("t50_ms_p50_p90", pair(self.t50_ms)),
            ("t90_ms_p50_p90", pair(self.t90_ms)),
            ("t100_ms_p50_p90", pair(self.t100_ms)),
            ("reorgs", format!("[{}]", reorgs.join(", "))),
            ("messages_per_block", json_num(self.messages_per_block)),
            ("bytes_per_block", json_num(self.bytes_per_block)),
            ("by_type", format!("{{{}}}", types.join(", "))),
            ("lost_messages", t.lost_msgs.to_string()),
            ("duplicated_messages", t.dup_msgs.to_string()),
            ("lost_finds", t.lost_finds.to_string()),
            ("clock_skew_ms", t.clock_skew_ms.to_string()),
            ("time_too_new", t.time_too_new.to_string()),
            ("invariant_checks", t.invariant_checks.to_string()),
            (
                "converge_after_heal_ms",
                t.converge_after_heal_ms
                    .map_or("null".into(), |c| c.to_string()),
            ),
            ("events", t.events.to_string()),
            ("wall_secs", json_num(t.wall_secs)),
            ("events_per_sec", json_num(self.events_per_sec())),
            ("virtual_ms", t.virtual_ms.to_string()),
            ("trace_digest", json_str(&self.digest_hex())),
            (
                "selfish",
                self.selfish.as_ref().map_or("null".into(), |x| {
                    format!(
                        "{{\"share\":{},\"revenue_share\":{},\"revenue_se\":{},\"revenue_se_batch\":{},\"best_blocks\":{},\"gamma\":{},\"race_blocks\":{},\"predicted\":{}}}",
                        json_num(x.share),
                        json_num(x.revenue_share),
                        json_num(x.revenue_se),
                        json_num(x.revenue_se_batch),
                        x.best_blocks,
                        json_num(x.gamma),
                        x.race_blocks,
                        json_num(x.predicted)
                    )
                }),
            ),
        ];
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("  {}: {v}", json_str(k)))
            .collect();
        format!("{{\n{}\n}}\n", body.join(",\n"))
    }

    /// An SVG picture: the CDFs over blocks of the time to reach 50 %, 90 % and 100 %
    /// of the nodes, and the stale-rate summary as text.
    pub fn svg(&self) -> String {
        let (w, h) = (760.0, 480.0);
        let (x0, y0, x1, y1) = (70.0, 40.0, 560.0, 420.0);
        // The axis ends at the 99th percentile of the slowest curve, so one straggler
        // (a block that reached its last node much later) does not flatten the
        // picture; the curves are clipped at the right edge.
        let max_ms = self
            .cdf_ms
            .iter()
            .filter_map(|c| c.get(c.len().saturating_sub(1) * 99 / 100).copied())
            .fold(1.0f64, f64::max);
        let ta = TimeAxis::for_max(max_ms);
        let axis = ta.end_ms;
        let sx = |ms: f64| x0 + (x1 - x0) * ms.min(axis) / axis;
        let sy = |f: f64| y1 - (y1 - y0) * f;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>
<text x="{x0}" y="24" font-size="15">Block propagation: {} nodes, {}, latency {} ms</text>"#,
            self.nodes,
            xml_escape(&self.topology),
            xml_escape(&self.latency)
        );
        // Axes and grid.
        for i in 0..=10 {
            let f = i as f64 / 10.0;
            let _ = writeln!(
                s,
                r##"<line x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{f:.1}</text>"##,
                y = sy(f),
                tx = x0 - 6.0,
                ty = sy(f) + 4.0
            );
        }
        for (ms, label) in ta.ticks() {
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{y0}" x2="{x:.1}" y2="{y1}" stroke="#eee"/><text x="{x:.1}" y="{ty}" text-anchor="middle">{label}</text>"##,
                x = sx(ms),
                ty = y1 + 16.0
            );
        }
        let _ = writeln!(
            s,
            r##"<rect x="{x0}" y="{y0}" width="{}" height="{}" fill="none" stroke="#333"/>
<text x="{}" y="{}" text-anchor="middle">time since the block was mined ({})</text>
<text x="18" y="{}" transform="rotate(-90 18 {})" text-anchor="middle">fraction of blocks</text>"##,
            x1 - x0,
            y1 - y0,
            (x0 + x1) / 2.0,
            y1 + 36.0,
            ta.unit,
            (y0 + y1) / 2.0,
            (y0 + y1) / 2.0
        );
        let colors = ["#1b9e77", "#d95f02", "#7570b3"];
        let labels = ["50 % of nodes", "90 % of nodes", "all nodes"];
        for (i, c) in self.cdf_ms.iter().enumerate() {
            if c.is_empty() {
                continue;
            }
            // A step function: at most ~400 points.
            let step = (c.len() / 400).max(1);
            let mut pts = format!("{:.1},{:.1}", sx(0.0), sy(0.0));
            let total = self.blocks.max(1) as f64;
            let mut j = 0;
            while j < c.len() {
                let f_before = j as f64 / total;
                let jn = (j + step).min(c.len());
                let f_after = jn as f64 / total;
                let _ = write!(
                    pts,
                    " {:.1},{:.1} {:.1},{:.1}",
                    sx(c[j]),
                    sy(f_before),
                    sx(c[jn - 1]),
                    sy(f_after)
                );
                j = jn;
            }
            let _ = write!(pts, " {:.1},{:.1}", sx(axis), sy(c.len() as f64 / total));
            let _ = writeln!(
                s,
                r#"<polyline points="{pts}" fill="none" stroke="{}" stroke-width="2"/>"#,
                colors[i]
            );
            let ly = y0 + 20.0 * i as f64 + 10.0;
            let _ = writeln!(
                s,
                r#"<line x1="580" y1="{ly}" x2="605" y2="{ly}" stroke="{}" stroke-width="3"/><text x="612" y="{}">{}</text>"#,
                colors[i],
                ly + 4.0,
                labels[i]
            );
        }
        let lines = [
            format!("seed {}", self.seed),
            format!(
                "{} blocks, {} s interval",
                self.blocks,
                self.block_interval_ms / 1000
            ),
            format!("stale rate {:.2} %", 100.0 * self.stale_rate),
            format!("  (s.e. {:.2} %)", 100.0 * self.stale_se),
            format!("predicted {:.2} %", 100.0 * self.expected_stale_rate),
            format!("miner delay {:.0} ms", self.mean_miner_delay_ms),
            format!("100 %: p50 {:.0} ms", self.t100_ms.0),
            format!("100 %: p90 {:.0} ms", self.t100_ms.1),
            format!("{:.0} msgs/block", self.messages_per_block),
        ];
        for (i, l) in lines.iter().enumerate() {
            let _ = writeln!(
                s,
                r#"<text x="580" y="{}">{}</text>"#,
                y0 + 90.0 + 18.0 * i as f64,
                xml_escape(l)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&v, 0.5), 5.0);
        assert_eq!(percentile(&v, 0.9), 9.0);
        assert_eq!(percentile(&v, 1.0), 10.0);
        assert!(percentile(&[], 0.5).is_nan());
        assert_eq!(json_str("a\"b\\\n"), "\"a\\\"b\\\\\\u000a\"");
    }

    fn labels(max_ms: f64) -> (String, Vec<String>) {
        let a = TimeAxis::for_max(max_ms);
        assert!(a.end_ms >= max_ms.max(1.0) - 1e-6, "{a:?}");
        (
            a.unit.to_string(),
            a.ticks().into_iter().map(|t| t.1).collect(),
        )
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn time_axis_labels_stay_short_for_any_run_length() {
        assert_eq!(
            labels(150.0),
            (
                "ms".into(),
                strs(&["0", "20", "40", "60", "80", "100", "120", "140", "160"])
            )
        );
        let l = labels(0.3).1;
        assert_eq!((l.len(), l[1].as_str(), l[10].as_str()), (11, "0.1", "1.0"));
        assert_eq!(
            labels(11_300.0),
            ("s".into(), strs(&["0", "2", "4", "6", "8", "10", "12"]))
        );
        assert_eq!(labels(6_462_906.6).0, "min");
        assert_eq!(
            labels(9_632_999.5),
            (
                "h".into(),
                strs(&["0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"])
            )
        );
        for max in [1.0, 7.0, 999.0, 1999.0, 2000.0, 59_999.0, 1e6, 1e8, 1e10] {
            let (_, l) = labels(max);
            assert!(l.len() >= 2 && l.len() <= 11, "{max}: {l:?}");
            assert!(l.iter().all(|s| s.len() <= 5), "{max}: {l:?}");
        }
    }
}
