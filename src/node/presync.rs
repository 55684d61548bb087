//! Header anti-DoS: which `headers` messages are stored, the global budget of side
//! headers, and each peer's presync of a branch too light to store yet (after Bitcoin
//! Core's headers presync; spec: peer protocol §5.3).

use super::*;
use crate::chain::pow::work_of;
use crate::chain::presync::{Presync, PresyncError, PresyncStep};
use crate::chain::u256::U256;

/// What to do with a `headers` message.
pub(super) enum Gate {
    /// Store it (header by header, with the contextual checks).
    Store,
    /// Store exactly these headers (a verified part of a redownload), then ask for
    /// the headers after the last of them.
    StoreThenMore(Vec<BlockHeader>),
    /// Nothing to store now; whatever had to be sent or charged was.
    Done,
}

impl Node {
    /// The work a branch must reach to be stored: the active tip's minus
    /// `ANTI_DOS_BLOCKS` of its blocks, and at least the configured minimum.
    fn anti_dos_threshold(&self) -> U256 {
        let tip_block_work = self
            .chain
            .header(&self.chain.tip())
            .map(|h| work_of(h.bits))
            .unwrap_or_default();
        let margin = tip_block_work
            .checked_mul_u64(budget::ANTI_DOS_BLOCKS)
            .unwrap_or(U256::MAX);
        let t = self
            .chain
            .tip_work()
            .checked_sub(margin)
            .unwrap_or(U256::ZERO);
        t.max(self.cfg.min_chain_work)
    }

    /// Decides what happens to a `headers` message from `conn` (`full`: it held
    /// `MAX_HEADERS`). Stored directly: a message whose parent is unknown (asked about
    /// by the caller), one of known headers only, and one whose total work reaches the
    /// anti-DoS threshold without going higher than `HEADERS_AHEAD_MAX` above the tip,
    /// if it raises the best header or (a side branch) fits the global side-header
    /// budget. A full message that may not be stored yet starts (or continues) the
    /// peer's presync; anything else dropped is charged to the peer's useless-headers
    /// budget.
    pub(super) fn headers_gate(
        &mut self,
        conn: ConnId,
        headers: &[BlockHeader],
        full: bool,
        now: Time,
    ) -> Gate {
        if let Some(gate) = self.presync_continue(conn, headers, full, now) {
            return gate;
        }
        let Some(first) = headers.first() else {
            return Gate::Store;
        };
        let Some(parent_work) = self.chain.chain_work(&first.prev) else {
            // Unknown parent: asked about by the caller. More headers than an
            // announcement carries are never an honest answer (an answer to our
            // locator connects), so they are charged as useless.
            if headers.len() > MAX_ANNOUNCE_HEADERS
                && !self.charge(conn, Budget::UselessHeaders, headers.len(), now)
            {
                return Gate::Done;
            }
            return Gate::Store;
        };
        // Only headers not known yet count: a repeat of known headers costs nothing.
        let new = headers
            .iter()
            .filter(|h| self.chain.find_known_header(h).is_none())
            .count();
        if new == 0 {
            return Gate::Store;
        }
        let parent_height = self.chain.height_of(&first.prev).unwrap_or(0);
        let end_work = headers
            .iter()
            .fold(parent_work, |w, h| w.saturating_add(work_of(h.bits)));
        let top = parent_height.saturating_add(headers.len() as u32);
        let ceiling = self
            .chain
            .height()
            .saturating_add(budget::HEADERS_AHEAD_MAX);
        let threshold = self.anti_dos_threshold();
        let raises_best = end_work > self.chain.best_header_work();
        if top <= ceiling && end_work >= threshold {
            if raises_best || self.side_headers_allowed(conn, &first.prev, end_work, new, now) {
                return Gate::Store;
            }
            if self.peers.get(&conn).is_none_or(|p| p.closing) {
                return Gate::Done; // cut by its useless-headers budget just now
            }
        }
        let why = if top > ceiling {
            "too far ahead of the tip"
        } else if full {
            // Maybe the start of a branch that gets heavy enough later: follow it.
            let target = threshold.max(self.chain.best_header_work());
            return self.presync_start(conn, headers, target, now);
        } else if end_work >= threshold {
            "side branch over the side-header budget"
        } else {
            "branch with too little work"
        };
        debug!(target: "chain", "dropping {new} headers: {why}");
        self.charge(conn, Budget::UselessHeaders, new, now);
        Gate::Done
    }

    /// A side branch (it does not raise the best header) may be stored: the short
    /// continuation of the active chain a new block is announced with (charged to the
    /// sender's useless-headers budget instead), or anything within the global
    /// side-header budget, which bounds the side headers all peers together can make
    /// this node store.
    fn side_headers_allowed(
        &mut self,
        conn: ConnId,
        parent: &Hash256,
        end_work: U256,
        new: usize,
        now: Time,
    ) -> bool {
        let announcement = new <= MAX_ANNOUNCE_HEADERS
            && end_work > self.chain.tip_work()
            && self.chain.is_active(parent);
        if announcement {
            return self.charge(conn, Budget::UselessHeaders, new, now);
        }
        self.side_headers.take(
            new as u64,
            budget::SIDE_HEADERS_BURST,
            budget::SIDE_HEADERS_RATE,
            now,
        )
    }

    /// Starts a presync of the branch `headers` begins (its parent is stored), to be
    /// stored once its work exceeds `target`. A session the peer had is dropped and
    /// charged as a failed one.
    fn presync_start(
        &mut self,
        conn: ConnId,
        headers: &[BlockHeader],
        target: U256,
        now: Time,
    ) -> Gate {
        let parent = headers[0].prev;
        let (Some(ph), Some(height), Some(work)) = (
            self.chain.header(&parent).copied(),
            self.chain.height_of(&parent),
            self.chain.chain_work(&parent),
        ) else {
            return Gate::Done;
        };
        let Some(p) = self.peers.get(&conn).filter(|p| !p.closing) else {
            return Gate::Done;
        };
        if p.presync.is_some() {
            self.peers.get_mut(&conn).expect("checked").presync = None;
            if !self.charge(
                conn,
                Budget::UselessHeaders,
                budget::PRESYNC_FAIL_COST as usize,
                now,
            ) {
                return Gate::Done;
            }
        }
        let ceiling = self
            .chain
            .height()
            .saturating_add(budget::HEADERS_AHEAD_MAX);
        let max_len = ceiling.saturating_sub(height);
        let mut salt = [0u8; 16];
        salt[..8].copy_from_slice(&self.rng.next_u64().to_le_bytes());
        salt[8..].copy_from_slice(&self.rng.next_u64().to_le_bytes());
        let s = Presync::new((&parent, &ph, height, work), target, max_len, salt);
        debug!(target: "chain", "presync of a branch from height {height} with peer {conn}");
        self.peers.get_mut(&conn).expect("checked").presync = Some(Box::new(s));
        self.presync_continue(conn, headers, true, now)
            .unwrap_or(Gate::Done)
    }

    /// Feeds `headers` to the peer's presync session if they continue it; `None` if
    /// the peer has no session or these headers are not its next ones.
    fn presync_continue(
        &mut self,
        conn: ConnId,
        headers: &[BlockHeader],
        full: bool,
        now: Time,
    ) -> Option<Gate> {
        let p = self.peers.get_mut(&conn)?;
        let s = p.presync.as_mut()?;
        if !s.continues(headers) {
            return None;
        }
        let step = s.feed(headers, full, &self.cfg.params);
        let gate = match step {
            Ok(PresyncStep::More(last)) => {
                self.ask_headers_after(conn, last, now);
                Gate::Done
            }
            Ok(PresyncStep::Redownload(from)) => {
                debug!(target: "chain", "presync with peer {conn} reached the target: redownloading");
                self.ask_headers_after(conn, from, now);
                Gate::Done
            }
            Ok(PresyncStep::Store(hs)) if full => Gate::StoreThenMore(hs),
            Ok(PresyncStep::Store(_)) => {
                self.presync_failed(conn, "redownload ended before the presynced end", now);
                Gate::Done
            }
            Ok(PresyncStep::Done(hs)) => {
                debug!(target: "chain", "presync with peer {conn} done: branch stored");
                if let Some(p) = self.peers.get_mut(&conn) {
                    p.presync = None;
                }
                Gate::StoreThenMore(hs)
            }
            Err(e @ (PresyncError::TooLittleWork | PresyncError::TooLong)) => {
                self.presync_failed(conn, &e.to_string(), now);
                Gate::Done
            }
            Err(e) => {
                if let Some(p) = self.peers.get_mut(&conn) {
                    p.presync = None;
                }
                self.punish(conn, e.to_string(), now);
                Gate::Done
            }
        };
        Some(gate)
    }

    /// Ends the peer's presync without storing its branch, charging it
    /// `PRESYNC_FAIL_COST` useless headers.
    fn presync_failed(&mut self, conn: ConnId, why: &str, now: Time) {
        debug!(target: "chain", "presync with peer {conn} dropped: {why}");
        if let Some(p) = self.peers.get_mut(&conn) {
            p.presync = None;
        }
        self.charge(
            conn,
            Budget::UselessHeaders,
            budget::PRESYNC_FAIL_COST as usize,
            now,
        );
    }

    /// Asks `conn` for the headers after `hash`, with a request deadline.
    pub(super) fn ask_headers_after(&mut self, conn: ConnId, hash: Hash256, now: Time) {
        let msg = Message::GetHeaders {
            locator: vec![hash],
            stop: Hash256::ZERO,
        };
        let deadline = now + self.cfg.request_timeout;
        let Some(p) = self.peers.get_mut(&conn) else {
            return;
        };
        p.headers_deadline = Some(deadline);
        self.arm_peer_timers(conn);
        self.send(conn, msg);
    }
}
