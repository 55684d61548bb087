//! SHA-256d of an 80-byte block header with a per-template midstate.
//!
//! The header is two SHA-256 blocks: bytes 0..64 (version, previous hash and the first
//! 28 bytes of the merkle root) do not depend on the nonce, so they are compressed once
//! per template into a *midstate*. Per nonce only the second block (header bytes 64..80
//! plus fixed padding) and the second SHA-256 over the 32-byte digest (a prepared
//! padding block) are compressed: two compressions per hash instead of three.

use super::engine::Engine;
use super::sha256d::Prepared;
use crate::chain::hash::Hash256;
use crate::chain::header::{BlockHeader, HEADER_LEN};
use sha2::block_api::compress256;

/// The SHA-256 initial state (defined once, beside the header hash).
pub use crate::chain::header::SHA256_IV;

/// The second block of an 80-byte message: 16 data bytes, then 0x80, zeros and the
/// message length in bits (640) as a big-endian u64.
fn header_tail_block(tail: &[u8; 16]) -> [u8; 64] {
    let mut b = [0u8; 64];
    b[..16].copy_from_slice(tail);
    b[16] = 0x80;
    b[56..].copy_from_slice(&(HEADER_LEN as u64 * 8).to_be_bytes());
    b
}

/// The padding block of a 32-byte message (the second SHA-256 of SHA-256d), with the
/// digest bytes left zero for the caller to fill.
pub fn digest_pad_block() -> [u8; 64] {
    let mut b = [0u8; 64];
    b[32] = 0x80;
    b[56..].copy_from_slice(&256u64.to_be_bytes());
    b
}

/// Writes a SHA-256 state as its 32-byte big-endian digest into the start of `block`.
#[inline(always)]
pub fn write_digest(block: &mut [u8; 64], state: &[u32; 8]) {
    // Whole 16-byte lanes, so the compiler can emit one 16-byte store per lane and the
    // following 16-byte loads of the block are forwarded from the store buffer.
    for (lane, words) in block[..32].chunks_exact_mut(16).zip(state.chunks_exact(4)) {
        let mut v = [0u8; 16];
        for (b, w) in v.chunks_exact_mut(4).zip(words) {
            b.copy_from_slice(&w.to_be_bytes());
        }
        lane.copy_from_slice(&v);
    }
}

/// The 32-byte hash of a final SHA-256 state, in [`Hash256`] byte order.
pub fn state_to_hash(state: &[u32; 8]) -> Hash256 {
    let mut out = [0u8; 32];
    for (chunk, w) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    Hash256(out)
}

/// The part of a scan request that fits before the nonce range ends (`2^32 - start`
/// nonces are left, which may not fit a `u32`), and the target's most significant 4
/// bytes as a number, which both scans compare a hash's top word with first.
pub(crate) fn scan_limits(start: u32, count: u32, target: &[u8; 32]) -> (u32, u32) {
    let left = (1u64 << 32) - u64::from(start);
    let count = u64::from(count).min(left) as u32;
    let top = u32::from_le_bytes([target[28], target[29], target[30], target[31]]);
    (count, top)
}

/// Hashes one header template for many nonces.
#[derive(Clone, Debug)]
pub struct HeaderHasher {
    /// SHA-256 state after the first 64 header bytes.
    midstate: [u32; 8],
    /// Header bytes 64..80 (end of the merkle root, time, bits, nonce 0) as
    /// little-endian words; with the nonce ORed in they are the first 16 bytes of `block`.
    tail: [u32; 4],
    /// The prepared second block of the first SHA-256.
    block: [u8; 64],
    /// The prepared padding block of the second SHA-256.
    pad: [u8; 64],
    /// The nonce-independent precompute the SIMD engines start from.
    prepared: Prepared,
}

impl HeaderHasher {
    /// Prepares the midstate and padding blocks for `header` (its nonce is ignored).
    pub fn new(header: &BlockHeader) -> HeaderHasher {
        let bytes = header.to_bytes();
        let mut first = [0u8; 64];
        first.copy_from_slice(&bytes[..64]);
        let mut midstate = SHA256_IV;
        compress256(&mut midstate, &[first]);
        let mut tail_bytes = [0u8; 16];
        tail_bytes[..12].copy_from_slice(&bytes[64..76]);
        let tail: [u32; 4] = core::array::from_fn(|i| {
            if i == 3 {
                return 0;
            }
            u32::from_le_bytes([
                tail_bytes[4 * i],
                tail_bytes[4 * i + 1],
                tail_bytes[4 * i + 2],
                tail_bytes[4 * i + 3],
            ])
        });
        HeaderHasher {
            midstate,
            tail,
            block: header_tail_block(&tail_bytes),
            pad: digest_pad_block(),
            prepared: Prepared::new(&midstate, &tail),
        }
    }

    /// The nonce-independent precompute of this header.
    pub fn prepared(&self) -> &Prepared {
        &self.prepared
    }

    /// The midstate: SHA-256 state after the first 64 header bytes.
    pub fn midstate(&self) -> [u32; 8] {
        self.midstate
    }

    /// The final SHA-256 state of SHA-256d(header with `nonce`). Its words, big-endian,
    /// are the hash bytes; word 7 holds the most significant bytes of the hash as a
    /// number.
    #[inline(always)]
    pub fn hash_state(&mut self, nonce: u32) -> [u32; 8] {
        // Written as a lane-wise OR so the compiler builds the 16 bytes in one vector
        // register and stores them at once (a narrower store of the nonce followed by
        // the 16-byte load inside compress256 stalls store forwarding).
        const MASK: [u32; 4] = [0, 0, 0, u32::MAX];
        let mut lane = [0u8; 16];
        for ((b, t), m) in lane.chunks_exact_mut(4).zip(self.tail).zip(MASK) {
            b.copy_from_slice(&(t | (nonce & m)).to_le_bytes());
        }
        self.block[..16].copy_from_slice(&lane);
        let mut s = self.midstate;
        compress256(&mut s, core::slice::from_ref(&self.block));
        write_digest(&mut self.pad, &s);
        let mut s2 = SHA256_IV;
        compress256(&mut s2, core::slice::from_ref(&self.pad));
        s2
    }

    /// SHA-256d of the header with `nonce`; equals `header.hash()` with that nonce.
    pub fn hash(&mut self, nonce: u32) -> Hash256 {
        state_to_hash(&self.hash_state(nonce))
    }

    /// Tries nonces `start, start+1, ...` for at most `count` nonces (never past
    /// `u32::MAX`) and stops at the first whose hash meets `target` (32 little-endian
    /// bytes). Returns the winning nonce, if any, and how many nonces were hashed.
    ///
    /// Uses [`Engine::selected`] (the fastest engine the CPU has unless overridden);
    /// every engine, and [`HeaderHasher::scan_portable`], gives the same answer.
    pub fn scan(&mut self, start: u32, count: u32, target: &[u8; 32]) -> (Option<u32>, u32) {
        Engine::selected().scan(self, start, count, target)
    }

    /// [`HeaderHasher::scan`] with `compress256`, one nonce at a time, on any CPU.
    pub fn scan_portable(
        &mut self,
        start: u32,
        count: u32,
        target: &[u8; 32],
    ) -> (Option<u32>, u32) {
        let (count, top) = scan_limits(start, count, target);
        let mut done = 0u32;
        while done < count {
            let nonce = start.wrapping_add(done);
            let s = self.hash_state(nonce);
            done += 1;
            // The hash's most significant 4 bytes, as a number, are word 7 byte-swapped.
            let h = s[7].swap_bytes();
            if h < top
                || (h == top && crate::chain::target::hash_meets_target(&state_to_hash(&s), target))
            {
                return (Some(nonce), done);
            }
        }
        (None, done)
    }
}
