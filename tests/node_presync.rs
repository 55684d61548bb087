//! Headers presync on a real `Node` state machine (spec: peer protocol §5.3): a
//! low-work branch longer than one `headers` message is followed without storing it,
//! redownloaded and stored once its work passes the target; a swapped redownload, a
//! branch that ends too light, and a flood of side branches are cut or dropped.

use cheesechain::chain::pow::check_pow;
use cheesechain::chain::{BlockHeader, Hash256, NetworkParams};
use cheesechain::node::Node;
use cheesechain::service::{Action, Budget, Direction, DisconnectReason, Role, Service, Time};
use cheesechain::sim::harness::{addr, Harness};
use cheesechain::wire::{Message, Version, PROTOCOL_VERSION};

const ATTACKER: u64 = 90;

/// A node that mined `height` blocks, with a handshaken inbound peer on [`ATTACKER`].
fn node_at(height: u32) -> (Harness, NetworkParams, Time) {
    let mut net = Harness::new(1, &[0]);
    net.tick(1);
    net.mine(0, height);
    let params = net.nodes[0].config().params.clone();
    let now = net.now;
    let n = &mut net.nodes[0];
    n.on_connected(ATTACKER, addr(12), Direction::Inbound, Role::Peer, now);
    n.on_message(
        ATTACKER,
        Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: params.network_id(),
            nonce: 6,
            best_height: 0,
            listen_port: 0,
        }),
        now,
    );
    n.on_message(ATTACKER, Message::Verack, now);
    while n.poll_action().is_some() {}
    assert_eq!(n.chain().height(), height);
    (net, params, now)
}

/// `n` headers with valid proof of work from genesis, tagged by `tag`.
fn branch(params: &NetworkParams, n: u32, tag: u32) -> Vec<BlockHeader> {
    let mut prev = params.network_id();
    let t0 = params.genesis_block().header.time;
    (0..n)
        .map(|i| {
            let mut h = BlockHeader {
                version: 1,
                prev,
                merkle_root: Hash256::sha256(&tag.to_le_bytes()),
                time: t0 + 1 + i,
                bits: params.pow_limit_bits,
                nonce: 0,
            };
            while check_pow(&h, params.pow_limit_bits).is_err() {
                h.nonce += 1;
            }
            prev = h.hash();
            h
        })
        .collect()
}

/// Sends `headers` from the attacker; returns the locators of the `get-headers` the
/// node answered with, and the reason if it cut the attacker.
fn feed(
    n: &mut Node,
    headers: &[BlockHeader],
    now: Time,
) -> (Vec<Vec<Hash256>>, Option<DisconnectReason>) {
    n.on_message(
        ATTACKER,
        Message::Headers {
            headers: headers.to_vec(),
        },
        now,
    );
    let (mut asks, mut cut) = (Vec::new(), None);
    while let Some(a) = n.poll_action() {
        match a {
            Action::Send {
                conn: ATTACKER,
                msg: Message::GetHeaders { locator, .. },
            } => asks.push(locator),
            Action::Disconnect {
                conn: ATTACKER,
                reason,
            } => cut = Some(reason),
            _ => {}
        }
    }
    (asks, cut)
}

#[test]
fn a_low_work_branch_is_presynced_then_redownloaded_and_stored() {
    let (mut net, params, now) = node_at(2500);
    let n = &mut net.nodes[0];
    let before = n.chain().header_count();
    let b = branch(&params, 3000, 1);
    let genesis = params.network_id();
    // 2000 headers from genesis: less work than the tip minus 144 blocks.
    let (asks, cut) = feed(n, &b[..2000], now);
    assert_eq!(cut, None);
    assert_eq!(asks, vec![vec![b[1999].hash()]], "asks for more");
    assert_eq!(n.chain().header_count(), before, "nothing stored");
    // 1000 more: the branch's work (3001 blocks) passes the tip's (2501).
    let (asks, cut) = feed(n, &b[2000..], now);
    assert_eq!(cut, None);
    assert_eq!(asks, vec![vec![genesis]], "redownload from the fork point");
    assert_eq!(n.chain().header_count(), before);
    // The redownload is stored as it passes the commitment.
    let (asks, _) = feed(n, &b[..2000], now);
    assert_eq!(asks, vec![vec![b[1999].hash()]]);
    assert_eq!(n.chain().header_count(), before + 2000);
    let (asks, _) = feed(n, &b[2000..], now);
    // Stored up to the presynced end (height 2501), then asked for the rest.
    assert_eq!(asks, vec![vec![b[2500].hash()]]);
    assert_eq!(n.chain().header_count(), before + 2501);
    let (_, cut) = feed(n, &b[2501..], now);
    assert_eq!(cut, None);
    assert_eq!(n.chain().header_count(), before + 3000);
    assert_eq!(n.chain().best_header().0, b[2999].hash());
}

#[test]
fn a_swapped_redownload_is_misbehaviour() {
    let (mut net, params, now) = node_at(2500);
    let n = &mut net.nodes[0];
    let before = n.chain().header_count();
    let b = branch(&params, 3000, 1);
    feed(n, &b[..2000], now);
    let (asks, _) = feed(n, &b[2000..], now);
    assert_eq!(asks, vec![vec![params.network_id()]]);
    let other = branch(&params, 2000, 2);
    let (_, cut) = feed(n, &other, now);
    assert!(
        matches!(cut, Some(DisconnectReason::Misbehaviour(ref w)) if w.contains("differ")),
        "{cut:?}"
    );
    // Caught within a few commitment periods.
    let stored = n.chain().header_count() - before;
    assert!(stored < 64 * 8, "{stored} swapped headers stored");
}

#[test]
fn low_work_branches_that_end_too_light_cut_their_sender() {
    let (mut net, params, now) = node_at(5000);
    let n = &mut net.nodes[0];
    let before = n.chain().header_count();
    for tag in 0..10 {
        // 2000 headers, then 500: 2501 blocks of work, well below the tip's 5001.
        let b = branch(&params, 2500, tag);
        let (asks, cut) = feed(n, &b[..2000], now);
        assert_eq!(cut, None, "branch {tag}");
        assert_eq!(asks.len(), 1);
        let (_, cut) = feed(n, &b[2000..], now);
        assert_eq!(n.chain().header_count(), before, "nothing stored");
        if let Some(r) = cut {
            assert_eq!(r, DisconnectReason::OverBudget(Budget::UselessHeaders));
            assert!(tag >= 3, "cut after its budget, not at once: branch {tag}");
            return;
        }
    }
    panic!("never cut");
}

#[test]
fn side_branches_from_genesis_are_bounded_by_the_side_header_budget() {
    // A node at height 10 and a heavier best header chain: branches from genesis
    // that do not raise the best header are side branches.
    let (mut net, params, now) = node_at(10);
    let n = &mut net.nodes[0];
    let heavy = branch(&params, 2000, 100);
    let (_, cut) = feed(n, &heavy, now);
    assert_eq!(cut, None);
    let before = n.chain().header_count();
    // Side branches of 100 headers (each has more work than the tip): the first 20
    // fit the side-header budget (2000), the rest are dropped.
    for tag in 0..30 {
        let (_, cut) = feed(n, &branch(&params, 100, tag), now);
        if cut.is_some() {
            break;
        }
    }
    let stored = n.chain().header_count() - before;
    assert_eq!(stored, 2000, "side headers stored");
}
