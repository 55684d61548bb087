//! The cases against a peer: framing, handshake, ping, sync, serving blocks, relay,
//! fork choice, transactions, every invalid block and transfer class, and the limits.

use super::craft::{coinbase_mut, fix_root, minable, mine, negate_s, unix_now, Mirror};
use super::probe::{random_u64, version_of, Probe};
use super::{attempt, fail, run_cases, Case, CaseResult, Outcome, Target};
use crate::chain::{Block, BlockHeader, Hash256, Transaction, Transfer};
use crate::wire::{
    InvItem, InvKind, Message, RejectCode, MAX_HEADERS, MAX_INV, MAX_LOCATOR, MAX_PAYLOAD_LEN,
    MSG_BLOCK, MSG_HEADERS, MSG_INV, MSG_PING, PROTOCOL_VERSION,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod blocks;
mod txs;

use blocks::*;
use txs::*;

/// State carried from case to case.
pub(super) struct PeerCtx {
    t: Target,
    mirror: Option<Mirror>,
    /// Why the mirror could not be built, once tried.
    mirror_error: Option<String>,
    /// The valid transfer the target accepted into its pool, if any.
    relayed: Option<Transfer>,
}

impl PeerCtx {
    fn fresh(&self) -> Result<Probe, Outcome> {
        Probe::handshaken(self.t.addr, &self.t.params, self.t.timeout).map_err(Outcome::Fail)
    }

    fn raw(&self) -> Result<Probe, Outcome> {
        Probe::connect(self.t.addr, self.t.params.magic, self.t.timeout).map_err(Outcome::Fail)
    }

    /// The mirror of the target's chain, synced now if it was not yet.
    fn mirror(&mut self) -> Result<&mut Mirror, Outcome> {
        if !minable(&self.t.params) {
            return Err(Outcome::Skip(format!(
                "network {} is too hard to mine test blocks on (use regtest or testnet)",
                self.t.params.name
            )));
        }
        if self.mirror.is_none() {
            if let Some(e) = &self.mirror_error {
                return Err(Outcome::Skip(format!("no copy of the target's chain: {e}")));
            }
            let mut p = self.fresh()?;
            match Mirror::sync(&mut p, &self.t.params, self.t.timeout) {
                Ok(m) => self.mirror = Some(m),
                Err(e) => {
                    self.mirror_error = Some(e.clone());
                    return Err(fail(e));
                }
            }
        }
        Ok(self.mirror.as_mut().expect("set above"))
    }

    /// Waits until the target's active tip is `hash` (asked on a fresh connection with
    /// locator `[hash, genesis]`: the answer is empty exactly when `hash` is its tip).
    fn wait_tip(&self, hash: Hash256) -> Result<(), String> {
        let deadline = Instant::now() + self.t.timeout;
        let genesis = self.t.params.genesis_block().hash();
        let mut p = Probe::handshaken(self.t.addr, &self.t.params, self.t.timeout)?;
        loop {
            p.send(&Message::GetHeaders {
                locator: vec![hash, genesis],
                stop: Hash256::ZERO,
            })?;
            let hs = p.wait_for(self.t.timeout, |m| match m {
                Message::Headers { headers } => Some(headers.clone()),
                _ => None,
            })?;
            if hs.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the target's tip is not {} after {} ms",
                    short(&hash),
                    self.t.timeout.as_millis()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// True if `hash` is the target's tip right now.
    fn is_tip(&self, hash: Hash256) -> Result<bool, String> {
        let genesis = self.t.params.genesis_block().hash();
        let mut p = Probe::handshaken(self.t.addr, &self.t.params, self.t.timeout)?;
        p.send(&Message::GetHeaders {
            locator: vec![hash, genesis],
            stop: Hash256::ZERO,
        })?;
        let hs = p.wait_for(self.t.timeout, |m| match m {
            Message::Headers { headers } => Some(headers.clone()),
            _ => None,
        })?;
        Ok(hs.is_empty() && hash != genesis)
    }

    /// Sends `b` on a fresh connection and requires the target to close it and not to
    /// adopt the block.
    fn expect_block_cut(&mut self, b: Block) -> Outcome {
        let hash = b.hash();
        attempt(|| {
            let mut p = self.fresh()?;
            p.send(&Message::Block(Arc::new(b))).map_err(fail)?;
            p.wait_closed(self.t.timeout)
                .map_err(|e| fail(format!("the invalid block was not punished: {e}")))?;
            match self.is_tip(hash) {
                Ok(true) => Err(fail("the target adopted the invalid block")),
                Ok(false) => Ok(Outcome::Pass),
                Err(e) => Err(Outcome::Skip(format!(
                    "could not check the tip afterwards: {e}"
                ))),
            }
        })
    }

    /// Sends `m` on a fresh connection and requires the target to close it.
    fn expect_msg_cut(&self, m: Message) -> Outcome {
        attempt(|| {
            let mut p = self.fresh()?;
            p.send(&m).map_err(fail)?;
            p.wait_closed(self.t.timeout).map_err(fail)?;
            Ok(Outcome::Pass)
        })
    }

    /// Sends raw bytes on a fresh, handshaken connection and requires a close.
    fn expect_bytes_cut(&self, bytes: &[u8], handshake: bool) -> Outcome {
        attempt(|| {
            let mut p = if handshake {
                self.fresh()?
            } else {
                self.raw()?
            };
            p.send_bytes(bytes).map_err(fail)?;
            p.wait_closed(self.t.timeout).map_err(fail)?;
            Ok(Outcome::Pass)
        })
    }

    /// A valid block on the mirror's tip, not yet sent, with `transfers`.
    fn template(&mut self, transfers: Vec<Transfer>) -> Result<Block, Outcome> {
        self.refresh()?;
        Ok(self.mirror()?.next_block(transfers))
    }

    /// Brings the mirror up to the target's current chain.
    fn refresh(&mut self) -> Result<(), Outcome> {
        let mut p = self.fresh()?;
        let timeout = self.t.timeout;
        self.mirror()?.refresh(&mut p, timeout).map_err(fail)
    }

    /// Two transfers from the suite's funds (needs a coinbase of ours on the chain).
    fn funded_transfers(&mut self, n: u64) -> Result<Vec<Transfer>, Outcome> {
        self.refresh()?;
        let m = self.mirror()?;
        let bal = m.chain.balance(&m.account);
        if bal < 10 * n {
            return Err(Outcome::Skip(
                "the suite has no coins on the target's chain (relay.block-push failed?)".into(),
            ));
        }
        let seq = m.chain.next_sequence(&m.account);
        let to = Mirror::other_account();
        Ok((0..n).map(|i| m.transfer(to, 1 + i, 1, seq + i)).collect())
    }
}

fn short(h: &Hash256) -> String {
    h.to_string().chars().take(12).collect()
}

/// Ping on `p` and require the pong: the connection is alive and in sync.
fn alive(p: &mut Probe, timeout: Duration) -> Result<(), String> {
    let nonce = random_u64();
    p.send(&Message::Ping { nonce })?;
    p.wait_for(timeout, |m| match m {
        Message::Pong { nonce: n } if *n == nonce => Some(()),
        _ => None,
    })
}

fn raw_frame(magic: [u8; 4], version: u16, msg_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    crate::wire::encode_raw_frame(magic, version, msg_type, payload, &mut f);
    f
}

// ---------------------------------------------------------------- wire and handshake

fn version_at_once(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.raw()?;
        let v = p
            .wait_for(c.t.timeout, |m| match m {
                Message::Version(v) => Some(*v),
                _ => None,
            })
            .map_err(|e| fail(format!("no version without ours first: {e}")))?;
        if v.version != PROTOCOL_VERSION as u32 {
            return Err(fail(format!(
                "version.version is {}, not {PROTOCOL_VERSION}",
                v.version
            )));
        }
        if v.network_id != c.t.params.network_id() {
            return Err(fail("version.network_id is not the network's genesis hash"));
        }
        Ok(Outcome::Pass)
    })
}

fn handshake(c: &mut PeerCtx) -> Outcome {
    match c.fresh() {
        Ok(_) => Outcome::Pass,
        Err(o) => o,
    }
}

fn ping(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.fresh()?;
        alive(&mut p, c.t.timeout).map_err(fail)?;
        Ok(Outcome::Pass)
    })
}

fn chunked(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.fresh()?;
        let nonce = random_u64();
        let f = crate::wire::encode_frame(c.t.params.magic, &Message::Ping { nonce });
        for b in &f {
            p.send_bytes(std::slice::from_ref(b)).map_err(fail)?;
            std::thread::sleep(Duration::from_millis(2));
        }
        p.wait_for(c.t.timeout, |m| match m {
            Message::Pong { nonce: n } if *n == nonce => Some(()),
            _ => None,
        })
        .map_err(|e| fail(format!("a ping sent one byte at a time: {e}")))?;
        Ok(Outcome::Pass)
    })
}

fn unknown_type(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.fresh()?;
        p.send_raw(PROTOCOL_VERSION, 0x00ee, b"hello")
            .map_err(fail)?;
        p.send_raw(PROTOCOL_VERSION, 0x7abc, &[]).map_err(fail)?;
        alive(&mut p, c.t.timeout)
            .map_err(|e| fail(format!("after frames of unknown types: {e}")))?;
        Ok(Outcome::Pass)
    })
}

fn wrong_network(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.raw()?;
        let mut other = c.t.params.clone();
        other.genesis_time ^= 1;
        p.send(&version_of(&other, 0)).map_err(fail)?;
        let code = p
            .wait_for(c.t.timeout, |m| match m {
                Message::Reject { code, .. } => Some(*code),
                _ => None,
            })
            .map_err(|e| fail(format!("no reject for a version of another network: {e}")))?;
        if code != RejectCode::WrongNetwork {
            return Err(fail(format!("reject code {code:?}, not wrong-network")));
        }
        p.wait_closed(c.t.timeout).map_err(fail)?;
        Ok(Outcome::Pass)
    })
}

fn bad_magic(c: &mut PeerCtx) -> Outcome {
    let f = raw_frame(
        [0xde, 0xad, 0xbe, 0xef],
        PROTOCOL_VERSION,
        MSG_PING,
        &[0; 8],
    );
    c.expect_bytes_cut(&f, true)
}

fn bad_version(c: &mut PeerCtx) -> Outcome {
    let f = raw_frame(c.t.params.magic, PROTOCOL_VERSION + 1, MSG_PING, &[0; 8]);
    c.expect_bytes_cut(&f, true)
}

fn bad_checksum(c: &mut PeerCtx) -> Outcome {
    let mut f = raw_frame(c.t.params.magic, PROTOCOL_VERSION, MSG_PING, &[0; 8]);
    f[12] ^= 0xff;
    c.expect_bytes_cut(&f, true)
}

fn oversized_length(c: &mut PeerCtx) -> Outcome {
    // Only the header: a conforming receiver refuses it before any payload arrives.
    let mut f = Vec::new();
    crate::wire::FrameHeader {
        magic: c.t.params.magic,
        version: PROTOCOL_VERSION,
        msg_type: MSG_BLOCK,
        payload_len: MAX_PAYLOAD_LEN as u32 + 1,
        checksum: [0; 4],
    }
    .encode(&mut f);
    c.expect_bytes_cut(&f, true)
}

fn malformed(c: &mut PeerCtx) -> Outcome {
    let f = raw_frame(c.t.params.magic, PROTOCOL_VERSION, MSG_PING, &[0; 9]);
    c.expect_bytes_cut(&f, true)
}

fn before_handshake(c: &mut PeerCtx) -> Outcome {
    let f = crate::wire::encode_frame(c.t.params.magic, &Message::Ping { nonce: 1 });
    c.expect_bytes_cut(&f, false)
}

fn second_version(c: &mut PeerCtx) -> Outcome {
    c.expect_msg_cut(version_of(&c.t.params, 0))
}

fn tracker_message(c: &mut PeerCtx) -> Outcome {
    c.expect_msg_cut(Message::Register { listen_port: 1 })
}

fn inv_too_many(c: &mut PeerCtx) -> Outcome {
    let n = MAX_INV + 1;
    let mut payload = (n as u16).to_le_bytes().to_vec();
    for i in 0..n {
        payload.push(InvKind::Tx as u8);
        payload.extend_from_slice(&[(i % 251) as u8; 32]);
    }
    let f = raw_frame(c.t.params.magic, PROTOCOL_VERSION, MSG_INV, &payload);
    c.expect_bytes_cut(&f, true)
}

fn locator_too_many(c: &mut PeerCtx) -> Outcome {
    let n = MAX_LOCATOR + 1;
    let mut payload = (n as u16).to_le_bytes().to_vec();
    payload.extend(std::iter::repeat_n(7u8, 32 * n + 32));
    let f = raw_frame(
        c.t.params.magic,
        PROTOCOL_VERSION,
        crate::wire::MSG_GET_HEADERS,
        &payload,
    );
    c.expect_bytes_cut(&f, true)
}

fn headers_too_many(c: &mut PeerCtx) -> Outcome {
    let n = MAX_HEADERS + 1;
    let mut payload = (n as u16).to_le_bytes().to_vec();
    payload.extend(std::iter::repeat_n(0u8, 80 * n));
    let f = raw_frame(c.t.params.magic, PROTOCOL_VERSION, MSG_HEADERS, &payload);
    c.expect_bytes_cut(&f, true)
}

fn block_oversized(c: &mut PeerCtx) -> Outcome {
    // A well-formed header and coinbase, then more transfers than MAX_BLOCK_BYTES holds.
    let filler = Transfer {
        sender: Mirror::other_account(),
        recipient: Mirror::other_account(),
        amount: 1,
        fee: 0,
        sequence: 0,
        signature: [1; 64],
    };
    let n = crate::chain::block::MAX_BLOCK_BYTES / 155 + 2;
    let mut b = c.t.params.genesis_block();
    b.txs.extend((0..n).map(|i| {
        let mut t = filler;
        t.sequence = i as u64;
        Transaction::Transfer(t)
    }));
    let bytes = b.to_bytes();
    let f = raw_frame(c.t.params.magic, PROTOCOL_VERSION, MSG_BLOCK, &bytes);
    c.expect_bytes_cut(&f, true)
}

// ---------------------------------------------------------------- sync and serving

fn serves_chain(c: &mut PeerCtx) -> Outcome {
    match c.mirror() {
        Ok(_) => Outcome::Pass,
        Err(o) => o,
    }
}

fn block_push(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let b = c.template(vec![])?;
        let mut p = c.fresh()?;
        p.send(&Message::Block(Arc::new(b.clone()))).map_err(fail)?;
        c.wait_tip(b.hash()).map_err(fail)?;
        c.mirror()?.adopt(&b).map_err(fail)?;
        Ok(Outcome::Pass)
    })
}

fn block_announced(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let b = c.template(vec![])?;
        let hash = b.hash();
        let mut watcher = c.fresh()?;
        // Let the watcher's handshake settle before the block arrives.
        alive(&mut watcher, c.t.timeout).map_err(fail)?;
        let mut p = c.fresh()?;
        p.send(&Message::Block(Arc::new(b.clone()))).map_err(fail)?;
        watcher
            .wait_for(c.t.timeout, |m| match m {
                Message::Headers { headers } if headers.iter().any(|h| h.hash() == hash) => {
                    Some(())
                }
                Message::Block(x) if x.hash() == hash => Some(()),
                Message::Inv { items } if items.iter().any(|i| i.hash == hash) => Some(()),
                _ => None,
            })
            .map_err(|e| {
                fail(format!(
                    "a second connection was not told of the new tip: {e}"
                ))
            })?;
        c.mirror()?.adopt(&b).map_err(fail)?;
        Ok(Outcome::Pass)
    })
}

fn header_announce(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let b = c.template(vec![])?;
        let hash = b.hash();
        let mut p = c.fresh()?;
        p.send(&Message::Headers {
            headers: vec![b.header],
        })
        .map_err(fail)?;
        p.wait_for(c.t.timeout, |m| match m {
            Message::GetData { items } if items.iter().any(|i| i.hash == hash) => Some(()),
            _ => None,
        })
        .map_err(|e| {
            fail(format!(
                "an announced header was not fetched with get-data: {e}"
            ))
        })?;
        p.send(&Message::Block(Arc::new(b.clone()))).map_err(fail)?;
        c.wait_tip(hash).map_err(fail)?;
        c.mirror()?.adopt(&b).map_err(fail)?;
        Ok(Outcome::Pass)
    })
}

fn most_work(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        c.refresh()?;
        let m = c.mirror()?;
        let base_hash = m.chain.tip();
        let base = m
            .chain
            .block(&base_hash)
            .cloned()
            .ok_or_else(|| fail("mirror has no tip"))?;
        let h = m.chain.height();
        let a1 = m.child_of(&base, h, vec![]);
        let b1 = m.child_of(&base, h, vec![]);
        let b2 = m.child_of(&b1, h + 1, vec![]);
        let mut p = c.fresh()?;
        p.send(&Message::Block(Arc::new(a1.clone())))
            .map_err(fail)?;
        c.wait_tip(a1.hash()).map_err(fail)?;
        p.send(&Message::Block(Arc::new(b1.clone())))
            .map_err(fail)?;
        p.send(&Message::Block(Arc::new(b2.clone())))
            .map_err(fail)?;
        c.wait_tip(b2.hash())
            .map_err(|e| fail(format!("a branch with more work did not win: {e}")))?;
        let m = c.mirror()?;
        for b in [&a1, &b1, &b2] {
            m.adopt(b).map_err(fail)?;
        }
        Ok(Outcome::Pass)
    })
}

fn locator(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let m = c.mirror()?;
        let genesis = m.chain.hash_at(0).ok_or_else(|| fail("no genesis"))?;
        let first = m.chain.hash_at(1);
        let mut p = c.fresh()?;
        p.send(&Message::GetHeaders {
            locator: vec![Hash256([0x11; 32]), Hash256([0x22; 32]), genesis],
            stop: Hash256::ZERO,
        })
        .map_err(fail)?;
        let hs = p
            .wait_for(c.t.timeout, |m| match m {
                Message::Headers { headers } => Some(headers.clone()),
                _ => None,
            })
            .map_err(fail)?;
        match (hs.first(), first) {
            (None, None) => Ok(Outcome::Pass),
            (Some(h), Some(f)) if h.hash() == f => Ok(Outcome::Pass),
            (Some(h), _) => Err(fail(format!(
                "unknown locator hashes then genesis: first header {} is not height 1",
                short(&h.hash())
            ))),
            (None, Some(_)) => Err(fail("unknown locator hashes then genesis: empty answer")),
        }
    })
}

fn stop_hash(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let m = c.mirror()?;
        let (Some(genesis), Some(one), Some(_)) =
            (m.chain.hash_at(0), m.chain.hash_at(1), m.chain.hash_at(2))
        else {
            return Err(Outcome::Skip("the chain is shorter than 2 blocks".into()));
        };
        let mut p = c.fresh()?;
        p.send(&Message::GetHeaders {
            locator: vec![genesis],
            stop: one,
        })
        .map_err(fail)?;
        let hs = p
            .wait_for(c.t.timeout, |m| match m {
                Message::Headers { headers } => Some(headers.clone()),
                _ => None,
            })
            .map_err(fail)?;
        if hs.len() == 1 && hs[0].hash() == one {
            Ok(Outcome::Pass)
        } else {
            Err(fail(format!("stop at height 1 gave {} headers", hs.len())))
        }
    })
}

fn not_found(c: &mut PeerCtx) -> Outcome {
    attempt(|| {
        let mut p = c.fresh()?;
        let hash = Hash256([0x5a; 32]);
        p.send(&Message::GetData {
            items: vec![InvItem {
                kind: InvKind::Block,
                hash,
            }],
        })
        .map_err(fail)?;
        p.wait_for(c.t.timeout, |m| match m {
            Message::NotFound { items } if items.iter().any(|i| i.hash == hash) => Some(()),
            _ => None,
        })
        .map_err(|e| fail(format!("no not-found for an unknown block: {e}")))?;
        Ok(Outcome::Pass)
    })
}

// ---------------------------------------------------------------- the table

type PeerCase = Case<PeerCtx>;

macro_rules! cases {
    ($(($id:literal, $section:literal, $bans:literal, $what:literal, $f:expr),)*) => {
        vec![$(PeerCase { id: $id, section: $section, what: $what, bans: $bans, run: $f },)*]
    };
}

fn cases() -> Vec<PeerCase> {
    cases![
        (
            "wire.version-at-once",
            "wire.md §2.2",
            false,
            "the target sends version without waiting for ours",
            version_at_once
        ),
        (
            "wire.handshake",
            "wire.md §2.2",
            false,
            "version and verack both ways",
            handshake
        ),
        (
            "wire.ping",
            "wire.md §2.2",
            false,
            "ping is answered by pong with the same nonce",
            ping
        ),
        (
            "wire.chunked-stream",
            "wire.md §1.1",
            false,
            "a frame split into single bytes decodes",
            chunked
        ),
        (
            "wire.unknown-type",
            "wire.md §1.1",
            false,
            "frames of unknown types are skipped, the link stays up",
            unknown_type
        ),
        (
            "wire.wrong-network",
            "wire.md §2.2",
            false,
            "a version of another network gets reject wrong-network, then close",
            wrong_network
        ),
        (
            "sync.serves-chain",
            "peer-protocol.md §5",
            false,
            "headers from genesis and every block by get-data, each valid",
            serves_chain
        ),
        (
            "relay.block-push",
            "peer-protocol.md §5.6",
            false,
            "an unsolicited valid block becomes the tip",
            block_push
        ),
        (
            "relay.block-announce",
            "peer-protocol.md §5.6",
            false,
            "a new tip is announced to another connection",
            block_announced
        ),
        (
            "relay.header-announce",
            "peer-protocol.md §5",
            false,
            "an announced header is fetched with get-data and adopted",
            header_announce
        ),
        (
            "fork.most-work",
            "consensus.md §11",
            false,
            "a branch with more work replaces the tip",
            most_work
        ),
        (
            "sync.locator",
            "wire.md §2.2",
            false,
            "unknown locator hashes are skipped to the first known one",
            locator
        ),
        (
            "sync.stop",
            "wire.md §2.2",
            false,
            "get-headers stops at the stop hash",
            stop_hash
        ),
        (
            "serve.not-found",
            "wire.md §2.2",
            false,
            "get-data of an unknown block gets not-found",
            not_found
        ),
        (
            "relay.tx",
            "peer-protocol.md §6",
            false,
            "a valid transfer enters the mempool",
            relay_tx
        ),
        (
            "relay.duplicate-tx",
            "peer-protocol.md §6",
            false,
            "a transfer already in the pool gets reject duplicate",
            duplicate_tx
        ),
        (
            "account.get-account",
            "wire.md §3.3",
            false,
            "get-account gives the balance and next sequence",
            get_account
        ),
        (
            "tx.bad-sequence",
            "peer-protocol.md §7",
            false,
            "a transfer with a future sequence: reject, link kept",
            tx_bad_sequence
        ),
        (
            "tx.insufficient-balance",
            "peer-protocol.md §7",
            false,
            "an overspending transfer: reject, link kept",
            tx_insufficient
        ),
        (
            "tx.self-transfer",
            "peer-protocol.md §7",
            false,
            "a transfer to oneself: reject, link kept",
            tx_self
        ),
        (
            "consensus.time-too-new",
            "consensus.md §6",
            false,
            "a block from the far future: not adopted, link kept",
            b_time_too_new
        ),
        (
            "consensus.unknown-parent",
            "peer-protocol.md §7",
            false,
            "a block with an unknown parent: not adopted, link kept",
            b_unknown_parent
        ),
        (
            "wire.bad-magic",
            "wire.md §1.1",
            true,
            "a frame with a foreign magic closes the link",
            bad_magic
        ),
        (
            "wire.bad-version",
            "wire.md §1.1",
            true,
            "a frame of another protocol version closes the link",
            bad_version
        ),
        (
            "wire.bad-checksum",
            "wire.md §1.1",
            true,
            "a frame with a bad checksum closes the link",
            bad_checksum
        ),
        (
            "dos.oversized-length",
            "wire.md §1.1",
            true,
            "a header announcing more than MAX_PAYLOAD_LEN closes the link before the payload",
            oversized_length
        ),
        (
            "wire.malformed",
            "wire.md §1.1",
            true,
            "a payload with a byte left over closes the link",
            malformed
        ),
        (
            "wire.before-handshake",
            "wire.md §2.2",
            true,
            "a message before version closes the link",
            before_handshake
        ),
        (
            "wire.second-version",
            "peer-protocol.md §7",
            true,
            "a second version closes the link",
            second_version
        ),
        (
            "wire.tracker-message",
            "peer-protocol.md §7",
            true,
            "a tracker message on a peer link closes it",
            tracker_message
        ),
        (
            "dos.inv-too-many",
            "wire.md §3",
            true,
            "an inv over MAX_INV items closes the link",
            inv_too_many
        ),
        (
            "dos.locator-too-many",
            "wire.md §3",
            true,
            "a locator over MAX_LOCATOR hashes closes the link",
            locator_too_many
        ),
        (
            "dos.headers-too-many",
            "wire.md §3",
            true,
            "headers over MAX_HEADERS closes the link",
            headers_too_many
        ),
        (
            "dos.block-oversized",
            "wire.md §3.3",
            true,
            "a block payload over MAX_BLOCK_BYTES closes the link",
            block_oversized
        ),
        (
            "sync.headers-not-chained",
            "peer-protocol.md §7",
            true,
            "headers that do not chain close the link",
            headers_not_chained
        ),
        (
            "tx.bad-signature",
            "consensus.md §9",
            true,
            "a transfer with a bad signature closes the link",
            tx_bad_signature
        ),
        (
            "tx.high-s",
            "consensus.md §9",
            true,
            "a high-S signature closes the link",
            tx_high_s
        ),
        (
            "tx.zero-amount",
            "consensus.md §9",
            true,
            "a zero-amount transfer closes the link",
            tx_zero_amount
        ),
        (
            "tx.coinbase",
            "peer-protocol.md §7",
            true,
            "a coinbase sent as tx closes the link",
            tx_coinbase
        ),
        (
            "consensus.bad-pow",
            "consensus.md §4",
            true,
            "a block over its target: cut, not adopted",
            b_bad_pow
        ),
        (
            "consensus.bad-bits",
            "consensus.md §5",
            true,
            "a block with the wrong bits: cut, not adopted",
            b_bad_bits
        ),
        (
            "consensus.time-too-old",
            "consensus.md §6",
            true,
            "a block not after the median time past: cut",
            b_time_too_old
        ),
        (
            "consensus.bad-merkle-root",
            "consensus.md §7",
            true,
            "a block whose root does not match: cut",
            b_bad_merkle
        ),
        (
            "consensus.no-transactions",
            "consensus.md §10",
            true,
            "a block without transactions: cut",
            b_no_tx
        ),
        (
            "consensus.missing-coinbase",
            "consensus.md §10",
            true,
            "a block whose first transaction is no coinbase: cut",
            b_missing_coinbase
        ),
        (
            "consensus.extra-coinbase",
            "consensus.md §10",
            true,
            "a block with two coinbases: cut",
            b_extra_coinbase
        ),
        (
            "consensus.mutated-merkle",
            "consensus.md §7",
            true,
            "a block with a duplicated merkle pair: cut",
            b_mutated
        ),
        (
            "consensus.duplicate-tx",
            "consensus.md §10",
            true,
            "a block with one transaction twice: cut",
            b_duplicate_tx
        ),
        (
            "consensus.bad-coinbase-height",
            "consensus.md §10",
            true,
            "a coinbase naming the wrong height: cut",
            b_coinbase_height
        ),
        (
            "consensus.bad-coinbase-amount",
            "consensus.md §10",
            true,
            "a coinbase paying too much: cut",
            b_coinbase_amount
        ),
        (
            "consensus.bad-signature",
            "consensus.md §10",
            true,
            "a block holding a badly signed transfer: cut",
            b_bad_transfer_sig
        ),
        (
            "consensus.insufficient-balance",
            "consensus.md §10",
            true,
            "a block holding an overspend: cut",
            b_overspend
        ),
        (
            "consensus.bad-sequence",
            "consensus.md §10",
            true,
            "a block holding a transfer with a wrong sequence: cut",
            b_bad_sequence
        ),
        (
            "consensus.invalid-ancestor",
            "consensus.md §10",
            true,
            "a child of an invalid block: cut",
            b_invalid_ancestor
        ),
    ]
}

/// (id, section, bans, what) of every peer case, in run order.
pub(super) fn describe() -> Vec<(&'static str, &'static str, bool, &'static str)> {
    cases()
        .iter()
        .map(|c| (c.id, c.section, c.bans, c.what))
        .collect()
}

/// Runs every peer case (those whose id starts with `only`, if given).
pub(super) fn run(t: Target, only: Option<&str>) -> Vec<CaseResult> {
    let mut ctx = PeerCtx {
        t,
        mirror: None,
        mirror_error: None,
        relayed: None,
    };
    run_cases(&mut ctx, |c| &mut c.t, &cases(), only)
}
