//! The reactor over real loopback sockets, driving a tiny echo service.

use cheesechain::chain::Block;
use cheesechain::net::{Hooks, Reactor, ReactorConfig, ReactorStats};
use cheesechain::service::{
    Action, ConnId, Direction, DisconnectReason, Event, Role, Service, Time,
};
use cheesechain::wire::{
    encode_frame, Decoded, FrameDecoder, FrameError, Message, MAX_PAYLOAD_LEN,
};
use std::collections::{HashSet, VecDeque};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const MAGIC: [u8; 4] = [0xc4, 0xee, 0x5e, 0xff];
/// Every wait in these tests gives up after this long.
const DEADLINE: Duration = Duration::from_secs(20);

#[derive(Default, Debug)]
struct Shared {
    connected: Vec<(ConnId, Direction)>,
    disconnected: Vec<(ConnId, DisconnectReason)>,
    failed: Vec<SocketAddr>,
    pongs: Vec<(ConnId, u64)>,
}

/// Echoes `Ping` as `Pong`; greets each new connection with `greet` pings; floods every
/// connection while `flood`; answers `GetPeers` with 100 pongs and a disconnect.
struct Echo {
    actions: VecDeque<Action>,
    shared: Arc<Mutex<Shared>>,
    greet: u64,
    flood: bool,
    open: Vec<ConnId>,
    next_flood: Time,
}

impl Echo {
    fn new(shared: Arc<Mutex<Shared>>) -> Echo {
        Echo {
            actions: VecDeque::new(),
            shared,
            greet: 0,
            flood: false,
            open: Vec::new(),
            next_flood: Time(0),
        }
    }
}

impl Service for Echo {
    fn on_connected(
        &mut self,
        conn: ConnId,
        _addr: SocketAddr,
        dir: Direction,
        _role: Role,
        _now: Time,
    ) {
        self.shared.lock().unwrap().connected.push((conn, dir));
        self.open.push(conn);
        for nonce in 0..self.greet {
            self.actions.push_back(Action::Send {
                conn,
                msg: Message::Ping { nonce },
            });
        }
        if dir == Direction::Outbound {
            self.actions.push_back(Action::Send {
                conn,
                msg: Message::Ping { nonce: 7 },
            });
        }
    }
    fn on_connect_failed(&mut self, addr: SocketAddr, _role: Role, _now: Time) {
        self.shared.lock().unwrap().failed.push(addr);
    }
    fn on_message(&mut self, conn: ConnId, msg: Message, _now: Time) {
        match msg {
            Message::Ping { nonce } => self.actions.push_back(Action::Send {
                conn,
                msg: Message::Pong { nonce },
            }),
            Message::Pong { nonce } => self.shared.lock().unwrap().pongs.push((conn, nonce)),
            Message::GetPeers => {
                for nonce in 0..100 {
                    self.actions.push_back(Action::Send {
                        conn,
                        msg: Message::Pong { nonce },
                    });
                }
                self.actions.push_back(Action::Disconnect {
                    conn,
                    reason: DisconnectReason::Shutdown,
                });
            }
            _ => {}
        }
    }
    fn on_disconnected(&mut self, conn: ConnId, reason: &DisconnectReason, _now: Time) {
        self.open.retain(|&c| c != conn);
        self.shared
            .lock()
            .unwrap()
            .disconnected
            .push((conn, reason.clone()));
    }
    fn on_tick(&mut self, now: Time) {
        self.next_flood = now + Duration::from_millis(1);
        let peers: Vec<SocketAddr> = (0..64)
            .map(|i| SocketAddr::from(([10, 0, 0, 1], 1000 + i)))
            .collect();
        for &conn in &self.open {
            for _ in 0..200 {
                self.actions.push_back(Action::Send {
                    conn,
                    msg: Message::PeerList {
                        peers: peers.clone(),
                    },
                });
            }
        }
    }
    fn next_deadline(&self) -> Option<Time> {
        (self.flood && !self.open.is_empty()).then_some(self.next_flood)
    }
    fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }
}

struct StopHooks(Arc<AtomicBool>);

impl<S> Hooks<S> for StopHooks {
    fn store_block(&mut self, _block: &Block) -> io::Result<()> {
        Ok(())
    }
    fn event(&mut self, _ev: &Event, _now: Time) {}
    fn periodic(&mut self, _s: &S, _stats: &ReactorStats, _now: Time) -> ControlFlow<()> {
        if self.0.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// A reactor running an [`Echo`] on its own thread; stopped and joined on drop.
struct Server {
    addr: Option<SocketAddr>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<io::Result<()>>>,
}

impl Server {
    fn start(config: ReactorConfig, setup: impl FnOnce(&mut Echo) + Send + 'static) -> Server {
        let mut reactor = Reactor::bind(config).expect("bind");
        let addr = reactor.local_addr();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s2, stop2) = (shared.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            let mut svc = Echo::new(s2);
            setup(&mut svc);
            reactor.run(&mut svc, &mut StopHooks(stop2))
        });
        Server {
            addr,
            shared,
            stop,
            handle: Some(handle),
        }
    }

    fn listening(config: ReactorConfig) -> Server {
        Server::start(
            ReactorConfig {
                listen: Some("127.0.0.1:0".parse().unwrap()),
                ..config
            },
            |_| {},
        )
    }

    fn wait_for(&self, what: &str, mut cond: impl FnMut(&Shared) -> bool) {
        let end = Instant::now() + DEADLINE;
        while Instant::now() < end {
            if cond(&self.shared.lock().unwrap()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!(
            "timed out waiting for {what}: {:?}",
            self.shared.lock().unwrap()
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let r = h.join().expect("reactor thread panicked");
            if !std::thread::panicking() {
                r.expect("reactor returned an error");
            }
        }
    }
}

fn config() -> ReactorConfig {
    ReactorConfig {
        magic: MAGIC,
        max_payload: MAX_PAYLOAD_LEN,
        ..ReactorConfig::default()
    }
}

fn client(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s
}

fn send(s: &mut TcpStream, msg: &Message) {
    s.write_all(&encode_frame(MAGIC, msg)).unwrap();
}

/// Reads until `n` messages arrived (EOF or timeout fails the test).
fn read_msgs(s: &mut TcpStream, dec: &mut FrameDecoder, n: usize) -> Vec<Message> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let end = Instant::now() + DEADLINE;
    while out.len() < n {
        assert!(
            Instant::now() < end,
            "timed out after {} of {n} messages",
            out.len()
        );
        let k = s.read(&mut buf).expect("read");
        assert!(k > 0, "closed after {} of {n} messages", out.len());
        let mut input = &buf[..k];
        while !input.is_empty() {
            match dec.decode(&mut input).expect("valid frames") {
                Some(Decoded::Message(m)) => out.push(m),
                Some(Decoded::Unknown { .. }) | None => {}
            }
        }
    }
    out
}

/// Reads until the server closes; true if it did within the deadline.
fn read_until_closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    let end = Instant::now() + DEADLINE;
    while Instant::now() < end {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    false
}

#[test]
fn many_messages_in_both_directions_arrive_in_order() {
    const N: u64 = 5_000;
    let server = Server::start(
        ReactorConfig {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..config()
        },
        |e| e.greet = N,
    );
    let mut s = client(server.addr.unwrap());
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        for nonce in 0..N {
            send(&mut w, &Message::Ping { nonce });
        }
    });
    let msgs = read_msgs(
        &mut s,
        &mut FrameDecoder::new(MAGIC, MAX_PAYLOAD_LEN),
        2 * N as usize,
    );
    writer.join().unwrap();
    let pings: Vec<u64> = msgs
        .iter()
        .filter_map(|m| match m {
            Message::Ping { nonce } => Some(*nonce),
            _ => None,
        })
        .collect();
    let pongs: Vec<u64> = msgs
        .iter()
        .filter_map(|m| match m {
            Message::Pong { nonce } => Some(*nonce),
            _ => None,
        })
        .collect();
    assert_eq!(pings, (0..N).collect::<Vec<_>>());
    assert_eq!(pongs, (0..N).collect::<Vec<_>>());
}

#[test]
fn garbage_gets_a_frame_error_disconnect() {
    let server = Server::listening(config());
    let mut s = client(server.addr.unwrap());
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert!(read_until_closed(&mut s), "server closes the connection");
    server.wait_for("frame error", |sh| {
        sh.disconnected
            .iter()
            .any(|(_, r)| matches!(r, DisconnectReason::Frame(FrameError::BadMagic { .. })))
    });
}

#[test]
fn a_peer_that_never_reads_is_dropped_with_send_queue_full() {
    let server = Server::start(
        ReactorConfig {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            max_send_queue_bytes: 256 * 1024,
            ..config()
        },
        |e| e.flood = true,
    );
    let _s = client(server.addr.unwrap());
    server.wait_for("send queue full", |sh| {
        sh.disconnected
            .iter()
            .any(|(_, r)| *r == DisconnectReason::SendQueueFull)
    });
}

#[test]
fn delay_holds_messages_back_in_order() {
    const DELAY: Duration = Duration::from_millis(150);
    let server = Server::listening(ReactorConfig {
        delay: DELAY,
        ..config()
    });
    let mut s = client(server.addr.unwrap());
    let t0 = Instant::now();
    for nonce in 0..50 {
        send(&mut s, &Message::Ping { nonce });
    }
    let mut dec = FrameDecoder::new(MAGIC, MAX_PAYLOAD_LEN);
    let first = read_msgs(&mut s, &mut dec, 1);
    // The delay is a lower bound by design: nothing leaves before it.
    assert!(t0.elapsed() >= DELAY, "arrived after {:?}", t0.elapsed());
    let rest = read_msgs(&mut s, &mut dec, 49 - (first.len() - 1));
    let all: Vec<Message> = first.into_iter().chain(rest).collect();
    assert_eq!(
        all,
        (0..50)
            .map(|nonce| Message::Pong { nonce })
            .collect::<Vec<_>>()
    );
}

#[test]
fn connection_ids_are_never_reused() {
    const CYCLES: usize = 300;
    let server = Server::listening(config());
    let addr = server.addr.unwrap();
    let mut dec;
    for i in 0..CYCLES {
        let mut s = client(addr);
        send(&mut s, &Message::Ping { nonce: i as u64 });
        dec = FrameDecoder::new(MAGIC, MAX_PAYLOAD_LEN);
        assert_eq!(
            read_msgs(&mut s, &mut dec, 1),
            vec![Message::Pong { nonce: i as u64 }]
        );
    }
    server.wait_for("all disconnects", |sh| sh.disconnected.len() == CYCLES);
    let sh = server.shared.lock().unwrap();
    let ids: HashSet<ConnId> = sh.connected.iter().map(|&(c, _)| c).collect();
    assert_eq!(ids.len(), CYCLES, "every connection got a fresh id");
    let gone: HashSet<ConnId> = sh.disconnected.iter().map(|&(c, _)| c).collect();
    assert_eq!(gone, ids, "each connection closed exactly once");
    assert!(sh
        .disconnected
        .iter()
        .all(|(_, r)| *r == DisconnectReason::RemoteClosed));
}

#[test]
fn outbound_connects_succeed_and_fail() {
    let target = Server::listening(config());
    let target_addr = target.addr.unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let dialer = Server::start(config(), move |e| {
        for addr in [target_addr, closed] {
            e.actions.push_back(Action::Connect {
                addr,
                role: Role::Peer,
            });
        }
    });
    dialer.wait_for("pong and failure", |sh| {
        sh.pongs.iter().any(|&(_, n)| n == 7) && sh.failed == vec![closed]
    });
    let sh = dialer.shared.lock().unwrap();
    assert_eq!(sh.connected.len(), 1);
    assert_eq!(sh.connected[0].1, Direction::Outbound);
    target.wait_for("inbound seen", |sh| {
        sh.connected.len() == 1 && sh.connected[0].1 == Direction::Inbound
    });
}

#[test]
fn inbound_connections_beyond_the_cap_are_closed() {
    let server = Server::listening(ReactorConfig {
        max_inbound: 2,
        ..config()
    });
    let addr = server.addr.unwrap();
    let mut kept = Vec::new();
    for nonce in 0..2 {
        let mut s = client(addr);
        send(&mut s, &Message::Ping { nonce });
        let mut dec = FrameDecoder::new(MAGIC, MAX_PAYLOAD_LEN);
        assert_eq!(
            read_msgs(&mut s, &mut dec, 1),
            vec![Message::Pong { nonce }]
        );
        kept.push(s);
    }
    let mut extra = client(addr);
    assert!(
        read_until_closed(&mut extra),
        "third connection closed at once"
    );
    assert_eq!(server.shared.lock().unwrap().connected.len(), 2);
}

#[test]
fn disconnect_action_flushes_queued_output_first() {
    let server = Server::listening(config());
    let mut s = client(server.addr.unwrap());
    send(&mut s, &Message::GetPeers);
    let mut dec = FrameDecoder::new(MAGIC, MAX_PAYLOAD_LEN);
    let msgs = read_msgs(&mut s, &mut dec, 100);
    assert_eq!(
        msgs,
        (0..100)
            .map(|nonce| Message::Pong { nonce })
            .collect::<Vec<_>>()
    );
    assert!(read_until_closed(&mut s));
    server.wait_for("shutdown reason", |sh| {
        sh.disconnected == vec![(1, DisconnectReason::Shutdown)]
    });
}
