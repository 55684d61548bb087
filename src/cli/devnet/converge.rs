//! The devnet's goal check: have all peers converged on one block at the goal height,
//! and the summary line it prints then.

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
    let mined: u64 = all.iter().map(|s| s.num("blocks_mined")).sum();
    let reorgs: u64 = all.iter().map(|s| s.num("reorgs")).sum();
    let bytes: u64 = all.iter().map(|s| s.num("bytes_sent")).sum();
    let tips: std::collections::BTreeSet<&str> = all.iter().filter_map(|s| s.get("tip")).collect();
    let top = all.iter().map(|s| s.num("height")).max().unwrap_or(height);
    // Blocks mined that are not on the agreed chain (up to the highest tip).
    let stale = mined.saturating_sub(top);
    Some(format!(
        "converged: {} peers share block {} at height {height} ({} tip{} at heights up to {top})\n\
         elapsed {:.1} s, blocks mined {mined}, stale blocks {stale}, reorgs {reorgs}, \
         bytes sent per block {}",
        all.len(),
        &block[..16.min(block.len())],
        tips.len(),
        if tips.len() == 1 { "" } else { "s" },
        elapsed.as_secs_f64(),
        bytes / top.max(1),
    ))
}
