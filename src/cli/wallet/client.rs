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
    /// Connects to `peer` (HOST:PORT) and does the version handshake. If the handshake
    /// fails, the error names the peer's network and the flags that select it.
    pub(super) fn connect(peer: &str, params: &NetworkParams) -> Result<Client, String> {
        let addr = resolve(peer)?;
        Client::handshake(addr, params).map_err(|e| match identify(addr) {
            Some(theirs) if theirs.network_id() != params.network_id() => format!(
                "peer {addr} runs network {}, not {}: pass {}",
                theirs.name,
                params.name,
                theirs.cli_flags()
            ),
            Some(_) | None => e,
        })
    }

    fn handshake(addr: std::net::SocketAddr, params: &NetworkParams) -> Result<Client, String> {
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
        let ours = params.network_id();
        c.wait_for(|m| match m {
            Message::Version(v) if v.network_id == ours => Some(Ok(())),
            Message::Version(_) => Some(Err("peer is on another network".to_string())),
            Message::Reject { reason, .. } => {
                eprintln!("wallet: peer refused the handshake: {reason}");
                None
            }
            _ => None,
        })??;
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
                Ok(0) => return Err("peer closed the connection".into()),
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

/// Most bytes read while identifying a peer's network: a `version` frame is far smaller.
const IDENTIFY_MAX_BYTES: usize = 4096;

/// The preset network a peer at `addr` runs, learned from the `version` it sends as
/// soon as a connection opens (both sides send theirs at once); `None` if it sends
/// nothing recognisable within the timeout.
fn identify(addr: std::net::SocketAddr) -> Option<NetworkParams> {
    let mut stream = TcpStream::connect_timeout(&addr, WALLET_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(WALLET_TIMEOUT)).ok()?;
    let mut head = Vec::new();
    let mut decoder: Option<FrameDecoder> = None;
    let mut total = 0;
    let mut buf = [0u8; 512];
    while total < IDENTIFY_MAX_BYTES {
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        total += n;
        let mut input: &[u8] = match decoder {
            Some(_) => &buf[..n],
            None => {
                // The first four bytes are the sender's magic: decode with it.
                head.extend_from_slice(&buf[..n]);
                let Some(magic) = head.first_chunk::<4>() else {
                    continue;
                };
                decoder = Some(FrameDecoder::new(*magic, IDENTIFY_MAX_BYTES));
                &head
            }
        };
        let d = decoder.as_mut()?;
        while let Some(decoded) = d.decode(&mut input).ok()? {
            if let Decoded::Message(Message::Version(v)) = decoded {
                return NetworkParams::presets()
                    .into_iter()
                    .find(|p| p.network_id() == v.network_id);
            }
        }
    }
    None
}
