//! Attacker-side helpers for the real-process attack tests: a connection bound to a
//! chosen 127.0.0.x address that completes the handshake, answers pings and sends
//! what the test wants, and the resident memory of a child process.
#![allow(dead_code)]

use cheesechain::chain::NetworkParams;
use cheesechain::wire::{
    encode_frame, Decoded, FrameDecoder, Message, Version, MAX_PAYLOAD_LEN, PROTOCOL_VERSION,
};
use socket2::{Domain, Socket, Type};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A TCP connection to `to` from address `from` (port chosen by the OS).
pub fn connect_from(from: Ipv4Addr, to: SocketAddr) -> io::Result<TcpStream> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    s.bind(&SocketAddr::new(IpAddr::V4(from), 0).into())?;
    s.connect_timeout(&to.into(), Duration::from_secs(2))?;
    Ok(s.into())
}

/// The resident memory of process `pid` in KiB (`VmRSS` of /proc/PID/status).
pub fn rss_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One handshaken attacker connection.
pub struct Wire {
    stream: TcpStream,
    dec: FrameDecoder,
    magic: [u8; 4],
    buf: Vec<u8>,
}

impl Wire {
    /// Connects from `from`, sends `version` (with `nonce`) and `verack`, and waits up to
    /// 10 s for the victim's `verack`.
    pub fn handshake(
        from: Ipv4Addr,
        to: SocketAddr,
        p: &NetworkParams,
        nonce: u64,
    ) -> io::Result<Wire> {
        let stream = connect_from(from, to)?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        let mut w = Wire {
            stream,
            dec: FrameDecoder::new(p.magic, MAX_PAYLOAD_LEN),
            magic: p.magic,
            buf: vec![0; 64 * 1024],
        };
        w.send(&Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: p.network_id(),
            nonce,
            best_height: 0,
            listen_port: 0,
        }))?;
        w.send(&Message::Verack)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            for m in w.read_some(Duration::from_millis(50))? {
                if matches!(m, Message::Verack) {
                    return Ok(w);
                }
            }
        }
        Err(io::Error::new(ErrorKind::TimedOut, "no verack"))
    }

    /// Sends one message (blocking, 10 s write timeout).
    pub fn send(&mut self, m: &Message) -> io::Result<()> {
        self.stream.write_all(&encode_frame(self.magic, m))
    }

    /// Sends already framed bytes.
    pub fn send_raw(&mut self, frame: &[u8]) -> io::Result<()> {
        self.stream.write_all(frame)
    }

    /// Reads what has arrived within `wait`, answering pings; the other messages are
    /// returned. An error means the victim closed the connection.
    pub fn read_some(&mut self, wait: Duration) -> io::Result<Vec<Message>> {
        self.stream
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        let mut out = Vec::new();
        loop {
            let n = match self.stream.read(&mut self.buf) {
                Ok(0) => return Err(io::Error::new(ErrorKind::UnexpectedEof, "closed")),
                Ok(n) => n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(out)
                }
                Err(e) => return Err(e),
            };
            let mut input = &self.buf[..n];
            while !input.is_empty() {
                match self.dec.decode(&mut input) {
                    Ok(Some(Decoded::Message(Message::Ping { nonce }))) => {
                        let pong = encode_frame(self.magic, &Message::Pong { nonce });
                        self.stream.write_all(&pong)?;
                    }
                    Ok(Some(Decoded::Message(m))) => out.push(m),
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => return Err(io::Error::other(format!("{e:?}"))),
                }
            }
            // More may be waiting: poll again without waiting.
            self.stream
                .set_read_timeout(Some(Duration::from_millis(1)))?;
        }
    }

    /// True once the victim has closed the connection (waits up to `secs`).
    pub fn closed_within(&mut self, secs: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if self.read_some(Duration::from_millis(50)).is_err() {
                return true;
            }
        }
        false
    }
}
