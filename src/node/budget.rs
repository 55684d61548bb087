//! Per-peer request budgets: a token bucket per kind of amplifying request, kept as
//! one virtual time (GCRA) and driven only by the `now` passed in.

use crate::service::{Budget, Time};

/// `get-headers`: tokens (headers answered, plus `GET_HEADERS_COST` per request) a
/// peer may use at once.
pub const GET_HEADERS_BURST: u64 = 100_000;
/// `get-headers`: tokens regained per second.
pub const GET_HEADERS_RATE: u64 = 50_000;
/// Tokens one `get-headers` costs besides the headers it returns (the locator search).
pub const GET_HEADERS_COST: u64 = 8;
/// `get-data`: transaction items a peer may ask for at once (a `mempool` request
/// counts as `MEMPOOL_COST`; block items are not counted).
pub const GET_DATA_BURST: u64 = 4_000;
/// `get-data`: items regained per second.
pub const GET_DATA_RATE: u64 = 1_000;
/// What one `mempool` request costs in `get-data` items.
pub const MEMPOOL_COST: u64 = 1_000;
/// `inv`: items a peer may announce at once (a whole mempool listing fits).
pub const INV_BURST: u64 = 25_000;
/// `inv`: items regained per second.
pub const INV_RATE: u64 = 2_000;
/// `ping`: pings a peer may send at once.
pub const PING_BURST: u64 = 10;
/// `ping`: pings regained per second.
pub const PING_RATE: u64 = 1;

/// Useless headers (see [`Budget::UselessHeaders`]) a peer may send at once.
pub const USELESS_HEADERS_BURST: u64 = 4_000;
/// Useless headers forgiven per second.
pub const USELESS_HEADERS_RATE: u64 = 10;
/// Most headers stored above the active tip's height: a header higher than the tip
/// plus this is not stored (and counts as useless).
pub const HEADERS_AHEAD_MAX: u32 = 40_000;
/// Side headers (on a branch that does not raise the best header) all peers together
/// may make the node store at once, beyond new-block announcements.
pub const SIDE_HEADERS_BURST: u64 = 2_000;
/// Side headers the node may store per second, all peers together.
pub const SIDE_HEADERS_RATE: u64 = 10;
/// Useless headers a presync that ends without storing its branch is charged (too
/// little work, too long, or a replaced session).
pub const PRESYNC_FAIL_COST: u64 = 1_000;
/// A branch is stored only if its cumulative work reaches the active tip's minus
/// this many blocks of the tip's work (Bitcoin Core's anti-DoS threshold).
pub const ANTI_DOS_BLOCKS: u64 = 144;

/// One token bucket as a virtual time: the moment it would be full again. Taking `n`
/// tokens moves it `n` refill periods later (never starting before now); a take that
/// would move it more than the burst past now is refused and changes nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gcra {
    /// Microseconds since the epoch at which the bucket is full.
    full_at_us: u64,
}

impl Gcra {
    /// Takes `n` tokens from a bucket of `burst` tokens refilled at `rate` per second;
    /// false (nothing taken) if fewer than `n` are left.
    pub fn take(&mut self, n: u64, burst: u64, rate: u64, now: Time) -> bool {
        let now_us = now.0.saturating_mul(1000);
        let per_token = 1_000_000 / rate.max(1);
        let start = self.full_at_us.max(now_us);
        let after = start.saturating_add(n.saturating_mul(per_token));
        if after - now_us > burst.saturating_mul(per_token) {
            return false;
        }
        self.full_at_us = after;
        true
    }
}

/// The budgets of one peer.
#[derive(Clone, Copy, Debug, Default)]
pub struct PeerBudgets {
    get_headers: Gcra,
    get_data: Gcra,
    inv: Gcra,
    ping: Gcra,
    useless: Gcra,
}

impl PeerBudgets {
    /// Charges `n` pings to a ping budget of `burst` at once and `rate` per second
    /// (the node's setting; [`PING_BURST`] and [`PING_RATE`] by default).
    pub fn take_ping(&mut self, n: u64, burst: u64, rate: u64, now: Time) -> bool {
        self.ping.take(n, burst, rate, now)
    }

    /// Charges `n` tokens to budget `b`; false if it ran out (the peer is then cut).
    pub fn take(&mut self, b: Budget, n: u64, now: Time) -> bool {
        match b {
            Budget::GetHeaders => {
                self.get_headers
                    .take(n, GET_HEADERS_BURST, GET_HEADERS_RATE, now)
            }
            Budget::GetData => self.get_data.take(n, GET_DATA_BURST, GET_DATA_RATE, now),
            Budget::Inventory => self.inv.take(n, INV_BURST, INV_RATE, now),
            Budget::Ping => self.take_ping(n, PING_BURST, PING_RATE, now),
            Budget::UselessHeaders => {
                self.useless
                    .take(n, USELESS_HEADERS_BURST, USELESS_HEADERS_RATE, now)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let mut g = Gcra::default();
        let t = Time(1_000_000);
        for _ in 0..10 {
            assert!(g.take(1, 10, 2, t));
        }
        assert!(!g.take(1, 10, 2, t), "burst used up");
        assert!(!g.take(1, 10, 2, Time(t.0 + 400)));
        assert!(g.take(1, 10, 2, Time(t.0 + 500)), "one token per 500 ms");
        assert!(!g.take(1, 10, 2, Time(t.0 + 500)));
        // A refused take changes nothing; a long pause refills to the burst only.
        let later = Time(t.0 + 3_600_000);
        assert!(!g.take(11, 10, 2, later));
        assert!(g.take(10, 10, 2, later));
        assert!(!g.take(1, 10, 2, later));
    }

    #[test]
    fn peer_budgets_are_independent() {
        let mut b = PeerBudgets::default();
        let t = Time(5_000);
        assert!(b.take(Budget::Ping, PING_BURST, t));
        assert!(!b.take(Budget::Ping, 1, t));
        assert!(b.take(Budget::GetData, GET_DATA_BURST, t));
        assert!(b.take(Budget::Inventory, INV_BURST, t));
        assert!(b.take(Budget::GetHeaders, GET_HEADERS_BURST, t));
        assert!(!b.take(Budget::GetHeaders, 1, t));
    }
}
