//! Loud network mismatches: counts connections lost to another network in a row and
//! warns, naming both networks, once a few have failed and nothing else has worked.
//!
//! A peer started with the wrong `--network` or `--block-time` otherwise sits at zero
//! peers forever with the reason only at DEBUG. Evidence comes from three places: a
//! peer's `version` carries another network id, a peer's frames carry another
//! network's magic, or the tracker closes the link before it ever sends a peer list
//! (a tracker of another network closes without a word). A handshake that succeeds or
//! a peer list from the tracker ends the streak.

use crate::chain::hash::Hash256;
use crate::chain::params::NetworkParams;
use crate::service::Time;
use log::warn;
use std::net::SocketAddr;
use std::time::Duration;

/// Mismatches in a row before the first warning.
pub const MISMATCH_WARN_AFTER: u32 = 2;
/// Least time between two warnings while the mismatches go on.
pub const MISMATCH_WARN_INTERVAL: Duration = Duration::from_secs(60);
/// Tracker links closed before any peer list, in a row, before the tracker is blamed.
pub const TRACKER_SILENT_CLOSES: u32 = 3;

/// The streaks and the lazily built table of known network ids.
#[derive(Debug, Default)]
pub(super) struct MismatchWatch {
    /// Peer connections lost to another network since the last good handshake.
    peer_streak: u32,
    /// Tracker links closed before any peer list, since the last list.
    tracker_streak: u32,
    /// Whether the tracker sent a peer list on the current link.
    tracker_answered: bool,
    /// When the last warning was logged.
    last_warned: Option<Time>,
    /// Network id -> name of the preset networks, built on the first mismatch.
    known: Vec<(Hash256, String)>,
}

impl MismatchWatch {
    /// A handshake completed: the node reaches its own network.
    pub(super) fn handshake_ok(&mut self) {
        self.peer_streak = 0;
    }

    /// The tracker sent a peer list: it runs our network.
    pub(super) fn tracker_ok(&mut self) {
        self.tracker_streak = 0;
        self.tracker_answered = true;
    }

    /// A peer's `version` named `their_id`, not ours. Returns true if a warning was
    /// logged.
    pub(super) fn peer_network_id(
        &mut self,
        ours: &NetworkParams,
        addr: SocketAddr,
        their_id: Hash256,
        now: Time,
    ) -> bool {
        let theirs = self.name_of_id(their_id);
        self.peer_mismatch(ours, addr, &theirs, now)
    }

    /// A peer's frames started with `magic`, not ours. Returns true if a warning was
    /// logged.
    pub(super) fn peer_magic(
        &mut self,
        ours: &NetworkParams,
        addr: SocketAddr,
        magic: [u8; 4],
        now: Time,
    ) -> bool {
        let theirs = match NetworkParams::name_of_magic(magic) {
            Some(n) => format!("{n} (magic {})", crate::chain::hash::hex(&magic)),
            None => format!(
                "an unknown network (magic {})",
                crate::chain::hash::hex(&magic)
            ),
        };
        self.peer_mismatch(ours, addr, &theirs, now)
    }

    /// The tracker link closed (or a dial to it failed). Returns true if a warning was
    /// logged.
    pub(super) fn tracker_closed(
        &mut self,
        ours: &NetworkParams,
        tracker: Option<SocketAddr>,
        now: Time,
    ) -> bool {
        if std::mem::take(&mut self.tracker_answered) {
            self.tracker_streak = 0;
            return false;
        }
        self.tracker_streak = self.tracker_streak.saturating_add(1);
        if self.tracker_streak < TRACKER_SILENT_CLOSES || !self.may_warn(now) {
            return false;
        }
        let at = tracker.map_or_else(|| "the tracker".to_string(), |a| format!("tracker {a}"));
        warn!(
            target: "net",
            "{at} closed the connection {} times in a row without sending a peer list: it may run another network; this peer runs {} (magic {}, block time {} s); check --network and --block-time",
            self.tracker_streak,
            ours.name,
            crate::chain::hash::hex(&ours.magic),
            ours.target_spacing_secs
        );
        true
    }

    fn peer_mismatch(
        &mut self,
        ours: &NetworkParams,
        addr: SocketAddr,
        theirs: &str,
        now: Time,
    ) -> bool {
        self.peer_streak = self.peer_streak.saturating_add(1);
        if self.peer_streak < MISMATCH_WARN_AFTER || !self.may_warn(now) {
            return false;
        }
        warn!(
            target: "net",
            "{} connections in a row were to another network, the last to {addr} on {theirs}; this peer runs {} (block time {} s, id {}); check --network and --block-time",
            self.peer_streak,
            ours.name,
            ours.target_spacing_secs,
            ours.network_id().short()
        );
        true
    }

    fn may_warn(&mut self, now: Time) -> bool {
        if self
            .last_warned
            .is_some_and(|t| now.since(t) < MISMATCH_WARN_INTERVAL)
        {
            return false;
        }
        self.last_warned = Some(now);
        true
    }

    /// The name of a preset network with id `id`, with its block time, or the id.
    fn name_of_id(&mut self, id: Hash256) -> String {
        if self.known.is_empty() {
            self.known = NetworkParams::presets()
                .into_iter()
                .map(|p| {
                    let label = format!("{} (block time {} s)", p.name, p.target_spacing_secs);
                    (p.network_id(), label)
                })
                .collect();
        }
        self.known.iter().find(|(k, _)| *k == id).map_or_else(
            || format!("an unknown network (id {})", id.short()),
            |(_, n)| n.clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        "127.0.0.2:9000".parse().unwrap()
    }

    #[test]
    fn warns_after_the_second_mismatch_then_at_most_once_a_minute() {
        let ours = NetworkParams::devnet(5);
        let theirs = NetworkParams::devnet(10).network_id();
        let mut w = MismatchWatch::default();
        let t0 = Time(1_000_000);
        assert!(!w.peer_network_id(&ours, addr(), theirs, t0));
        assert!(w.peer_network_id(&ours, addr(), theirs, t0));
        assert!(!w.peer_network_id(&ours, addr(), theirs, t0 + Duration::from_secs(59)));
        assert!(w.peer_network_id(&ours, addr(), theirs, t0 + Duration::from_secs(61)));
    }

    #[test]
    fn a_good_handshake_ends_the_streak() {
        let ours = NetworkParams::regtest();
        let mut w = MismatchWatch::default();
        let t0 = Time(5);
        assert!(!w.peer_magic(&ours, addr(), NetworkParams::main().magic, t0));
        w.handshake_ok();
        assert!(!w.peer_magic(&ours, addr(), NetworkParams::main().magic, t0));
    }

    #[test]
    fn names_presets_with_their_block_time_and_shows_unknown_ids() {
        let mut w = MismatchWatch::default();
        assert_eq!(
            w.name_of_id(NetworkParams::devnet(10).network_id()),
            "devnet-10s (block time 10 s)"
        );
        assert!(w
            .name_of_id(NetworkParams::testnet().network_id())
            .starts_with("testnet (block time "));
        assert!(w
            .name_of_id(Hash256([9; 32]))
            .starts_with("an unknown network (id "));
    }

    #[test]
    fn the_tracker_is_blamed_only_after_silent_closes_in_a_row() {
        let ours = NetworkParams::main();
        let mut w = MismatchWatch::default();
        let t = Time(0);
        assert!(!w.tracker_closed(&ours, None, t));
        assert!(!w.tracker_closed(&ours, None, t));
        w.tracker_ok();
        assert!(!w.tracker_closed(&ours, None, t));
        assert!(!w.tracker_closed(&ours, None, t));
        assert!(!w.tracker_closed(&ours, None, t));
        assert!(w.tracker_closed(&ours, None, t));
    }
}
