//! Two or three real `Node` state machines wired together in memory, with instant
//! delivery ([`cheesechain::sim::harness`], which also checks that a block is stored
//! only after its parent and the timer rule after every tick): checks handshake, block
//! announcement, download, relay and misbehaviour handling without sockets.

use cheesechain::chain::keys::{account_of, secret_from_bytes, sign_transfer};
use cheesechain::chain::{Hash256, NetworkParams, Transfer};
use cheesechain::node::Node;
use cheesechain::service::{Action, Direction, DisconnectReason, Role, Service};
use cheesechain::sim::harness::{addr, Harness};
use cheesechain::wire::Message;
use std::net::SocketAddr;
use std::time::Duration;

/// Opens inbound connection `conn` from `remote` on `n` and completes the handshake
/// with a `version` carrying `nonce`.
fn handshake_inbound(
    n: &mut Node,
    conn: u64,
    remote: SocketAddr,
    nonce: u64,
    params: &NetworkParams,
    now: cheesechain::service::Time,
) {
    use cheesechain::wire::{Version, PROTOCOL_VERSION};
    n.on_connected(conn, remote, Direction::Inbound, Role::Peer, now);
    n.on_message(
        conn,
        Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: params.network_id(),
            nonce,
            best_height: 0,
            listen_port: 0,
        }),
        now,
    );
    n.on_message(conn, Message::Verack, now);
}

#[test]
fn blocks_propagate_over_a_line_of_three_nodes() {
    let mut net = Harness::new(3, &[0]);
    net.tick(1);
    net.connect(0, 1);
    net.connect(1, 2);
    net.mine(0, 10);
    let tip = net.nodes[0].chain().tip();
    assert_eq!(net.nodes[0].chain().height(), 10);
    for n in &net.nodes {
        assert_eq!(n.chain().tip(), tip);
    }
    assert!(net.closed.is_empty(), "{:?}", net.closed);
}

#[test]
fn late_joiner_syncs_by_headers_first() {
    let mut net = Harness::new(2, &[0]);
    net.tick(1);
    net.mine(0, 300);
    assert_eq!(net.nodes[1].chain().height(), 0);
    net.connect(1, 0);
    assert_eq!(net.nodes[1].chain().height(), 300);
    assert_eq!(net.nodes[1].chain().tip(), net.nodes[0].chain().tip());
}

#[test]
fn competing_miners_converge_after_a_partition() {
    let mut net = Harness::new(2, &[0, 1]);
    net.tick(1);
    net.mine(0, 5);
    net.mine(1, 8);
    net.connect(0, 1);
    // Node 1's chain has more work: node 0 reorganises to it.
    assert_eq!(net.nodes[0].chain().tip(), net.nodes[1].chain().tip());
    assert_eq!(net.nodes[0].chain().height(), 8);
    assert_eq!(net.nodes[0].stats().reorgs, 1);
    assert_eq!(net.nodes[0].stats().max_reorg_depth, 5);
}

#[test]
fn transfers_relay_and_get_mined() {
    let mut net = Harness::new(2, &[0]);
    net.tick(1);
    net.connect(0, 1);
    net.mine(0, 2);
    let sk = secret_from_bytes([1; 32]).unwrap();
    let bob = account_of(&secret_from_bytes([77; 32]).unwrap());
    let params = net.nodes[0].config().params.clone();
    let mut t = Transfer {
        sender: account_of(&sk),
        recipient: bob,
        amount: 1000,
        fee: 10,
        sequence: 0,
        signature: [0; 64],
    };
    sign_transfer(&mut t, &sk, &params.network_id());
    // Submitted at the non-mining node, relayed to the miner, mined.
    net.nodes[1].submit_transfer(t).unwrap();
    net.pump();
    assert_eq!(net.nodes[0].mempool().len(), 1);
    net.mine(0, 1);
    for n in &net.nodes {
        assert_eq!(n.chain().balance(&bob), 1000);
        assert_eq!(n.mempool().len(), 0);
    }
}

#[test]
fn wrong_network_and_self_connection_are_refused() {
    let mut net = Harness::new(2, &[]);
    net.tick(1);
    // Same node twice: node 0 connects to itself.
    let (ca, cb) = (100, 101);
    net.links.insert(ca, (0, 0, cb));
    net.links.insert(cb, (0, 0, ca));
    let now = net.now;
    net.nodes[0].on_connected(cb, addr(0), Direction::Inbound, Role::Peer, now);
    net.nodes[0].on_connected(ca, addr(0), Direction::Outbound, Role::Peer, now);
    net.pump();
    assert!(net
        .closed
        .iter()
        .any(|(_, _, r)| *r == DisconnectReason::SelfConnection));
}

#[test]
fn misbehaving_address_is_banned_and_refused_on_reconnect() {
    use cheesechain::chain::target::{expand_compact, hash_meets_target};
    let mut net = Harness::new(1, &[]);
    net.tick(1);
    let params = NetworkParams::regtest();
    let remote: SocketAddr = "192.0.2.7:5555".parse().unwrap();
    let now = net.now;
    let n = &mut net.nodes[0];
    handshake_inbound(n, 50, remote, 12345, &params, now);
    // A header on genesis whose hash misses the target.
    let mut h = params.genesis_block().header;
    h.prev = params.network_id();
    let target = expand_compact(h.bits).unwrap();
    while hash_meets_target(&h.hash(), &target) {
        h.nonce += 1;
    }
    n.on_message(50, Message::Headers { headers: vec![h] }, now);
    let mut reason = None;
    while let Some(a) = n.poll_action() {
        if let Action::Disconnect {
            conn: 50,
            reason: r,
        } = a
        {
            reason = Some(r);
        }
    }
    let reason = reason.expect("bad proof of work must disconnect");
    assert!(
        matches!(reason, DisconnectReason::Misbehaviour(_)),
        "{reason:?}"
    );
    n.on_disconnected(50, &reason, now);
    assert_eq!(n.stats().bans, 1);
    // The same IP from another port is refused while the ban lasts.
    let again: SocketAddr = "192.0.2.7:6666".parse().unwrap();
    n.on_connected(51, again, Direction::Inbound, Role::Peer, now);
    let mut refused = false;
    while let Some(a) = n.poll_action() {
        if let Action::Disconnect { conn: 51, reason } = a {
            refused = reason == DisconnectReason::Banned;
        }
    }
    assert!(refused, "a banned IP must be refused");
}

#[test]
fn a_block_is_stored_only_after_its_parent() {
    use cheesechain::wire::{Version, PROTOCOL_VERSION};
    // Node 0 mines two blocks alone; node 1 hears of them from a scripted peer that
    // sends both headers, then block 2, then block 1.
    let mut net = Harness::new(2, &[0]);
    net.tick(1);
    net.mine(0, 2);
    let c0 = net.nodes[0].chain();
    let (h1, h2) = (c0.hash_at(1).unwrap(), c0.hash_at(2).unwrap());
    let (b1, b2) = (
        c0.block(&h1).unwrap().clone(),
        c0.block(&h2).unwrap().clone(),
    );
    let params = NetworkParams::regtest();
    let now = net.now;
    let n = &mut net.nodes[1];
    n.on_connected(60, addr(0), Direction::Outbound, Role::Peer, now);
    n.on_message(
        60,
        Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: params.network_id(),
            nonce: 999,
            best_height: 2,
            listen_port: 9000,
        }),
        now,
    );
    n.on_message(60, Message::Verack, now);
    n.on_message(
        60,
        Message::Headers {
            headers: vec![b1.header, b2.header],
        },
        now,
    );
    let drain = |n: &mut Node| {
        let mut stored = Vec::new();
        while let Some(a) = n.poll_action() {
            if let Action::StoreBlock(b) = a {
                stored.push(b.hash());
            }
        }
        stored
    };
    drain(n);
    n.on_message(60, Message::Block(b2.into()), now);
    assert_eq!(
        drain(n),
        Vec::<Hash256>::new(),
        "block 2 stored before block 1"
    );
    assert_eq!(n.chain().height(), 0);
    n.on_message(60, Message::Block(b1.into()), now);
    assert_eq!(
        drain(n),
        vec![h1, h2],
        "parent first, then the waiting child"
    );
    assert_eq!(n.chain().tip(), h2);
}

#[test]
fn timers_keep_a_live_link_and_drop_a_dead_peer_on_time() {
    let mut net = Harness::new(2, &[]);
    net.tick(1);
    net.connect(0, 1);
    let cfg = net.nodes[0].config().clone();
    // Ten virtual minutes driven only by the deadlines the nodes ask for: pings keep
    // the link up (the idle timeout is shorter than this).
    let start = net.now;
    let mut steps = 0;
    while net.now.since(start) < Duration::from_secs(10 * 60) {
        net.run_timers();
        steps += 1;
        assert!(steps < 10_000, "timers spin");
    }
    assert!(net.closed.is_empty(), "{:?}", net.closed);
    assert_eq!(
        net.nodes[0].status().peers_out + net.nodes[0].status().peers_in,
        1
    );
    // Node 1 goes silent: node 0 must drop it once a ping goes unanswered, not later.
    net.muted = Some(1);
    let silent = net.now;
    while net.closed.is_empty() {
        net.run_timers();
        assert!(
            net.now.since(silent) <= cfg.ping_interval + cfg.ping_timeout,
            "dead peer still connected after {:?}",
            net.now.since(silent)
        );
    }
    assert_eq!(net.closed[0].0, 0, "{:?}", net.closed);
}

#[test]
fn a_hub_with_more_peers_than_slots_relays_each_block_once_per_peer() {
    use cheesechain::node::known::PEER_SLOTS;
    use cheesechain::wire::{MSG_BLOCK, MSG_HEADERS};
    // Leaves 1..n connect to hub 0; the last leaves get no slot in the hub's shared
    // table and use their own known-block sets.
    let n = 1 + PEER_SLOTS + 6;
    let (first, last) = (1, n - 1);
    let mut net = Harness::new(n, &[first, last]);
    net.tick(1);
    for i in 1..n {
        net.connect(i, 0);
    }
    assert_eq!(net.nodes[0].status().peers_in, n - 1);
    let hub_conn = |net: &Harness, leaf: usize| {
        *net.links
            .iter()
            .find(|(_, &(owner, remote, _))| owner == 0 && remote == leaf)
            .unwrap()
            .0
    };
    for miner in [first, last] {
        let mark = net.sends.len();
        net.mine(miner, 1);
        let tip = net.nodes[miner].chain().tip();
        for (i, node) in net.nodes.iter().enumerate() {
            assert_eq!(node.chain().tip(), tip, "node {i}");
        }
        // (headers, blocks) the hub sent to `leaf` since the block was mined.
        let relayed = |net: &Harness, leaf: usize| {
            let c = hub_conn(net, leaf);
            let mine = net.sends[mark..]
                .iter()
                .filter(|&&(from, conn, _)| from == 0 && conn == c);
            let of = |t| mine.clone().filter(|&&(_, _, ty)| ty == t).count();
            (of(MSG_HEADERS), of(MSG_BLOCK))
        };
        assert_eq!(
            relayed(&net, miner),
            (0, 0),
            "the hub echoed miner {miner}'s block"
        );
        for leaf in (1..n).filter(|&l| l != miner) {
            // Announced once: pushed whole, or a header and then the requested block.
            let (h, b) = relayed(&net, leaf);
            assert!(
                h <= 1 && b == 1,
                "leaf {leaf}, block of miner {miner}: {h} headers, {b} blocks"
            );
        }
    }
    assert!(net.closed.is_empty(), "{:?}", net.closed);
}

#[test]
fn a_transfer_already_in_the_pool_is_answered_with_reject_duplicate() {
    use cheesechain::chain::Transaction;
    use cheesechain::wire::{RejectCode, MSG_TX};
    let mut net = Harness::new(1, &[0]);
    net.tick(1);
    net.mine(0, 2);
    let params = net.nodes[0].config().params.clone();
    // The harness's node 0 mines to the key of bytes [1; 32].
    let sk = secret_from_bytes([1; 32]).unwrap();
    let mut t = Transfer {
        sender: account_of(&sk),
        recipient: account_of(&secret_from_bytes([77; 32]).unwrap()),
        amount: 1000,
        fee: 10,
        sequence: 0,
        signature: [0; 64],
    };
    sign_transfer(&mut t, &sk, &params.network_id());
    let txid = net.nodes[0].submit_transfer(t).expect("a valid transfer");
    let remote: SocketAddr = "192.0.2.9:5555".parse().unwrap();
    let now = net.now;
    let n = &mut net.nodes[0];
    handshake_inbound(n, 60, remote, 4242, &params, now);
    while n.poll_action().is_some() {}
    // The same transfer twice from the peer: both times a reject, never a ban.
    for _ in 0..2 {
        n.on_message(60, Message::Tx(Box::new(Transaction::Transfer(t))), now);
        let mut rejects = Vec::new();
        while let Some(a) = n.poll_action() {
            match a {
                Action::Send {
                    conn: 60,
                    msg:
                        Message::Reject {
                            msg_type,
                            code,
                            hash,
                            ..
                        },
                } => rejects.push((msg_type, code, hash)),
                Action::Disconnect { conn: 60, reason } => panic!("cut: {reason:?}"),
                _ => {}
            }
        }
        assert_eq!(rejects, vec![(MSG_TX, RejectCode::Duplicate, txid)]);
    }
    assert_eq!(n.mempool().len(), 1);
}

#[test]
fn a_transfer_to_oneself_is_rejected_not_punished() {
    use cheesechain::chain::Transaction;
    use cheesechain::wire::{RejectCode, MSG_TX};
    let mut net = Harness::new(1, &[0]);
    net.tick(1);
    net.mine(0, 2);
    let params = net.nodes[0].config().params.clone();
    // The harness's node 0 mines to the key of bytes [1; 32]; it pays itself.
    let sk = secret_from_bytes([1; 32]).unwrap();
    let mut t = Transfer {
        sender: account_of(&sk),
        recipient: account_of(&sk),
        amount: 1000,
        fee: 10,
        sequence: 0,
        signature: [0; 64],
    };
    sign_transfer(&mut t, &sk, &params.network_id());
    let remote: SocketAddr = "192.0.2.10:5555".parse().unwrap();
    let now = net.now;
    let n = &mut net.nodes[0];
    handshake_inbound(n, 61, remote, 4343, &params, now);
    while n.poll_action().is_some() {}
    n.on_message(61, Message::Tx(Box::new(Transaction::Transfer(t))), now);
    let mut rejects = Vec::new();
    while let Some(a) = n.poll_action() {
        match a {
            Action::Send {
                conn: 61,
                msg: Message::Reject { msg_type, code, .. },
            } => rejects.push((msg_type, code)),
            Action::Disconnect { conn: 61, reason } => panic!("cut: {reason:?}"),
            _ => {}
        }
    }
    assert_eq!(rejects, vec![(MSG_TX, RejectCode::Invalid)]);
    assert_eq!(n.stats().bans, 0);
    assert_eq!(n.mempool().len(), 0);
}

/// Drains `n`'s actions and returns the reason `conn` was cut, if it was.
fn cut_reason(n: &mut Node, conn: u64) -> Option<DisconnectReason> {
    let mut cut = None;
    while let Some(a) = n.poll_action() {
        if let Action::Disconnect { conn: c, reason } = a {
            if c == conn {
                cut = Some(reason);
            }
        }
    }
    cut
}

#[test]
fn an_orphan_without_valid_proof_of_work_bans_its_sender_and_is_not_kept() {
    use cheesechain::chain::pow::check_pow;
    use std::sync::Arc;
    let mut net = Harness::new(2, &[0]);
    net.tick(1);
    net.mine(0, 2);
    let params = net.nodes[1].config().params.clone();
    let tip = net.nodes[0].chain().tip();
    let good = net.nodes[0].chain().block(&tip).unwrap().clone();
    // Same block, nonce changed until the hash misses its own target.
    let mut bad = good.clone();
    while check_pow(&bad.header, params.pow_limit_bits).is_ok() {
        bad.header.nonce = bad.header.nonce.wrapping_add(1);
    }
    let now = net.now;
    let n = &mut net.nodes[1];
    handshake_inbound(n, 70, addr(7), 1, &params, now);
    while n.poll_action().is_some() {}
    // A valid orphan (its parent, block 1, is unknown here) is kept, no punishment.
    n.on_message(70, Message::Block(Arc::new(good)), now);
    assert_eq!(cut_reason(n, 70), None);
    let kept = n.orphan_bytes();
    assert!(kept > 0);
    n.on_message(70, Message::Block(Arc::new(bad)), now);
    match cut_reason(n, 70) {
        Some(r @ DisconnectReason::Misbehaviour(_)) => {
            assert!(r.is_misbehaviour(), "banned");
        }
        other => panic!("expected a ban, got {other:?}"),
    }
    assert_eq!(n.orphan_bytes(), kept, "the bad block was not kept");
}

#[test]
fn an_orphan_flood_from_one_peer_stays_within_its_share() {
    use cheesechain::chain::orphans::ORPHAN_PEER_BYTES;
    use std::sync::Arc;
    let mut net = Harness::new(2, &[0]);
    net.tick(1);
    net.mine(0, 1);
    let params = net.nodes[1].config().params.clone();
    let tip = net.nodes[0].chain().tip();
    let base = net.nodes[0].chain().block(&tip).unwrap().clone();
    let now = net.now;
    let n = &mut net.nodes[1];
    handshake_inbound(n, 71, addr(8), 2, &params, now);
    while n.poll_action().is_some() {}
    // Orphans with valid proof of work on random parents: many more than fit.
    let share = ORPHAN_PEER_BYTES;
    let mut sent = 0usize;
    let mut i = 0u32;
    while sent < 4 * share {
        let mut b = base.clone();
        b.header.prev = Hash256::sha256(&i.to_le_bytes());
        i += 1;
        while cheesechain::chain::pow::check_pow(&b.header, params.pow_limit_bits).is_err() {
            b.header.nonce = b.header.nonce.wrapping_add(1);
        }
        sent += cheesechain::chain::orphans::orphan_cost(&b);
        n.on_message(71, Message::Block(Arc::new(b)), now);
        assert_eq!(cut_reason(n, 71), None);
        assert!(n.orphan_bytes() <= share);
    }
    assert!(n.orphan_bytes() > share / 2);
}

#[test]
fn request_floods_exceed_their_budgets_and_are_cut() {
    use cheesechain::node::budget::{GET_HEADERS_BURST, PING_BURST};
    use cheesechain::service::Budget;
    let mut net = Harness::new(1, &[0]);
    net.tick(1);
    net.mine(0, 50);
    let params = net.nodes[0].config().params.clone();
    let now = net.now;
    let genesis = params.network_id();
    let n = &mut net.nodes[0];
    // Pings: the burst is answered, the next one is over budget.
    handshake_inbound(n, 80, addr(9), 3, &params, now);
    while n.poll_action().is_some() {}
    for i in 0..PING_BURST {
        n.on_message(80, Message::Ping { nonce: i }, now);
        assert_eq!(cut_reason(n, 80), None);
    }
    n.on_message(80, Message::Ping { nonce: 99 }, now);
    assert_eq!(
        cut_reason(n, 80),
        Some(DisconnectReason::OverBudget(Budget::Ping))
    );
    // get-headers from genesis over and over (each answer 50 headers): cut once the
    // headers sent reach the burst, long before the amplification adds up.
    handshake_inbound(n, 81, addr(10), 4, &params, now);
    while n.poll_action().is_some() {}
    let mut answered = 0u64;
    let cut = loop {
        let msg = Message::GetHeaders {
            locator: vec![genesis],
            stop: Hash256::ZERO,
        };
        n.on_message(81, msg, now);
        if let Some(r) = cut_reason(n, 81) {
            break r;
        }
        answered += 1;
        assert!(answered < 10_000, "never cut");
    };
    assert_eq!(cut, DisconnectReason::OverBudget(Budget::GetHeaders));
    assert!(answered * 58 <= GET_HEADERS_BURST && answered * 58 + 58 > GET_HEADERS_BURST);
    assert!(cut.is_misbehaviour(), "banned");
    // A second later the same rate is allowed again, in a new connection.
    let later = cheesechain::service::Time(now.0 + 1000);
    handshake_inbound(n, 82, addr(11), 5, &params, later);
    while n.poll_action().is_some() {}
    n.on_message(82, Message::Ping { nonce: 1 }, later);
    assert_eq!(cut_reason(n, 82), None);
}

#[test]
fn a_low_work_branch_forking_at_genesis_is_not_stored_and_its_flooder_is_cut() {
    use cheesechain::chain::pow::check_pow;
    use cheesechain::service::Budget;
    let mut net = Harness::new(1, &[0]);
    net.tick(1);
    net.mine(0, 300);
    let params = net.nodes[0].config().params.clone();
    let now = net.now;
    let genesis_time = params.genesis_block().header.time;
    let n = &mut net.nodes[0];
    handshake_inbound(n, 90, addr(12), 6, &params, now);
    while n.poll_action().is_some() {}
    let before = n.chain().header_count();
    let mut seed = 0u32;
    let cut = loop {
        // 100 headers from genesis: far less work than the 300-block tip.
        let mut prev = params.network_id();
        let mut batch = Vec::new();
        for i in 0..100u32 {
            let mut h = cheesechain::chain::BlockHeader {
                version: 1,
                prev,
                merkle_root: Hash256::sha256(&seed.to_le_bytes()),
                time: genesis_time + 1 + i,
                bits: params.pow_limit_bits,
                nonce: 0,
            };
            while check_pow(&h, params.pow_limit_bits).is_err() {
                h.nonce += 1;
            }
            prev = h.hash();
            batch.push(h);
        }
        seed += 1;
        n.on_message(90, Message::Headers { headers: batch }, now);
        assert_eq!(n.chain().header_count(), before, "nothing stored");
        if let Some(r) = cut_reason(n, 90) {
            break r;
        }
        assert!(seed < 1000, "never cut");
    };
    assert_eq!(cut, DisconnectReason::OverBudget(Budget::UselessHeaders));
    assert_eq!(seed, 41, "cut once 4 000 useless headers are exceeded");
}

/// The nonce node `i` of `net` puts in its `version`, as any remote that connects to
/// it learns it: a scripted inbound connection reads it from the first message.
fn nonce_of(net: &mut Harness, i: usize) -> u64 {
    let now = net.now;
    let spy: SocketAddr = "127.0.0.9:4000".parse().unwrap();
    let n = &mut net.nodes[i];
    n.on_connected(900 + i as u64, spy, Direction::Inbound, Role::Peer, now);
    let mut nonce = None;
    while let Some(a) = n.poll_action() {
        if let Action::Send {
            msg: Message::Version(v),
            ..
        } = a
        {
            nonce = Some(v.nonce);
        }
    }
    n.on_disconnected(900 + i as u64, &DisconnectReason::RemoteClosed, now);
    nonce.expect("a node sends its version on connecting")
}

/// Replaying honest X's `version` nonce on an inbound connection to V, before or after
/// V dials X, never costs V its link to X (whichever of the two nonces is larger).
#[test]
fn a_replayed_nonce_on_an_inbound_connection_does_not_cut_a_real_link() {
    let params = NetworkParams::regtest();
    let attacker: SocketAddr = "127.0.0.2:6000".parse().unwrap();
    for (v, x) in [(0, 1), (1, 0)] {
        for replay_first in [true, false] {
            let mut net = Harness::new(2, &[]);
            net.tick(1);
            let nx = nonce_of(&mut net, x);
            let now = net.now;
            if replay_first {
                handshake_inbound(&mut net.nodes[v], 700, attacker, nx, &params, now);
                net.connect(v, x);
            } else {
                net.connect(v, x);
                handshake_inbound(&mut net.nodes[v], 700, attacker, nx, &params, now);
            }
            net.pump();
            assert_eq!(
                net.nodes[v].status().peers_out,
                1,
                "V={v} replay_first={replay_first}: V lost its link to X: {:?}",
                net.closed
            );
            assert_eq!(net.nodes[x].status().peers_in, 1);
            assert!(
                !net.closed.iter().any(|(n, c, _)| *n == v && *c != 700),
                "{:?}",
                net.closed
            );
        }
    }
}

/// Two nodes that dial each other keep exactly one link, whichever dials first and
/// whichever nonce is larger: the one opened by the node with the larger nonce.
#[test]
fn two_nodes_dialling_each_other_keep_one_link() {
    for (a, b) in [(0, 1), (1, 0)] {
        let mut net = Harness::new(2, &[]);
        net.tick(1);
        let larger = if nonce_of(&mut net, 0) > nonce_of(&mut net, 1) {
            0
        } else {
            1
        };
        net.connect(a, b);
        net.connect(b, a);
        net.pump();
        let links: usize = net
            .nodes
            .iter()
            .map(|n| n.status().peers_out + n.status().peers_in)
            .sum();
        assert_eq!(links, 2, "one link, seen from both ends: {:?}", net.closed);
        assert_eq!(
            net.nodes[larger].status().peers_out,
            1,
            "the link the larger nonce opened stays"
        );
        assert!(net
            .closed
            .iter()
            .all(|(_, _, r)| *r == DisconnectReason::Duplicate));
    }
}

/// Which handshake one end of a mutual dial sees get furthest first.
#[derive(Clone, Copy, Debug)]
enum DialOrder {
    /// Its outbound link is ready before the other's `version` arrives inbound.
    OutboundReady,
    /// Its outbound link got the other's `version`, not yet its `verack`.
    OutboundVersion,
    /// The inbound link completed its handshake before the outbound one answered.
    InboundReady,
}

/// Which of the two links of a mutual dial node `v` closes, seeing them in `order`,
/// when the other node's nonce is `other` (true: the one `v` opened).
fn closes(order: DialOrder, other: u64, v_seed: u64) -> Vec<bool> {
    use cheesechain::node::NodeConfig;
    use cheesechain::wire::{Version, PROTOCOL_VERSION};
    let params = NetworkParams::regtest();
    let now = cheesechain::service::Time(params.genesis_time as u64 * 1000 + 60_000);
    let mut cfg = NodeConfig::new(params.clone());
    cfg.seed = v_seed;
    cfg.max_outbound = 0;
    let mut n = Node::new(cfg, Vec::new(), now).0;
    let remote: SocketAddr = "127.0.0.2:9000".parse().unwrap();
    let version = Message::Version(Version {
        version: PROTOCOL_VERSION as u32,
        network_id: params.network_id(),
        nonce: other,
        best_height: 0,
        listen_port: 9000,
    });
    let (out, inb) = (1u64, 2u64);
    n.on_connected(out, remote, Direction::Outbound, Role::Peer, now);
    match order {
        DialOrder::OutboundReady => {
            n.on_message(out, version.clone(), now);
            n.on_message(out, Message::Verack, now);
            n.on_connected(inb, remote, Direction::Inbound, Role::Peer, now);
            n.on_message(inb, version, now);
            n.on_message(inb, Message::Verack, now);
        }
        DialOrder::OutboundVersion => {
            n.on_message(out, version.clone(), now);
            n.on_connected(inb, remote, Direction::Inbound, Role::Peer, now);
            n.on_message(inb, version, now);
            n.on_message(inb, Message::Verack, now);
            n.on_message(out, Message::Verack, now);
        }
        DialOrder::InboundReady => {
            n.on_connected(inb, remote, Direction::Inbound, Role::Peer, now);
            n.on_message(inb, version.clone(), now);
            n.on_message(inb, Message::Verack, now);
            n.on_message(out, version, now);
            n.on_message(out, Message::Verack, now);
        }
    }
    let mut closed = Vec::new();
    while let Some(a) = n.poll_action() {
        if let Action::Disconnect { conn, reason } = a {
            assert_eq!(reason, DisconnectReason::Duplicate);
            closed.push(conn == out);
        }
    }
    closed
}

/// Whatever order each end of a mutual dial sees the handshakes in (the two ends are
/// ready at different moments), together they close exactly one of the two links and
/// keep the one the larger nonce opened. A rule that let the ready link win could
/// close both, and both nodes then redialled in lockstep.
#[test]
fn a_mutual_dial_keeps_one_link_in_every_interleaving() {
    let orders = [
        DialOrder::OutboundReady,
        DialOrder::OutboundVersion,
        DialOrder::InboundReady,
    ];
    // The real nonces of the nodes with seeds 1 and 2, read from their `version`.
    let mut net = Harness::new(2, &[]);
    net.tick(1);
    let (n1, n2) = (nonce_of(&mut net, 0), nonce_of(&mut net, 1));
    assert_ne!(n1, n2);
    for o1 in orders {
        for o2 in orders {
            // Node 1 sees node 2's nonce and vice versa; "the link node 1 opened" is
            // the one node 2 accepted.
            let by1 = closes(o1, n2, 1);
            let by2 = closes(o2, n1, 2);
            let opened_by_1_closed = by1.contains(&true) || by2.contains(&false);
            let opened_by_2_closed = by1.contains(&false) || by2.contains(&true);
            assert!(
                opened_by_1_closed != opened_by_2_closed,
                "{o1:?}/{o2:?}: node 1 closed {by1:?}, node 2 closed {by2:?}"
            );
            assert_eq!(
                opened_by_2_closed,
                n1 > n2,
                "{o1:?}/{o2:?}: the link the larger nonce opened must stay"
            );
        }
    }
}
