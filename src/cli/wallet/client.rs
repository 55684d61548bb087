//! The wallet's blocking client: one TCP connection to a peer, the version handshake,
//! and request/answer exchanges with a timeout.

use crate::chain::{AccountId, NetworkParams};
use crate::runtime::resolve;
use crate::wire::{
    encode_frame, Decoded, FrameDecoder, Message, Version, MAX_PAYLOAD_LEN, PROTOCOL_VERSION,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long the wallet waits for a peer's answer.
pub const WALLET_TIMEOUT: Duration = Duration::from_secs(10);

/// A blocking client connection to one peer.
pub(super) struct Client {
    stream: TcpStream,
    magic: [u8; 4],
    decoder: FrameDecoder,
}

impl Client {
    /// Connects to `peer` (HOST:PORT) and does the version handshake.
    pub(super) fn connect(peer: &str, params: &NetworkParams) -> Result<Client, String> {
        let addr = resolve(peer)?;
        let stream = TcpStream::connect_timeout(&addr, WALLET_TIMEOUT)
            .map_err(|e| format!("cannot connect to peer {addr}: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(|e| e.to_string())?;
        let mut c = Client {
            stream,
            magic: params.magic,
            decoder: FrameDecoder::new(params.magic, MAX_PAYLOAD_LEN),
        };
        let mut nonce = [0u8; 8];
        if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
            let _ = f.read_exact(&mut nonce);
        }
        c.send(&Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: params.network_id(),
            nonce: u64::from_le_bytes(nonce),
            best_height: 0,
            listen_port: 0,
        }))?;
        c.wait_for(|m| match m {
            Message::Version(_) => Some(()),
            Message::Reject { reason, .. } => {
                eprintln!("wallet: peer refused the handshake: {reason}");
                None
            }
            _ => None,
        })?;
        c.send(&Message::Verack)?;
        Ok(c)
    }

    /// Writes one message.
    pub(super) fn send(&mut self, m: &Message) -> Result<(), String> {
        self.stream
            .write_all(&encode_frame(self.magic, m))
            .map_err(|e| format!("cannot send to peer: {e}"))
    }

    /// Reads messages until `f` returns `Some`, answering pings, within the timeout.
    pub(super) fn wait_for<T>(
        &mut self,
        mut f: impl FnMut(&Message) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + WALLET_TIMEOUT;
        let mut buf = [0u8; 64 * 1024];
        while Instant::now() < deadline {
            let n = match self.stream.read(&mut buf) {
                Ok(0) => return Err("peer closed the connection (wrong --network?)".into()),
                Ok(n) => n,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut
                        || e.kind() == std::io::ErrorKind::Interrupted =>
                {
                    continue
                }
                Err(e) => return Err(format!("reading from peer: {e}")),
            };
            let mut input = &buf[..n];
            while let Some(d) = self
                .decoder
                .decode(&mut input)
                .map_err(|e| format!("bad data from peer: {e}"))?
            {
                if let Decoded::Message(m) = d {
                    if let Message::Ping { nonce } = m {
                        self.send(&Message::Pong { nonce })?;
                        continue;
                    }
                    if let Some(t) = f(&m) {
                        return Ok(t);
                    }
                }
            }
        }
        Err("timed out waiting for the peer".into())
    }

    /// Asks for `account`'s balance, next sequence and the height they are read at.
    pub(super) fn account(&mut self, account: AccountId) -> Result<(u64, u64, u32), String> {
        self.send(&Message::GetAccount { account })?;
        self.wait_for(|m| match m {
            Message::Account {
                account: a,
                balance,
                next_sequence,
                height,
            } if *a == account => Some((*balance, *next_sequence, *height)),
            _ => None,
        })
    }
}
