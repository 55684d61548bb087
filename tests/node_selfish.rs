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
