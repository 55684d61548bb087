//! Timer rules of the peer node: after a tick at `now` has been handled (and its
//! actions drained), the node never reports a deadline at or before `now`, which would
//! make a reactor spin.

use cheesechain::chain::NetworkParams;
use cheesechain::node::{Node, NodeConfig};
use cheesechain::service::{Service, Time};
use std::net::SocketAddr;

fn start_time(params: &NetworkParams) -> Time {
    Time(params.genesis_time as u64 * 1000 + 60_000)
}

fn drain(n: &mut Node) {
    while n.poll_action().is_some() {}
}

/// A node with a tracker but no listening port never contacts the tracker (it has no
/// address to register), so it must not report the tracker retry time either.
#[test]
fn a_tracker_node_without_a_listen_port_reports_no_stale_retry_deadline() {
    let params = NetworkParams::regtest();
    let now = start_time(&params);
    let mut cfg = NodeConfig::new(params);
    cfg.tracker = Some("127.0.0.1:7878".parse::<SocketAddr>().unwrap());
    cfg.listen_port = 0;
    let (mut node, _) = Node::new(cfg, Vec::new(), now);
    for step in 0..3 {
        let t = Time(now.0 + step * 1000);
        node.on_tick(t);
        drain(&mut node);
        let d = node.next_deadline();
        assert!(
            d.is_none_or(|d| d > t),
            "deadline {d:?} not after the handled tick {t:?}"
        );
    }
}
