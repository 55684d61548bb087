//! The live table `devnet` shows: one row per peer.

use crate::runtime::hooks::fmt_rate;
use crate::runtime::status::StatusFile;
use std::path::PathBuf;
use std::time::Duration;

/// Renders the table for `peers` (name, address, data dir) and their latest status.
pub fn render_table(
    peers: &[(String, String, PathBuf)],
    statuses: &[Option<StatusFile>],
    elapsed: Duration,
) -> String {
    let mut out = format!(
        "cheesechain devnet — {} peers — {:.0} s   (Ctrl-C stops all)\n{:<8} {:<21} {:>7} {:<18} {:>5} {:>12} {:>7} {:>6} {:>6}\n",
        peers.len(),
        elapsed.as_secs_f64(),
        "peer",
        "address",
        "height",
        "tip",
        "peers",
        "hash rate",
        "mempool",
        "mined",
        "reorgs",
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
                    "{:<8} {:<21} {:>7} {:<18} {:>5} {:>12} {:>7} {:>6} {:>6}\n",
                    name,
                    addr,
                    height,
                    &tip[..16.min(tip.len())],
                    s.num("peers_in") + s.num("peers_out"),
                    fmt_rate(s.num("hash_rate") as f64),
                    s.num("mempool"),
                    s.num("blocks_mined"),
                    s.num("reorgs"),
                ));
            }
            None => out.push_str(&format!("{name:<8} {addr:<21} starting...\n")),
        }
    }
    out
}
