//! Address parsing for the command-line flags: `HOST:PORT` to a socket address.

use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves `HOST:PORT` (a name or an IP) to its first address.
///
/// # Errors
/// A message naming the input when it does not parse or resolve.
pub fn resolve(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse() {
        return Ok(a);
    }
    s.to_socket_addrs()
        .map_err(|e| format!("cannot resolve {s:?}: {e} (expected HOST:PORT)"))?
        .next()
        .ok_or_else(|| format!("{s:?} resolves to no address"))
}
