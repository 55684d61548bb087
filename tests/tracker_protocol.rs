//! Pure tests of the tracker state machine: feed inputs, check the queued actions.

use cheesechain::service::{
    Action, ConnId, Direction, DisconnectReason, Event, Role, Service, Time,
};
use cheesechain::tracker::{
    Tracker, TrackerConfig, GET_PEERS_BURST, GET_PEERS_REFILL, NOTICE_FANOUT,
};
use cheesechain::wire::{Message, RejectCode, MAX_PEER_LIST};
use std::net::SocketAddr;
use std::time::Duration;

fn sock(ip: &str, port: u16) -> SocketAddr {
    format!("{ip}:{port}").parse().unwrap()
}

fn drain(t: &mut Tracker) -> Vec<Action> {
    std::iter::from_fn(|| t.poll_action()).collect()
}

fn sends_to(actions: &[Action], conn: ConnId) -> Vec<Message> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { conn: c, msg } if *c == conn => Some(msg.clone()),
            _ => None,
        })
        .collect()
}

fn disconnect_of(actions: &[Action], conn: ConnId) -> Option<DisconnectReason> {
    actions.iter().find_map(|a| match a {
        Action::Disconnect { conn: c, reason } if *c == conn => Some(reason.clone()),
        _ => None,
    })
}

/// Connects `conn` from `ip` and registers `port`; returns the actions.
fn join(t: &mut Tracker, conn: ConnId, ip: &str, port: u16, now: Time) -> Vec<Action> {
    t.on_connected(
        conn,
        sock(ip, 40000 + conn as u16),
        Direction::Inbound,
        Role::Peer,
        now,
    );
    t.on_message(conn, Message::Register { listen_port: port }, now);
    drain(t)
}

#[test]
fn register_gets_peer_list_without_self_and_joins_are_pushed() {
    let mut t = Tracker::new(TrackerConfig::default());
    let now = Time(1_000);
    let a = join(&mut t, 1, "10.0.0.1", 9001, now);
    assert_eq!(sends_to(&a, 1), vec![Message::PeerList { peers: vec![] }]);
    let a = join(&mut t, 2, "10.0.0.2", 9002, now);
    assert_eq!(
        sends_to(&a, 2),
        vec![Message::PeerList {
            peers: vec![sock("10.0.0.1", 9001)]
        }]
    );
    assert_eq!(
        sends_to(&a, 1),
        vec![Message::PeerJoined {
            addr: sock("10.0.0.2", 9002)
        }]
    );
    let a = join(&mut t, 3, "10.0.0.3", 9003, now);
    let Message::PeerList { mut peers } = sends_to(&a, 3).remove(0) else {
        panic!()
    };
    peers.sort();
    assert_eq!(peers, vec![sock("10.0.0.1", 9001), sock("10.0.0.2", 9002)]);
    for c in [1, 2] {
        assert_eq!(
            sends_to(&a, c),
            vec![Message::PeerJoined {
                addr: sock("10.0.0.3", 9003)
            }]
        );
    }
    // GetPeers excludes the asker.
    t.on_message(2, Message::GetPeers, now);
    let a = drain(&mut t);
    let Message::PeerList { mut peers } = sends_to(&a, 2).remove(0) else {
        panic!()
    };
    peers.sort();
    assert_eq!(peers, vec![sock("10.0.0.1", 9001), sock("10.0.0.3", 9003)]);
    assert_eq!(t.registered_count(), 3);
}

#[test]
fn events_report_registration_and_departure() {
    let mut t = Tracker::new(TrackerConfig::default());
    let a = join(&mut t, 1, "10.0.0.1", 9001, Time(0));
    assert!(a.iter().any(
        |x| matches!(x, Action::Event(Event::Registered { addr }) if *addr == sock("10.0.0.1", 9001))
    ));
    t.on_disconnected(1, &DisconnectReason::RemoteClosed, Time(5));
    let a = drain(&mut t);
    assert!(a
        .iter()
        .any(|x| matches!(x, Action::Event(Event::Unregistered { .. }))));
    assert_eq!(t.registered_count(), 0);
    assert_eq!(t.connection_count(), 0);
}

#[test]
fn disconnect_pushes_peer_left_to_the_others() {
    let mut t = Tracker::new(TrackerConfig::default());
    for c in 1..=3 {
        join(&mut t, c, "127.0.0.1", 9000 + c as u16, Time(0));
    }
    t.on_disconnected(2, &DisconnectReason::RemoteClosed, Time(10));
    let a = drain(&mut t);
    for c in [1, 3] {
        assert_eq!(
            sends_to(&a, c),
            vec![Message::PeerLeft {
                addr: sock("127.0.0.1", 9002)
            }]
        );
    }
    assert!(sends_to(&a, 2).is_empty());
    // A late message from the gone connection is ignored.
    t.on_message(2, Message::Heartbeat, Time(11));
    assert!(drain(&mut t).is_empty());
}

#[test]
fn missing_heartbeats_remove_and_announce() {
    let cfg = TrackerConfig {
        heartbeat_timeout: Duration::from_secs(30),
        ..TrackerConfig::default()
    };
    let mut t = Tracker::new(cfg);
    join(&mut t, 1, "127.0.0.1", 9001, Time(0));
    join(&mut t, 2, "127.0.0.1", 9002, Time(0));
    let mut now = Time(0);
    // Peer 1 heartbeats every 10 s, peer 2 goes silent; tick at every deadline.
    let mut left = None;
    for _ in 0..200 {
        let d = t
            .next_deadline()
            .expect("a deadline while peers are connected");
        assert!(d > now, "deadline must move forward");
        now = d;
        if now.0 % 10_000 < 1_000 {
            t.on_message(1, Message::Heartbeat, now);
        }
        t.on_tick(now);
        let a = drain(&mut t);
        if let Some(r) = disconnect_of(&a, 2) {
            assert_eq!(r, DisconnectReason::Timeout("heartbeat"));
            assert_eq!(
                sends_to(&a, 1),
                vec![Message::PeerLeft {
                    addr: sock("127.0.0.1", 9002)
                }]
            );
            left = Some(now);
            break;
        }
        assert!(disconnect_of(&a, 1).is_none());
    }
    let left = left.expect("silent peer dropped");
    assert!(left.0 >= 30_000 && left.0 <= 32_000, "dropped at {left:?}");
    assert_eq!(t.registered_count(), 1);
}

#[test]
fn unregistered_connection_times_out() {
    let mut t = Tracker::new(TrackerConfig::default());
    t.on_connected(
        1,
        sock("127.0.0.1", 5000),
        Direction::Inbound,
        Role::Peer,
        Time(0),
    );
    for _ in 0..20 {
        let now = t.next_deadline().unwrap();
        t.on_tick(now);
        let a = drain(&mut t);
        if let Some(r) = disconnect_of(&a, 1) {
            assert_eq!(r, DisconnectReason::Timeout("registration"));
            assert!(now.0 >= 10_000);
            assert_eq!(t.connection_count(), 0);
            assert_eq!(t.next_deadline(), None);
            return;
        }
    }
    panic!("never dropped");
}

#[test]
fn per_ip_cap_refuses_with_policy_error() {
    let cfg = TrackerConfig {
        max_per_ip: 2,
        ..TrackerConfig::default()
    };
    let mut t = Tracker::new(cfg);
    join(&mut t, 1, "10.0.0.1", 9001, Time(0));
    join(&mut t, 2, "10.0.0.1", 9002, Time(0));
    let a = join(&mut t, 3, "10.0.0.1", 9003, Time(0));
    assert!(matches!(
        sends_to(&a, 3)[0],
        Message::Error {
            code: RejectCode::Policy,
            ..
        }
    ));
    assert_eq!(
        disconnect_of(&a, 3),
        Some(DisconnectReason::TooManyConnections)
    );
    assert!(sends_to(&a, 1).is_empty(), "refused peer never announced");
    // Another IP is fine; and a slot frees up when one leaves.
    let a = join(&mut t, 4, "10.0.0.2", 9004, Time(0));
    assert!(disconnect_of(&a, 4).is_none());
    t.on_disconnected(1, &DisconnectReason::RemoteClosed, Time(1));
    drain(&mut t);
    let a = join(&mut t, 5, "10.0.0.1", 9005, Time(1));
    assert!(disconnect_of(&a, 5).is_none());
    assert_eq!(t.registered_count(), 3);
}

#[test]
fn total_cap_refuses_with_too_many_peers() {
    let cfg = TrackerConfig {
        max_peers: 3,
        ..TrackerConfig::default()
    };
    let mut t = Tracker::new(cfg);
    for c in 1..=3 {
        join(&mut t, c, "10.0.0.1", 9000 + c as u16, Time(0));
    }
    let a = join(&mut t, 4, "10.0.0.9", 9004, Time(0));
    assert!(matches!(
        sends_to(&a, 4)[0],
        Message::Error {
            code: RejectCode::TooManyPeers,
            ..
        }
    ));
    assert_eq!(
        disconnect_of(&a, 4),
        Some(DisconnectReason::TooManyConnections)
    );
    assert_eq!(t.connection_count(), 3);
}

#[test]
fn first_message_must_be_register() {
    for first in [
        Message::Heartbeat,
        Message::GetPeers,
        Message::Verack,
        Message::Ping { nonce: 1 },
    ] {
        let mut t = Tracker::new(TrackerConfig::default());
        t.on_connected(
            1,
            sock("127.0.0.1", 5000),
            Direction::Inbound,
            Role::Peer,
            Time(0),
        );
        t.on_message(1, first, Time(0));
        let a = drain(&mut t);
        assert!(matches!(
            sends_to(&a, 1)[0],
            Message::Error {
                code: RejectCode::Invalid,
                ..
            }
        ));
        assert!(matches!(
            disconnect_of(&a, 1),
            Some(DisconnectReason::ProtocolViolation(_))
        ));
        assert_eq!(t.connection_count(), 0);
    }
}

#[test]
fn peer_protocol_message_after_register_is_a_violation_and_announced() {
    let mut t = Tracker::new(TrackerConfig::default());
    join(&mut t, 1, "127.0.0.1", 9001, Time(0));
    join(&mut t, 2, "127.0.0.1", 9002, Time(0));
    t.on_message(2, Message::Verack, Time(1));
    let a = drain(&mut t);
    assert!(matches!(
        disconnect_of(&a, 2),
        Some(DisconnectReason::ProtocolViolation(_))
    ));
    assert_eq!(
        sends_to(&a, 1),
        vec![Message::PeerLeft {
            addr: sock("127.0.0.1", 9002)
        }]
    );
    // Port 0 is refused too.
    t.on_connected(
        3,
        sock("127.0.0.1", 5003),
        Direction::Inbound,
        Role::Peer,
        Time(2),
    );
    t.on_message(3, Message::Register { listen_port: 0 }, Time(2));
    assert!(matches!(
        disconnect_of(&drain(&mut t), 3),
        Some(DisconnectReason::ProtocolViolation(_))
    ));
}

#[test]
fn registration_of_a_live_peers_address_is_refused() {
    let mut t = Tracker::new(TrackerConfig::default());
    join(&mut t, 1, "127.0.0.1", 9001, Time(0));
    join(&mut t, 2, "127.0.0.1", 9002, Time(0));
    // Peer 1 heartbeats every 10 s; a second connection from the same IP keeps trying
    // to register its port, for longer than the heartbeat timeout.
    for s in 1..=10u64 {
        let conn = 2 + s;
        let now = Time(s * 10_000);
        t.on_message(1, Message::Heartbeat, now);
        t.on_message(2, Message::Heartbeat, now);
        t.on_tick(now);
        drain(&mut t);
        let a = join(&mut t, conn, "127.0.0.1", 9001, now);
        assert_eq!(
            disconnect_of(&a, conn),
            Some(DisconnectReason::Duplicate),
            "at {now:?}"
        );
        let sent = sends_to(&a, conn);
        assert!(
            matches!(
                sent.as_slice(),
                [Message::Error {
                    code: RejectCode::Duplicate,
                    ..
                }]
            ),
            "{sent:?}"
        );
        assert!(disconnect_of(&a, 1).is_none(), "the holder stays");
        assert!(sends_to(&a, 1).is_empty() && sends_to(&a, 2).is_empty());
        assert_eq!(t.registered_addr(1), Some(sock("127.0.0.1", 9001)));
        // The refused connection is forgotten: a late close changes nothing.
        t.on_disconnected(conn, &DisconnectReason::Duplicate, now);
        assert!(drain(&mut t).is_empty());
    }
    assert_eq!(t.registered_count(), 2);
    assert_eq!(t.connection_count(), 2);
}

#[test]
fn registration_is_free_once_the_holder_missed_its_heartbeats() {
    let mut t = Tracker::new(TrackerConfig::default());
    join(&mut t, 1, "127.0.0.1", 9001, Time(0));
    join(&mut t, 2, "127.0.0.1", 9002, Time(0));
    t.on_message(1, Message::Heartbeat, Time(5_000));
    // Just before peer 1's deadline (last heard at 5 s, timeout 30 s): refused.
    let a = join(&mut t, 3, "127.0.0.1", 9001, Time(34_999));
    assert_eq!(disconnect_of(&a, 3), Some(DisconnectReason::Duplicate));
    // At the deadline, before any sweep has run: the silent holder is dropped and the
    // newcomer registered; the others are told nothing (the address did not change).
    let a = join(&mut t, 4, "127.0.0.1", 9001, Time(35_000));
    assert_eq!(
        disconnect_of(&a, 1),
        Some(DisconnectReason::Timeout("heartbeat"))
    );
    assert!(disconnect_of(&a, 4).is_none());
    assert_eq!(
        sends_to(&a, 4),
        vec![Message::PeerList {
            peers: vec![sock("127.0.0.1", 9002)]
        }]
    );
    assert!(
        sends_to(&a, 2).is_empty(),
        "same address: nothing to announce"
    );
    assert_eq!(t.registered_count(), 2);
    assert_eq!(t.registered_addr(4), Some(sock("127.0.0.1", 9001)));
    // The old connection's close does not remove the new registration.
    t.on_disconnected(1, &DisconnectReason::Timeout("heartbeat"), Time(35_001));
    assert!(drain(&mut t).is_empty());
    assert_eq!(t.registered_addr(4), Some(sock("127.0.0.1", 9001)));
    // And once the sweep has dropped a silent holder, registering is a plain join.
    t.on_message(2, Message::Heartbeat, Time(35_000));
    let mut now = Time(35_000);
    while t.registered_addr(4).is_some() {
        t.on_message(2, Message::Heartbeat, now);
        now = t.next_deadline().unwrap();
        t.on_tick(now);
        drain(&mut t);
    }
    let a = join(&mut t, 5, "127.0.0.1", 9001, now);
    assert!(disconnect_of(&a, 5).is_none());
    assert_eq!(
        sends_to(&a, 2),
        vec![Message::PeerJoined {
            addr: sock("127.0.0.1", 9001)
        }]
    );
}

#[test]
fn peer_list_is_a_capped_random_subset_and_seeded() {
    let run = |seed| {
        let mut t = Tracker::new(TrackerConfig {
            max_per_ip: 1000,
            seed,
            ..TrackerConfig::default()
        });
        for c in 1..=200u64 {
            join(&mut t, c, "127.0.0.1", 10_000 + c as u16, Time(0));
        }
        let a = join(&mut t, 201, "127.0.0.1", 20_000, Time(0));
        let Message::PeerList { peers } = sends_to(&a, 201).remove(0) else {
            panic!()
        };
        peers
    };
    let p = run(1);
    assert_eq!(p.len(), MAX_PEER_LIST);
    let mut d = p.clone();
    d.sort();
    d.dedup();
    assert_eq!(d.len(), p.len(), "no duplicates");
    assert!(!p.contains(&sock("127.0.0.1", 20_000)));
    assert_eq!(run(1), p, "same seed, same list");
    assert_ne!(run(2), p, "another seed, another list");
}

/// Registers `n` peers from distinct IPs, then closes them all in registration order;
/// returns the tracker's notices as (joined, left) recipient lists per event.
fn join_and_leave_all(n: u64, seed: u64) -> (Vec<Vec<ConnId>>, Vec<Vec<ConnId>>) {
    let mut t = Tracker::new(TrackerConfig {
        max_peers: n as usize,
        seed,
        ..TrackerConfig::default()
    });
    let ip = |c: u64| format!("10.{}.{}.{}", c >> 16, (c >> 8) & 255, c & 255);
    let recipients = |a: &[Action], want_join: bool| -> Vec<ConnId> {
        a.iter()
            .filter_map(|x| match x {
                Action::Send {
                    conn,
                    msg: Message::PeerJoined { .. },
                } if want_join => Some(*conn),
                Action::Send {
                    conn,
                    msg: Message::PeerLeft { .. },
                } if !want_join => Some(*conn),
                _ => None,
            })
            .collect()
    };
    let mut joins = Vec::new();
    for c in 1..=n {
        let a = join(&mut t, c, &ip(c), 9000, Time(c));
        assert!(disconnect_of(&a, c).is_none());
        joins.push(recipients(&a, true));
    }
    assert_eq!(t.registered_count(), n as usize);
    let mut leaves = Vec::new();
    for c in 1..=n {
        t.on_disconnected(c, &DisconnectReason::RemoteClosed, Time(n + c));
        leaves.push(recipients(&drain(&mut t), false));
    }
    assert_eq!(t.registered_count(), 0);
    (joins, leaves)
}

#[test]
fn join_and_leave_notices_go_to_a_bounded_random_subset() {
    const N: u64 = 10_000;
    let k = NOTICE_FANOUT;
    let (joins, leaves) = join_and_leave_all(N, 1);
    for (i, to) in joins.iter().enumerate() {
        // Peer i + 1 joins with i others registered (conns 1..=i).
        let mut d = to.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), to.len(), "join {i}: a peer told twice");
        assert_eq!(to.len(), k.min(i), "join {i}");
        assert!(
            to.iter().all(|&c| c >= 1 && c <= i as u64),
            "join {i}: {to:?}"
        );
    }
    for (i, to) in leaves.iter().enumerate() {
        // Peer i + 1 leaves; conns i + 2..=N remain.
        let left = N as usize - i - 1;
        assert_eq!(to.len(), k.min(left), "leave {i}");
        assert!(to.iter().all(|&c| c > i as u64 + 1 && c <= N), "leave {i}");
    }
    let total: usize = joins.iter().chain(&leaves).map(Vec::len).sum();
    assert!(
        total <= 2 * k * N as usize,
        "{total} notices for {N} joins and {N} leaves"
    );
    // Before the fan-out, every join went to every registered peer: N(N-1)/2 each way.
    assert!(total < (N * (N - 1)) as usize / 100);
    // Random, not the first or last registrants: late joins reach early and late peers
    // alike, and the generator is seeded.
    let early = joins[N as usize / 2..]
        .iter()
        .flatten()
        .filter(|&&c| c <= N / 4)
        .count();
    let all = joins[N as usize / 2..].iter().flatten().count();
    assert!(early > all / 8 && early < all / 2, "{early} of {all}");
    assert_eq!(join_and_leave_all(200, 1), join_and_leave_all(200, 1));
    assert_ne!(join_and_leave_all(200, 1).0, join_and_leave_all(200, 2).0);
}

fn peer_lists(a: &[Action], conn: ConnId) -> usize {
    sends_to(a, conn)
        .iter()
        .filter(|m| matches!(m, Message::PeerList { .. }))
        .count()
}

#[test]
fn get_peers_beyond_the_budget_is_misbehaviour() {
    let mut t = Tracker::new(TrackerConfig::default());
    join(&mut t, 1, "127.0.0.1", 9001, Time(0));
    join(&mut t, 2, "127.0.0.1", 9002, Time(0));
    // A burst of GET_PEERS_BURST is answered (a repeated register counts as one).
    let now = Time(1_000);
    for i in 0..GET_PEERS_BURST {
        let msg = if i == 0 {
            Message::Register { listen_port: 9002 }
        } else {
            Message::GetPeers
        };
        t.on_message(2, msg, now);
        let a = drain(&mut t);
        assert_eq!(peer_lists(&a, 2), 1, "request {i}");
        assert!(disconnect_of(&a, 2).is_none());
    }
    // The next one, before a refill period has passed, closes the connection.
    t.on_message(2, Message::GetPeers, Time(1_000 + ms(GET_PEERS_REFILL) - 1));
    let a = drain(&mut t);
    assert_eq!(peer_lists(&a, 2), 0);
    assert!(matches!(
        sends_to(&a, 2).as_slice(),
        [Message::Error {
            code: RejectCode::Policy,
            ..
        }]
    ));
    assert!(matches!(
        disconnect_of(&a, 2),
        Some(DisconnectReason::Misbehaviour(_))
    ));
    assert_eq!(
        sends_to(&a, 1),
        vec![Message::PeerLeft {
            addr: sock("127.0.0.1", 9002)
        }]
    );
    assert_eq!(t.registered_count(), 1);
    assert_eq!(t.connection_count(), 1);
}

#[test]
fn get_peers_within_the_budget_is_always_answered() {
    let mut t = Tracker::new(TrackerConfig::default());
    join(&mut t, 1, "127.0.0.1", 9001, Time(0));
    join(&mut t, 2, "127.0.0.1", 9002, Time(0));
    join(&mut t, 3, "127.0.0.1", 9003, Time(0));
    // Peer 2 asks once per refill period, right after its registration and for an
    // hour; peer 3 asks every GET_PEERS_INTERVAL (30 s), as the reference peer does at
    // most; and after a long quiet spell a full burst is allowed again.
    let refill = ms(GET_PEERS_REFILL);
    let mut answered = 0;
    let mut now = 0;
    while now <= 3_600_000 {
        t.on_message(1, Message::Heartbeat, Time(now));
        t.on_message(2, Message::GetPeers, Time(now));
        if now % 30_000 == 0 {
            t.on_message(3, Message::GetPeers, Time(now));
        }
        t.on_tick(Time(now));
        let a = drain(&mut t);
        assert!(
            a.iter().all(|x| !matches!(x, Action::Disconnect { .. })),
            "at {now}: {a:?}"
        );
        answered += peer_lists(&a, 2);
        now += refill;
    }
    assert_eq!(answered as u64, 3_600_000 / refill + 1);
    let later = Time(now + GET_PEERS_BURST as u64 * refill);
    t.on_message(1, Message::Heartbeat, later);
    t.on_message(3, Message::Heartbeat, later);
    for _ in 0..GET_PEERS_BURST {
        t.on_message(2, Message::GetPeers, later);
    }
    let a = drain(&mut t);
    assert_eq!(peer_lists(&a, 2), GET_PEERS_BURST as usize);
    assert!(disconnect_of(&a, 2).is_none());
    assert_eq!(t.registered_count(), 3);
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}
