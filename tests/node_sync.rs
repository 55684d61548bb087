//! Block download between real `Node` state machines in memory
//! ([`cheesechain::sim::harness`]): a window of blocks in flight larger than what one
//! `get-data` answer carries, and blocks a peer answers `not-found` for.

use cheesechain::chain::{Hash256, NetworkParams};
use cheesechain::node::{Node, NodeConfig, MAX_BLOCKS_PER_GETDATA, NOT_FOUND_RETRY};
use cheesechain::service::{Action, Direction, Role, Service};
use cheesechain::sim::harness::{addr, Harness};
use cheesechain::wire::{InvItem, InvKind, Message, Version, PROTOCOL_VERSION};
use std::time::Duration;

/// A node allowed far more blocks in flight than one `get-data` answer carries still
/// downloads the whole chain from a single peer: it never asks for more than the
/// serving cap at once, and nothing comes back `not-found` only because of the cap.
#[test]
fn a_window_wider_than_the_serving_cap_syncs_from_one_peer() {
    let in_flight = 3 * MAX_BLOCKS_PER_GETDATA;
    let mut net = Harness::with_config(2, &[0], |_, cfg| {
        cfg.max_blocks_in_flight_per_peer = in_flight;
    });
    net.tick(1);
    net.mine(0, 1000);
    net.connect(1, 0);
    assert_eq!(net.nodes[1].chain().height(), 1000);
    assert_eq!(net.nodes[1].chain().tip(), net.nodes[0].chain().tip());
    assert!(net.closed.is_empty(), "{:?}", net.closed);
}

/// Every message `n` queued for `conn`, dropping its other actions.
fn sent_to(n: &mut Node, conn: u64) -> Vec<Message> {
    let mut out = Vec::new();
    while let Some(a) = n.poll_action() {
        if let Action::Send { conn: c, msg } = a {
            if c == conn {
                out.push(msg);
            }
        }
    }
    out
}

/// The block hashes of the `get-data` messages in `msgs`.
fn requested(msgs: &[Message]) -> Vec<Hash256> {
    msgs.iter()
        .filter_map(|m| match m {
            Message::GetData { items } => Some(items.iter().map(|i| i.hash)),
            _ => None,
        })
        .flatten()
        .collect()
}

/// A peer that answers `not-found` for blocks it announced is asked for them again
/// once `NOT_FOUND_RETRY` has passed, not at once (that would loop) and not never
/// (that stalls a node with one peer).
#[test]
fn blocks_answered_not_found_are_asked_again_later() {
    // A chain of 5 blocks mined by a harness node, served by hand.
    let mut src = Harness::new(1, &[0]);
    src.tick(1);
    src.mine(0, 5);
    let chain = src.nodes[0].chain();
    let hashes: Vec<Hash256> = (1..=5).map(|h| chain.hash_at(h).unwrap()).collect();
    let headers: Vec<_> = hashes.iter().map(|h| *chain.header(h).unwrap()).collect();
    let blocks: Vec<_> = hashes
        .iter()
        .map(|h| chain.shared_block(h).unwrap())
        .collect();

    let params = NetworkParams::regtest();
    let mut now = src.now;
    let mut cfg = NodeConfig::new(params.clone());
    cfg.seed = 7;
    let mut n = Node::new(cfg, Vec::new(), now).0;
    n.on_tick(now);
    let conn = 1;
    n.on_connected(conn, addr(1), Direction::Inbound, Role::Peer, now);
    n.on_message(
        conn,
        Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: params.network_id(),
            nonce: 99,
            best_height: 5,
            listen_port: 0,
        }),
        now,
    );
    n.on_message(conn, Message::Verack, now);
    sent_to(&mut n, conn);

    n.on_message(conn, Message::Headers { headers }, now);
    let asked = requested(&sent_to(&mut n, conn));
    assert_eq!(asked, hashes, "all five blocks are asked for");
    let items: Vec<InvItem> = asked
        .iter()
        .map(|&hash| InvItem {
            kind: InvKind::Block,
            hash,
        })
        .collect();
    n.on_message(conn, Message::NotFound { items }, now);
    assert!(
        requested(&sent_to(&mut n, conn)).is_empty(),
        "not asked again at once"
    );

    // Before the retry time nothing is asked; at it, everything is.
    let retry = n.next_deadline().expect("the retry is a timer of its own");
    assert!(retry <= now + NOT_FOUND_RETRY, "{retry:?}");
    now += NOT_FOUND_RETRY - Duration::from_millis(1);
    n.on_tick(now);
    assert!(
        requested(&sent_to(&mut n, conn)).is_empty(),
        "asked too early"
    );
    now += Duration::from_millis(1);
    n.on_tick(now);
    assert_eq!(requested(&sent_to(&mut n, conn)), hashes, "asked again");
    for b in blocks {
        n.on_message(conn, Message::Block(b), now);
    }
    assert_eq!(n.chain().height(), 5);
}
