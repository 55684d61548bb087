//! A `Tracker` driven through an arbitrary session: connections, registrations,
//! heartbeats, peer-list requests, any other message, ticks.
//!
//! Shared by the `tracker_session` fuzz target and `tests/state_fuzz.rs`. Needs the
//! driver, included by the same file as `session`.

use crate::session::{Session, Subject, Summary};
use cheesechain::service::{ConnId, Role, Time};
use cheesechain::tracker::{Tracker, TrackerConfig};
use cheesechain::wire::Message;

impl Subject for Tracker {
    fn inbound_roles(&self) -> &'static [Role] {
        &[Role::Peer]
    }

    fn greeting(&self, _conn: ConnId, seed: u64) -> Vec<Message> {
        let mut m = vec![Message::Register {
            listen_port: seed as u16,
        }];
        if seed & (1 << 20) != 0 {
            m.push(Message::GetPeers);
        }
        if seed & (1 << 21) != 0 {
            m.push(Message::Heartbeat);
        }
        m
    }

    fn message_types(&self) -> (u16, u16) {
        // register (0x0001) to error (0x0007).
        (0x0001, 7)
    }

    fn depth(&self) -> usize {
        self.registered_count()
    }

    fn bounds(&self, open_conns: usize) -> Result<(), String> {
        let cfg = self.config();
        let (reg, held) = (self.registered_count(), self.connection_count());
        if reg > held || held > open_conns || held > cfg.max_peers {
            return Err(format!(
                "{reg} registered, {held} held, {open_conns} open, cap {}",
                cfg.max_peers
            ));
        }
        Ok(())
    }
}

/// The check: panics on any broken rule (see the driver's list). Returns what the
/// session did and how many peers were registered at its end.
pub fn check(data: &[u8]) -> (Summary, usize) {
    // Small caps, so the fuzzer can reach them.
    let cfg = TrackerConfig {
        max_peers: 12,
        max_per_ip: 4,
        seed: 3,
        ..TrackerConfig::default()
    };
    let mut t = Tracker::new(cfg);
    let summary = Session::new(&mut t, Time(1_764_028_800_000)).run(data);
    (summary, t.registered_count())
}
