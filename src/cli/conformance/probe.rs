//! A blocking test connection to the implementation under test: raw bytes or messages
//! out, decoded frames in with a deadline, and "did it close?".

use crate::chain::NetworkParams;
use crate::wire::{
    encode_frame, encode_raw_frame, Decoded, FrameDecoder, Message, Version, MAX_PAYLOAD_LEN,
    PROTOCOL_VERSION,
};
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// What arrived, or did not, while waiting.
#[derive(Debug)]
pub(super) enum Event {
    /// A decoded known message.
    Msg(Message),
    /// A frame of a type the decoder does not know.
    Unknown,
    /// The other side closed the connection (or reset it).
    Closed,
    /// Nothing that matched before the deadline.
    Timeout,
    /// The bytes from the other side did not decode (its fault).
    BadFrame(String),
}

/// One TCP connection to the target.
pub(super) struct Probe {
    stream: TcpStream,
    magic: [u8; 4],
    decoder: FrameDecoder,
    closed: bool,
    queue: VecDeque<Event>,
    /// Every message received so far, in order (for cases that look back).
    pub(super) seen: Vec<Message>,
}

/// A random `u64` from the operating system (nonces); a fixed value if it is missing.
pub(super) fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut b);
    }
    u64::from_le_bytes(b) | 1
}

impl Probe {
    /// Opens a TCP connection; nothing is sent.
    pub(super) fn connect(
        addr: SocketAddr,
        magic: [u8; 4],
        timeout: Duration,
    ) -> Result<Probe, String> {
        let stream = TcpStream::connect_timeout(&addr, timeout)
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        Ok(Probe {
            stream,
            magic,
            decoder: FrameDecoder::new(magic, MAX_PAYLOAD_LEN),
            closed: false,
            queue: VecDeque::new(),
            seen: Vec::new(),
        })
    }

    /// Connects and completes the version handshake as a peer listening on no port.
    pub(super) fn handshaken(
        addr: SocketAddr,
        params: &NetworkParams,
        timeout: Duration,
    ) -> Result<Probe, String> {
        let mut p = Probe::connect(addr, params.magic, timeout)?;
        p.send(&version_of(params, 0))?;
        let mut got_version = false;
        let mut got_verack = false;
        let deadline = Instant::now() + timeout;
        while !(got_version && got_verack) {
            match p.next_event(deadline) {
                Event::Msg(Message::Version(v)) if !got_version => {
                    if v.network_id != params.network_id() {
                        return Err("target's version names another network".into());
                    }
                    got_version = true;
                    p.send(&Message::Verack)?;
                }
                Event::Msg(Message::Verack) => got_verack = true,
                Event::Msg(Message::Reject { reason, .. }) => {
                    return Err(format!("target refused the handshake: {reason}"))
                }
                Event::Msg(_) | Event::Unknown => {}
                Event::Closed => return Err("target closed during the handshake".into()),
                Event::Timeout => return Err("no version and verack before the timeout".into()),
                Event::BadFrame(e) => return Err(format!("target sent a bad frame: {e}")),
            }
        }
        Ok(p)
    }

    /// Sends one message.
    pub(super) fn send(&mut self, m: &Message) -> Result<(), String> {
        let f = encode_frame(self.magic, m);
        self.send_bytes(&f)
    }

    /// Sends raw bytes.
    pub(super) fn send_bytes(&mut self, b: &[u8]) -> Result<(), String> {
        self.stream
            .write_all(b)
            .map_err(|e| format!("cannot send to the target: {e}"))
    }

    /// Sends a frame of any type, version and payload (checksum computed).
    pub(super) fn send_raw(
        &mut self,
        version: u16,
        msg_type: u16,
        payload: &[u8],
    ) -> Result<(), String> {
        let mut f = Vec::new();
        encode_raw_frame(self.magic, version, msg_type, payload, &mut f);
        self.send_bytes(&f)
    }

    /// The next event before `deadline`.
    pub(super) fn next_event(&mut self, deadline: Instant) -> Event {
        let mut buf = [0u8; 65536];
        loop {
            if let Some(ev) = self.queue.pop_front() {
                return ev;
            }
            if self.closed {
                return Event::Closed;
            }
            if Instant::now() >= deadline {
                return Event::Timeout;
            }
            match self.stream.read(&mut buf) {
                Ok(0) => self.closed = true,
                Ok(n) => {
                    let mut input = &buf[..n];
                    while !input.is_empty() {
                        match self.decoder.decode(&mut input) {
                            Ok(Some(d)) => {
                                let ev = self.record(d);
                                self.queue.push_back(ev);
                            }
                            Ok(None) => {}
                            Err(e) => {
                                self.queue.push_back(Event::BadFrame(e.to_string()));
                                self.closed = true;
                                break;
                            }
                        }
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => self.closed = true,
            }
        }
    }

    /// Waits until `pick` returns `Some` for a received message, skipping the others.
    /// `Err` says what happened instead (closed, timeout, bad frame).
    pub(super) fn wait_for<T>(
        &mut self,
        timeout: Duration,
        mut pick: impl FnMut(&Message) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.next_event(deadline) {
                Event::Msg(m) => {
                    if let Some(t) = pick(&m) {
                        return Ok(t);
                    }
                }
                Event::Unknown => {}
                Event::Closed => return Err("the target closed the connection".into()),
                Event::Timeout => {
                    return Err(format!("no answer within {} ms", timeout.as_millis()))
                }
                Event::BadFrame(e) => return Err(format!("the target sent a bad frame: {e}")),
            }
        }
    }

    /// Waits for the target to close the connection, ignoring what it sends first.
    /// `Ok` if it closed before the timeout.
    pub(super) fn wait_closed(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.next_event(deadline) {
                Event::Closed => return Ok(()),
                Event::Timeout => {
                    return Err(format!(
                        "the connection stayed open for {} ms",
                        timeout.as_millis()
                    ))
                }
                Event::Msg(_) | Event::Unknown | Event::BadFrame(_) => {}
            }
        }
    }

    fn record(&mut self, d: Decoded) -> Event {
        match d {
            Decoded::Message(m) => {
                self.seen.push(m.clone());
                Event::Msg(m)
            }
            Decoded::Unknown { .. } => Event::Unknown,
        }
    }
}

/// Our `version` for `params`, listening on `listen_port` (0: none).
pub(super) fn version_of(params: &NetworkParams, listen_port: u16) -> Message {
    Message::Version(Version {
        version: PROTOCOL_VERSION as u32,
        network_id: params.network_id(),
        nonce: random_u64(),
        best_height: 0,
        listen_port,
    })
}
