//! In-process scale test of the tracker state machine: registers N peers (each from its
//! own IP, one heartbeat round while they are all registered), then closes them all,
//! and counts the `peer-joined` and `peer-left` notices the tracker sends. It also
//! measures the tracker's heap per registered peer with a counting allocator (the
//! state machine only: socket buffers of the `tracker` command come on top).
//!
//! ```text
//! cargo run --release --example tracker_scale -- 10000
//! ```

use cheesechain::service::{Action, Direction, DisconnectReason, Role, Service, Time};
use cheesechain::tracker::{Tracker, TrackerConfig};
use cheesechain::wire::Message;
use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `dealloc`; the caller guarantees `new_size` is valid.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[derive(Default)]
struct Counts {
    joined: u64,
    left: u64,
    other: u64,
}

fn drain(t: &mut Tracker, c: &mut Counts) {
    while let Some(a) = t.poll_action() {
        if let Action::Send { msg, .. } = a {
            match msg {
                Message::PeerJoined { .. } => c.joined += 1,
                Message::PeerLeft { .. } => c.left += 1,
                _ => c.other += 1,
            }
        }
    }
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("N is a number"))
        .unwrap_or(10_000);
    let ip = |i: u64| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i as u32));
    let before = LIVE.load(Ordering::Relaxed);
    let mut t = Tracker::new(TrackerConfig {
        max_peers: n as usize + 1,
        ..TrackerConfig::default()
    });
    let mut c = Counts::default();
    for i in 1..=n {
        let now = Time(i);
        t.on_connected(
            i,
            SocketAddr::new(ip(i), 40_000),
            Direction::Inbound,
            Role::Peer,
            now,
        );
        t.on_message(i, Message::Register { listen_port: 9000 }, now);
        drain(&mut t, &mut c);
    }
    for i in 1..=n {
        t.on_message(i, Message::Heartbeat, Time(n + i));
    }
    drain(&mut t, &mut c);
    let held = LIVE.load(Ordering::Relaxed) - before;
    assert_eq!(t.registered_count(), n as usize);
    let joined = c.joined;
    for i in 1..=n {
        t.on_disconnected(i, &DisconnectReason::RemoteClosed, Time(2 * n + i));
        drain(&mut t, &mut c);
    }
    println!("peers: {n}");
    println!("peer-joined sent: {joined}");
    println!("peer-left sent: {}", c.left);
    println!(
        "notices per join or leave: {:.2}",
        (joined + c.left) as f64 / (2 * n) as f64
    );
    println!("peer-lists and other messages: {}", c.other);
    println!(
        "tracker heap with all registered: {held} bytes, {} bytes per peer",
        held as u64 / n
    );
}
