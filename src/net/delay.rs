//! The artificial-delay queue behind `--delay-ms`: encoded frames held in order until
//! their release time. Pure: the reactor passes the time in and writes what comes out.

use crate::service::ConnId;
use std::collections::VecDeque;
use std::time::Instant;

/// One outgoing frame held back by the artificial latency.
#[derive(Debug)]
pub(crate) struct Delayed {
    /// When it may be written.
    pub release: Instant,
    /// The connection it is for (which may be gone by then).
    pub conn: ConnId,
    /// The encoded frame.
    pub bytes: Vec<u8>,
}

/// Frames in release order. The delay is the same for every frame, so pushing at the
/// back keeps the queue sorted.
#[derive(Debug, Default)]
pub(crate) struct DelayQueue {
    queue: VecDeque<Delayed>,
}

impl DelayQueue {
    /// An empty queue.
    pub(crate) fn new() -> DelayQueue {
        DelayQueue::default()
    }

    /// Holds `bytes` for `conn` until `release`, which must not be earlier than the
    /// release time of any frame already held.
    pub(crate) fn push(&mut self, release: Instant, conn: ConnId, bytes: Vec<u8>) {
        self.queue.push_back(Delayed {
            release,
            conn,
            bytes,
        });
    }

    /// The earliest release time, if anything is held.
    pub(crate) fn next_release(&self) -> Option<Instant> {
        self.queue.front().map(|d| d.release)
    }

    /// The next frame whose release time is at or before `inst`.
    pub(crate) fn pop_due(&mut self, inst: Instant) -> Option<Delayed> {
        if self.queue.front().is_some_and(|d| d.release <= inst) {
            self.queue.pop_front()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn releases_in_order_and_only_when_due() {
        let t0 = Instant::now();
        let ms = Duration::from_millis(1);
        let mut q = DelayQueue::new();
        assert_eq!(q.next_release(), None);
        assert!(q.pop_due(t0 + ms * 100).is_none());
        q.push(t0 + ms * 10, 1, vec![1]);
        q.push(t0 + ms * 10, 2, vec![2]);
        q.push(t0 + ms * 20, 1, vec![3]);
        assert_eq!(q.next_release(), Some(t0 + ms * 10));
        assert!(q.pop_due(t0 + ms * 9).is_none());
        let due: Vec<_> = std::iter::from_fn(|| q.pop_due(t0 + ms * 10))
            .map(|d| (d.conn, d.bytes))
            .collect();
        assert_eq!(due, vec![(1, vec![1]), (2, vec![2])]);
        assert_eq!(q.next_release(), Some(t0 + ms * 20));
        let d = q.pop_due(t0 + ms * 30).expect("due");
        assert_eq!((d.release, d.conn, d.bytes), (t0 + ms * 20, 1, vec![3]));
        assert_eq!(q.next_release(), None);
    }
}
