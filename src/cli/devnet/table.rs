//! The live table `devnet` shows: a header with the tracker and the stale blocks so
//! far, one row per peer, and a legend; at most 80 columns wide.

use crate::runtime::hooks::fmt_rate;
use crate::runtime::status::StatusFile;
use std::path::PathBuf;
use std::time::Duration;

/// Blocks mined by all peers that are not on the chain (up to the highest tip): the
/// stale blocks so far.
pub fn stale_blocks(statuses: &[Option<StatusFile>]) -> u64 {
    let mined: u64 = statuses
        .iter()
        .flatten()
        .map(|s| s.num("blocks_mined"))
        .sum();
    let top = statuses
        .iter()
        .flatten()
        .map(|s| s.num("height"))
        .max()
        .unwrap_or(0);
    mined.saturating_sub(top)
}

/// Renders the table for `peers` (name, address, data dir) and their latest status,
/// with the tracker's address.
pub fn render_table(
    tracker: &str,
    peers: &[(String, String, PathBuf)],
    statuses: &[Option<StatusFile>],
    elapsed: Duration,
) -> String {
    let mut out = format!(
        "cheesechain devnet: {} peers, tracker {tracker}, {:.0} s, {} stale blocks\n\
         {:<6} {:<15} {:>11} {:<8} {:>5} {:>10} {:>4} {:>5} {:>5}\n",
        peers.len(),
        elapsed.as_secs_f64(),
        stale_blocks(statuses),
        "peer",
        "address",
        "height/best",
        "tip",
        "peers",
        "hash rate",
        "mpool",
        "mined",
        "reorg",
    );
    for ((name, addr, _), st) in peers.iter().zip(statuses) {
        match st {
            Some(s) => {
                let tip = s.get("tip").unwrap_or("-");
                let height = if s.num("best_header") > s.num("height") {
                    format!("{}/{}", s.num("height"), s.num("best_header"))
                } else {
                    s.num("height").to_string()
                };
                out.push_str(&format!(
                    "{:<6} {:<15} {:>11} {:<8} {:>5} {:>10} {:>4} {:>5} {:>5}\n",
                    name,
                    addr,
                    height,
                    &tip[..8.min(tip.len())],
                    s.num("peers_distinct"),
                    fmt_rate(s.num("hash_rate") as f64),
                    s.num("mempool"),
                    s.num("blocks_mined"),
                    s.num("reorgs"),
                ));
            }
            None => out.push_str(&format!("{name:<6} {addr:<15} starting...\n")),
        }
    }
    out.push_str(
        "height/best header: tip height, /best known header while syncing; peers:\n\
         distinct peers; mpool: transfers waiting; reorg: reorganisations. Ctrl-C stops.\n",
    );
    out
}
