//! A `Node` on `regtest` (mining, so its chain grows and its own blocks can be replayed
//! to it) driven through an arbitrary session: connections, messages, ticks, mining.
//!
//! Shared by the `node_session` fuzz target and `tests/state_fuzz.rs`. Needs the
//! driver, included by the same file as `session`.

use crate::session::{Session, Subject, Summary};
use cheesechain::chain::keys::{account_of, secret_from_bytes};
use cheesechain::chain::NetworkParams;
use cheesechain::node::{Node, NodeConfig};
use cheesechain::service::{ConnId, Role, Time};
use cheesechain::wire::{Message, Version, PROTOCOL_VERSION};

impl Subject for Node {
    fn inbound_roles(&self) -> &'static [Role] {
        &[Role::Peer, Role::Peer, Role::Peer, Role::Control]
    }

    fn greeting(&self, conn: ConnId, seed: u64) -> Vec<Message> {
        vec![
            Message::Version(Version {
                version: PROTOCOL_VERSION as u32,
                network_id: self.config().params.network_id(),
                // Mixed with the connection, so two greetings differ (a repeated
                // nonce is a duplicate connection) unless the input makes them equal.
                nonce: seed ^ conn.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                best_height: (seed >> 56) as u32,
                listen_port: (seed >> 16) as u16,
            }),
            Message::Verack,
        ]
    }

    fn message_types(&self) -> (u16, u16) {
        // version (0x0010) to tree (0x0032): the peer and query messages.
        (0x0010, 0x23)
    }

    fn depth(&self) -> usize {
        let s = self.status();
        s.peers_in + s.peers_out
    }

    fn bounds(&self, open_conns: usize) -> Result<(), String> {
        let cfg = self.config();
        if self.orphan_bytes() > cfg.orphan_max_bytes {
            return Err(format!(
                "orphans hold {} bytes, budget {}",
                self.orphan_bytes(),
                cfg.orphan_max_bytes
            ));
        }
        if self.mempool().len() > cfg.mempool_max_txs {
            return Err(format!(
                "mempool holds {} transfers, cap {}",
                self.mempool().len(),
                cfg.mempool_max_txs
            ));
        }
        let s = self.status();
        if s.peers_in + s.peers_out > open_conns {
            return Err(format!(
                "{} ready peers on {open_conns} open connections",
                s.peers_in + s.peers_out
            ));
        }
        let in_flight_cap = open_conns * cfg.max_blocks_in_flight_per_peer;
        if s.blocks_in_flight > in_flight_cap {
            return Err(format!(
                "{} blocks in flight, cap {in_flight_cap} on {open_conns} connections",
                s.blocks_in_flight
            ));
        }
        Ok(())
    }
}

/// The check: panics on any broken rule (see the driver's list). Returns what the
/// session did and the height the node's chain reached.
pub fn check(data: &[u8]) -> (Summary, u32) {
    let params = NetworkParams::regtest();
    let now = Time(u64::from(params.genesis_time) * 1000 + 60_000);
    let mut cfg = NodeConfig::new(params);
    cfg.seed = 7;
    cfg.listen_port = 9000;
    cfg.mine_to = secret_from_bytes([1; 32]).map(|sk| account_of(&sk));
    // Small budgets, so the fuzzer can reach them.
    cfg.orphan_max_bytes = 64 * 1024;
    cfg.orphan_peer_bytes = 16 * 1024;
    cfg.mempool_max_txs = 16;
    let (mut node, _) = Node::new(cfg, Vec::new(), now);
    let summary = Session::new(&mut node, now).run(data);
    (summary, node.chain().height())
}
