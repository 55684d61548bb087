//! The cases against a tracker: registration, peer lists, notices, heartbeats, the
//! request budget, refusals, and framing.

use super::probe::{random_u64, version_of, Probe};
use super::{attempt, fail, run_cases, Case, CaseResult, Outcome, Target, R};
use crate::wire::{FrameHeader, Message, MAX_TRACKER_PAYLOAD_LEN, MSG_HEARTBEAT, PROTOCOL_VERSION};
use std::net::SocketAddr;

/// State carried from case to case.
pub(super) struct TrackerCtx {
    t: Target,
}

/// A port to register that no other run is likely to use.
fn some_port() -> u16 {
    20_000 + (random_u64() % 40_000) as u16
}

impl TrackerCtx {
    fn raw(&self) -> Result<Probe, Outcome> {
        Probe::connect(self.t.addr, self.t.params.magic, self.t.timeout).map_err(Outcome::Fail)
    }

    /// A connection registered with `port`, and the peer list it got.
    fn registered(&self, port: u16) -> Result<(Probe, Vec<SocketAddr>), Outcome> {
        let mut p = self.raw()?;
        p.send(&Message::Register { listen_port: port })
            .map_err(fail)?;
        let list = p
            .wait_for(self.t.timeout, |m| match m {
                Message::PeerList { peers } => Some(Ok(peers.clone())),
                Message::Error { message, .. } => Some(Err(message.clone())),
                _ => None,
            })
            .map_err(|e| fail(format!("no peer-list after register: {e}")))?
            .map_err(|e| fail(format!("register refused: {e}")))?;
        Ok((p, list))
    }

    fn expect_cut(&self, p: &mut Probe, what: &str) -> R {
        p.wait_closed(self.t.timeout)
            .map_err(|e| fail(format!("{what}: {e}")))?;
        Ok(Outcome::Pass)
    }
}

fn register(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let port = some_port();
        let (_p, list) = c.registered(port)?;
        if list
            .iter()
            .any(|a| a.port() == port && a.ip().is_loopback() == c.t.addr.ip().is_loopback())
        {
            return Err(fail("the peer-list contains the newcomer itself"));
        }
        Ok(Outcome::Pass)
    })
}

fn joined_and_listed(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let (pa, pb) = (some_port(), some_port());
        let (mut a, first_list) = c.registered(pa)?;
        let (_b, list_b) = c.registered(pb)?;
        if first_list.len() < 63 && !list_b.iter().any(|x| x.port() == pa) {
            return Err(fail(
                "a newcomer's peer-list lacks a registered peer (fewer than 64 registered)",
            ));
        }
        if first_list.len() >= 8 {
            return Ok(Outcome::Skip(
                "8 or more peers registered: peer-joined goes to a random subset".into(),
            ));
        }
        a.wait_for(c.t.timeout, |m| match m {
            Message::PeerJoined { addr } if addr.port() == pb => Some(()),
            _ => None,
        })
        .map_err(|e| fail(format!("no peer-joined for the second registration: {e}")))?;
        Ok(Outcome::Pass)
    })
}

fn peer_left(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let (pa, pb) = (some_port(), some_port());
        let (mut a, first_list) = c.registered(pa)?;
        let (b, _) = c.registered(pb)?;
        if first_list.len() >= 8 {
            return Ok(Outcome::Skip(
                "8 or more peers registered: peer-left goes to a random subset".into(),
            ));
        }
        drop(b);
        a.wait_for(c.t.timeout, |m| match m {
            Message::PeerLeft { addr } if addr.port() == pb => Some(()),
            _ => None,
        })
        .map_err(|e| fail(format!("no peer-left when a registered peer closed: {e}")))?;
        Ok(Outcome::Pass)
    })
}

fn get_peers(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let (mut a, _) = c.registered(some_port())?;
        a.send(&Message::Heartbeat).map_err(fail)?;
        a.send(&Message::GetPeers).map_err(fail)?;
        a.wait_for(c.t.timeout, |m| match m {
            Message::PeerList { .. } => Some(()),
            _ => None,
        })
        .map_err(|e| fail(format!("no peer-list for get-peers after a heartbeat: {e}")))?;
        Ok(Outcome::Pass)
    })
}

fn unknown_type(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let (mut a, _) = c.registered(some_port())?;
        a.send_raw(PROTOCOL_VERSION, 0x00ee, b"x").map_err(fail)?;
        a.send(&Message::GetPeers).map_err(fail)?;
        a.wait_for(c.t.timeout, |m| match m {
            Message::PeerList { .. } => Some(()),
            _ => None,
        })
        .map_err(|e| fail(format!("after a frame of unknown type: {e}")))?;
        Ok(Outcome::Pass)
    })
}

fn takeover(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let port = some_port();
        let (mut holder, _) = c.registered(port)?;
        let mut intruder = c.raw()?;
        intruder
            .send(&Message::Register { listen_port: port })
            .map_err(fail)?;
        if let Ok(()) = intruder.wait_for(c.t.timeout, |m| match m {
            Message::PeerList { .. } => Some(()),
            _ => None,
        }) {
            return Err(fail("a second connection took over a live registration"));
        }
        holder.send(&Message::GetPeers).map_err(fail)?;
        holder
            .wait_for(c.t.timeout, |m| match m {
                Message::PeerList { .. } => Some(()),
                _ => None,
            })
            .map_err(|e| fail(format!("the live holder lost its link: {e}")))?;
        Ok(Outcome::Pass)
    })
}

fn budget(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let (mut a, _) = c.registered(some_port())?;
        for _ in 0..50 {
            // A send error is the tracker closing mid-flood: what this case expects.
            if a.send(&Message::GetPeers).is_err() {
                break;
            }
        }
        c.expect_cut(&mut a, "50 get-peers at once were all served")
    })
}

fn register_first(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.raw()?;
        p.send(&Message::Heartbeat).map_err(fail)?;
        c.expect_cut(&mut p, "a first message other than register")
    })
}

fn port_zero(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.raw()?;
        p.send(&Message::Register { listen_port: 0 })
            .map_err(fail)?;
        c.expect_cut(&mut p, "register with port 0")
    })
}

fn peer_message(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let (mut a, _) = c.registered(some_port())?;
        a.send(&version_of(&c.t.params, 1)).map_err(fail)?;
        c.expect_cut(&mut a, "a peer-protocol message on the tracker link")
    })
}

fn bad_magic(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.raw()?;
        let mut f = Vec::new();
        crate::wire::encode_raw_frame([1, 2, 3, 4], PROTOCOL_VERSION, MSG_HEARTBEAT, &[], &mut f);
        p.send_bytes(&f).map_err(fail)?;
        c.expect_cut(&mut p, "a frame with a foreign magic")
    })
}

fn oversized(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.raw()?;
        let mut f = Vec::new();
        FrameHeader {
            magic: c.t.params.magic,
            version: PROTOCOL_VERSION,
            msg_type: 0x0001,
            payload_len: MAX_TRACKER_PAYLOAD_LEN as u32 + 1,
            checksum: [0; 4],
        }
        .encode(&mut f);
        p.send_bytes(&f).map_err(fail)?;
        c.expect_cut(&mut p, "a header over MAX_TRACKER_PAYLOAD_LEN")
    })
}

fn bad_checksum(c: &mut TrackerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.raw()?;
        let mut f = Vec::new();
        crate::wire::encode_raw_frame(c.t.params.magic, PROTOCOL_VERSION, 0x0001, &[9, 9], &mut f);
        f[12] ^= 0xff;
        p.send_bytes(&f).map_err(fail)?;
        c.expect_cut(&mut p, "a frame with a bad checksum")
    })
}

macro_rules! cases {
    ($(($id:literal, $section:literal, $what:literal, $f:expr),)*) => {
        vec![$(Case::<TrackerCtx> { id: $id, section: $section, what: $what, bans: false, run: $f },)*]
    };
}

fn cases() -> Vec<Case<TrackerCtx>> {
    cases![
        (
            "tracker.register",
            "peer-protocol.md §2.2",
            "register is answered by a peer-list without the newcomer",
            register
        ),
        (
            "tracker.joined-and-listed",
            "peer-protocol.md §2.3",
            "a newcomer is listed to later ones and announced by peer-joined",
            joined_and_listed
        ),
        (
            "tracker.peer-left",
            "peer-protocol.md §2.4",
            "a closed registration is announced by peer-left",
            peer_left
        ),
        (
            "tracker.get-peers",
            "wire.md §2.1",
            "heartbeat keeps the link, get-peers gets a peer-list",
            get_peers
        ),
        (
            "tracker.unknown-type",
            "wire.md §1.1",
            "a frame of unknown type is skipped",
            unknown_type
        ),
        (
            "tracker.takeover-refused",
            "peer-protocol.md §2.2",
            "a live registration cannot be taken over",
            takeover
        ),
        (
            "tracker.get-peers-budget",
            "peer-protocol.md §2.6",
            "a flood of get-peers closes the link",
            budget
        ),
        (
            "tracker.register-first",
            "peer-protocol.md §2.5",
            "a first message other than register closes the link",
            register_first
        ),
        (
            "tracker.port-zero",
            "peer-protocol.md §2.5",
            "register with port 0 closes the link",
            port_zero
        ),
        (
            "tracker.peer-message",
            "peer-protocol.md §2.5",
            "a peer-protocol message closes the link",
            peer_message
        ),
        (
            "tracker.bad-magic",
            "wire.md §1.1",
            "a foreign magic closes the link",
            bad_magic
        ),
        (
            "tracker.oversized-length",
            "wire.md §1.1",
            "a header over the tracker's payload limit closes the link",
            oversized
        ),
        (
            "tracker.bad-checksum",
            "wire.md §1.1",
            "a bad checksum closes the link",
            bad_checksum
        ),
    ]
}

/// (id, section, bans, what) of every tracker case, in run order.
pub(super) fn describe() -> Vec<(&'static str, &'static str, bool, &'static str)> {
    cases()
        .iter()
        .map(|c| (c.id, c.section, c.bans, c.what))
        .collect()
}

/// Runs every tracker case (those whose id starts with `only`, if given).
pub(super) fn run(t: Target, only: Option<&str>) -> Vec<CaseResult> {
    let mut ctx = TrackerCtx { t };
    run_cases(&mut ctx, |c| &mut c.t, &cases(), only)
}
