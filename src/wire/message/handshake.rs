//! The peer handshake: the `version` payload.

use crate::chain::hash::Hash256;
use crate::codec::{put_u16, put_u32, put_u64, DecodeError, Reader};

/// Encoded length of a [`Version`] payload.
pub const VERSION_LEN: usize = 50;

/// The handshake message a peer sends first on every peer connection. 50 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    /// The sender's protocol version ([`crate::wire::frame::PROTOCOL_VERSION`]).
    pub version: u32,
    /// The sender's network id (its genesis block hash); a mismatch ends the connection.
    pub network_id: Hash256,
    /// Random per-process value; a node that receives its own nonce closes the
    /// connection (it dialled itself).
    pub nonce: u64,
    /// Height of the sender's best chain tip.
    pub best_height: u32,
    /// The port the sender accepts peer connections on.
    pub listen_port: u16,
}

impl Version {
    /// Appends the 50-byte encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.version);
        out.extend_from_slice(&self.network_id.0);
        put_u64(out, self.nonce);
        put_u32(out, self.best_height);
        put_u16(out, self.listen_port);
    }

    /// Reads the 50-byte encoding.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`].
    pub fn decode(r: &mut Reader<'_>) -> Result<Version, DecodeError> {
        Ok(Version {
            version: r.u32("version number")?,
            network_id: Hash256(r.array("version network id")?),
            nonce: r.u64("version nonce")?,
            best_height: r.u32("version best height")?,
            listen_port: r.u16("version listen port")?,
        })
    }
}
