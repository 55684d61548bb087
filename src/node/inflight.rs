//! Requests in flight: which block or transaction was asked of which peer, due by when.

use super::*;

/// Outstanding requests by hash, each with the peer asked and its deadline. The node
/// keeps one for blocks (at most [`DOWNLOAD_WINDOW`] entries) and one for transactions
/// (at most one per announced transaction not in the pool, each dropped at its
/// deadline).
#[derive(Debug, Default)]
pub(super) struct InFlight {
    by_hash: BTreeMap<Hash256, (ConnId, Time)>,
}

impl InFlight {
    /// Records that `hash` was asked of `conn`, due at `deadline`.
    pub(super) fn insert(&mut self, hash: Hash256, conn: ConnId, deadline: Time) {
        self.by_hash.insert(hash, (conn, deadline));
    }

    /// Removes the request for `hash`, returning who was asked and its deadline.
    pub(super) fn remove(&mut self, hash: &Hash256) -> Option<(ConnId, Time)> {
        self.by_hash.remove(hash)
    }

    /// Who was asked for `hash`, and its deadline.
    pub(super) fn get(&self, hash: &Hash256) -> Option<(ConnId, Time)> {
        self.by_hash.get(hash).copied()
    }

    /// True if `hash` was asked for.
    pub(super) fn contains(&self, hash: &Hash256) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// Requests outstanding.
    pub(super) fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// True if nothing is outstanding.
    pub(super) fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Every outstanding request as (peer, deadline), in hash order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (ConnId, Time)> + '_ {
        self.by_hash.values().copied()
    }

    /// Drops every request made of `conn`; true if there was any.
    pub(super) fn drop_peer(&mut self, conn: ConnId) -> bool {
        let before = self.by_hash.len();
        self.by_hash.retain(|_, (c, _)| *c != conn);
        self.by_hash.len() != before
    }

    /// Drops every request due by `now`; true if there was any.
    pub(super) fn expire(&mut self, now: Time) -> bool {
        let before = self.by_hash.len();
        self.by_hash.retain(|_, (_, deadline)| *deadline > now);
        self.by_hash.len() != before
    }

    /// The earliest deadline of all requests.
    pub(super) fn earliest(&self) -> Option<Time> {
        self.by_hash.values().map(|(_, d)| *d).min()
    }

    /// The earliest deadline of the requests made of `conn` that `keep` accepts.
    pub(super) fn earliest_of(&self, conn: ConnId, keep: impl Fn(Time) -> bool) -> Option<Time> {
        self.by_hash
            .values()
            .filter(|(c, d)| *c == conn && keep(*d))
            .map(|(_, d)| *d)
            .min()
    }
}
