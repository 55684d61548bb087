//! The binaries' reactor hooks: the peer's (durable block storage, log events, the live
//! status line on stderr, the status file) and the tracker's (a periodic log line).

use super::status::StatusFile;
use crate::chain::Block;
use crate::net::{Hooks, ReactorStats};
use crate::node::Node;
use crate::service::{Event, Time};
use crate::store::blockfile::BlockFile;
use crate::tracker::Tracker;
use std::io;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

/// How often the status file is rewritten.
pub const STATUS_FILE_INTERVAL: Duration = Duration::from_millis(200);
/// How often the tracker logs a status line.
pub const TRACKER_STATUS_INTERVAL: Duration = Duration::from_secs(30);

/// Hooks for a [`Node`] run by the reactor.
pub struct PeerHooks {
    store: BlockFile,
    data_dir: PathBuf,
    status_every: Duration,
    last_line: Time,
    last_file: Time,
    parent: super::ParentWatch,
}

impl PeerHooks {
    /// Hooks that append blocks to `store` and write status into `data_dir`; a status
    /// line goes to stderr every `status_every` (zero: never).
    pub fn new(
        store: BlockFile,
        data_dir: PathBuf,
        status_every: Duration,
        parent: super::ParentWatch,
    ) -> PeerHooks {
        PeerHooks {
            parent,
            store,
            data_dir,
            status_every,
            last_line: Time(0),
            last_file: Time(0),
        }
    }
}

/// Formats a hash rate with a unit.
pub fn fmt_rate(hps: f64) -> String {
    if hps >= 1e6 {
        format!("{:.1} MH/s", hps / 1e6)
    } else if hps >= 1e3 {
        format!("{:.1} kH/s", hps / 1e3)
    } else {
        format!("{hps:.0} H/s")
    }
}

impl Hooks<Node> for PeerHooks {
    fn store_block(&mut self, block: &Block) -> io::Result<()> {
        self.store
            .write(block)
            .map_err(|e| io::Error::other(e.to_string()))
    }

    fn sync_blocks(&mut self) -> io::Result<()> {
        self.store
            .sync()
            .map_err(|e| io::Error::other(e.to_string()))
    }

    fn event(&mut self, ev: &Event, _now: Time) {
        log::debug!(target: "node", "{ev:?}");
    }

    fn periodic(&mut self, node: &Node, stats: &ReactorStats, now: Time) -> ControlFlow<()> {
        if self.parent.parent_gone() {
            log::info!("parent process exited; stopping");
            return ControlFlow::Break(());
        }
        if node.stop_requested() {
            log::info!("stopping on request of the control socket");
            return ControlFlow::Break(());
        }
        let s = node.status();
        if !self.status_every.is_zero() && now.since(self.last_line) >= self.status_every {
            self.last_line = now;
            let sync = if s.best_header_height > s.height {
                format!(" syncing {}/{}", s.height, s.best_header_height)
            } else {
                String::new()
            };
            eprintln!(
                "height {} tip {} peers {}in/{}out hash {} mempool {} reorgs {}{}{}",
                s.height,
                s.tip.short(),
                s.peers_in,
                s.peers_out,
                fmt_rate(stats.hash_rate),
                s.mempool,
                s.stats.reorgs,
                sync,
                if s.tracker_connected {
                    ""
                } else {
                    " (no tracker)"
                },
            );
        }
        if now.since(self.last_file) >= STATUS_FILE_INTERVAL {
            self.last_file = now;
            let mut f = StatusFile::default();
            f.set("height", s.height);
            f.set("tip", s.tip);
            f.set("best_header", s.best_header_height);
            f.set("peers_in", s.peers_in);
            f.set("peers_out", s.peers_out);
            f.set("peers_distinct", s.peers_distinct);
            f.set("mempool", s.mempool);
            f.set("in_flight", s.blocks_in_flight);
            f.set("tracker", u8::from(s.tracker_connected));
            f.set("reorgs", s.stats.reorgs);
            f.set("max_reorg_depth", s.stats.max_reorg_depth);
            f.set("blocks_mined", s.stats.blocks_mined);
            f.set("blocks_received", s.stats.blocks_received);
            f.set("bans", s.stats.bans);
            f.set("hash_rate", stats.hash_rate as u64);
            f.set("bytes_sent", stats.bytes_sent);
            f.set("bytes_received", stats.bytes_received);
            f.set("time_ms", now.0);
            let chain: Vec<String> = s.recent.iter().map(|(h, b)| format!("{h}:{b}")).collect();
            f.set("chain", chain.join(" "));
            if let Err(e) = f.write(&self.data_dir) {
                log::warn!("cannot write status file: {e}");
            }
        }
        ControlFlow::Continue(())
    }
}

/// Hooks for a [`Tracker`] run by the reactor: it stores no blocks (the default
/// refusal) and logs its counts every [`TRACKER_STATUS_INTERVAL`].
pub struct TrackerHooks {
    next_status: Time,
    parent: super::ParentWatch,
}

impl TrackerHooks {
    /// Hooks that stop the tracker when `parent` fires.
    pub fn new(parent: super::ParentWatch) -> TrackerHooks {
        TrackerHooks {
            next_status: Time(0),
            parent,
        }
    }
}

impl Hooks<Tracker> for TrackerHooks {
    fn event(&mut self, _ev: &Event, _now: Time) {}

    fn periodic(&mut self, t: &Tracker, stats: &ReactorStats, now: Time) -> ControlFlow<()> {
        if self.parent.parent_gone() {
            log::info!(target: "tracker", "parent process exited; stopping");
            return ControlFlow::Break(());
        }
        if now >= self.next_status {
            self.next_status = now + TRACKER_STATUS_INTERVAL;
            log::info!(target: "tracker",
                "{} registered peers, {} connections, {} bytes in, {} bytes out",
                t.registered_count(), t.connection_count(), stats.bytes_received, stats.bytes_sent);
        }
        ControlFlow::Continue(())
    }
}
