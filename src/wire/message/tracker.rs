//! The tracker protocol's own structures: socket addresses and the peer-list limit.

use crate::codec::{put_u16, DecodeError, Reader};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// Most addresses in one [`super::Message::PeerList`].
pub const MAX_PEER_LIST: usize = 64;

/// Encoded length of a socket address: 16-byte IPv6 address and a `u16` port.
pub const ADDR_LEN: usize = 18;

/// Appends an 18-byte socket address: the 16-byte IPv6 address (an IPv4 address as
/// IPv4-mapped `::ffff:a.b.c.d`), then the port as a little-endian `u16`. IPv6 flow
/// info and scope id are not sent.
pub fn encode_addr(addr: &SocketAddr, out: &mut Vec<u8>) {
    let ip = match addr.ip() {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    out.extend_from_slice(&ip.octets());
    put_u16(out, addr.port());
}

/// Reads an 18-byte socket address; an IPv4-mapped address decodes to
/// [`SocketAddr::V4`], any other to [`SocketAddr::V6`] with zero flow info and scope.
///
/// # Errors
/// [`DecodeError::Truncated`].
pub fn decode_addr(r: &mut Reader<'_>) -> Result<SocketAddr, DecodeError> {
    let ip = Ipv6Addr::from(r.array::<16>("address")?);
    let port = r.u16("address port")?;
    Ok(match ip.to_ipv4_mapped() {
        Some(v4) => SocketAddr::new(IpAddr::V4(v4), port),
        None => SocketAddr::new(IpAddr::V6(ip), port),
    })
}
