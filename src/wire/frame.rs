//! Framing: the 16-byte header around every message, and a push decoder that accepts
//! bytes in any chunking.
//!
//! A frame is `magic [4] | version u16 | msg_type u16 | payload_len u32 | checksum [4] |
//! payload`, integers little-endian, checksum = the first 4 bytes of SHA-256d(payload).
//! The decoder validates the header as soon as its 16 bytes are in, so a frame from the
//! wrong network, of an unknown protocol version or with an oversized length is refused
//! before any payload byte is buffered. See `spec/wire.md`.

use super::message::{message_name, Message};
use crate::chain::hash::Hash256;
use crate::codec::{put_u16, put_u32, DecodeError, Reader};
use std::fmt;

/// Length of the frame header in bytes.
pub const FRAME_HEADER_LEN: usize = 16;
/// The protocol version in every frame header; a frame with another version is refused.
pub const PROTOCOL_VERSION: u16 = 1;
/// Largest payload on the peer protocol: a maximal block plus room.
pub const MAX_PAYLOAD_LEN: usize = crate::chain::block::MAX_BLOCK_BYTES + 1024;
/// Largest payload the tracker accepts (it never carries blocks).
pub const MAX_TRACKER_PAYLOAD_LEN: usize = 4096;
/// A decoder keeps its payload buffer between frames only up to this capacity, so one
/// large frame does not pin a megabyte per connection.
pub const MAX_RETAINED_BUFFER: usize = 64 * 1024;

/// The checksum of a payload: the first 4 bytes of its SHA-256d.
pub fn payload_checksum(payload: &[u8]) -> [u8; 4] {
    let h = Hash256::sha256d(payload);
    [h.0[0], h.0[1], h.0[2], h.0[3]]
}

/// A decoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// Network magic.
    pub magic: [u8; 4],
    /// Protocol version.
    pub version: u16,
    /// Message type.
    pub msg_type: u16,
    /// Payload length in bytes.
    pub payload_len: u32,
    /// First 4 bytes of SHA-256d(payload).
    pub checksum: [u8; 4],
}

impl FrameHeader {
    /// Appends the 16-byte encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.magic);
        put_u16(out, self.version);
        put_u16(out, self.msg_type);
        put_u32(out, self.payload_len);
        out.extend_from_slice(&self.checksum);
    }

    /// Parses 16 bytes (no validation).
    pub fn from_bytes(b: &[u8; FRAME_HEADER_LEN]) -> FrameHeader {
        let mut r = Reader::new(b);
        let mut parse = || -> Result<FrameHeader, DecodeError> {
            Ok(FrameHeader {
                magic: r.array("frame magic")?,
                version: r.u16("frame version")?,
                msg_type: r.u16("frame message type")?,
                payload_len: r.u32("frame payload length")?,
                checksum: r.array("frame checksum")?,
            })
        };
        parse().expect("16 bytes always hold a frame header")
    }
}

/// Appends the whole frame (header and payload) of `msg` for the network `magic`.
pub fn encode_frame_into(magic: [u8; 4], msg: &Message, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0u8; FRAME_HEADER_LEN]);
    msg.encode_payload(out);
    let payload = &out[start + FRAME_HEADER_LEN..];
    let header = FrameHeader {
        magic,
        version: PROTOCOL_VERSION,
        msg_type: msg.msg_type(),
        payload_len: payload.len() as u32,
        checksum: payload_checksum(payload),
    };
    let mut h = Vec::with_capacity(FRAME_HEADER_LEN);
    header.encode(&mut h);
    out[start..start + FRAME_HEADER_LEN].copy_from_slice(&h);
}

/// Appends a frame with any header fields and payload bytes, the checksum computed
/// over `payload`: for test vectors and fuzzers that need frames the encoder of
/// [`Message`] would never make (unknown types, other versions, bad payloads).
pub fn encode_raw_frame(
    magic: [u8; 4],
    version: u16,
    msg_type: u16,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    FrameHeader {
        magic,
        version,
        msg_type,
        payload_len: payload.len() as u32,
        checksum: payload_checksum(payload),
    }
    .encode(out);
    out.extend_from_slice(payload);
}

/// The whole frame (header and payload) of `msg` for the network `magic`.
pub fn encode_frame(magic: [u8; 4], msg: &Message) -> Vec<u8> {
    let mut v = Vec::new();
    encode_frame_into(magic, msg, &mut v);
    v
}

/// Why a byte stream is not a valid sequence of frames. Every variant ends the
/// connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The frame starts with another network's magic (or is not a frame at all).
    BadMagic {
        /// The 4 bytes found.
        found: [u8; 4],
    },
    /// The header's protocol version is not [`PROTOCOL_VERSION`].
    UnsupportedVersion {
        /// The version found.
        found: u16,
    },
    /// The declared payload length is over the decoder's limit.
    Oversized {
        /// Declared length.
        len: u32,
        /// The limit.
        max: u32,
    },
    /// The payload does not match the header's checksum.
    BadChecksum,
    /// The payload of a known message type does not decode.
    Malformed {
        /// The frame's message type.
        msg_type: u16,
        /// What is wrong with it.
        error: DecodeError,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::BadMagic { found } => {
                write!(f, "bad network magic {}", crate::chain::hash::hex(found))
            }
            FrameError::UnsupportedVersion { found } => {
                write!(f, "unsupported protocol version {found}")
            }
            FrameError::Oversized { len, max } => {
                write!(f, "payload length {len} exceeds the limit of {max}")
            }
            FrameError::BadChecksum => write!(f, "payload checksum mismatch"),
            FrameError::Malformed { msg_type, error } => write!(
                f,
                "malformed {} message ({msg_type:#06x}): {error}",
                message_name(*msg_type).unwrap_or("unknown")
            ),
        }
    }
}

impl std::error::Error for FrameError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FrameError::Malformed { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// One decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A known message.
    Message(Message),
    /// A frame of a type this version does not know; its payload was consumed and its
    /// checksum verified, and the receiver ignores it.
    Unknown {
        /// The frame's message type.
        msg_type: u16,
        /// Its payload length.
        len: u32,
    },
}

/// A push decoder: feed it bytes as they arrive, in any chunking, and it yields whole
/// frames. Chunked decoding gives exactly the same result as decoding all at once.
#[derive(Debug)]
pub struct FrameDecoder {
    magic: [u8; 4],
    max_payload: usize,
    header_buf: [u8; FRAME_HEADER_LEN],
    header_len: usize,
    header: Option<FrameHeader>,
    payload: Vec<u8>,
    error: Option<FrameError>,
}

impl FrameDecoder {
    /// A decoder for frames of network `magic` whose payloads are at most `max_payload`
    /// bytes ([`MAX_PAYLOAD_LEN`] for peers, [`MAX_TRACKER_PAYLOAD_LEN`] for the tracker).
    pub fn new(magic: [u8; 4], max_payload: usize) -> FrameDecoder {
        FrameDecoder {
            magic,
            max_payload,
            header_buf: [0; FRAME_HEADER_LEN],
            header_len: 0,
            header: None,
            payload: Vec::new(),
            error: None,
        }
    }

    /// Consumes bytes from the front of `input` (advancing the slice) until one whole
    /// frame is decoded or the input is exhausted (then `Ok(None)`; a partial frame is
    /// kept inside). The header is validated as soon as its 16 bytes are in: bad magic,
    /// unsupported version and oversized length are reported before any payload byte is
    /// buffered. The payload buffer grows with the arriving bytes, never beyond them.
    /// Call again while `input` is not empty to get the following frames.
    ///
    /// # Errors
    /// Any [`FrameError`]. After an error the decoder is poisoned: every later call
    /// returns the same error and consumes nothing.
    pub fn decode(&mut self, input: &mut &[u8]) -> Result<Option<Decoded>, FrameError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.step(input) {
            Err(e) => {
                self.error = Some(e.clone());
                self.header_len = 0;
                self.header = None;
                self.payload = Vec::new();
                Err(e)
            }
            ok => ok,
        }
    }

    fn step(&mut self, input: &mut &[u8]) -> Result<Option<Decoded>, FrameError> {
        let header = match self.header {
            Some(h) => h,
            None => {
                let take = (FRAME_HEADER_LEN - self.header_len).min(input.len());
                self.header_buf[self.header_len..self.header_len + take]
                    .copy_from_slice(&input[..take]);
                self.header_len += take;
                *input = &input[take..];
                if self.header_len < FRAME_HEADER_LEN {
                    return Ok(None);
                }
                let h = FrameHeader::from_bytes(&self.header_buf);
                if h.magic != self.magic {
                    return Err(FrameError::BadMagic { found: h.magic });
                }
                if h.version != PROTOCOL_VERSION {
                    return Err(FrameError::UnsupportedVersion { found: h.version });
                }
                if h.payload_len as usize > self.max_payload {
                    return Err(FrameError::Oversized {
                        len: h.payload_len,
                        max: self.max_payload.min(u32::MAX as usize) as u32,
                    });
                }
                self.header = Some(h);
                h
            }
        };
        let len = header.payload_len as usize;
        let take = (len - self.payload.len()).min(input.len());
        let need = self.payload.len() + take;
        if need > self.payload.capacity() {
            // Grow geometrically with what has arrived, never past the declared length.
            let target = need.max(self.payload.capacity() * 2).min(len);
            self.payload.reserve_exact(target - self.payload.len());
        }
        self.payload.extend_from_slice(&input[..take]);
        *input = &input[take..];
        if self.payload.len() < len {
            return Ok(None);
        }
        if payload_checksum(&self.payload) != header.checksum {
            return Err(FrameError::BadChecksum);
        }
        let decoded = match Message::decode_payload(header.msg_type, &self.payload) {
            Ok(Some(m)) => Decoded::Message(m),
            Ok(None) => Decoded::Unknown {
                msg_type: header.msg_type,
                len: header.payload_len,
            },
            Err(error) => {
                return Err(FrameError::Malformed {
                    msg_type: header.msg_type,
                    error,
                })
            }
        };
        self.header = None;
        self.header_len = 0;
        if self.payload.capacity() > MAX_RETAINED_BUFFER {
            self.payload = Vec::new();
        } else {
            self.payload.clear();
        }
        Ok(Some(decoded))
    }

    /// Bytes of the current partial frame held inside (header and payload).
    pub fn buffered(&self) -> usize {
        self.header_len + self.payload.len()
    }

    /// Bytes of memory reserved for the current partial payload (at least
    /// [`FrameDecoder::buffered`] minus the header; at most the declared length, or
    /// [`MAX_RETAINED_BUFFER`] between frames).
    pub fn capacity(&self) -> usize {
        self.payload.capacity()
    }

    /// The error the decoder is poisoned with, if any.
    pub fn error(&self) -> Option<&FrameError> {
        self.error.as_ref()
    }

    /// The network magic this decoder accepts.
    pub fn magic(&self) -> [u8; 4] {
        self.magic
    }

    /// The payload limit this decoder enforces.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }
}

/// Decodes every frame in `bytes` with a fresh decoder: the frames, then `Some(error)` if
/// the stream is invalid (decoding stops there) and the count of bytes left in a trailing
/// partial frame.
pub fn decode_all(
    magic: [u8; 4],
    max_payload: usize,
    mut bytes: &[u8],
) -> (Vec<Decoded>, Option<FrameError>, usize) {
    let mut d = FrameDecoder::new(magic, max_payload);
    let mut out = Vec::new();
    loop {
        match d.decode(&mut bytes) {
            Ok(Some(m)) => out.push(m),
            Ok(None) => return (out, None, d.buffered()),
            Err(e) => return (out, Some(e), d.buffered()),
        }
    }
}

/// [`decode_all`] with `bytes` arriving in pieces, split at each of `cuts` (taken modulo
/// `bytes.len() + 1`, in any order), as a socket may deliver them: tests and fuzzers
/// check that it gives the same result as one piece.
///
/// # Panics
/// If the decoder asks for more bytes while leaving some of a piece unread (it must
/// buffer every byte it is given).
pub fn decode_split(
    magic: [u8; 4],
    max_payload: usize,
    bytes: &[u8],
    cuts: &[usize],
) -> (Vec<Decoded>, Option<FrameError>, usize) {
    let mut d = FrameDecoder::new(magic, max_payload);
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    let mut out = Vec::new();
    for w in points.windows(2) {
        let mut chunk = &bytes[w[0]..w[1]];
        loop {
            match d.decode(&mut chunk) {
                Ok(Some(m)) => out.push(m),
                Ok(None) => {
                    assert!(chunk.is_empty(), "the decoder left bytes of a piece unread");
                    break;
                }
                Err(e) => return (out, Some(e), d.buffered()),
            }
        }
    }
    (out, None, d.buffered())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::hash::Hash256;
    use crate::wire::message::*;
    use crate::wire::testutil::arb_message;
    use proptest::prelude::*;

    const MAGIC: [u8; 4] = [0xc4, 0xee, 0x5e, 0xff];

    fn raw_frame(magic: [u8; 4], version: u16, msg_type: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        encode_raw_frame(magic, version, msg_type, payload, &mut v);
        v
    }

    #[test]
    fn frame_layout_matches_the_spec() {
        let f = encode_frame(MAGIC, &Message::Ping { nonce: 1 });
        assert_eq!(f.len(), FRAME_HEADER_LEN + 8);
        assert_eq!(&f[..4], &MAGIC);
        assert_eq!(&f[4..6], &[1, 0]);
        assert_eq!(&f[6..8], &[0x12, 0]);
        assert_eq!(&f[8..12], &[8, 0, 0, 0]);
        assert_eq!(&f[12..16], &payload_checksum(&1u64.to_le_bytes()));
        assert_eq!(f, raw_frame(MAGIC, 1, MSG_PING, &1u64.to_le_bytes()));
        // SHA-256d of the empty string starts 5d f6 e0 e2.
        let v = encode_frame(MAGIC, &Message::Verack);
        assert_eq!(&v[12..16], &[0x5d, 0xf6, 0xe0, 0xe2]);
    }

    #[test]
    fn header_errors_come_before_any_payload_is_buffered() {
        let mut d = FrameDecoder::new(MAGIC, MAX_TRACKER_PAYLOAD_LEN);
        let mut f = raw_frame(MAGIC, 1, MSG_PING, &[0; 8]);
        f[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut input = &f[..FRAME_HEADER_LEN];
        assert_eq!(
            d.decode(&mut input),
            Err(FrameError::Oversized {
                len: u32::MAX,
                max: MAX_TRACKER_PAYLOAD_LEN as u32
            })
        );
        assert_eq!(d.capacity(), 0);
        // Poisoned: same error, nothing consumed.
        let mut more = &f[FRAME_HEADER_LEN..];
        assert!(d.decode(&mut more).is_err());
        assert_eq!(more.len(), 8);
        assert!(d.error().is_some());

        let bad = raw_frame([1, 2, 3, 4], 1, MSG_VERACK, &[]);
        assert_eq!(
            decode_all(MAGIC, MAX_PAYLOAD_LEN, &bad).1,
            Some(FrameError::BadMagic {
                found: [1, 2, 3, 4]
            })
        );
        let v2 = raw_frame(MAGIC, 2, MSG_VERACK, &[]);
        assert_eq!(
            decode_all(MAGIC, MAX_PAYLOAD_LEN, &v2).1,
            Some(FrameError::UnsupportedVersion { found: 2 })
        );
    }

    #[test]
    fn payload_buffer_grows_only_with_arrived_bytes() {
        let mut d = FrameDecoder::new(MAGIC, MAX_PAYLOAD_LEN);
        let payload = vec![0u8; 100_000];
        let f = raw_frame(MAGIC, 1, 0x7fff, &payload);
        let mut input = &f[..FRAME_HEADER_LEN + 10];
        assert_eq!(d.decode(&mut input), Ok(None));
        assert!(d.capacity() <= 20, "capacity {}", d.capacity());
        assert_eq!(d.buffered(), FRAME_HEADER_LEN + 10);
        let mut pos = FRAME_HEADER_LEN + 10;
        while pos < f.len() {
            let end = (pos + 999).min(f.len());
            let mut input = &f[pos..end];
            let r = d.decode(&mut input).unwrap();
            assert!(input.is_empty());
            pos = end;
            if pos < f.len() {
                assert_eq!(r, None);
                assert!(d.capacity() <= 2 * (pos - FRAME_HEADER_LEN));
                assert!(d.capacity() <= payload.len());
            } else {
                assert_eq!(
                    r,
                    Some(Decoded::Unknown {
                        msg_type: 0x7fff,
                        len: 100_000
                    })
                );
            }
        }
        assert_eq!(d.buffered(), 0);
        assert!(d.capacity() <= MAX_RETAINED_BUFFER);
    }

    #[test]
    fn checksum_and_malformed_payloads_poison_the_decoder() {
        let mut f = encode_frame(MAGIC, &Message::Pong { nonce: 3 });
        f[FRAME_HEADER_LEN] ^= 1;
        assert_eq!(
            decode_all(MAGIC, MAX_PAYLOAD_LEN, &f).1,
            Some(FrameError::BadChecksum)
        );
        let f = raw_frame(MAGIC, 1, MSG_PONG, &[0; 9]);
        let e = decode_all(MAGIC, MAX_PAYLOAD_LEN, &f).1.unwrap();
        assert_eq!(
            e,
            FrameError::Malformed {
                msg_type: MSG_PONG,
                error: DecodeError::TrailingBytes { extra: 1 }
            }
        );
        assert_eq!(
            e.to_string(),
            "malformed pong message (0x0013): 1 trailing bytes after a complete structure"
        );
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn unknown_types_are_skipped_and_the_stream_continues() {
        let mut s = raw_frame(MAGIC, 1, 0x0100, b"future stuff");
        s.extend(encode_frame(MAGIC, &Message::Verack));
        let (frames, err, left) = decode_all(MAGIC, MAX_PAYLOAD_LEN, &s);
        assert_eq!(err, None);
        assert_eq!(left, 0);
        assert_eq!(
            frames,
            vec![
                Decoded::Unknown {
                    msg_type: 0x0100,
                    len: 12
                },
                Decoded::Message(Message::Verack)
            ]
        );
        // An unknown type still has its checksum checked.
        let mut bad = raw_frame(MAGIC, 1, 0x0100, b"future stuff");
        bad[FRAME_HEADER_LEN] = b'F';
        assert_eq!(
            decode_all(MAGIC, MAX_PAYLOAD_LEN, &bad).1,
            Some(FrameError::BadChecksum)
        );
    }

    #[test]
    fn display_messages_are_lowercase() {
        let errs = [
            FrameError::BadMagic {
                found: [0xde, 0xad, 0xbe, 0xef],
            },
            FrameError::UnsupportedVersion { found: 9 },
            FrameError::Oversized { len: 5, max: 4 },
            FrameError::BadChecksum,
        ];
        let texts: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(texts[0], "bad network magic deadbeef");
        for t in texts {
            assert_eq!(t, t.to_lowercase());
        }
        let _ = Hash256::ZERO;
    }

    fn arb_stream() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(arb_message(), 0..6).prop_map(|ms| {
            let mut v = Vec::new();
            for m in &ms {
                encode_frame_into(MAGIC, m, &mut v);
            }
            v
        })
    }

    proptest! {
        #[test]
        fn frames_round_trip(m in arb_message()) {
            let f = encode_frame(MAGIC, &m);
            let (frames, err, left) = decode_all(MAGIC, MAX_PAYLOAD_LEN, &f);
            prop_assert_eq!(err, None);
            prop_assert_eq!(left, 0);
            prop_assert_eq!(frames, vec![Decoded::Message(m)]);
        }

        #[test]
        fn chunked_decoding_equals_whole_decoding(
            s in arb_stream(),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            prop_assert_eq!(decode_split(MAGIC, MAX_PAYLOAD_LEN, &s, &cuts), decode_all(MAGIC, MAX_PAYLOAD_LEN, &s));
        }

        /// Same, on corrupted streams: errors happen at the same frame whatever the split.
        #[test]
        fn chunked_decoding_equals_whole_decoding_on_corrupt_input(
            s in arb_stream(),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..3),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let mut s = s;
            if !s.is_empty() {
                for (at, b) in flips {
                    let i = at % s.len();
                    s[i] = b;
                }
            }
            prop_assert_eq!(decode_split(MAGIC, MAX_PAYLOAD_LEN, &s, &cuts), decode_all(MAGIC, MAX_PAYLOAD_LEN, &s));
        }

        #[test]
        fn byte_at_a_time_equals_whole(s in arb_stream()) {
            let cuts: Vec<usize> = (0..s.len()).collect();
            prop_assert_eq!(decode_split(MAGIC, MAX_PAYLOAD_LEN, &s, &cuts), decode_all(MAGIC, MAX_PAYLOAD_LEN, &s));
        }

        #[test]
        fn random_bytes_never_panic_and_stay_bounded(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let (_, _, left) = decode_all(MAGIC, MAX_TRACKER_PAYLOAD_LEN, &bytes);
            prop_assert!(left <= FRAME_HEADER_LEN + MAX_TRACKER_PAYLOAD_LEN);
        }
    }
}
