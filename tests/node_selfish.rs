//! The selfish strategy (SM1) in real nodes wired in memory: found blocks are withheld
//! from peers, and published when the public chain catches up.

use cheesechain::node::Strategy;
use cheesechain::sim::harness::Harness;

/// Node 0 mines selfishly, node 1 honestly; they are connected.
fn pair() -> Harness {
    let mut h = Harness::with_config(2, &[0, 1], |i, c| {
        if i == 0 {
            c.strategy = Strategy::Selfish;
        }
    });
    h.connect(0, 1);
    h
}

#[test]
fn a_lead_of_two_is_withheld_then_published_when_an_honest_block_arrives() {
    let mut h = pair();
    h.mine(0, 2);
    assert_eq!(h.nodes[0].chain().height(), 2);
    // Withheld: the honest node has not seen them.
    assert_eq!(h.nodes[1].chain().height(), 0);
    assert_eq!(
        h.nodes[0].selfish().map(|s| (s.lead(), s.withheld())),
        Some((2, 2))
    );
    // The honest node finds a block: the selfish node publishes both and wins.
    h.mine(1, 1);
    assert_eq!(h.nodes[1].chain().tip(), h.nodes[0].chain().tip());
    assert_eq!(h.nodes[1].chain().height(), 2);
    assert_eq!(
        h.nodes[0].selfish().map(|s| (s.lead(), s.withheld())),
        Some((0, 0))
    );
    assert!(h.nodes[1].stats().reorgs >= 1);
}

#[test]
fn a_lead_of_one_is_published_to_race_an_honest_block() {
    let mut h = pair();
    h.mine(0, 1);
    assert_eq!(h.nodes[1].chain().height(), 0);
    h.mine(1, 1);
    // Both have height 1 with different tips (first seen), and the selfish node races.
    let s = h.nodes[0].selfish().expect("selfish");
    let (ours, theirs) = s.race().expect("a race");
    assert_eq!(h.nodes[0].chain().tip(), ours);
    assert_eq!(h.nodes[1].chain().tip(), theirs);
    assert!(
        h.nodes[1].chain().contains(&ours),
        "our block was announced"
    );
    // The selfish node finds the next block: it publishes and everyone follows it.
    h.mine(0, 1);
    assert_eq!(h.nodes[1].chain().tip(), h.nodes[0].chain().tip());
    assert_eq!(h.nodes[1].chain().height(), 2);
    assert!(h.nodes[1].chain().is_active(&ours));
}

#[test]
fn withheld_blocks_are_not_given_to_a_peer_that_connects_later() {
    let mut h = Harness::with_config(3, &[0], |i, c| {
        if i == 0 {
            c.strategy = Strategy::Selfish;
        }
    });
    h.connect(0, 1);
    h.mine(0, 3);
    h.connect(2, 0);
    assert_eq!(h.nodes[2].chain().height(), 0);
    assert_eq!(h.nodes[1].chain().height(), 0);
    assert_eq!(h.nodes[0].chain().height(), 3);
}

/// Sends `m` to node `n` on `conn` and returns every message the node answers with.
fn ask(
    n: &mut cheesechain::node::Node,
    conn: cheesechain::service::ConnId,
    m: cheesechain::wire::Message,
    now: cheesechain::service::Time,
) -> Vec<cheesechain::wire::Message> {
    use cheesechain::service::{Action, Service};
    n.on_message(conn, m, now);
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

#[test]
fn public_queries_do_not_reveal_withheld_blocks_but_the_control_socket_does() {
    use cheesechain::service::{Direction, Role, Service};
    use cheesechain::wire::{BlockQuery, ChainStatus, Message, Version, PROTOCOL_VERSION};
    let mut h = pair();
    h.mine(0, 2);
    let now = h.now;
    let n = &mut h.nodes[0];
    let withheld = n.chain().tip();
    let first = n.chain().hash_at(1).unwrap();
    let genesis = n.chain().hash_at(0).unwrap();
    assert_eq!(n.selfish().map(|s| s.withheld()), Some(2));
    // A public client on the peer port: handshake, then the queries.
    let (public, control) = (900, 901);
    let client = "127.0.0.9:4000".parse().unwrap();
    n.on_connected(public, client, Direction::Inbound, Role::Peer, now);
    let v = Version {
        version: PROTOCOL_VERSION as u32,
        network_id: n.chain().network_id(),
        nonce: 77,
        best_height: 0,
        listen_port: 0,
    };
    ask(n, public, Message::Version(v), now);
    ask(n, public, Message::Verack, now);
    n.on_connected(control, client, Direction::Inbound, Role::Control, now);

    let info = |n: &mut cheesechain::node::Node, c| match &ask(n, c, Message::GetInfo, now)[..] {
        [Message::Info(i)] => (i.height, i.tip, i.best_header),
        other => panic!("{other:?}"),
    };
    assert_eq!(info(n, public), (0, genesis, genesis));
    assert_eq!(info(n, control), (2, withheld, withheld));

    let block =
        |n: &mut cheesechain::node::Node, c, q| match &ask(n, c, Message::GetBlock(q), now)[..] {
            [Message::BlockInfo(b)] => Some(b.height),
            [Message::QueryError { .. }] => None,
            other => panic!("{other:?}"),
        };
    for q in [
        BlockQuery::Height(1),
        BlockQuery::Height(2),
        BlockQuery::Hash(first),
        BlockQuery::Hash(withheld),
    ] {
        assert_eq!(block(n, public, q), None, "{q:?} revealed");
        assert!(
            block(n, control, q).is_some(),
            "{q:?} on the control socket"
        );
    }
    assert_eq!(block(n, public, BlockQuery::Height(0)), Some(0));

    let tips = |n: &mut cheesechain::node::Node, c| match &ask(n, c, Message::GetTips, now)[..] {
        [Message::Tips { tips, .. }] => tips
            .iter()
            .map(|t| (t.hash, t.height, t.status))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(tips(n, public), vec![(genesis, 0, ChainStatus::Active)]);
    assert_eq!(tips(n, control), vec![(withheld, 2, ChainStatus::Active)]);

    // The coinbases of the withheld blocks are not in the public balance.
    let account = n.config().mine_to.unwrap();
    let balance =
        |n: &mut cheesechain::node::Node, c| match &ask(n, c, Message::GetAccount { account }, now)
            [..]
        {
            [Message::Account {
                balance, height, ..
            }] => (*balance, *height),
            other => panic!("{other:?}"),
        };
    assert_eq!(balance(n, public), (0, 0));
    let (coins, height) = balance(n, control);
    assert!(coins > 0 && height == 2, "{coins} at {height}");

    // Once published, the public view shows them.
    h.mine(1, 1);
    let n = &mut h.nodes[0];
    assert_eq!(n.selfish().map(|s| s.withheld()), Some(0));
    assert_eq!(info(n, public), (2, withheld, withheld));
    assert_eq!(block(n, public, BlockQuery::Hash(first)), Some(1));
}
