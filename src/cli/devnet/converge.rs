//! The devnet's goal check: have all peers converged on one block at the goal height,
//! and the summaries it prints then or when it is stopped.

use crate::runtime::status::{agreed_block, StatusFile};
use std::time::Duration;

/// If the peers have converged at height >= `goal` (every peer's chain holds the same
/// block there, see [`agreed_block`]), the run's summary.
pub(super) fn converged(
    statuses: &[Option<StatusFile>],
    goal: u32,
    elapsed: Duration,
) -> Option<String> {
    let all: Vec<StatusFile> = statuses.iter().cloned().collect::<Option<_>>()?;
    let (height, block) = agreed_block(&all, goal as u64)?;
    let t = Totals::of(&all);
    Some(format!(
        "converged: {} peers share block {} at height {height} ({} tip{} at heights up to {})\n{}",
        all.len(),
        short(&block),
        t.tips,
        if t.tips == 1 { "" } else { "s" },
        t.top,
        t.line(elapsed),
    ))
}

/// The summary printed when devnet is stopped (Ctrl-C) before any goal: where the
/// peers that reported got to, and the block they all hold, if any.
pub(super) fn stopped(statuses: &[Option<StatusFile>], elapsed: Duration) -> String {
    let all: Vec<StatusFile> = statuses.iter().flatten().cloned().collect();
    if all.is_empty() {
        return format!(
            "stopped after {:.1} s: no peer had reported yet",
            elapsed.as_secs_f64()
        );
    }
    let t = Totals::of(&all);
    let low = all.iter().map(|s| s.num("height")).min().unwrap_or(0);
    let agreed = match agreed_block(&all, 0) {
        Some((h, b)) => format!("all share block {} at height {h}", short(&b)),
        None => "no block shared by all".to_string(),
    };
    format!(
        "stopped: {} of {} peers reported, heights {low}-{}, {} tip{}, {agreed}\n{}",
        all.len(),
        statuses.len(),
        t.top,
        t.tips,
        if t.tips == 1 { "" } else { "s" },
        t.line(elapsed),
    )
}

fn short(block: &str) -> &str {
    &block[..16.min(block.len())]
}

/// Sums over the peers' status files.
struct Totals {
    mined: u64,
    reorgs: u64,
    bytes: u64,
    tips: usize,
    top: u64,
}

impl Totals {
    fn of(all: &[StatusFile]) -> Totals {
        let tips: std::collections::BTreeSet<&str> =
            all.iter().filter_map(|s| s.get("tip")).collect();
        Totals {
            mined: all.iter().map(|s| s.num("blocks_mined")).sum(),
            reorgs: all.iter().map(|s| s.num("reorgs")).sum(),
            bytes: all.iter().map(|s| s.num("bytes_sent")).sum(),
            tips: tips.len(),
            top: all.iter().map(|s| s.num("height")).max().unwrap_or(0),
        }
    }

    /// The second summary line; stale blocks are those mined but not on the chain up
    /// to the highest tip.
    fn line(&self, elapsed: Duration) -> String {
        format!(
            "elapsed {:.1} s, blocks mined {}, stale blocks {}, reorgs {}, bytes sent per block {}",
            elapsed.as_secs_f64(),
            self.mined,
            self.mined.saturating_sub(self.top),
            self.reorgs,
            self.bytes / self.top.max(1),
        )
    }
}
