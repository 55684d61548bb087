//! The tracker binary end to end: raw TCP clients speaking the wire format; a client
//! of another network is refused with a WARN line naming it.

mod support;

use cheesechain::chain::NetworkParams;
use cheesechain::wire::{
    encode_frame, Decoded, FrameDecoder, Message, RejectCode, MAX_TRACKER_PAYLOAD_LEN,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

/// Kills the tracker when the test ends, pass or fail.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_tracker() -> (Guard, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracker"))
        .args(["--listen", "127.0.0.1:0", "--network", "regtest"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn tracker");
    let stdout = child.stdout.take().unwrap();
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .trim()
        .strip_prefix("tracker listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .expect("address");
    (guard, addr)
}

struct Client {
    s: TcpStream,
    dec: FrameDecoder,
    magic: [u8; 4],
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        let magic = NetworkParams::regtest().magic;
        Client {
            s,
            dec: FrameDecoder::new(magic, MAX_TRACKER_PAYLOAD_LEN),
            magic,
        }
    }

    fn send(&mut self, m: &Message) {
        self.s.write_all(&encode_frame(self.magic, m)).unwrap();
    }

    /// The next message; `None` if the tracker closed the connection.
    fn recv(&mut self) -> Option<Message> {
        let end = Instant::now() + DEADLINE;
        let mut b = [0u8; 1];
        loop {
            assert!(Instant::now() < end, "timed out");
            // One byte at a time keeps later frames in the socket for the next call.
            match self.s.read(&mut b) {
                Ok(0) => return None,
                Ok(_) => {
                    let mut input = &b[..];
                    if let Some(Decoded::Message(m)) = self.dec.decode(&mut input).unwrap() {
                        return Some(m);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read: {e}"),
            }
        }
    }
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[test]
fn three_clients_see_joins_and_leaves() {
    let (_guard, addr) = start_tracker();
    let mut a = Client::connect(addr);
    a.send(&Message::Register { listen_port: 9001 });
    assert_eq!(a.recv(), Some(Message::PeerList { peers: vec![] }));

    let mut b = Client::connect(addr);
    b.send(&Message::Register { listen_port: 9002 });
    assert_eq!(
        b.recv(),
        Some(Message::PeerList {
            peers: vec![local(9001)]
        })
    );
    assert_eq!(a.recv(), Some(Message::PeerJoined { addr: local(9002) }));

    let mut c = Client::connect(addr);
    c.send(&Message::Register { listen_port: 9003 });
    let Some(Message::PeerList { mut peers }) = c.recv() else {
        panic!("peer list")
    };
    peers.sort();
    assert_eq!(peers, vec![local(9001), local(9002)]);
    assert_eq!(a.recv(), Some(Message::PeerJoined { addr: local(9003) }));
    assert_eq!(b.recv(), Some(Message::PeerJoined { addr: local(9003) }));

    b.send(&Message::Heartbeat);
    drop(b);
    assert_eq!(a.recv(), Some(Message::PeerLeft { addr: local(9002) }));
    assert_eq!(c.recv(), Some(Message::PeerLeft { addr: local(9002) }));

    c.send(&Message::GetPeers);
    assert_eq!(
        c.recv(),
        Some(Message::PeerList {
            peers: vec![local(9001)]
        })
    );
}

#[test]
fn a_client_that_does_not_register_first_gets_an_error_and_is_closed() {
    let (_guard, addr) = start_tracker();
    let mut x = Client::connect(addr);
    x.send(&Message::Heartbeat);
    assert!(matches!(
        x.recv(),
        Some(Message::Error {
            code: RejectCode::Invalid,
            ..
        })
    ));
    assert_eq!(x.recv(), None);
}

#[test]
fn help_and_bad_network_are_reported() {
    let out = Command::new(env!("CARGO_BIN_EXE_tracker"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--network",
        "--max-peers",
        "--max-per-ip",
        "--heartbeat-timeout-secs",
        "--seed",
    ] {
        assert!(text.contains(flag), "--help mentions {flag}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tracker"))
        .args(["--network", "nope", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown network"));
}

/// Waits until the tracker closes `s` (end of file or reset).
fn wait_closed(s: &mut TcpStream) {
    let mut b = [0u8; 256];
    loop {
        match s.read(&mut b) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
            Err(e) => panic!("read: {e}"),
        }
    }
}

#[test]
fn a_client_of_another_network_is_refused_with_a_warning_naming_it() {
    let _g = support::process::serial();
    let tmp = tempfile::tempdir().unwrap();
    // A testnet tracker; its log (RUST_LOG=info) goes to tracker.log.
    let t = support::process::tracker(tmp.path(), "127.0.0.1:0");
    let addr: SocketAddr = t.addr.parse().unwrap();

    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    let devnet = NetworkParams::devnet(5).magic;
    s.write_all(&encode_frame(
        devnet,
        &Message::Register { listen_port: 9001 },
    ))
    .unwrap();
    wait_closed(&mut s);
    let line = support::process::wait_for(20, "the WARN line naming devnet", || {
        t.log()
            .lines()
            .find(|l| l.contains("WARN") && l.contains("refused connection"))
            .map(str::to_string)
    });
    assert!(
        line.contains("it speaks network devnet (magic c4ee5ede)")
            && line.contains("this tracker serves testnet")
            && line.contains("127.0.0.1"),
        "{line}"
    );

    // Not cheesechain at all: the magic is given in hex.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    wait_closed(&mut s);
    support::process::wait_for(20, "the WARN line with the unknown magic", || {
        t.log()
            .lines()
            .any(|l| l.contains("WARN") && l.contains("it speaks unknown magic 47455420"))
            .then_some(())
    });
    // The tracker still serves its own network.
    let mut c = Client::connect(addr);
    c.magic = NetworkParams::testnet().magic;
    c.dec = FrameDecoder::new(c.magic, MAX_TRACKER_PAYLOAD_LEN);
    c.send(&Message::Register { listen_port: 9002 });
    assert_eq!(c.recv(), Some(Message::PeerList { peers: vec![] }));
}
